// `exec` through sudo, attacked by the user it runs for: a fresh user allowed to run the root-owned system copy
// through a scoped, password-less sudo rule (closefrom_override: the user may pass descriptors through sudo -C, so
// the helper's own closing is what is tested). The test is root only to set up and take back the user, the rule,
// the system copy, a store rootfs, root's own containers and a container started by hand.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { privilegedStatusFile, StartedEvent } from '../../src/core/helper/helperProtocol';
import { SYSTEM_HELPER_PATH } from '../../src/core/helper/systemHelper';
import { onInterrupt } from '../e2e/cleanup';
import { installSystemHelper, type SystemHelper } from '../e2e/sudoUser';
import { helperPath, makeRootfs, makeTempDir, readStarted, requireRoot, runHelper, spawnHelper, stopAllHelpers, waitFor } from './harness';
import { childrenOf, isAlive, nsPids, processesInNamespaceOf, readStat, startTimeOf } from './hostProcs';

const STORE = '/var/lib/mini-containers/rootfs';
interface Run { code: number | null; stdout: string; stderr: string }

describe('exec under sudo, attacked by the user it runs for', { timeout: 300_000 }, () => {
  const suffix = randomBytes(3).toString('hex');
  const user = `mc-exa-${suffix}`;
  const sudoers = `/etc/sudoers.d/mini-containers-exa-${suffix}`;
  const storeName = `mc-exa-${suffix}`;
  const storeRootfs = `${STORE}/${storeName}`;
  let uid = 0;
  let gid = 0;
  let home = '';
  let dir = '';
  let helper: SystemHelper | undefined;
  let storeExisted = true;
  const children = new Set<ChildProcess>();

  function track(child: ChildProcess): ChildProcess {
    children.add(child);
    child.on('exit', () => children.delete(child));
    return child;
  }
  /** `sudo -n -C 12 SYSTEM_HELPER_PATH ARGS` as the user, after `prelude` (bash lines: descriptors above 9, environment). */
  function sudoHelper(args: string[], prelude = ':'): ChildProcess {
    return track(spawn('/bin/bash', ['-c', `${prelude}; exec sudo -n -C 12 "$@"`, 'sh', SYSTEM_HELPER_PATH, ...args], {
      uid, gid, cwd: home, stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: '/usr/bin:/bin', HOME: home },
    }));
  }
  function finished(child: ChildProcess): Promise<Run> {
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  }
  const execArgs = (pid: number, startTime: number, ...rest: string[]) =>
    ['exec', '--container', String(pid), '--container-start-time', String(startTime), ...rest];
  function assertRefused(run: Run, why: RegExp): void {
    assert.equal(run.code, 125, run.stderr);
    assert.match(run.stderr, /^container-helper: [^\n]+\n$/, run.stderr);
    assert.match(run.stderr, why);
    assert.equal(run.stdout, '');
  }
  /** Starts a container of the user's own, through sudo; its "started" record. */
  async function ownContainer(name: string): Promise<{ started: StartedEvent; helper: ChildProcess }> {
    const child = sudoHelper(['start', '--rootfs', storeRootfs, '--name', name, '--', '/bin/sleep', '1000']);
    const started = await waitFor(() => readStarted(privilegedStatusFile(uid, name)), 10_000);
    return { started, helper: child };
  }
  /** Nothing new in a container: the same processes as before, by host PID. */
  const processesOf = (pid: number) => processesInNamespaceOf(pid).sort((a, b) => a - b);

  function takeBack(): void {
    fs.rmSync(sudoers, { force: true });
    for (const child of children) child.kill('SIGKILL');
    fs.rmSync(`/run/sudo/ts/${user}`, { force: true });
    spawnSync('userdel', ['--force', '--remove', user]);
    if (home) fs.rmSync(home, { recursive: true, force: true });
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(storeRootfs, { recursive: true, force: true });
    if (!storeExisted) fs.rmSync('/var/lib/mini-containers', { recursive: true, force: true });
    if (uid) fs.rmSync(`/run/mini-containers/${uid}`, { recursive: true, force: true });
    helper?.dispose();
    helper = undefined;
  }
  let unregister = () => {};

  before(async () => {
    requireRoot();
    unregister = onInterrupt(takeBack);
    assert.equal(spawnSync('useradd', ['--create-home', '--user-group', '--shell', '/bin/sh', user]).status, 0, 'useradd');
    uid = Number(spawnSync('id', ['-u', user], { encoding: 'utf8' }).stdout.trim());
    gid = Number(spawnSync('id', ['-g', user], { encoding: 'utf8' }).stdout.trim());
    home = `/home/${user}`;
    dir = makeTempDir('exec-delegated');
    helper = installSystemHelper(helperPath);
    fs.writeFileSync(sudoers, `Defaults:${user} !lecture, closefrom_override\n${user} ALL=(root) NOPASSWD: ${SYSTEM_HELPER_PATH}\n`,
      { mode: 0o440, flag: 'wx' });
    assert.equal(spawnSync('visudo', ['-cf', sudoers]).status, 0, 'visudo accepts the rule');
    storeExisted = fs.existsSync('/var/lib/mini-containers');
    const made = await runHelper(['make-rootfs', '--name', storeName]);
    assert.equal(made.code, 0, made.stderr);
  });
  after(async () => {
    for (const child of children) child.kill('SIGTERM');
    await waitFor(() => children.size === 0, 5_000).catch(() => undefined);
    await stopAllHelpers();
    takeBack();
    unregister();
  });

  it('enters the user\'s own container: a new process with its confinement, and nothing of the caller\'s', async () => {
    const { started } = await ownContainer(`own-${suffix}`);
    // fd 11 on the user's home, passed through sudo -C 12; LD_PRELOAD and a variable of the caller's.
    const result = await finished(sudoHelper(execArgs(started.initPid, started.startTime, '/bin/sh', '-c',
      'ps -o pid,comm; echo "self=$$"; env | sort; ls /proc/self/fd; grep -E "^(Seccomp|CapBnd|NoNewPrivs):" /proc/self/status; exit 7'),
    `exec 11<"$HOME"; export LD_PRELOAD=/nowhere.so SECRET=caller`));
    assert.equal(result.code, 7, result.stderr);
    const self = /self=(\d+)/.exec(result.stdout)?.[1];
    assert.ok(self && self !== '1', result.stdout);
    assert.match(result.stdout, /^\s*1 sleep$/m);
    assert.match(result.stdout, new RegExp(`^\\s*${self} sh$`, 'm'));
    const lines = result.stdout.split('\n');
    assert.deepEqual(lines.filter((l) => /^[A-Z_]+=/.test(l)).map((l) => l.split('=')[0]), ['HOME', 'HOSTNAME', 'PATH', 'PWD', 'SHLVL', 'TERM']);
    assert.deepEqual(lines.filter((l) => /^\d+$/.test(l)).map(Number).sort((a, b) => a - b), [0, 1, 2, 3], result.stdout);
    const init = fs.readFileSync(`/proc/${started.initPid}/status`, 'utf8');
    for (const key of ['Seccomp', 'CapBnd', 'NoNewPrivs']) {
      const theirs = new RegExp(`^${key}:\\s*(\\S+)$`, 'm').exec(init)![1];
      assert.match(result.stdout, new RegExp(`^${key}:\\s*${theirs}$`, 'm'), key);
    }
  });

  it('refuses another user\'s container (root\'s own), leaving it untouched', async () => {
    const status = `${dir}/root.status`;
    spawnHelper(['start', '--rootfs', await makeRootfs(dir, 'root-rootfs'), '--status-file', status, '--', '/bin/sleep', '1000']);
    const theirs: StartedEvent = await waitFor(() => readStarted(status), 10_000);
    const before = processesOf(theirs.initPid);
    assertRefused(await finished(sudoHelper(execArgs(theirs.initPid, theirs.startTime, 'true'))), /started for another user/);
    assert.deepEqual(processesOf(theirs.initPid), before);
  });

  it('refuses a container root started by hand, and the host\'s PID 1', async () => {
    const unshare = track(spawn('unshare', ['-pf', '--kill-child', '--mount-proc', 'chroot', await makeRootfs(dir, 'by-hand'), '/bin/sleep', '1000'],
      { stdio: 'ignore' }));
    const init = await waitFor(() => childrenOf(unshare.pid!).find((p) => readStat(p)?.comm === 'sleep'), 5_000);
    assert.deepEqual(nsPids(init).at(-1), 1);
    assertRefused(await finished(sudoHelper(execArgs(init, startTimeOf(init), 'true'))), /not started by this helper/);
    assert.deepEqual(processesOf(init), [init]);
    assertRefused(await finished(sudoHelper(execArgs(1, startTimeOf(1), 'true'))), /host's PID 1/);
    unshare.kill('SIGKILL');
    await waitFor(() => !isAlive(init), 5_000);
  });

  it('refuses a stale start time, and its own container\'s PID once a root process has taken it', async () => {
    const { started, helper: container } = await ownContainer(`stale-${suffix}`);
    assertRefused(await finished(sudoHelper(execArgs(started.initPid, started.startTime + 1, 'true'))), /has ended/);
    // The container ends; its PID 1's number goes to a root process of the host's (the kernel's last PID set below it).
    const ended = finished(container);
    process.kill(started.initPid, 'SIGKILL');
    await ended;
    let reused: ChildProcess | undefined;
    for (let attempt = 0; attempt < 200 && !reused; attempt++) {
      fs.writeFileSync('/proc/sys/kernel/ns_last_pid', String(started.initPid - 1));
      const candidate = track(spawn('/usr/bin/unshare', ['-pf', '--kill-child', '/bin/sleep', '1000'], { stdio: 'ignore' }));
      if (candidate.pid === started.initPid) reused = candidate;
      else candidate.kill('SIGKILL');
    }
    assert.ok(reused, `PID ${started.initPid} could not be taken again`);
    const inner = await waitFor(() => childrenOf(started.initPid)[0], 5_000);
    const before = processesOf(inner);
    assertRefused(await finished(sudoHelper(execArgs(started.initPid, started.startTime, 'true'))), /has ended/);
    assert.deepEqual(processesOf(inner), before, 'nothing entered the root process\'s namespace');
    reused.kill('SIGKILL');
  });
});
