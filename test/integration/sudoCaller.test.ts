// The privileged path attacked by the user it serves. A fresh user may run the root-owned system copy of the
// helper through a scoped, password-less sudo rule (the one `mini-containers install-helper` prints). Every test
// below runs the helper as that user through that rule, and tries to get more than the contract grants: the host's
// /, a setuid file, a write by root through a link, another container, all capabilities. The test itself is root
// only to set up and take back the user, the rule, the system copy and a rootfs in the system store.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { formatKillRequest, privilegedStatusFile, StartedEvent } from '../../src/core/helper/helperProtocol';
import { SYSTEM_HELPER_PATH } from '../../src/core/helper/systemHelper';
import { onInterrupt } from '../e2e/cleanup';
import { installSystemHelper, type SystemHelper } from '../e2e/sudoUser';
import {
  helperPath, makeRootfs, mountTable, readStarted, registryRecords, requireRoot, runHelper, signalAnswers, spawnHelper, stopAllHelpers, waitFor,
  waitForNamespaceSize, writeFifo,
} from './harness';
import { isAlive, startTimeOf } from './hostProcs';

const STORE = '/var/lib/mini-containers/rootfs';
interface Run { code: number | null; stdout: string; stderr: string }

describe('the privileged helper under sudo, attacked by the user it runs for', { timeout: 300_000 }, () => {
  const suffix = randomBytes(3).toString('hex');
  const user = `mc-sudo-${suffix}`;
  const sudoers = `/etc/sudoers.d/mini-containers-it-${suffix}`;
  const storeName = `mc-it-${suffix}`;
  const storeRootfs = `${STORE}/${storeName}`;
  let uid = 0;
  let gid = 0;
  let home = '';
  let ownRootfs = '';
  let helper: SystemHelper | undefined;
  let storeExisted = true;
  const children = new Set<ChildProcess>();

  /** `sudo -n SYSTEM_HELPER_PATH ARGS` as the user, after `umask` and with extra descriptors when given. */
  function sudoHelper(args: string[], options: { umask?: string; stdio?: Array<'ignore' | 'pipe' | number> } = {}): ChildProcess {
    const child = spawn('/bin/sh', ['-c', 'umask "$1"; shift; exec sudo -n "$@"', 'sh', options.umask ?? '022', SYSTEM_HELPER_PATH, ...args], {
      uid, gid, cwd: home, stdio: options.stdio ?? ['ignore', 'pipe', 'pipe'],
      env: { PATH: '/usr/bin:/bin', HOME: home, SUDO_UID: '0', PKEXEC_UID: '0' },
    });
    children.add(child);
    child.on('exit', () => children.delete(child));
    return child;
  }
  function runSudoHelper(args: string[], options: { umask?: string } = {}): Promise<Run> {
    const child = sudoHelper(args, options);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  }
  /** Runs `script` as the user, with no privilege at all. */
  function asUser(script: string, ...args: string[]) {
    return spawnSync('/bin/sh', ['-c', script, 'sh', ...args], { uid, gid, cwd: home, encoding: 'utf8', timeout: 60_000 });
  }
  /** Files under `dir` owned by root, as paths relative to it. */
  function rootOwnedUnder(dir: string): string[] {
    const found: string[] = [];
    const walk = (d: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        const st = fs.lstatSync(p, { throwIfNoEntry: false });
        if (st?.uid === 0) found.push(path.relative(dir, p));
        if (e.isDirectory() && !e.isSymbolicLink()) walk(p);
      }
    };
    walk(dir);
    return found.sort();
  }
  const statusOf = (name: string) => privilegedStatusFile(uid, name);

  /** Takes back the rule first, then the user and every file of the suite; synchronous, so an interrupt runs it whole. */
  function takeBack(): void {
    fs.rmSync(sudoers, { force: true });
    for (const child of children) child.kill('SIGKILL');
    fs.rmSync(`/run/sudo/ts/${user}`, { force: true });
    // --force: the user may still run a process the SIGKILL has not ended yet.
    spawnSync('userdel', ['--force', '--remove', user]);
    if (home) fs.rmSync(home, { recursive: true, force: true });
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
    ownRootfs = await makeRootfs(home, 'own-rootfs');
    spawnSync('chown', ['-R', `${uid}:${gid}`, home]);
    helper = installSystemHelper(helperPath);
    const rule = `Defaults:${user} !lecture\n${user} ALL=(root) NOPASSWD: ${SYSTEM_HELPER_PATH}\n`;
    fs.writeFileSync(sudoers, rule, { mode: 0o440, flag: 'wx' });
    assert.equal(spawnSync('visudo', ['-cf', sudoers]).status, 0, 'visudo accepts the rule');
    storeExisted = fs.existsSync('/var/lib/mini-containers');
    const made = await runHelper(['make-rootfs', '--name', storeName]);
    assert.equal(made.code, 0, made.stderr);
    assert.equal(made.stdout.trim(), storeRootfs);
  });
  after(async () => {
    await stopAllHelpers();
    takeBack();
    unregister();
  });

  it('starts a container on a store rootfs with no password; its status file and control FIFO are the user\'s', async () => {
    const name = `a-${suffix}`;
    const child = sudoHelper(['start', '--rootfs', storeRootfs, '--name', name, '--', '/bin/sh', '-c', 'sleep 1001 & wait; exit 3']);
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const started: StartedEvent = await waitFor(() => readStarted(statusOf(name)), 10_000);
    const status = fs.statSync(statusOf(name));
    assert.deepEqual([status.uid, status.mode & 0o777], [uid, 0o644]);
    const fifo = fs.lstatSync(started.control!);
    assert.ok(fifo.isFIFO());
    assert.deepEqual([fifo.uid, fifo.mode & 0o777, path.dirname(started.control!)], [uid, 0o600, `/run/mini-containers/${uid}`]);
    const folder = fs.statSync(`/run/mini-containers/${uid}`);
    assert.deepEqual([folder.uid, folder.mode & 0o777], [0, 0o755], 'root\'s folder: the user cannot plant anything there');
    // The record names the user it was started for.
    const record = fs.readFileSync(`/run/mini-containers/containers/${started.initPid}-${started.startTime}.json`, 'utf8');
    assert.match(record, new RegExp(`"name":"${name}".*,"uid":${uid}\\}$`, 'm'));
    // The user stops its sleep through the FIFO, with no password; PID 1 then exits 3.
    const [sleeper] = (await waitForNamespaceSize(started.initPid, 2)).filter((p) => p !== started.initPid);
    await writeFifo(started.control!, formatKillRequest(1, {
      initPid: started.initPid, initStartTime: started.startTime, pid: sleeper, startTime: startTimeOf(sleeper), signal: 'TERM',
    }));
    assert.equal(await exited, 3);
    assert.deepEqual(signalAnswers(statusOf(name)).map((a) => [a.id, a.ok, a.error]), [[1, true, undefined]]);
    assert.equal(fs.existsSync(started.control!), false, 'FIFO removed');
  });

  it('confines the container: seccomp, Docker\'s bounding set less SYS_CHROOT and MKNOD, no_new_privs, no user namespace, no caller descriptor', async () => {
    const secret = path.join(home, 'secret');
    fs.writeFileSync(secret, 'x');
    fs.chownSync(secret, uid, gid);
    const fd = fs.openSync(secret, 'r');
    try {
      const name = `b-${suffix}`;
      const child = sudoHelper(['start', '--rootfs', storeRootfs, '--name', name, '--', '/bin/sh', '-c',
        'grep -E "^(Seccomp|CapBnd|NoNewPrivs):" /proc/self/status; unshare -U true 2>&1; echo "unshare=$?"; ls /proc/self/fd | tr "\\n" " "'],
      { stdio: ['ignore', 'pipe', 'pipe', fd, 'ignore', 'ignore', 'ignore', 'ignore', 'ignore', 'ignore', 'ignore', 'ignore', fd] });
      let out = '';
      child.stdout!.on('data', (d) => (out += d));
      assert.equal(await new Promise((resolve) => child.on('close', resolve)), 0, out);
      const field = (key: string) => new RegExp(`^${key}:\\s+(\\S+)$`, 'm').exec(out)?.[1];
      assert.equal(field('Seccomp'), '2');
      assert.equal(field('NoNewPrivs'), '1');
      const expected = [0, 1, 3, 4, 5, 6, 7, 8, 10, 13, 29, 31].reduce((m, b) => m | (1n << BigInt(b)), 0n);
      assert.equal(BigInt(`0x${field('CapBnd')}`), expected, `CapBnd ${field('CapBnd')}`);
      assert.match(out, /unshare=1/);
      assert.match(out, /\n0 1 2 3 $/, `only 0-2 (and ls's own 3): ${out}`);
    } finally {
      fs.closeSync(fd);
    }
  });

  it('refuses a rootfs outside the store, saying to use rootless mode, and creates nothing', async () => {
    const name = `c-${suffix}`;
    const records = registryRecords();
    const result = await runSudoHelper(['start', '--rootfs', ownRootfs, '--name', name, '--', '/bin/true']);
    assert.equal(result.code, 125);
    assert.match(result.stderr, /^container-helper: under sudo or pkexec the rootfs must be in \/var\/lib\/mini-containers\/rootfs .*rootless/);
    assert.equal(fs.existsSync(statusOf(name)), false);
    assert.deepEqual(registryRecords(), records);
  });

  it('refuses paths that climb out of the store, and a link of the user\'s even to a store rootfs: root resolves no path of the user\'s', async () => {
    const link = path.join(home, 'store-link');
    asUser('ln -s "$1" "$2"', storeRootfs, link);
    // The rootfs is checked as text first ($STORE/NAME): a path of the user's is never looked up by root.
    const viaLink = await runSudoHelper(['start', '--rootfs', link, '--', '/bin/true']);
    assert.equal(viaLink.code, 125, viaLink.stderr);
    assert.match(viaLink.stderr, /rootfs must be in/);
    for (const rootfs of [`${STORE}/../../../..${ownRootfs}`, `${STORE}/${storeName}/../../../../..${ownRootfs}`, STORE, `${STORE}/`]) {
      const result = await runSudoHelper(['start', '--rootfs', rootfs, '--', '/bin/true']);
      assert.equal(result.code, 125, `${rootfs}: ${result.stderr}`);
      assert.match(result.stderr, /rootfs must be in|directly inside it|has no proc/, rootfs);
    }
  });

  it('a rootfs swapped for a link to / in a loop, across 30 starts, never reaches the host\'s /', async () => {
    const canary = `/root/.mc-canary-${suffix}`;
    fs.writeFileSync(canary, 'untouched\n', { mode: 0o600 });
    const rootListing = fs.readdirSync('/root').sort().join('\n');
    const swap = path.join(home, 'swap');
    fs.cpSync(ownRootfs, `${swap}.real`, { recursive: true, verbatimSymlinks: true });
    spawnSync('chown', ['-R', `${uid}:${gid}`, `${swap}.real`]);
    asUser('ln -s / "$1.root"', swap);
    // The user's racer: the rootfs path is now their real rootfs, now a link to /, as fast as rename allows.
    const racer = spawn('/bin/sh', ['-c', 'while :; do mv -T "$1.real" "$1" 2>/dev/null; mv -T "$1" "$1.real" 2>/dev/null; ' +
      'mv -T "$1.root" "$1" 2>/dev/null; mv -T "$1" "$1.root" 2>/dev/null; done', 'sh', swap], { uid, gid, stdio: 'ignore' });
    children.add(racer);
    try {
      for (let i = 0; i < 30; i++) {
        const result = await runSudoHelper(['start', '--rootfs', swap, '--', '/bin/sh', '-c', 'echo pwned > /root/pwned; cat /etc/shadow']);
        assert.equal(result.code, 125, `start ${i}: ${result.stdout}${result.stderr}`);
        assert.doesNotMatch(result.stdout, /root:/, 'the host\'s shadow file was read');
      }
    } finally {
      const gone = new Promise((resolve) => racer.on('exit', resolve));
      racer.kill('SIGKILL');
      await gone;
      // An mv the racer had started may still be renaming.
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    assert.equal(fs.readFileSync(canary, 'utf8'), 'untouched\n');
    assert.equal(fs.readdirSync('/root').sort().join('\n'), rootListing, 'nothing was written in /root');
    fs.rmSync(canary);
    assert.deepEqual(rootOwnedUnder(home), [], 'no root-owned file in the user\'s home');
  });

  it('its rootfs\'s proc/ and dev/ swapped for links to / and /dev in a loop, across 30 starts, reach nothing of the host', async () => {
    const swapped = path.join(home, 'swapped');
    fs.cpSync(ownRootfs, swapped, { recursive: true, verbatimSymlinks: true });
    spawnSync('chown', ['-R', `${uid}:${gid}`, swapped]);
    asUser('cd "$1" && mv proc proc.real && mv dev dev.real && ln -s / proc.root && ln -s /dev dev.root', swapped);
    const mounts = mountTable();
    const listings = () => ['/', '/dev', '/root'].map((d) => fs.readdirSync(d).sort().join(' ')).join('\n');
    const before = listings();
    // The user's racer: proc and dev are now folders, now links to / and /dev, as fast as rename allows.
    const racer = spawn('/bin/sh', ['-c', 'cd "$1" || exit 1; while :; do for d in proc dev; do mv -T "$d.real" "$d" 2>/dev/null; ' +
      'mv -T "$d" "$d.real" 2>/dev/null; mv -T "$d.root" "$d" 2>/dev/null; mv -T "$d" "$d.root" 2>/dev/null; done; done', 'sh', swapped],
    { uid, gid, stdio: 'ignore' });
    children.add(racer);
    try {
      for (let i = 0; i < 30; i++) {
        const result = await runSudoHelper(['start', '--rootfs', swapped, '--', '/bin/sh', '-c', 'echo pwned > /root/pwned']);
        assert.equal(result.code, 125, `start ${i}: ${result.stdout}${result.stderr}`);
        assert.match(result.stderr, /rootfs must be in|has no (proc|dev)\//, `start ${i}`);
      }
    } finally {
      const gone = new Promise((resolve) => racer.on('exit', resolve));
      racer.kill('SIGKILL');
      await gone;
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    assert.equal(mountTable(), mounts, 'the host mount table changed');
    assert.equal(listings(), before, 'something was made in /, /dev or /root');
    assert.deepEqual(rootOwnedUnder(home), [], 'no root-owned file in the user\'s home');
  });

  it('refuses --privileged and --status-file; the user cannot plant a link or FIFO where root writes', async () => {
    const privileged = await runSudoHelper(['start', '--rootfs', storeRootfs, '--privileged', '--', '/bin/true']);
    assert.equal(privileged.code, 125);
    assert.match(privileged.stderr, /--privileged is refused under sudo or pkexec/);
    const target = path.join(home, 'status');
    const statusFile = await runSudoHelper(['start', '--rootfs', storeRootfs, '--status-file', target, '--', '/bin/true']);
    assert.equal(statusFile.code, 125);
    assert.match(statusFile.stderr, /--status-file is refused under sudo or pkexec/);
    assert.equal(fs.existsSync(target), false);
    // Root writes only in /run/mini-containers/UID: the user can create nothing there (a link to a device, a FIFO).
    fs.mkdirSync(`/run/mini-containers/${uid}`, { recursive: true });
    const plant = asUser('ln -s /dev/sda "$1" 2>&1 || echo refused; mkfifo "$2" 2>&1 || echo refused',
      statusOf(`d-${suffix}`), `/run/mini-containers/${uid}/d-${suffix}.control`);
    assert.equal(plant.stdout.match(/refused/g)?.length, 2, plant.stdout);
  });

  it('a setuid-root file planted inside the container cannot be reached, let alone run, by the user on the host', async () => {
    const name = `e-${suffix}`;
    const result = await runSudoHelper(['start', '--rootfs', storeRootfs, '--name', name, '--', '/bin/sh', '-c',
      'cp /bin/busybox /suid && chown 0:0 /suid && chmod 4755 /suid && ls -l /suid']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^-rwsr-xr-x/);
    const planted = path.join(storeRootfs, 'suid');
    assert.equal(fs.statSync(planted).mode & 0o4000, 0o4000, 'the file is setuid root in the store');
    const tryIt = asUser('"$1" id -u 2>&1; echo "rc=$?"; ls "$1" 2>&1', planted);
    assert.match(tryIt.stdout, /Permission denied/);
    assert.doesNotMatch(tryIt.stdout, /^0$/m, 'the user ran it as root');
    fs.rmSync(planted);
  });

  it('kill reaches only containers this helper started for this user: not a bwrap sandbox of root\'s, not root\'s own container', async () => {
    // A sandbox the helper did not start, as Flatpak or a script would.
    const foreign = spawn('bwrap', ['--unshare-pid', '--as-pid-1', '--die-with-parent', '--ro-bind', '/', '/', '--proc', '/proc', '--dev', '/dev',
      '/bin/sleep', '1000'], { stdio: 'ignore' });
    children.add(foreign);
    const foreignInit = await waitFor(() => fs.readFileSync(`/proc/${foreign.pid}/task/${foreign.pid}/children`, 'utf8').trim().split(/\s+/).map(Number).find((p) => p > 0));
    // A container root started with the helper.
    const rootStatus = path.join(home, 'root-status.jsonl');
    const rootChild = spawnHelper(['start', '--rootfs', ownRootfs, '--status-file', rootStatus, '--', '/bin/sleep', '1000']);
    const rootStarted: StartedEvent = await waitFor(() => readStarted(rootStatus));
    for (const init of [foreignInit, rootStarted.initPid]) {
      const t = String(startTimeOf(init));
      const result = await runSudoHelper(['kill', '--container', String(init), '--container-start-time', t, '--pid', String(init), '--start-time', t, '--signal', 'KILL']);
      assert.equal(result.code, 125, result.stderr);
      assert.match(result.stderr, /was not started by this helper|started for another user/);
      assert.ok(isAlive(init), `${init} lives`);
    }
    // Nor through the FIFO of a container of its own: that channel names only its own container.
    const name = `f-${suffix}`;
    const own = sudoHelper(['start', '--rootfs', storeRootfs, '--name', name, '--', '/bin/sleep', '1000']);
    const started: StartedEvent = await waitFor(() => readStarted(statusOf(name)), 10_000);
    await writeFifo(started.control!, formatKillRequest(1, {
      initPid: rootStarted.initPid, initStartTime: rootStarted.startTime, pid: rootStarted.initPid, startTime: rootStarted.startTime, signal: 'KILL',
    }));
    const [answer] = await waitFor(() => signalAnswers(statusOf(name)).length ? signalAnswers(statusOf(name)) : undefined);
    assert.equal(answer.ok, false);
    assert.ok(isAlive(rootStarted.initPid));
    own.kill('SIGTERM');
    rootChild.kill('SIGTERM');
    foreign.kill('SIGKILL');
    await waitFor(() => !isAlive(started.initPid) && !isAlive(rootStarted.initPid) && !isAlive(foreignInit), 2_000);
  });

  it('refuses a store whose top folder others may enter, even when the folder below it is 0700', async () => {
    // Only /var/lib/mini-containers itself being 0700 keeps the user out of everything a container writes.
    const top = '/var/lib/mini-containers';
    const [topMode, storeMode] = [fs.statSync(top).mode & 0o7777, fs.statSync(STORE).mode & 0o7777];
    fs.chmodSync(top, 0o755);
    fs.chmodSync(STORE, 0o700);
    try {
      const result = await runSudoHelper(['start', '--rootfs', storeRootfs, '--', '/bin/true']);
      assert.equal(result.code, 125);
      assert.match(result.stderr, /^container-helper: \/var\/lib\/mini-containers must be mode 0700 \(only root may enter it\), not 755\n$/);
    } finally {
      fs.chmodSync(top, topMode);
      fs.chmodSync(STORE, storeMode);
    }
  });

  it('a rule that lets the user set the environment (SETENV) still lets PATH, BASH_ENV, CDPATH and IFS choose nothing the helper runs', async () => {
    // Some admins write NOPASSWD:SETENV; the helper, a shell script, must not rely on sudo resetting what a shell
    // reads. (Loader variables such as LD_PRELOAD act before any script runs: such a rule must never be written.)
    const setenvRule = `${sudoers}-setenv`;
    fs.writeFileSync(setenvRule, `${user} ALL=(root) NOPASSWD:SETENV: ${SYSTEM_HELPER_PATH}\n`, { mode: 0o440, flag: 'wx' });
    const evil = path.join(home, 'evil');
    const canary = path.join(home, 'ran-as-root');
    try {
      assert.equal(spawnSync('visudo', ['-cf', setenvRule]).status, 0, 'visudo accepts the rule');
      asUser('mkdir "$1" && for p in mkfifo rm capsh bwrap stat chown readlink grep sed cat findmnt nsenter unshare bash id; do ' +
        'printf "#!/bin/sh\\nid -u > %s\\nexit 1\\n" "$2" > "$1/$p"; chmod 755 "$1/$p"; done; ' +
        'printf "id -u > %s\\n" "$2" > "$1/env.sh"; mkdir -p "$1/bin"', evil, canary);
      const name = `h-${suffix}`;
      const child = spawn('sudo', ['-n', `PATH=${evil}:/usr/bin:/bin`, `BASH_ENV=${evil}/env.sh`, `ENV=${evil}/env.sh`, `CDPATH=${evil}`,
        'IFS=/', SYSTEM_HELPER_PATH, 'start', '--rootfs', storeRootfs, '--name', name, '--', '/bin/true'],
      { uid, gid, cwd: home, stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: '/usr/bin:/bin', HOME: home } });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      assert.equal(await new Promise((resolve) => child.on('close', resolve)), 0, stderr);
      assert.equal(fs.existsSync(canary), false, `a program of the user's ran as root: ${fs.existsSync(canary) ? fs.readFileSync(canary, 'utf8') : ''}`);
      assert.match(fs.readFileSync(statusOf(name), 'utf8'), /"event":"exited","code":0/);
    } finally {
      fs.rmSync(setenvRule, { force: true });
    }
  });

  for (const umask of ['077', '000']) {
    it(`with the user's umask ${umask}, the status file is still the user's and readable, and root's folders 0755`, async () => {
      const name = `g${umask}-${suffix}`;
      const result = await runSudoHelper(['start', '--rootfs', storeRootfs, '--name', name, '--', '/bin/true'], { umask });
      assert.equal(result.code, 0, result.stderr);
      const status = fs.statSync(statusOf(name));
      assert.deepEqual([status.uid, status.mode & 0o777], [uid, 0o644]);
      assert.match(asUser('cat "$1"', statusOf(name)).stdout, /"event":"exited","code":0/);
      for (const dir of ['/run/mini-containers', `/run/mini-containers/${uid}`, '/run/mini-containers/containers']) {
        assert.equal(fs.statSync(dir).mode & 0o777, 0o755, dir);
      }
      fs.rmSync(statusOf(name));
    });
  }

  it('make-rootfs through the rule makes a root-owned BusyBox rootfs in the store, which then starts; it takes no name twice, nor a bad one', async () => {
    const name = `mc-it-made-${suffix}`;
    const target = `${STORE}/${name}`;
    try {
      const made = await runSudoHelper(['make-rootfs', '--name', name], { umask: '000' });
      assert.equal(made.code, 0, made.stderr);
      assert.equal(made.stdout.trim(), target);
      // Root's, not writable by the user whatever their umask, and the same file behind every applet.
      for (const p of [target, `${target}/bin`, `${target}/etc/passwd`, `${target}/bin/busybox`]) {
        const st = fs.lstatSync(p);
        assert.deepEqual([st.uid, st.mode & 0o022], [0, 0], p);
      }
      assert.equal(fs.statSync(`${target}/bin/sh`).ino, fs.statSync(`${target}/bin/busybox`).ino);
      assert.deepEqual(fs.readdirSync(STORE).filter((f) => f.startsWith('.new-')), [], 'no work folder left');
      const run = await runSudoHelper(['start', '--rootfs', target, '--name', `made-${suffix}`, '--', '/bin/sh', '-c', 'cat /etc/hostname; id -u']);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout, `${name}\n0\n`);
      const again = await runSudoHelper(['make-rootfs', '--name', name]);
      assert.equal(again.code, 125);
      assert.match(again.stderr, /already exists/);
      for (const bad of ['../etc', '.hidden', 'a/b', '']) {
        const refused = await runSudoHelper(['make-rootfs', '--name', bad]);
        assert.equal(refused.code, 125, bad);
        assert.match(refused.stderr, /--name must match/);
      }
    } finally {
      fs.rmSync(target, { recursive: true, force: true });
      fs.rmSync(privilegedStatusFile(uid, `made-${suffix}`), { force: true });
    }
  });

  it('an inherited SUDO_UID or PKEXEC_UID, with no sudo or pkexec, changes nothing for root: it starts as root\'s own call', async () => {
    const status = path.join(home, 'inherited.jsonl');
    const result = await runHelper(['start', '--rootfs', ownRootfs, '--status-file', status, '--', '/bin/true'],
      { env: { SUDO_UID: String(uid), PKEXEC_UID: String(uid) } });
    assert.equal(result.code, 0, result.stderr);
    assert.match(fs.readFileSync(status, 'utf8'), /"event":"exited","code":0/);
    fs.rmSync(status);
  });
});
