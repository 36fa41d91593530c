// Extension-host suite for the Containers view's commands: each one runs on nodes built from the real /proc
// values of a container started with "Start Isolated Shell", as the tree would hand them over, and its effect is
// checked on the host. MINI_CONTAINERS_TEST_ROOTFS names a BusyBox root filesystem; both runners make one.
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { Container } from '../../src/core/model/containerModel';
import type { ProcessInfo } from '../../src/core/proc/processScanner';
import { containerKey } from '../../src/core/helper/registry';
import { processesRootedIn } from '../e2e/hostProcesses';
import { alive, commandLine, HelperRecord, nsPids, readStat, registryRecord, sleep, waitFor } from './hostState';
import { capture } from './messages';

/** A process as the scanner would describe it, from the real /proc. */
function processInfo(pid: number): ProcessInfo {
  const stat = readStat(pid);
  assert.ok(stat, `host PID ${pid} is not running`);
  const chain = nsPids(pid);
  const uid = Number(/^Uid:\s*\d+\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  return {
    hostPid: pid,
    ppid: stat.ppid,
    nsPids: chain,
    nsPid: chain[chain.length - 1],
    state: stat.state,
    uid,
    user: uid === 0 ? 'root' : String(uid),
    command: commandLine(pid) ?? '',
    comm: stat.comm,
    startTime: stat.startTime,
    rssBytes: 0,
    cpuTicks: 0,
    nsInode: statSync(`/proc/${pid}/ns/pid`).ino,
    kernelThread: false,
  };
}

/** A container as the tree's model describes it, from the helper's record and /proc. */
function containerOf(record: HelperRecord, processes: ProcessInfo[]): Container {
  return {
    key: containerKey(record.initPid, record.startTime),
    initHostPid: record.initPid,
    startTime: record.startTime,
    nsInode: statSync(`/proc/${record.initPid}/ns/pid`).ino,
    depth: 1,
    name: record.name,
    hostname: record.hostname,
    network: null,
    publish: [],
    ephemeral: false,
    rootfs: record.rootfs,
    startedBy: 'mini-containers',
    parentKey: null,
    parentInitHostPid: null,
    processes,
    engine: null,
  };
}

/** Host PIDs of the container's processes running `command` (same root, same PID namespace as its PID 1). */
function inContainer(record: HelperRecord, command: string): number[] {
  const ns = readlinkSync(`/proc/${record.initPid}/ns/pid`);
  return processesRootedIn(record.rootfs)
    .filter((p) => p.pidNamespace === ns && p.command === command && alive(p.pid))
    .map((p) => p.pid);
}

// --- what the extension shows

const config = () => vscode.workspace.getConfiguration('miniContainers');

describe('Containers view commands on a real container', () => {
  const rootfs = process.env.MINI_CONTAINERS_TEST_ROOTFS ?? '';
  const terminals: vscode.Terminal[] = [];
  const hostChildren: ChildProcess[] = [];
  /** Host PIDs of the containers' PID 1s, to see them end. */
  const inits: number[] = [];
  const previous: { [key: string]: unknown } = {};
  let errors: ReturnType<typeof capture>;

  /** Starts an isolated shell with the command, as the palette does; resolves with its record once its shell runs. */
  async function startContainer(): Promise<{ terminal: vscode.Terminal; record: HelperRecord }> {
    const terminal = await vscode.commands.executeCommand<vscode.Terminal | undefined>('miniContainers.startIsolatedShell');
    assert.ok(terminal, 'Start Isolated Shell returned no terminal');
    terminals.push(terminal);
    const record = await waitFor(`the helper's record of ${terminal.name}`, () => registryRecord(terminal.name));
    inits.push(record.initPid);
    // The record is written once bubblewrap reports PID 1, before its exec: wait for the shell itself to read the terminal.
    await waitFor(`the shell of ${terminal.name}`, () => commandLine(record.initPid) === '/bin/sh' && readStat(record.initPid)?.state === 'S');
    return { terminal, record };
  }

  /** Types `command &` into the container's shell; returns the host PID of the process it starts. */
  async function startInContainer(terminal: vscode.Terminal, record: HelperRecord, command: string): Promise<number> {
    terminal.sendText(`${command} &`);
    const [pid] = await waitFor(`"${command}" in ${record.name}`, () => {
      const found = inContainer(record, command);
      return found.length === 1 && found;
    }, 5000);
    return pid;
  }

  function spawnOnHost(command: string, ...args: string[]): number {
    const child = spawn(command, args, { stdio: 'ignore' });
    hostChildren.push(child);
    assert.ok(child.pid, `could not start ${command} on the host`);
    return child.pid;
  }

  before(async () => {
    assert.ok(rootfs, 'MINI_CONTAINERS_TEST_ROOTFS must name a BusyBox rootfs (the test runners set it)');
    assert.ok(existsSync(join(rootfs, 'bin', 'sh')), `MINI_CONTAINERS_TEST_ROOTFS=${rootfs} has no bin/sh`);
    await vscode.extensions.getExtension('mini-containers.mini-containers')?.activate();
    for (const key of ['rootfs', 'stopTimeout']) previous[key] = config().inspect(key)?.globalValue;
    await config().update('rootfs', rootfs, vscode.ConfigurationTarget.Global);
  });

  beforeEach(() => (errors = capture('showErrorMessage')));
  afterEach(() => errors.restore());

  after(async () => {
    for (const child of hostChildren) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    for (const terminal of terminals) terminal.dispose();
    for (const key of Object.keys(previous)) await config().update(key, previous[key], vscode.ConfigurationTarget.Global);
    // Closing a terminal ends its container (the runner's clean-up kills whatever is left in the rootfs).
    await waitFor('every container of this suite to end', () => !inits.some(alive), 5000);
  });

  describe('on processes', () => {
    let terminal: vscode.Terminal;
    let record: HelperRecord;
    let container: Container;
    let sleeper: ProcessInfo;

    before(async () => {
      ({ terminal, record } = await startContainer());
      sleeper = processInfo(await startInContainer(terminal, record, 'sleep 1000'));
      assert.ok(sleeper.nsPid !== null && sleeper.nsPid > 1 && sleeper.nsPid !== sleeper.hostPid);
      assert.equal(sleeper.ppid, record.initPid, 'the shell is the parent of the sleep');
      container = containerOf(record, [processInfo(record.initPid), sleeper]);
    });

    it('Copy Host PID and Copy Namespace PID put the two numbers of the process on the clipboard', async () => {
      await vscode.commands.executeCommand('miniContainers.copyHostPid', { container, process: sleeper });
      assert.equal(await vscode.env.clipboard.readText(), String(sleeper.hostPid));
      await vscode.commands.executeCommand('miniContainers.copyNamespacePid', { container, process: sleeper });
      assert.equal(await vscode.env.clipboard.readText(), String(sleeper.nsPid));
    });

    it('Kill with a stale start time (the PID names another process now) kills nothing and says why', async () => {
      const stale = { ...sleeper, startTime: sleeper.startTime + 1 };
      const sent = await vscode.commands.executeCommand('miniContainers.killProcess', { container, process: stale });
      assert.equal(sent, false);
      assert.equal(errors.messages.length, 1, `expected one error, got ${JSON.stringify(errors.messages)}`);
      assert.match(errors.messages[0], new RegExp(`^Could not send SIGTERM to host PID ${sleeper.hostPid}: .*(has ended|another process)`));
      await sleep(300);
      assert.ok(alive(sleeper.hostPid), 'the sleep was killed through a stale start time');
    });

    it('Kill aimed at a host process, as if it were in the container, leaves it running and shows an error', async () => {
      const hostSleep = spawnOnHost('sleep', '600');
      const target = processInfo(hostSleep);
      const sent = await vscode.commands.executeCommand('miniContainers.killProcess', { container, process: target });
      assert.equal(sent, false);
      assert.equal(errors.messages.length, 1, `expected one error, got ${JSON.stringify(errors.messages)}`);
      assert.match(errors.messages[0], new RegExp(`^Could not send SIGTERM to host PID ${hostSleep}: .*not in (this )?container`));
      const forced = await vscode.commands.executeCommand('miniContainers.killProcessForce', { container, process: target });
      assert.equal(forced, false);
      assert.equal(errors.messages.length, 2);
      await sleep(300);
      assert.ok(alive(hostSleep), 'a host process was killed');
    });

    it('Kill on a container whose "PID 1" is a host process is refused by the helper (no control channel)', async () => {
      const hostSleep = spawnOnHost('sleep', '600');
      const target = processInfo(hostSleep);
      const fake: Container = { ...containerOf(record, [target]), key: containerKey(hostSleep, target.startTime), initHostPid: hostSleep, startTime: target.startTime };
      const sent = await vscode.commands.executeCommand('miniContainers.killProcess', { container: fake, process: target });
      assert.equal(sent, false);
      assert.equal(errors.messages.length, 1, `expected one error, got ${JSON.stringify(errors.messages)}`);
      assert.match(errors.messages[0], /is not the PID 1 of a container/);
      await sleep(300);
      assert.ok(alive(hostSleep), 'a host process was killed');
    });

    it('Kill (SIGTERM) on the real process ends it, and only it', async () => {
      const sent = await vscode.commands.executeCommand('miniContainers.killProcess', { container, process: sleeper });
      assert.equal(sent, true);
      assert.deepEqual(errors.messages, []);
      await waitFor(`host PID ${sleeper.hostPid} to end`, () => !alive(sleeper.hostPid), 3000);
      assert.ok(alive(record.initPid), 'the shell still runs');
    });
  });

  describe('on containers', () => {
    it('Stop Container ends PID 1, an interactive shell that ignores SIGTERM, by SIGKILL after stopTimeout', async () => {
      await config().update('stopTimeout', 1, vscode.ConfigurationTarget.Global);
      const { record } = await startContainer();
      const container = containerOf(record, [processInfo(record.initPid)]);
      const started = Date.now();
      const stopping = vscode.commands.executeCommand('miniContainers.stopContainer', { container });
      await sleep(500);
      assert.ok(alive(record.initPid), 'PID 1 ended on SIGTERM: it should ignore it, so this test would not see SIGKILL');
      const ended = await waitFor('PID 1 to end', () => !alive(record.initPid), 3000).then(() => true, () => false);
      const ms = Date.now() - started;
      await stopping;
      assert.deepEqual(errors.messages, [], 'Stop showed an error');
      assert.ok(ended, `PID 1 (host PID ${record.initPid}) still runs ${ms} ms after Stop with stopTimeout 1 s`);
      assert.ok(ms >= 900, `PID 1 ended after ${ms} ms, before stopTimeout (1 s)`);
      console.log(`      PID 1 ended ${ms} ms after Stop`);
    });

    it('Kill Container asks first: no answer kills nothing, "Kill" SIGKILLs PID 1', async () => {
      const { record } = await startContainer();
      const container = containerOf(record, [processInfo(record.initPid)]);
      let answer: string | undefined;
      const warnings = capture('showWarningMessage', () => answer);
      try {
        await vscode.commands.executeCommand('miniContainers.killContainer', { container });
        assert.equal(warnings.messages.length, 1);
        assert.match(warnings.messages[0], new RegExp(`^Kill container ${record.name}\\? SIGKILL to its PID 1 \\(host PID ${record.initPid}\\)`));
        await sleep(300);
        assert.ok(alive(record.initPid), 'dismissing the question killed the container');

        answer = 'Kill';
        const started = Date.now();
        await vscode.commands.executeCommand('miniContainers.killContainer', { container });
        await waitFor(`PID 1 (host PID ${record.initPid}) to end`, () => !alive(record.initPid), 2000);
        console.log(`      PID 1 ended ${Date.now() - started} ms after "Kill"`);
      } finally {
        warnings.restore();
      }
      assert.deepEqual(errors.messages, []);
    });
  });
});
