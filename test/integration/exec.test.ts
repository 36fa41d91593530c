// `container-helper.sh exec`: a new process in a running container, as `runc exec` makes one. Root's own call
// into a container the helper started and into one started by hand; an ordinary user into their rootless container;
// and the refusals. Every fact is read from the host's /proc, never through the helper.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { StartedEvent } from '../../src/core/helper/helperProtocol';
import { onInterrupt } from '../e2e/cleanup';
import { helperPath, makeRootfs, makeTempDir, readStarted, requireRoot, spawnHelper, stopAllHelpers, waitFor } from './harness';
import { dirIdentity, isAlive, nsPids, processesInNamespaceOf, readStat, startTimeOf } from './hostProcs';

interface Run { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

const NAMESPACES = ['user', 'mnt', 'pid', 'uts', 'ipc', 'net', 'cgroup'];

/** The fields of /proc/PID/status that make a process's confinement. */
function confinement(pid: number): Record<string, string> {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const fields: Record<string, string> = {};
  for (const key of ['Seccomp', 'Seccomp_filters', 'NoNewPrivs', 'CapBnd', 'CapEff', 'CapPrm', 'CapInh', 'Uid', 'Gid']) {
    fields[key] = new RegExp(`^${key}:\\s*(.*)$`, 'm').exec(status)?.[1].trim() ?? '';
  }
  return fields;
}

const namespacesOf = (pid: number) => NAMESPACES.map((ns) => `${ns}:${fs.readlinkSync(`/proc/${pid}/ns/${ns}`)}`);

/** Collects a child's output and its end. */
function finished(child: ChildProcess): Promise<Run> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => (stdout += d));
  child.stderr?.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
}

/** Resolves with the first line a child prints. */
function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve(out.split('\n')[0]);
    });
    child.on('close', () => reject(new Error(`ended before printing a line: ${out}`)));
  });
}

/** The host PID of the process of `initPid`'s PID namespace whose PID there is `inner`. */
function hostPidOf(initPid: number, inner: number): number {
  const found = processesInNamespaceOf(initPid).filter((p) => nsPids(p).at(-1) === inner);
  assert.equal(found.length, 1, `one process ${inner} in the namespace of ${initPid}: ${found.join(' ')}`);
  return found[0];
}

/** One refusal: exit 125 and exactly one helper line, matching `why`. */
function assertRefused(run: Run, why: RegExp): void {
  assert.equal(run.code, 125, run.stderr);
  assert.match(run.stderr, /^container-helper: [^\n]+\n$/, run.stderr);
  assert.match(run.stderr, why);
  assert.equal(run.stdout, '');
}

