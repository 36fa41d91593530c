// The privileged path through pkexec, as a desktop user meets it: polkit, not sudo, lets a fresh user run the
// root-owned system copy of the helper, through a rule scoped to that user and that program (what an admin writes
// in /etc/polkit-1/rules.d). The helper must take the caller from pkexec (PKEXEC_UID, trusted only because its
// parent runs as that uid) and grant them exactly what it grants a sudo caller, no more. The test is root only to
// set up and take back the user, the rule, the system copy, a store rootfs and, when the machine has no system bus
// running (CI), the bus and the polkitd it starts; it never stops a bus or a polkitd it did not start.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { describeExit, parseStatusText, privilegedStatusFile, StartedEvent } from '../../src/core/helper/helperProtocol';
import { SYSTEM_HELPER_PATH } from '../../src/core/helper/systemHelper';
import { onInterrupt } from '../e2e/cleanup';
import { installSystemHelper, type SystemHelper } from '../e2e/sudoUser';
import { helperPath, makeRootfs, makeTempDir, registryRecords, requireRoot, sleep, spawnHelper, stopAllHelpers, waitFor } from './harness';
import { isAlive, readStat, startTimeOf } from './hostProcs';

const STORE = '/var/lib/mini-containers/rootfs';
const BUS_PID_FILE = '/run/dbus/pid';
const BUS_SOCKET = '/run/dbus/system_bus_socket';
const POLKITD = '/usr/lib/polkit-1/polkitd';
interface Run { code: number | null; stdout: string; stderr: string }

/** Whether a system bus answers (dbus-send exits 0 only when the bus replied). */
function systemBusUp(): boolean {
  return spawnSync('dbus-send', ['--system', '--print-reply', '--dest=org.freedesktop.DBus', '/org/freedesktop/DBus',
    'org.freedesktop.DBus.GetId'], { timeout: 5_000 }).status === 0;
}

/** The PID of the process that owns `name` on the system bus, if any. */
function busOwnerPid(name: string): number | undefined {
  const r = spawnSync('dbus-send', ['--system', '--print-reply', '--dest=org.freedesktop.DBus', '/org/freedesktop/DBus',
    'org.freedesktop.DBus.GetConnectionUnixProcessID', `string:${name}`], { encoding: 'utf8', timeout: 5_000 });
  const pid = /uint32 (\d+)/.exec(r.stdout)?.[1];
  return r.status === 0 && pid ? Number(pid) : undefined;
}

/** The program process `pid` runs, or undefined once it is gone. */
function programOf(pid: number): string | undefined {
  try {
    return fs.readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return undefined;
  }
}

/** Sends SIGTERM to a process this test started, by PID; false when it was already gone. */
function terminate(pid: number): boolean {
  try {
    process.kill(pid, 'SIGTERM');
    return true;
  } catch {
    return false;
  }
}

