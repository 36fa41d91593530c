// Extension-host suite for what an outside read of the code found (issue 9, item 7): a SIGTERM that PID 1
// ignores, "Reveal Terminal" when a refresh lands before the status line, a refresh that fails, and a kill error
// that must not point to a closed terminal. Real containers started with "Start Isolated Shell", the real /proc,
// the real registry, real processes in real terminals. MINI_CONTAINERS_TEST_ROOTFS names a BusyBox rootfs.
import * as assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { Container } from '../../src/core/model/containerModel';
import type { ProcessInfo } from '../../src/core/proc/processScanner';
import { containerKey } from '../../src/core/helper/registry';
import { terminalRunError } from '../../src/core/helper/signalOutcome';
import { ContainerNode, ProblemNode, ProcessNode, type TreeNode } from '../../src/containersView/containerTreeItems';
import { ContainersProvider } from '../../src/containersView/containersView';
import { runHelperInTerminal } from '../../src/shells/helperLauncher';
import { Sessions, type Session } from '../../src/sessions';
import { alive, commandLine, HelperRecord, nsPids, readStat, registryRecord, waitFor } from './hostState';
import { capture } from './messages';

/** A process as the scanner would describe it, from the real /proc. */
function processInfo(pid: number): ProcessInfo {
  const stat = readStat(pid);
  assert.ok(stat, `host PID ${pid} is not running`);
  const chain = nsPids(pid);
  const uid = Number(/^Uid:\s*\d+\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  return {
    hostPid: pid, ppid: stat.ppid, nsPids: chain, nsPid: chain[chain.length - 1], state: stat.state, uid,
    user: uid === 0 ? 'root' : String(uid), command: commandLine(pid) ?? '', comm: stat.comm, startTime: stat.startTime,
    rssBytes: 0, cpuTicks: 0, nsInode: statSync(`/proc/${pid}/ns/pid`).ino, kernelThread: false,
  };
}

/** A container as the tree's model describes it, from the helper's record and /proc. */
function containerOf(record: HelperRecord, processes: ProcessInfo[]): Container {
  return {
    key: containerKey(record.initPid, record.startTime), initHostPid: record.initPid, startTime: record.startTime,
    nsInode: statSync(`/proc/${record.initPid}/ns/pid`).ino, depth: 1, name: record.name, hostname: record.hostname,
    rootfs: record.rootfs, network: null, publish: [], ephemeral: false, startedBy: 'mini-containers', parentKey: null, parentInitHostPid: null, processes, engine: null,
  };
}

/** A session of this window as "Start Isolated Shell" adds it, before (or after) its status line was read. */
function sessionNamed(name: string): Session {
  // The tree reads a session's name and container only; its terminal is the test's real one, by that name.
  return { name } as Session;
}

/** The tree node of the container `key` among the provider's top-level nodes. */
function nodeOf(provider: ContainersProvider, key: string): ContainerNode | undefined {
  return provider.getChildren().find((n): n is ContainerNode => n instanceof ContainerNode && n.container.key === key);
}

/** Resolves with the next node the provider asks VS Code to repaint that satisfies `accept`. */
function nextRepaint(provider: ContainersProvider, accept: (node: TreeNode | undefined) => boolean): Promise<TreeNode | undefined> {
  return new Promise((resolve) => {
    const listener = provider.onDidChangeTreeData((node) => {
      if (!accept(node)) return;
      listener.dispose();
      resolve(node);
    });
  });
}

const config = () => vscode.workspace.getConfiguration('miniContainers');

describe('What an outside read found: signals, the tree, kill errors', () => {
  const rootfs = process.env.MINI_CONTAINERS_TEST_ROOTFS ?? '';
  const terminals: vscode.Terminal[] = [];
  const inits: number[] = [];
  const disposables: vscode.Disposable[] = [];
  const temps: string[] = [];
  let previousRootfs: unknown;
  let log: vscode.LogOutputChannel;
  let errors: ReturnType<typeof capture>;

  async function startContainer(): Promise<{ terminal: vscode.Terminal; record: HelperRecord }> {
    const terminal = await vscode.commands.executeCommand<vscode.Terminal | undefined>('miniContainers.startIsolatedShell');
    assert.ok(terminal, 'Start Isolated Shell returned no terminal');
    terminals.push(terminal);
    const record = await waitFor(`the helper's record of ${terminal.name}`, () => registryRecord(terminal.name));
    inits.push(record.initPid);
    await waitFor(`the shell of ${terminal.name}`, () => commandLine(record.initPid) === '/bin/sh' && readStat(record.initPid)?.state === 'S');
    return { terminal, record };
  }

  before(async () => {
    assert.ok(rootfs, 'MINI_CONTAINERS_TEST_ROOTFS must name a BusyBox rootfs (the test runners set it)');
    await vscode.extensions.getExtension('mini-containers.mini-containers')?.activate();
    previousRootfs = config().inspect('rootfs')?.globalValue;
    await config().update('rootfs', rootfs, vscode.ConfigurationTarget.Global);
    log = vscode.window.createOutputChannel('Mini Containers (signalsAndTree tests)', { log: true });
    disposables.push(log);
  });

  beforeEach(() => (errors = capture('showErrorMessage')));
  afterEach(() => errors.restore());

  after(async () => {
    for (const terminal of terminals) terminal.dispose();
    for (const d of disposables.reverse()) d.dispose();
    for (const dir of temps) rmSync(dir, { recursive: true, force: true });
    await config().update('rootfs', previousRootfs, vscode.ConfigurationTarget.Global);
    await waitFor('every container of this suite to end', () => !inits.some(alive), 5000);
  });

  it('Kill (SIGTERM) on a PID 1 that ignores TERM says so and offers Stop or SIGKILL, which ends it', async () => {
    const { record } = await startContainer();
    const init = processInfo(record.initPid);
    const container = containerOf(record, [init]);
    let answer: string | undefined;
    const warnings = capture('showWarningMessage', () => answer);
    try {
      // Dismissed: PID 1 (an interactive shell, with no TERM handler) still runs, and the command did not succeed.
      const sent = await vscode.commands.executeCommand('miniContainers.killProcess', { container, process: init });
      assert.equal(sent, false, 'Kill reported success though PID 1 ignored SIGTERM');
      assert.equal(warnings.messages.length, 1, `expected one warning, got ${JSON.stringify(warnings.messages)}`);
      assert.match(warnings.messages[0], new RegExp(`^PID 1 of ${record.name} \\(host PID ${record.initPid}\\) still runs after SIGTERM`));
      assert.ok(alive(record.initPid), 'PID 1 ended: this test needs one that ignores SIGTERM');

      // "Kill (SIGKILL)": PID 1 ends.
      answer = 'Kill (SIGKILL)';
      await vscode.commands.executeCommand('miniContainers.killProcess', { container, process: init });
      assert.equal(warnings.messages.length, 2);
      await waitFor(`PID 1 (host PID ${record.initPid}) to end after "Kill (SIGKILL)"`, () => !alive(record.initPid), 5000);
    } finally {
      warnings.restore();
    }
    assert.deepEqual(errors.messages, []);
  });

  it('"Stop Container" from that warning stops the container', async () => {
    await config().update('stopTimeout', 1, vscode.ConfigurationTarget.Global);
    try {
      const { record } = await startContainer();
      const init = processInfo(record.initPid);
      const warnings = capture('showWarningMessage', () => 'Stop Container');
      try {
        await vscode.commands.executeCommand('miniContainers.killProcess', { container: containerOf(record, [init]), process: init });
        assert.equal(warnings.messages.length, 1);
        await waitFor(`PID 1 (host PID ${record.initPid}) to end after "Stop Container"`, () => !alive(record.initPid), 8000);
      } finally {
        warnings.restore();
      }
    } finally {
      await config().update('stopTimeout', undefined, vscode.ConfigurationTarget.Global);
    }
    assert.deepEqual(errors.messages, []);
  });

  describe('Reveal Terminal for a container started here, when a refresh lands before its status line', () => {
    let record: HelperRecord;
    let key: string;

    before(async () => {
      ({ record } = await startContainer());
      key = containerKey(record.initPid, record.startTime);
    });

    it('a session that has not read its status line yet owns the container the helper recorded under its name', () => {
      const sessions = new Sessions();
      disposables.push(sessions);
      const session = sessionNamed(record.name);
      sessions.add(session);
      const provider = new ContainersProvider(log, sessions);
      disposables.push(provider);
      assert.ok(provider.refresh(), 'the refresh failed');
      const node = nodeOf(provider, key);
      assert.ok(node, `the tree has no node for ${record.name}`);
      assert.equal(node.contextValue, 'container.startedHere');
      assert.equal(provider.sessionOf(node.container), session);
    });

    it('a container drawn before its session knew it is redrawn with Reveal Terminal once the status line arrives', async () => {
      const sessions = new Sessions();
      disposables.push(sessions);
      // A name that does not match, so that only the "started" event can tie the session to the container.
      const session = sessionNamed(`${record.name}-x`);
      sessions.add(session);
      const provider = new ContainersProvider(log, sessions);
      disposables.push(provider);
      assert.ok(provider.refresh(), 'the refresh failed');
      const before = nodeOf(provider, key);
      assert.ok(before, `the tree has no node for ${record.name}`);
      assert.equal(before.contextValue, 'container.recorded');

      const repainted = nextRepaint(provider, (n) => n instanceof ContainerNode && n.container.key === key);
      session.container = {
        event: 'started', initPid: record.initPid, startTime: record.startTime, rootfs: record.rootfs, name: record.name, hostname: record.hostname,
      };
      sessions.changed();
      const node = await repainted;
      assert.equal(node, before, 'the same node is repainted');
      assert.equal(before.contextValue, 'container.startedHere');
      assert.equal(nodeOf(provider, key)?.contextValue, 'container.startedHere');
    });
  });

  describe('a refresh that fails is shown in the tree', () => {
    it('a /proc that cannot be listed: an error at the top of the tree, gone after a refresh that works', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'mini-containers-tree-'));
      temps.push(dir);
      const procRoot = join(dir, 'proc');
      const sessions = new Sessions();
      const provider = new ContainersProvider(log, sessions, { procRoot });
      disposables.push(sessions, provider);

      const repainted = nextRepaint(provider, (n) => n === undefined);
      assert.equal(provider.refresh(), undefined, 'a scan of a missing /proc worked');
      await repainted;
      const [first, ...rest] = provider.getChildren();
      assert.ok(first instanceof ProblemNode, `the tree shows ${JSON.stringify(first?.label)} first`);
      assert.equal(first.severity, 'error');
      assert.match(String(first.label), /^The containers could not be listed: .*ENOENT/);
      assert.equal(first.command?.command, 'miniContainers.refresh');
      assert.deepEqual(rest, []);

      symlinkSync('/proc', procRoot);
      const cleared = nextRepaint(provider, (n) => n === undefined);
      const model = provider.refresh();
      assert.ok(model, 'the refresh through a working /proc failed');
      await cleared;
      const children = provider.getChildren();
      assert.ok(!children.some((n) => n instanceof ProblemNode), 'the error stayed after a refresh that worked');
      assert.deepEqual(provider.problems, []);
    });

    it('records that cannot be read: a warning at the top, and the containers still listed', async () => {
      const { record } = await startContainer();
      const dir = mkdtempSync(join(tmpdir(), 'mini-containers-tree-'));
      temps.push(dir);
      const registryDir = join(dir, 'loop');
      symlinkSync(registryDir, registryDir); // reading it: ELOOP
      const sessions = new Sessions();
      const provider = new ContainersProvider(log, sessions, { registryDir });
      disposables.push(sessions, provider);
      assert.ok(provider.refresh(), 'the scan of /proc failed');
      const [first] = provider.getChildren();
      assert.ok(first instanceof ProblemNode, `the tree shows ${JSON.stringify(first?.label)} first`);
      assert.equal(first.severity, 'warning');
      assert.match(String(first.label), /could not be read \(.*ELOOP/);
      const node = nodeOf(provider, containerKey(record.initPid, record.startTime));
      assert.ok(node, 'the container is not listed');
      assert.equal(node.container.name, null, 'a name came from records that could not be read');
    });
  });

  describe('what each container costs (issue 18)', () => {
    it('its row says memory and CPU %, its tooltip the limits, its processes CPU % and RSS; memory held later shows at the next refresh', async () => {
      const { terminal, record } = await startContainer();
      const sessions = new Sessions();
      // Disposed at once, not after the suite: each provider's scanner keeps a descriptor per process open.
      const provider = new ContainersProvider(log, sessions);
      disposables.push(sessions);
      try {
        await costShown(provider, terminal, record);
      } finally {
        provider.dispose();
      }
    });
  });

  /** The checks of the test above, on the provider it disposes after them. */
  async function costShown(provider: ContainersProvider, terminal: vscode.Terminal, record: HelperRecord): Promise<void> {
    const key = containerKey(record.initPid, record.startTime);
    assert.ok(provider.refresh(), `the refresh failed: ${provider.problems.join('; ')}`);
    const node = nodeOf(provider, key);
    assert.ok(node, `the tree has no node for ${record.name}`);
    // This host gives a container no cgroup of its own until the helper makes one: ≈ and (RSS) say it is a sum.
    const memory = /· (≈)?([\d.]+) (B|KiB|MiB|GiB)(?: \(RSS\))? · [\d.]+% CPU$/;
    const before = memory.exec(String(node.description));
    assert.ok(before, `no memory and CPU in "${String(node.description)}"`);
    assert.equal(before[1] === '≈', provider.usage.containers.get(key)?.memorySource === 'rss');
    assert.match(String(node.tooltip), /\nMemory: .*\n(?:Processes: .*\n)?CPU: [\d.]+% \(100% = one core\) · (?:no quota|quota: [\d.]+ CPUs)/);
    const shell = provider.getChildren(node).find((n): n is ProcessNode => n instanceof ProcessNode && n.process.hostPid === record.initPid);
    assert.ok(shell, 'no row for the shell');
    assert.match(String(shell.description), /^PID 1 · host \d+ · root · [\d.]+% · [\d.]+ (B|KiB|MiB)$/);

    // dd holds its one 40 MiB block while it waits to write it into a pipe nobody reads.
    terminal.sendText('dd if=/dev/zero bs=40M count=1 2>/dev/null | sleep 1000 &');
    const bytes = (n: ContainerNode) => provider.usage.containers.get(n.container.key)?.memoryBytes ?? 0;
    const start = bytes(node);
    await waitFor('the container to hold 40 MiB more', () => {
      provider.refresh();
      return bytes(node) - start >= 40 * 1024 * 1024;
    }, 20_000).catch((e: Error) => {
      const c = provider.current?.byKey.get(key);
      throw new Error(`${e.message}: ${start} → ${bytes(node)} bytes; ${JSON.stringify(provider.usage.containers.get(key))}; ` +
        (c?.processes.map((p) => `${p.command} ${p.rssBytes}`).join(', ') ?? 'no container'));
    });
    assert.match(String(nodeOf(provider, key)?.description), /· ≈?[\d.]+ MiB(?: \(RSS\))? · [\d.]+% CPU$/);
  }

  describe('a kill run in a terminal of its own (sudo) never points to a closed terminal', () => {
    it('a failure keeps the terminal open and copies the helper\'s reason into the error', async () => {
      const name = 'Kill test: failure';
      const run = await runHelperInTerminal(log, name, '/bin/sh',
        ['-c', 'printf "container-helper: host PID 7 is not in this container\\n" >&2; exit 125'], 'banner');
      assert.equal(run.code, 125);
      assert.equal(run.error, 'host PID 7 is not in this container');
      assert.ok(run.open);
      assert.ok(vscode.window.terminals.includes(run.terminal), 'the terminal closed after a failure');
      assert.equal(run.terminal.exitStatus, undefined, 'the terminal is not closed');
      assert.equal(terminalRunError(run, name), 'The helper ended with exit code 125: host PID 7 is not in this container');
      // A key closes it.
      const closed = new Promise<void>((resolve) => {
        const l = vscode.window.onDidCloseTerminal((t) => t === run.terminal && (l.dispose(), resolve()));
      });
      run.terminal.sendText('x', false);
      await closed;
    });

    it('a success closes the terminal by itself', async () => {
      const closed = new Promise<vscode.Terminal>((resolve) => {
        const l = vscode.window.onDidCloseTerminal((t) => t.name === 'Kill test: success' && (l.dispose(), resolve(t)));
      });
      const run = await runHelperInTerminal(log, 'Kill test: success', '/bin/sh', ['-c', 'exit 0'], 'banner');
      assert.equal(run.code, 0);
      assert.equal(terminalRunError(run, 'Kill test: success'), undefined);
      assert.equal(await closed, run.terminal);
    });

    it('a terminal closed before the helper ended: the error says nothing is known, and names no terminal to read', async () => {
      const name = 'Kill test: closed';
      // A unique command line, to find the process and see it end.
      const running = runHelperInTerminal(log, name, '/bin/sh', ['-c', 'exec sleep 987.25'], 'banner');
      const terminal = await waitFor('the kill terminal', () => vscode.window.terminals.find((t) => t.name === name));
      const pid = await waitFor('its sleep', () => sleepPid('sleep 987.25'));
      terminal.dispose();
      const run = await running;
      assert.equal(run.code, undefined);
      assert.equal(run.open, false);
      const error = terminalRunError(run, name);
      assert.ok(error);
      assert.doesNotMatch(error, /is in the/);
      await waitFor(`the sleep (host PID ${pid}) to end with its terminal`, () => !alive(pid), 5000);
    });
  });
});

/** Host PID of the one process whose command line is `command`, if it runs. */
function sleepPid(command: string): number | undefined {
  return readdirSync('/proc').filter((f) => /^\d+$/.test(f)).map(Number).find((pid) => commandLine(pid) === command && alive(pid));
}