describe('helper exec: a new process in a running container', { timeout: 180_000 }, () => {
  let dir = '';
  let rootfs = '';
  let started: StartedEvent;
  const byHand = new Set<ChildProcess>();

  const execArgs = (pid: number, startTime: number, ...rest: string[]) =>
    ['exec', '--container', String(pid), '--container-start-time', String(startTime), ...rest];
  const exec = (...rest: string[]) => finished(spawnHelper(execArgs(started.initPid, started.startTime, ...rest)));

  before(async () => {
    requireRoot();
    dir = makeTempDir('exec');
    rootfs = await makeRootfs(dir);
    fs.writeFileSync(path.join(rootfs, 'marker'), 'the rootfs\n');
    const status = path.join(dir, 'status');
    spawnHelper(['start', '--rootfs', rootfs, '--name', 'exectest', '--status-file', status, '--', '/bin/sleep', '1000']);
    started = await waitFor(() => readStarted(status), 10_000);
  });
  after(async () => {
    for (const child of byHand) child.kill('SIGKILL');
    await stopAllHelpers();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('runs a shell whose ps lists PID 1 and itself, never as PID 1, and passes its exit code through', async () => {
    const result = await exec('/bin/sh', '-c', 'ps -o pid,comm; echo "self=$$"; exit 7');
    assert.equal(result.code, 7, result.stderr);
    const rows = result.stdout.trim().split('\n').slice(1).map((r) => r.trim().split(/\s+/));
    const self = /self=(\d+)/.exec(result.stdout)?.[1];
    assert.ok(self && self !== '1', result.stdout);
    assert.deepEqual(rows.find((r) => r[0] === '1'), ['1', 'sleep'], result.stdout);
    assert.ok(rows.some((r) => r[0] === self && r[1] === 'sh'), result.stdout);
  });

  it('is a process of every namespace of PID 1, with its root, confinement, hostname and --workdir', async () => {
    const child = spawnHelper(execArgs(started.initPid, started.startTime, '--workdir', '/etc', '--',
      '/bin/sh', '-c', 'echo "$$ $(hostname) $(pwd)"; exec sleep 1000'));
    const done = finished(child);
    const [inner, hostname, cwd] = (await firstLine(child)).split(' ');
    const pid = hostPidOf(started.initPid, Number(inner));
    const chain = nsPids(pid);
    assert.equal(chain.length, nsPids(started.initPid).length, `NSpid ${chain.join(' ')}`);
    assert.notEqual(chain.at(-1), 1);
    assert.deepEqual(namespacesOf(pid), namespacesOf(started.initPid));
    assert.deepEqual(confinement(pid), confinement(started.initPid));
    assert.equal(confinement(pid).Seccomp, '2');
    assert.equal(dirIdentity(`/proc/${pid}/root`), dirIdentity(`/proc/${started.initPid}/root`));
    assert.equal(dirIdentity(`/proc/${pid}/cwd`), dirIdentity(path.join(rootfs, 'etc')));
    assert.equal(fs.readFileSync(`/proc/${pid}/root/marker`, 'utf8'), 'the rootfs\n');
    assert.deepEqual([hostname, cwd], ['exectest', '/etc']);
    // The helper forwards TERM to it, and reports its death by that signal as 128+15.
    child.kill('SIGTERM');
    const result = await done;
    assert.equal(result.code, 143, result.stderr);
    assert.ok(isAlive(started.initPid), 'the container outlives the process exec started');
  });

  it('gives 128+N when the process is killed by signal N, and 127 for a command the container lacks', async () => {
    assert.equal((await exec('/bin/sh', '-c', 'kill -KILL $$')).code, 137);
    const missing = await exec('/bin/none');
    assert.equal(missing.code, 127);
    assert.match(missing.stderr, /^container-helper: cannot run \/bin\/none in the container: No such file or directory\n$/);
  });

  it('lets nothing of the caller\'s environment or descriptors reach the process', async () => {
    const fd = fs.openSync('/root', 'r');
    try {
      const stdio: Array<'ignore' | 'pipe' | number> = ['ignore', 'pipe', 'pipe', ...Array<'ignore'>(8).fill('ignore'), fd];
      const child = spawn('/bin/sh', [helperPath, ...execArgs(started.initPid, started.startTime,
        '/bin/sh', '-c', 'env | sort; ls /proc/self/fd')], {
        stdio, env: { PATH: '/usr/bin:/bin', LD_PRELOAD: '/nowhere.so', SECRET: 'caller', TERM: 'xterm' },
      });
      const result = await finished(child);
      assert.equal(result.code, 0, result.stderr);
      const lines = result.stdout.trim().split('\n');
      assert.deepEqual(lines.filter((l) => l.includes('=')).map((l) => l.split('=')[0]),
        ['HOME', 'HOSTNAME', 'PATH', 'PWD', 'SHLVL', 'TERM'], result.stdout);
      // ls's own directory descriptor is 3: nothing beyond it, and no 11.
      assert.deepEqual(lines.filter((l) => /^\d+$/.test(l)).map(Number).sort((a, b) => a - b), [0, 1, 2, 3], result.stdout);
    } finally {
      fs.closeSync(fd);
    }
  });

  it('enters a container started by hand (unshare -pf --mount-proc chroot) with exactly its confinement', async () => {
    // --kill-child: its PID 1 dies with unshare, which the suite ends whatever happens.
    const unshare = spawn('unshare', ['-pf', '--kill-child', '--mount-proc', 'chroot', rootfs, '/bin/sleep', '1000'], { stdio: 'ignore' });
    byHand.add(unshare);
    const init = await waitFor(() => {
      const children = fs.readFileSync(`/proc/${unshare.pid}/task/${unshare.pid}/children`, 'utf8').trim();
      return children && readStat(Number(children))?.comm === 'sleep' ? Number(children) : undefined;
    }, 5_000);
    const child = spawnHelper(execArgs(init, startTimeOf(init), '/bin/sh', '-c', 'echo "$$ $(cat /marker)"; exec sleep 1000'));
    const done = finished(child);
    const [inner, marker] = (await firstLine(child)).split(' ');
    assert.equal(marker, 'the');
    const pid = hostPidOf(init, Number(inner));
    assert.notEqual(Number(inner), 1);
    assert.deepEqual(namespacesOf(pid), namespacesOf(init));
    assert.deepEqual(confinement(pid), confinement(init));
    assert.equal(confinement(pid).Seccomp, '0');
    assert.equal(dirIdentity(`/proc/${pid}/root`), dirIdentity(rootfs));
    child.kill('SIGTERM');
    assert.equal((await done).code, 143);
    unshare.kill('SIGKILL');
    await waitFor(() => !isAlive(init), 5_000);
  });

  it('refuses, with 125 and one line: a stale start time, a host process, the host\'s PID 1, bad arguments', async () => {
    assertRefused(await finished(spawnHelper(execArgs(started.initPid, started.startTime + 1, 'true'))), /has ended/);
    assertRefused(await finished(spawnHelper(execArgs(process.pid, startTimeOf(process.pid), 'true'))), /not the PID 1 of a container/);
    assertRefused(await finished(spawnHelper(execArgs(1, startTimeOf(1), 'true'))), /host's PID 1/);
    assertRefused(await finished(spawnHelper(['exec', '--container', String(started.initPid), 'true'])), /needs --container-start-time/);
    assertRefused(await exec('--workdir', 'etc', 'true'), /--workdir must be an absolute path/);
    assertRefused(await exec('--workdir', '/a\nb', 'true'), /--workdir contains control characters/);
    assertRefused(await exec('--container', '1', 'true'), /--container given twice/);
    assertRefused(await finished(spawnHelper(['exec', '--container', '1e3', '--container-start-time', '5', 'true'])), /--container must be a PID/);
    assertRefused(await exec('--privileged', 'true'), /unknown argument to exec: --privileged/);
  });
});

describe('helper exec, rootless: an ordinary user enters their own containers only', { timeout: 120_000 }, () => {
  const name = `mc-ex-${randomBytes(3).toString('hex')}`;
  let uid = 0;
  let gid = 0;
  let home = '';
  let rootfs = '';
  let userHelper = '';
  const children = new Set<ChildProcess>();
  function asUser(args: string[]): ChildProcess {
    const child = spawn('/bin/sh', [userHelper, ...args], {
      uid, gid, cwd: home, stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: '/usr/bin:/bin', HOME: home, XDG_RUNTIME_DIR: path.join(home, 'run'), TERM: 'xterm' },
    });
    children.add(child);
    child.on('exit', () => children.delete(child));
    return child;
  }
  function takeBack(): void {
    for (const child of children) child.kill('SIGKILL');
    spawnSync('userdel', ['--force', '--remove', name]);
    if (uid) fs.rmSync(`/tmp/mini-containers-${uid}`, { recursive: true, force: true });
    if (home) fs.rmSync(home, { recursive: true, force: true });
  }
  let unregister = () => {};
  before(async () => {
    requireRoot();
    unregister = onInterrupt(takeBack);
    assert.equal(spawnSync('useradd', ['--create-home', '--user-group', '--shell', '/bin/sh', name]).status, 0, 'useradd');
    uid = Number(spawnSync('id', ['-u', name], { encoding: 'utf8' }).stdout.trim());
    gid = Number(spawnSync('id', ['-g', name], { encoding: 'utf8' }).stdout.trim());
    home = `/home/${name}`;
    rootfs = await makeRootfs(home);
    fs.mkdirSync(path.join(home, 'run'), { mode: 0o700 });
    const helperDir = path.join(home, 'helper');
    fs.mkdirSync(helperDir);
    for (const file of ['container-helper.sh', 'seccomp.bpf']) fs.copyFileSync(path.join(path.dirname(helperPath), file), path.join(helperDir, file));
    userHelper = path.join(helperDir, 'container-helper.sh');
    spawnSync('chown', ['-R', `${uid}:${gid}`, home]);
  });
  after(async () => {
    // The user's helpers end their containers on TERM; takeBack SIGKILLs whatever is left.
    for (const child of children) child.kill('SIGTERM');
    await waitFor(() => children.size === 0, 5_000).catch(() => undefined);
    takeBack();
    unregister();
    await stopAllHelpers();
  });

  it('enters the user\'s rootless container: its user namespace and confinement, not PID 1', async () => {
    const status = path.join(home, 'run', 'status');
    asUser(['start', '--rootfs', rootfs, '--status-file', status, '--', '/bin/sleep', '1000']);
    const own: StartedEvent = await waitFor(() => readStarted(status), 10_000);
    const child = asUser(['exec', '--container', String(own.initPid), '--container-start-time', String(own.startTime),
      '/bin/sh', '-c', 'echo "$$ $(id -u) $(ps -o pid | wc -l)"; exec sleep 1000']);
    const done = finished(child);
    const [inner, id, lines] = (await firstLine(child)).split(' ');
    assert.equal(id, '0', 'uid 0 inside, as PID 1 is');
    assert.ok(Number(lines) >= 4, 'ps lists PID 1, the shell and more');
    const pid = hostPidOf(own.initPid, Number(inner));
    assert.notEqual(Number(inner), 1);
    assert.deepEqual(namespacesOf(pid), namespacesOf(own.initPid));
    assert.notEqual(fs.readlinkSync(`/proc/${pid}/ns/user`), fs.readlinkSync('/proc/self/ns/user'));
    assert.deepEqual(confinement(pid), confinement(own.initPid));
    assert.equal(confinement(pid).Seccomp, '2');
    child.kill('SIGTERM');
    assert.equal((await done).code, 143);
  });

  it('refuses another user\'s container (root\'s) with 125 and one line', async () => {
    const dir = makeTempDir('exec-other');
    try {
      const theirs = await makeRootfs(dir);
      const status = path.join(dir, 'status');
      spawnHelper(['start', '--rootfs', theirs, '--status-file', status, '--', '/bin/sleep', '1000']);
      const other: StartedEvent = await waitFor(() => readStarted(status), 10_000);
      const result = await finished(asUser(['exec', '--container', String(other.initPid), '--container-start-time',
        String(other.startTime), 'true']));
      assertRefused(result, /another user's/);
      assert.deepEqual(processesInNamespaceOf(other.initPid), [other.initPid]);
    } finally {
      await stopAllHelpers();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
