// Rootless: an ordinary user, with no sudo rule and no password, runs the helper and gets a container in a user
// namespace of their own. The test runs as root only to make (and remove) that user and their rootfs; every
// helper below runs as the user.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { formatKillRequest, StartedEvent } from '../../src/core/helper/helperProtocol';
import { userRegistryDir } from '../../src/core/helper/registry';
import { onInterrupt } from '../e2e/cleanup';
import {
  addPerl, helperPath, makeRootfs, perlFilterProbe, readStarted, requireRoot, signalAnswers, waitFor, waitForNamespaceSize, writeFifo,
} from './harness';
import { isAlive, nsPids, startTimeOf } from './hostProcs';

interface Run { code: number | null; stdout: string; stderr: string }

describe('rootless: an ordinary user starts containers with no password', () => {
  const name = `mc-rl-${randomBytes(3).toString('hex')}`;
  let uid = 0;
  let gid = 0;
  let home = '';
  let rootfs = '';
  let runtimeDir = '';
  /** A copy of the helper and its filter the user can read: the clone may live where they cannot (root's home). */
  let userHelper = '';
  const children = new Set<ChildProcess>();

  /** The helper as the user, with their own XDG_RUNTIME_DIR; extra descriptors as `stdio` entries. */
  function spawnAsUser(args: string[], stdio: Array<'ignore' | 'pipe' | number> = ['ignore', 'pipe', 'pipe'], xdg = runtimeDir): ChildProcess {
    const child = spawn('/bin/sh', [userHelper, ...args], {
      uid, gid, cwd: home, stdio,
      env: { PATH: '/usr/bin:/bin', HOME: home, XDG_RUNTIME_DIR: xdg, TERM: 'xterm' },
    });
    children.add(child);
    child.on('exit', () => children.delete(child));
    return child;
  }
  function runAsUser(args: string[]): Promise<Run> {
    const child = spawnAsUser(args);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  }
  const inside = (script: string) => runAsUser(['start', '--rootfs', rootfs, '--', '/bin/sh', '-c', script]);

  before(async () => {
    requireRoot();
    unregister = onInterrupt(takeBack);
    const made = spawnSync('useradd', ['--create-home', '--user-group', '--shell', '/bin/sh', name], { encoding: 'utf8' });
    assert.equal(made.status, 0, made.stderr);
    uid = Number(spawnSync('id', ['-u', name], { encoding: 'utf8' }).stdout.trim());
    gid = Number(spawnSync('id', ['-g', name], { encoding: 'utf8' }).stdout.trim());
    home = `/home/${name}`;
    rootfs = await makeRootfs(home);
    runtimeDir = path.join(home, 'run');
    fs.mkdirSync(runtimeDir, { mode: 0o700 });
    spawnSync('chown', ['-R', `${uid}:${gid}`, home]);
    const helperDir = path.join(home, 'helper');
    fs.mkdirSync(helperDir, { mode: 0o755 });
    for (const file of ['container-helper.sh', 'seccomp.bpf']) fs.copyFileSync(path.join(path.dirname(helperPath), file), path.join(helperDir, file));
    userHelper = path.join(helperDir, 'container-helper.sh');
  });
  /** Takes back the user and their files; synchronous, so that an interrupt runs it whole. */
  function takeBack(): void {
    for (const child of children) child.kill('SIGKILL');
    // --force: the user may still run a process the SIGKILL has not ended yet.
    spawnSync('userdel', ['--force', '--remove', name]);
    if (uid) fs.rmSync(`/tmp/mini-containers-${uid}`, { recursive: true, force: true });
    if (home) fs.rmSync(home, { recursive: true, force: true });
  }
  let unregister = () => {};
  after(() => {
    takeBack();
    unregister();
  });

  it('runs the shell as PID 1, as uid 0 inside, and ps shows only the container', async () => {
    const result = await inside('id -u; ps -o pid,comm; :');
    assert.equal(result.code, 0, result.stderr);
    const [id, header, ...rows] = result.stdout.trim().split('\n');
    assert.equal(id, '0');
    assert.match(header, /PID/);
    // The shell as PID 1, and ps (id has ended): nothing of the host.
    assert.deepEqual(rows.map((r) => r.trim().split(/\s+/)), [['1', 'sh'], [rows[1]?.trim().split(/\s+/)[0] ?? '', 'ps']], result.stdout);
  });

  it('is confined: seccomp filter, Docker\'s bounding set less SYS_CHROOT and MKNOD, no_new_privs, no new user namespace', async () => {
    const result = await inside('grep -E "^(Seccomp|CapBnd|CapEff|NoNewPrivs):" /proc/self/status; unshare -U true 2>&1; echo "unshare=$?"');
    assert.equal(result.code, 0, result.stderr);
    const field = (key: string) => new RegExp(`^${key}:\\s+(\\S+)$`, 'm').exec(result.stdout)?.[1];
    assert.equal(field('Seccomp'), '2');
    assert.equal(field('NoNewPrivs'), '1');
    // CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP NET_BIND_SERVICE AUDIT_WRITE SETFCAP (NET_RAW,
    // bit 13, goes on the host's network, the default).
    const bits = [0, 1, 3, 4, 5, 6, 7, 8, 10, 29, 31];
    const expected = bits.reduce((m, b) => m | (1n << BigInt(b)), 0n);
    assert.equal(BigInt(`0x${field('CapBnd')}`), expected, `CapBnd ${field('CapBnd')}`);
    assert.equal(BigInt(`0x${field('CapEff')}`), expected);
    assert.match(result.stdout, /Operation not permitted/);
    assert.match(result.stdout, /unshare=1/);
  });

  it('the seccomp filter refuses keyctl and TIOCSTI inside (EPERM), where the same program as the user on the host gets through', async () => {
    addPerl(rootfs);
    spawnSync('chown', ['-R', `${uid}:${gid}`, rootfs]);
    const confined = await runAsUser(['start', '--rootfs', rootfs, '--', '/usr/bin/perl', '-e', perlFilterProbe()]);
    assert.equal(confined.code, 0, confined.stderr);
    assert.deepEqual(confined.stdout.trim().split('\n'), ['keyctl=1', 'tiocsti=1'], confined.stdout);
    const host = spawnSync('/usr/bin/perl', ['-e', perlFilterProbe()], { uid, gid, cwd: home, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    assert.equal(host.status, 0, host.stderr);
    assert.deepEqual(host.stdout.trim().split('\n'), ['keyctl=ok', 'tiocsti=25'], host.stdout);
  });

  it('keeps the exit codes: the command\'s own, 126, 127, and 128+N when PID 1 is killed from the host', async () => {
    assert.equal((await inside('exit 7')).code, 7);
    fs.writeFileSync(path.join(rootfs, 'data'), 'x\n', { mode: 0o644 });
    const notExecutable = await runAsUser(['start', '--rootfs', rootfs, '--', '/data']);
    assert.equal(notExecutable.code, 126, notExecutable.stderr);
    const missing = await runAsUser(['start', '--rootfs', rootfs, '--', '/bin/none']);
    assert.equal(missing.code, 127, missing.stderr);
    // The first line says the container has no cgroup (no subtree is delegated to this user here).
    assert.match(missing.stderr, /^note: this container has no cgroup [^\n]*\nbwrap: execvp \/bin\/none: No such file or directory\ncontainer-helper: command not found in the rootfs: \/bin\/none\n$/);

    const status = path.join(runtimeDir, 'killed.jsonl');
    const child = spawnAsUser(['start', '--rootfs', rootfs, '--status-file', status, '--', '/bin/sleep', '1000']);
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const started: StartedEvent = await waitFor(() => readStarted(status));
    assert.deepEqual(nsPids(started.initPid).slice(-1), [1]);
    process.kill(started.initPid, 'SIGKILL');
    assert.equal(await exited, 137);
  });

  it('lets no descriptor the caller held open reach the container', async () => {
    const secret = path.join(home, 'secret');
    fs.writeFileSync(secret, 'caller only\n');
    fs.chownSync(secret, uid, gid);
    const fd = fs.openSync(secret, 'r');
    try {
      // fd 3 and fd 12 of the helper are the caller's open file.
      const stdio: Array<'ignore' | 'pipe' | number> = ['ignore', 'pipe', 'pipe', fd, 'ignore', 'ignore', 'ignore', 'ignore', 'ignore', 'ignore', 'ignore', 'ignore', fd];
      const child = spawnAsUser(['start', '--rootfs', rootfs, '--', '/bin/sh', '-c', 'ls /proc/self/fd'], stdio);
      let stdout = '';
      child.stdout!.on('data', (d) => (stdout += d));
      const code = await new Promise((resolve) => child.on('close', resolve));
      assert.equal(code, 0);
      // ls's own directory descriptor is 3: nothing beyond it, and no 12.
      assert.deepEqual(stdout.trim().split(/\s+/).map(Number).sort((a, b) => a - b), [0, 1, 2, 3], stdout);
    } finally {
      fs.closeSync(fd);
    }
  });

  it('records the container in the user\'s own runtime folder, signals through the control channel, and cleans up', async () => {
    const status = path.join(runtimeDir, 'control.jsonl');
    const child = spawnAsUser(['start', '--rootfs', rootfs, '--status-file', status, '--', '/bin/sh', '-c', 'sleep 1001 & sleep 1002 & wait']);
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const started: StartedEvent = await waitFor(() => readStarted(status));
    const record = path.join(runtimeDir, 'mini-containers', 'containers', `${started.initPid}-${started.startTime}.json`);
    assert.ok(fs.existsSync(record), record);
    assert.equal(fs.statSync(record).uid, uid);
    assert.equal(fs.statSync(path.join(runtimeDir, 'mini-containers')).mode & 0o077, 0, 'private to the user');
    const sleeps = (await waitForNamespaceSize(started.initPid, 3)).filter((p) => p !== started.initPid);
    // A process outside the container is refused, and lives.
    await writeFifo(started.control!, formatKillRequest(1, {
      initPid: started.initPid, initStartTime: started.startTime, pid: process.pid, startTime: startTimeOf(process.pid), signal: 'KILL',
    }));
    await writeFifo(started.control!, formatKillRequest(2, {
      initPid: started.initPid, initStartTime: started.startTime, pid: sleeps[0], startTime: startTimeOf(sleeps[0]), signal: 'TERM',
    }));
    const answers = await waitFor(() => (signalAnswers(status).length === 2 ? signalAnswers(status) : undefined));
    assert.deepEqual(answers.map((a) => [a.id, a.ok]), [[1, false], [2, true]]);
    await waitFor(() => !isAlive(sleeps[0]));
    assert.ok(isAlive(sleeps[1]));
    child.kill('SIGHUP');
    assert.equal(await exited, 137);
    await waitFor(() => !isAlive(started.initPid) && !isAlive(sleeps[1]), 1_000);
    assert.equal(fs.existsSync(record), false, 'record removed');
    assert.equal(fs.existsSync(started.control!), false, 'FIFO removed');
  });

  it('kill, run as the user, signals a process of their rootless container and refuses one outside it', async () => {
    const status = path.join(runtimeDir, 'kill.jsonl');
    const child = spawnAsUser(['start', '--rootfs', rootfs, '--status-file', status, '--', '/bin/sh', '-c', 'sleep 1003 & wait']);
    const started: StartedEvent = await waitFor(() => readStarted(status));
    const [sleeper] = (await waitForNamespaceSize(started.initPid, 2)).filter((p) => p !== started.initPid);
    const killArgs = (pid: number) => ['kill', '--container', String(started.initPid), '--container-start-time', String(started.startTime),
      '--pid', String(pid), '--start-time', String(startTimeOf(pid)), '--signal', 'KILL'];
    const outside = await runAsUser(killArgs(process.pid));
    assert.equal(outside.code, 125);
    assert.match(outside.stderr, /not in container/);
    const ok = await runAsUser(killArgs(sleeper));
    assert.equal(ok.code, 0, ok.stderr);
    await waitFor(() => !isAlive(sleeper));
    child.kill('SIGTERM');
    await waitFor(() => !isAlive(started.initPid), 1_000);
  });

  it('keeps its record where the extension looks for it when XDG_RUNTIME_DIR is missing or not the user\'s', async () => {
    for (const [label, xdg] of [['missing', path.join(home, 'no-such-folder')], ['root\'s', '/root']]) {
      const dir = userRegistryDir({ XDG_RUNTIME_DIR: xdg }, uid);
      assert.equal(dir, `/tmp/mini-containers-${uid}/containers`, `${label}: the extension's folder`);
      const child = spawnAsUser(['start', '--rootfs', rootfs, '--name', `xdg-${label === 'missing' ? 'missing' : 'root'}`, '--', '/bin/sh', '-c', 'sleep 1004'],
        ['ignore', 'pipe', 'pipe'], xdg);
      const exited = new Promise((resolve) => child.on('close', resolve));
      const record = await waitFor(() => {
        const names = fs.existsSync(dir) ? fs.readdirSync(dir) : [];
        return names.map((n) => path.join(dir, n)).find((f) => fs.readFileSync(f, 'utf8').includes(`"name":"xdg-${label === 'missing' ? 'missing' : 'root'}"`));
      }, 5_000);
      assert.match(fs.readFileSync(record, 'utf8'), new RegExp(`"uid":${uid}}`), `${label}: the helper's record, in that folder`);
      child.kill('SIGTERM');
      assert.equal(await exited, 137);
    }
  });

  it('refuses make-rootfs: the system store is root\'s; a rootless user builds a rootfs of their own', async () => {
    const result = await runAsUser(['make-rootfs', '--name', `rl-${name}`]);
    assert.equal(result.code, 125);
    assert.match(result.stderr, /make-rootfs needs root.*mini-containers make-rootfs DIR/);
    assert.equal(fs.existsSync(`/var/lib/mini-containers/rootfs/rl-${name}`), false);
  });

  it('refuses --privileged: a rootless container cannot have the host\'s capabilities', async () => {
    const result = await runAsUser(['start', '--rootfs', rootfs, '--privileged', '--', '/bin/true']);
    assert.equal(result.code, 125);
    assert.match(result.stderr, /--privileged needs root/);
  });
});
