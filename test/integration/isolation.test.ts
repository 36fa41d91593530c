// The lesson, checked for real: PID 1 inside, no host process visible or killable from inside, the host sees the
// same processes under other PIDs and can kill them, and nothing is left on the host afterwards.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as pty from 'node-pty';
import {
  helperPath, makeRootfs, makeTempDir, mountTable, readStarted, recordsUnder, registryRecords, requireRoot, runHelper,
  spawnHelper, stopAllHelpers, waitFor, waitForNamespaceSize,
} from './harness';
import { dirIdentity, isAlive, killEverythingOf, nsPids, readStat } from './hostProcs';

describe('an isolated shell, as in the lesson', () => {
  let tmp: string;
  let rootfs: string;
  let mountsBefore: string;

  before(async () => {
    requireRoot();
    tmp = makeTempDir('isolation');
    rootfs = await makeRootfs(tmp);
    mountsBefore = mountTable();
  });

  after(async () => {
    await stopAllHelpers();
    if (tmp) killEverythingOf(tmp); // a container that outlived its helper (a failed test) is this suite's
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('shows only the container in ps, with the command as PID 1', async () => {
    const result = await runHelper(['start', '--rootfs', rootfs, '--', '/bin/sh', '-c', 'ps -o pid,comm; exit 0']);
    assert.equal(result.code, 0, result.stderr);
    const rows = result.stdout.trim().split('\n').slice(1).map((l) => l.trim().split(/\s+/));
    const pids = rows.map(([pid]) => Number(pid));
    assert.equal(rows.find(([pid]) => pid === '1')?.[1], 'sh', result.stdout);
    assert.ok(rows.length <= 2, `only sh and ps are in the container:\n${result.stdout}`);
    assert.ok(!pids.includes(process.pid) || process.pid === 1, 'the test runner is not visible');
    assert.ok(!result.stdout.includes('node'), `no host process is listed:\n${result.stdout}`);
  });

  it('cannot kill a host process from inside: "No such process", and the host process lives', async () => {
    const victim = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      const result = await runHelper(['start', '--rootfs', rootfs, '--', '/bin/sh', '-c', `kill ${victim.pid}`]);
      assert.notEqual(result.code, 0);
      assert.match(result.stderr, /No such process/);
      assert.ok(isAlive(victim.pid!), 'the host process survived');
    } finally {
      victim.kill('SIGKILL');
    }
  });

  it('is seen from the host under other PIDs (NSpid), and the host can kill its processes', async () => {
    const status = path.join(tmp, 'ns.jsonl');
    const child = spawnHelper([
      'start', '--rootfs', rootfs, '--status-file', status, '--', '/bin/sh', '-c', 'sleep 1000 & echo "$!"; wait',
    ]);
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    const started = await waitFor(() => readStarted(status));
    const nsPidOfSleep = Number(await waitFor(() => out.trim() || undefined));
    const inContainer = await waitForNamespaceSize(started.initPid, 2);
    const sleepHostPid = inContainer.find((p) => p !== started.initPid)!;
    assert.deepEqual(nsPids(started.initPid), [started.initPid, 1]);
    assert.deepEqual(nsPids(sleepHostPid), [sleepHostPid, nsPidOfSleep]);
    assert.notEqual(sleepHostPid, nsPidOfSleep);
    assert.ok(registryRecords().includes(`${started.initPid}-${started.startTime}.json`), 'a record names it');

    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    process.kill(sleepHostPid, 'SIGKILL');
    assert.equal(await exited, 0, 'the shell saw its child die and ended normally');
    assert.ok(!isAlive(started.initPid));
    assert.match(fs.readFileSync(status, 'utf8'), /\{"event":"exited","code":0\}\n$/);
  });

  it('has its own mount, UTS, IPC and PID namespaces, and a hostname the host does not get', async () => {
    const status = path.join(tmp, 'ns2.jsonl');
    const child = spawnHelper(['start', '--rootfs', rootfs, '--hostname', 'inside', '--status-file', status,
      '--', '/bin/sh', '-c', 'hostname; exec sleep 1000']);
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    const started = await waitFor(() => readStarted(status));
    await waitFor(() => out.includes('inside'));
    for (const ns of ['pid', 'mnt', 'uts', 'ipc']) {
      assert.notEqual(fs.readlinkSync(`/proc/${started.initPid}/ns/${ns}`), fs.readlinkSync(`/proc/self/ns/${ns}`), ns);
    }
    assert.notEqual(fs.readFileSync('/proc/sys/kernel/hostname', 'utf8').trim(), 'inside');
    assert.equal(dirIdentity(`/proc/${started.initPid}/root`), dirIdentity(rootfs), 'PID 1 sees the rootfs as /');
    child.kill('SIGTERM');
    await waitFor(() => !isAlive(started.initPid), 1_000);
  });

  it('works on a rootfs whose path has spaces and quotes', async () => {
    const odd = path.join(tmp, `with space 'single' "double"`);
    fs.renameSync(await makeRootfs(tmp, 'odd'), odd);
    const result = await runHelper(['start', '--rootfs', odd, '--', '/bin/sh', '-c', 'echo inside-ok']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.trim(), 'inside-ok');
  });

  it('ends the container and every process in it within a second when its terminal closes', async () => {
    const status = path.join(tmp, 'pty.jsonl');
    const term = pty.spawn('/bin/sh', [helperPath, 'start', '--rootfs', rootfs, '--status-file', status], {
      name: 'xterm-256color', cols: 80, rows: 24, cwd: '/', env: process.env as Record<string, string>,
    });
    try {
      let screen = '';
      term.onData((d) => (screen += d));
      const started = await waitFor(() => readStarted(status));
      term.write('sleep 1000 & sleep 1001 &\r');
      const pids = await waitForNamespaceSize(started.initPid, 3);
      assert.match(screen, /#|\$/, 'the shell printed a prompt');
      const closedAt = Date.now();
      term.kill('SIGHUP');
      // Gone, not even a zombie: the helper reaps what it made.
      await waitFor(() => pids.every((p) => !fs.existsSync(`/proc/${p}`)), 1_000).catch(() => {
        const left = pids.map((p) => [p, readStat(p)] as const).filter(([, st]) => st !== undefined);
        assert.fail(`left 1 s after the terminal closed: ${left.map(([p, st]) => `${p} ${st!.comm} state ${st!.state} ppid ${st!.ppid}`).join('; ')}`);
      });
      assert.ok(Date.now() - closedAt <= 1_000);
    } finally {
      term.kill('SIGKILL');
    }
  });

  it('takes its container with it when the helper itself is SIGKILLed', async () => {
    const status = path.join(tmp, 'killed.jsonl');
    const child = spawnHelper(['start', '--rootfs', rootfs, '--status-file', status, '--', '/bin/sleep', '1000']);
    const started = await waitFor(() => readStarted(status));
    child.kill('SIGKILL');
    await waitFor(() => !isAlive(started.initPid), 1_000).catch(() => {
      const st = readStat(started.initPid);
      assert.fail(`PID 1 ${started.initPid} (${st?.comm}) still runs 1 s after its helper was SIGKILLed, state ${st?.state}, parent ${st?.ppid}`);
    });
  });

  it('leaves the host mount table as it found it', () => {
    assert.equal(mountTable(), mountsBefore);
  });

  it('removes its records once its containers end; the next start prunes those of a killed helper', async () => {
    const result = await runHelper(['start', '--rootfs', rootfs, '--', '/bin/true']);
    assert.equal(result.code, 0, result.stderr);
    // Only this suite's records (rootfs in its temp folder): other suites may run containers at the same time.
    assert.deepEqual(recordsUnder(tmp), []);
  });
});