describe('the privileged helper under pkexec, for the user a polkit rule allows', { timeout: 300_000 }, () => {
  const suffix = randomBytes(3).toString('hex');
  const user = `mc-pk-${suffix}`;
  const rule = `/etc/polkit-1/rules.d/10-mini-containers-it-${suffix}.rules`;
  const storeName = `mc-pk-${suffix}`;
  const storeRootfs = `${STORE}/${storeName}`;
  let uid = 0;
  let gid = 0;
  let home = '';
  let ownRootfs = '';
  let helper: SystemHelper | undefined;
  let storeExisted = true;
  /** The PID of the system bus this test started, when none was running. */
  let ourBus: number | undefined;
  let unregister = () => {};
  let tmp = '';
  /** The user's shells running pkexec, until they exit. */
  const children = new Set<ChildProcess>();
  /** The helper run by root itself for a container the user must not reach. */
  let rootHelper: ChildProcess | undefined;

  /**
   * `pkexec HELPER ARGS` as the user, after `umask`. The user's shell runs pkexec as a child (not exec): pkexec
   * execs the helper in its own place, so the helper's parent is that shell, running as the user, as a terminal's
   * or VS Code's would be.
   */
  function pkexecHelper(args: string[], options: { umask?: string; program?: string } = {}): Promise<Run> {
    const child = spawn('/bin/sh', ['-c', 'umask "$1"; shift; pkexec "$@"; exit $?', 'sh', options.umask ?? '022', options.program ?? SYSTEM_HELPER_PATH, ...args], {
      uid, gid, cwd: home, stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: '/usr/bin:/bin', HOME: home, SUDO_UID: '0' },
    });
    children.add(child);
    child.on('exit', () => children.delete(child));
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  }
  const statusOf = (name: string) => privilegedStatusFile(uid, name);
  /** What the extension shows for an exit through pkexec: whether the helper spoke decides whose 126/127 it is. */
  const shown = (run: Run) => describeExit(run.code ?? -1, 'pkexec', run.stderr.includes('container-helper: '));

  /**
   * Undoes everything `before` did, the rule first; synchronous, so that an interrupt runs it whole, and safe to run
   * twice. Returns the PIDs it sent SIGTERM to.
   */
  function takeBack(): number[] {
    fs.rmSync(rule, { force: true });
    const ended: number[] = [];
    if (ourBus !== undefined) {
      const polkitd = busOwnerPid('org.freedesktop.PolicyKit1');
      // Our bus started it: the owner of polkit's name on a bus that only this test runs.
      if (polkitd !== undefined && programOf(polkitd) === POLKITD && terminate(polkitd)) ended.push(polkitd);
      if (terminate(ourBus)) ended.push(ourBus);
      // dbus-daemon leaves both behind, and would not start again while its PID file is there.
      fs.rmSync(BUS_PID_FILE, { force: true });
      fs.rmSync(BUS_SOCKET, { force: true });
      ourBus = undefined;
    }
    // The user's processes first: userdel refuses a user who still runs one (an interrupted test's pkexec).
    for (const child of children) child.kill('SIGKILL');
    // TERM: the helper ends its container and removes its files.
    if (rootHelper?.exitCode === null) rootHelper.kill('SIGTERM');
    spawnSync('userdel', ['--force', '--remove', user]);
    if (home) fs.rmSync(home, { recursive: true, force: true });
    fs.rmSync(storeRootfs, { recursive: true, force: true });
    if (!storeExisted) fs.rmSync('/var/lib/mini-containers', { recursive: true, force: true });
    if (uid) fs.rmSync(`/run/mini-containers/${uid}`, { recursive: true, force: true });
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    helper?.dispose();
    helper = undefined;
    return ended;
  }

  before(async () => {
    requireRoot();
    for (const program of ['pkexec', 'dbus-daemon', 'dbus-send']) {
      assert.equal(spawnSync('sh', ['-c', 'command -v "$1"', 'sh', program]).status, 0, `${program} is missing: apt-get install pkexec polkitd dbus`);
    }
    assert.ok(fs.existsSync(POLKITD), `${POLKITD} is missing: apt-get install polkitd`);
    unregister = onInterrupt(() => void takeBack());
    assert.equal(spawnSync('useradd', ['--create-home', '--user-group', '--shell', '/bin/sh', user]).status, 0, 'useradd');
    uid = Number(spawnSync('id', ['-u', user], { encoding: 'utf8' }).stdout.trim());
    gid = Number(spawnSync('id', ['-g', user], { encoding: 'utf8' }).stdout.trim());
    home = `/home/${user}`;
    tmp = makeTempDir('pkexec');
    ownRootfs = await makeRootfs(home, 'own-rootfs');
    spawnSync('chown', ['-R', `${uid}:${gid}`, home]);
    helper = installSystemHelper(helperPath);
    storeExisted = fs.existsSync('/var/lib/mini-containers');
    const made = spawnSync('/bin/sh', [SYSTEM_HELPER_PATH, 'make-rootfs', '--name', storeName], { encoding: 'utf8' });
    assert.equal(made.status, 0, made.stderr);
    // The rule an admin would write: this user, pkexec, this program, nothing else.
    fs.writeFileSync(rule, [
      'polkit.addRule(function (action, subject) {',
      `  if (action.id == "org.freedesktop.policykit.exec" && subject.user == "${user}" &&`,
      `      action.lookup("program") == "${SYSTEM_HELPER_PATH}") {`,
      '    return polkit.Result.YES;',
      '  }',
      '});',
      '',
    ].join('\n'), { mode: 0o644, flag: 'wx' });
    if (!systemBusUp()) {
      assert.ok(!fs.existsSync(BUS_PID_FILE), `no system bus answers, but ${BUS_PID_FILE} exists: a bus that died? Remove it, or start dbus`);
      const started = spawnSync('dbus-daemon', ['--system', '--fork', '--print-pid'], { encoding: 'utf8', timeout: 10_000 });
      assert.equal(started.status, 0, `dbus-daemon --system: ${started.stderr}`);
      ourBus = Number(started.stdout.trim().split('\n')[0]);
      assert.ok(ourBus > 1, `dbus-daemon printed no PID: ${started.stdout}`);
      await waitFor(() => systemBusUp(), 10_000);
    }
    // polkitd reads rules when it starts and again when the folder changes: wait until this one applies.
    const deadline = Date.now() + 15_000;
    for (let last = await pkexecHelper(['--help']); last.code !== 0; last = await pkexecHelper(['--help'])) {
      assert.ok(Date.now() < deadline, `pkexec never ran the helper for ${user} (exit ${last.code}): ${last.stderr}`);
      await sleep(200);
    }
  });
  after(async () => {
    await stopAllHelpers();
    const ended = takeBack();
    unregister();
    // Exited (reaped, or a zombie the host's init has yet to reap): nothing of theirs still runs.
    await waitFor(() => ended.every((pid) => !isAlive(pid) || readStat(pid)?.state === 'Z'), 5_000);
  });

  it('starts a confined container on a store rootfs with no password; the caller is PKEXEC_UID and the status file theirs, whatever their umask', async () => {
    const name = `a-${suffix}`;
    const run = await pkexecHelper(['start', '--rootfs', storeRootfs, '--name', name, '--', '/bin/sh', '-c',
      'id -u; grep -E "^(Seccomp|CapBnd|NoNewPrivs):" /proc/self/status'], { umask: '077' });
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trim().split('\n');
    assert.equal(lines[0], '0', 'root inside');
    const field = (key: string) => new RegExp(`^${key}:\\s+(\\S+)$`, 'm').exec(run.stdout)?.[1];
    const bits = [0, 1, 3, 4, 5, 6, 7, 8, 10, 13, 29, 31]; // Docker's default less SYS_CHROOT (18) and MKNOD (27)
    assert.equal(BigInt(`0x${field('CapBnd')}`), bits.reduce((m, b) => m | (1n << BigInt(b)), 0n), run.stdout);
    assert.equal(field('Seccomp'), '2');
    assert.equal(field('NoNewPrivs'), '1');
    // Root made it in root's folder and gave it to the caller, readable whatever umask 077 asked for.
    const status = fs.statSync(statusOf(name));
    assert.deepEqual([status.uid, status.mode & 0o777, path.dirname(statusOf(name))], [uid, 0o644, `/run/mini-containers/${uid}`]);
    const text = fs.readFileSync(statusOf(name), 'utf8');
    const events = parseStatusText(text);
    const started = events.find((e): e is StartedEvent => e.event === 'started');
    assert.equal(started?.name, name);
    assert.match(text, /^\{"event":"started",.*"mode":"privileged"/m);
    assert.deepEqual(events.at(-1), { event: 'exited', code: 0 });
    const folder = fs.statSync(`/run/mini-containers/${uid}`);
    assert.deepEqual([folder.uid, folder.mode & 0o777], [0, 0o755]);
    assert.ok(started, 'a started event');
    assert.ok(!registryRecords().includes(`${started.initPid}-${started.startTime}.json`), 'its record went with it');
  });

  it('refuses what only root itself may have: --privileged, a rootfs of the user\'s own, --status-file', async () => {
    const refusals: Array<[string[], RegExp]> = [
      [['--rootfs', storeRootfs, '--privileged'], /--privileged is refused under sudo or pkexec/],
      [['--rootfs', ownRootfs], /under sudo or pkexec the rootfs must be in \/var\/lib\/mini-containers\/rootfs.*rootless/],
      [['--rootfs', storeRootfs, '--status-file', path.join(home, 'status.jsonl')], /--status-file is refused under sudo or pkexec/],
    ];
    for (const [flags, message] of refusals) {
      const run = await pkexecHelper(['start', ...flags, '--', '/bin/sh', '-c', 'echo ran']);
      assert.equal(run.code, 125, `${flags.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, message);
      assert.doesNotMatch(run.stdout, /ran/, 'no container ran');
    }
    assert.equal(fs.existsSync(path.join(home, 'status.jsonl')), false, 'root wrote nothing in the user\'s home');
  });

  it('cannot signal a container root started itself, nor anything through it', async () => {
    const statusFile = path.join(tmp, 'root.jsonl');
    const child = spawnHelper(['start', '--rootfs', storeRootfs, '--status-file', statusFile, '--', '/bin/sleep', '1000']);
    rootHelper = child;
    const exited = new Promise((resolve) => child.on('close', resolve));
    const started = await waitFor(() => {
      const text = fs.existsSync(statusFile) ? fs.readFileSync(statusFile, 'utf8') : '';
      return parseStatusText(text).find((e): e is StartedEvent => e.event === 'started');
    }, 10_000);
    const run = await pkexecHelper(['kill', '--container', String(started.initPid), '--container-start-time', String(started.startTime),
      '--pid', String(started.initPid), '--start-time', String(startTimeOf(started.initPid)), '--signal', 'KILL']);
    assert.equal(run.code, 125, run.stderr);
    assert.match(run.stderr, /started for another user: refusing to signal it/);
    assert.ok(isAlive(started.initPid), 'root\'s container still runs');
    child.kill('SIGTERM');
    await exited;
  });

  it('tells pkexec\'s own 127 (not authorized: the rule covers one program) from the helper\'s 127 (command not found)', async () => {
    // The same helper at another path: the rule does not cover it, and pkexec refuses before anything runs.
    const elsewhere = path.join(tmp, 'container-helper.sh');
    fs.copyFileSync(SYSTEM_HELPER_PATH, elsewhere);
    fs.chmodSync(tmp, 0o755);
    fs.chmodSync(elsewhere, 0o755);
    const refused = await pkexecHelper(['start', '--rootfs', storeRootfs, '--', '/bin/true'], { program: elsewhere });
    assert.equal(refused.code, 127, refused.stderr);
    assert.doesNotMatch(refused.stderr, /container-helper: /);
    assert.equal(shown(refused), 'pkexec: not authorized');
    const notFound = await pkexecHelper(['start', '--rootfs', storeRootfs, '--', '/no/such/command']);
    assert.equal(notFound.code, 127, notFound.stderr);
    assert.match(notFound.stderr, /^container-helper: command not found in the rootfs: \/no\/such\/command$/m);
    assert.equal(shown(notFound), 'the command was not found in the root filesystem (exit code 127)');
  });
});
