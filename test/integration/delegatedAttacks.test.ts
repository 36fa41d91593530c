// The five findings of an outside attack on the delegated path (issue 17), each replayed by the user the helper
// runs for: a fresh user allowed to run the root-owned system copy through a scoped, password-less sudo rule. The
// test is root only to set up and take back the user, the rule, the system copy, a store rootfs (with perl, so that
// a real program inside can open sockets), and the root services the attacks aim at.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { formatKillRequest, privilegedStatusFile, StartedEvent } from '../../src/core/helper/helperProtocol';
import { SYSTEM_HELPER_PATH } from '../../src/core/helper/systemHelper';
import { onInterrupt } from '../e2e/cleanup';
import { installSystemHelper, type SystemHelper } from '../e2e/sudoUser';
import { addPerl, helperPath, readStarted, requireRoot, runHelper, signalAnswers, sleep, stopAllHelpers, waitFor } from './harness';
import { isAlive, startTimeOf } from './hostProcs';

const STORE = '/var/lib/mini-containers/rootfs';
interface Run { code: number | null; stdout: string; stderr: string }

describe('the delegated helper, attacked as the five findings of issue 17 describe', { timeout: 300_000 }, () => {
  const suffix = randomBytes(3).toString('hex');
  const user = `mc-atk-${suffix}`;
  const sudoers = `/etc/sudoers.d/mini-containers-atk-${suffix}`;
  const storeName = `mc-atk-${suffix}`;
  const storeRootfs = `${STORE}/${storeName}`;
  let uid = 0;
  let gid = 0;
  let home = '';
  let helper: SystemHelper | undefined;
  let storeExisted = true;
  const children = new Set<ChildProcess>();

  /** `sudo -n SYSTEM_HELPER_PATH ARGS` as the user, after the shell lines in `before` (ulimit, umask). */
  function sudoHelper(args: string[], { prelude = ':', wrap = [] as string[] } = {}): ChildProcess {
    const child = spawn(wrap[0] ?? '/bin/sh', [...wrap.slice(1), ...(wrap.length ? ['--', '/bin/sh'] : []), '-c',
      `${prelude}; exec sudo -n "$@"`, 'sh', SYSTEM_HELPER_PATH, ...args], {
      // Under strace (wrap), the tracer is root and drops to the user itself; else the user runs it.
      ...(wrap.length ? {} : { uid, gid }), cwd: home, stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: '/usr/bin:/bin', HOME: home },
    });
    children.add(child);
    child.on('exit', () => children.delete(child));
    return child;
  }
  function finished(child: ChildProcess): Promise<Run> {
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  }
  const runSudoHelper = (args: string[], options: { prelude?: string } = {}) => finished(sudoHelper(args, options));
  const statusOf = (name: string) => privilegedStatusFile(uid, name);
  /** A root process of the test's own, to stand for a root service the attacks must not reach. */
  function rootProcess(command: string, args: string[]): ChildProcess {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    child.on('exit', () => children.delete(child));
    return child;
  }

  function takeBack(): void {
    fs.rmSync(sudoers, { force: true });
    for (const child of children) child.kill('SIGKILL');
    fs.rmSync(`/run/sudo/ts/${user}`, { force: true });
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
    helper = installSystemHelper(helperPath);
    // rlimit_*=user: the user's resource limits pass through sudo, as on the machine of the finding (Debian's sudo
    // resets them by default; an admin's configuration, or pkexec, may not).
    fs.writeFileSync(sudoers, `Defaults:${user} !lecture, rlimit_fsize=user, rlimit_nofile=user, rlimit_cpu=user\n` +
      `${user} ALL=(root) NOPASSWD: ${SYSTEM_HELPER_PATH}\n`, { mode: 0o440, flag: 'wx' });
    assert.equal(spawnSync('visudo', ['-cf', sudoers]).status, 0, 'visudo accepts the rule');
    storeExisted = fs.existsSync('/var/lib/mini-containers');
    const made = await runHelper(['make-rootfs', '--name', storeName]);
    assert.equal(made.code, 0, made.stderr);
    addPerl(storeRootfs);
  });
  after(async () => {
    await stopAllHelpers();
    takeBack();
    unregister();
  });

  it('kill of its PID 1, slowed until that PID names a root process of the host\'s, reaches nobody', async () => {
    const name = `race-${suffix}`;
    const container = sudoHelper(['start', '--rootfs', storeRootfs, '--name', name, '--', '/bin/sleep', '1000']);
    const started: StartedEvent = await waitFor(() => readStarted(statusOf(name)), 10_000);
    const [pid1, t1] = [started.initPid, started.startTime];
    // strace (root) runs the user's `sudo helper kill`, and holds every signal system call for 3 s before it enters
    // the kernel: the slowest a caller can make the check-to-signal gap (SCHED_IDLE, a saturated CPU) and then some.
    const killer = sudoHelper(['kill', '--container', String(pid1), '--container-start-time', String(t1), '--pid', String(pid1),
      '--start-time', String(t1), '--signal', 'TERM'], {
      // (Not --seccomp-bpf: it sets no_new_privs, and sudo then refuses to run.)
      wrap: ['strace', '-f', '-qq', '-o', '/dev/null', '-e', 'trace=kill,pidfd_send_signal', '-e', 'inject=kill,pidfd_send_signal:delay_enter=3000000',
        'setpriv', `--reuid=${uid}`, `--regid=${gid}`, '--clear-groups'],
    });
    const killed = finished(killer);
    // Once the helper waits in the signal call (its checks passed), the container ends and its PID 1's number goes
    // to a root process of the test's, by setting the kernel's last PID just below it.
    await waitFor(() => tracedInSignalCall(killer.pid!), 20_000, 10);
    process.kill(pid1, 'SIGKILL');
    await finished(container);
    let reused: ChildProcess | undefined;
    for (let attempt = 0; attempt < 200 && !reused; attempt++) {
      fs.writeFileSync('/proc/sys/kernel/ns_last_pid', String(pid1 - 1));
      const candidate = rootProcess('/bin/sleep', ['1000']);
      if (candidate.pid === pid1) reused = candidate;
      else candidate.kill('SIGKILL');
    }
    assert.ok(reused, `PID ${pid1} could not be taken again`);
    const result = await killed;
    await sleep(200);
    assert.ok(isAlive(pid1), `the root process that took PID ${pid1} was signalled: ${result.stderr}`);
    assert.equal(result.code, 125, result.stderr);
    assert.match(result.stderr, /^container-helper: could not signal PID 1 of container \d+\n$/);
    reused.kill('SIGKILL');
  });

  it('root inside its container is not root toward the host\'s network: no sniffing, no host port, no root abstract socket', async () => {
    // A root service on the host that runs a command for any peer whose uid is 0 (the containerd-shim pattern).
    const abstract = `mc-root-service-${suffix}`;
    const canary = path.join('/root', `.mc-abstract-${suffix}`);
    const service = rootProcess('perl', ['-e', `socket(my $s, 1, 1, 0) or die; bind($s, pack('S a*', 1, "\\0${abstract}")) or die "bind: $!";
      listen($s, 5) or die; print "ready\\n"; $| = 1; while (accept(my $c, $s)) { my ($pid, $uid) = unpack('i I', getsockopt($c, 1, 17));
      if ($uid == 0) { open(my $f, '>', '${canary}'); print $f "ran for uid 0\\n"; close $f } close $c }`]);
    await new Promise<void>((resolve) => service.stdout!.once('data', () => resolve()));
    // Loopback traffic of another user's, with a secret in it.
    const secret = `secret-${suffix}`;
    const sender = dgram.createSocket('udp4');
    const sending = setInterval(() => sender.send(secret, 39999, '127.0.0.1'), 20);
    assert.equal(await canConnect(81), false, 'nothing listens on the host\'s port 81 before the test');
    try {
      const probe = [
        // A packet socket on every interface it can see, for 1.5 s: does the host's loopback traffic show?
        'my $seen = 0; if (socket(my $p, 17, 3, 0x0300)) { local $SIG{ALRM} = sub { die "t\\n" }; alarm 1.5;',
        `eval { while (sysread($p, my $b, 65536)) { $seen = 1 if index($b, "${secret}") >= 0 } }; alarm 0; print "packet=", $seen ? "seen" : "not-seen", "\\n" }`,
        'else { print "packet=", $! + 0, "\\n" }',
        // The root service's abstract socket.
        `socket(my $u, 1, 1, 0); print "abstract=", (connect($u, pack('S a*', 1, "\\0${abstract}")) ? "connected" : $! + 0), "\\n";`,
        // Port 81, which only root may bind: bound here, is it the host's?
        'socket(my $t, 2, 1, 0); setsockopt($t, 1, 2, 1); print "bind81=", (bind($t, pack("S n C4 x8", 2, 81, 127, 0, 0, 1)) && listen($t, 5) ? "ok" : $! + 0), "\\n";',
        'open(my $d, "<", "/proc/net/dev"); my @i = map { /^\\s*(\\S+):/ ? $1 : () } <$d>; print "interfaces=@i\\n";',
        '$| = 1; print "listening\\n"; sleep 3;',
      ].join(' ');
      const name = `net-${suffix}`;
      const child = sudoHelper(['start', '--rootfs', storeRootfs, '--name', name, '--', '/usr/bin/perl', '-e', probe]);
      let out = '';
      child.stdout!.on('data', (d) => (out += d));
      await waitFor(() => out.includes('listening'), 15_000);
      const hostReachesPort81 = await canConnect(81);
      const run = await finished(child);
      out += run.stdout;
      assert.equal(run.code, 0, `${out}${run.stderr}`);
      assert.match(out, /^packet=(not-seen|\d+)$/m, out);
      assert.match(out, /^abstract=111$/m, `connect to the root service: ${out}`);
      assert.equal(fs.existsSync(canary), false, 'the root service ran a command for the container');
      assert.match(out, /^interfaces=lo$/m, out);
      assert.equal(hostReachesPort81, false, 'port 81 bound inside is the host\'s');
    } finally {
      clearInterval(sending);
      sender.close();
      service.kill('SIGKILL');
      fs.rmSync(canary, { force: true });
    }
  });

  it('its network is never the host\'s: host refused, none by default, private without the host\'s loopback, no host port below 1024', async () => {
    const refused = await runSudoHelper(['start', '--rootfs', storeRootfs, '--network', 'host', '--', '/bin/echo', 'RAN']);
    assert.equal(refused.code, 125, refused.stderr);
    assert.equal(refused.stdout, '');
    assert.match(refused.stderr, /^container-helper: --network host is refused under sudo or pkexec: root inside would be uid 0 in the host's network/m);
    const low = await runSudoHelper(['start', '--rootfs', storeRootfs, '--network', 'private', '--publish', '1023:80', '--', '/bin/echo', 'RAN']);
    assert.equal(low.code, 125, low.stderr);
    assert.match(low.stderr, /^container-helper: --publish 1023:80: under sudo or pkexec the host port must be 1024 or above/m);

    // A service of root's on the host's loopback, which slirp4netns would reach at 10.0.2.2 if it were let.
    const service = net.createServer((socket) => socket.end('HOSTOK\n'));
    await new Promise<void>((resolve) => service.listen(0, '127.0.0.1', resolve));
    const servicePort = (service.address() as net.AddressInfo).port;
    const published = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as net.AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    try {
      const name = `pnet-${suffix}`;
      const script = `ip -o link | grep -c tap0 | sed "s/^/tap0=/"; sleep 1 | nc -w 3 10.0.2.2 ${servicePort}; echo "nc=$?"; echo listening; nc -l -p 80 -e echo INSIDE`;
      const child = sudoHelper(['start', '--rootfs', storeRootfs, '--name', name, '--network', 'private', '--publish', `${published}:80`, '--', '/bin/sh', '-c', script]);
      let out = '';
      child.stdout!.on('data', (d) => (out += d));
      const done = finished(child);
      await waitFor(() => out.includes('listening'), 15_000);
      const started = readStarted(statusOf(name));
      assert.equal(started?.network, 'private');
      let answer = '';
      for (const deadline = Date.now() + 10_000; !answer && Date.now() < deadline;) {
        answer = await new Promise<string>((resolve) => {
          const socket = net.connect(published, '127.0.0.1');
          let text = '';
          socket.on('data', (d) => (text += d));
          socket.on('error', () => resolve(''));
          socket.on('close', () => resolve(text));
        });
        if (!answer) await sleep(100);
      }
      const run = await done;
      out += run.stdout;
      assert.equal(run.code, 0, `${out}${run.stderr}`);
      assert.match(out, /^tap0=1$/m, out);
      assert.doesNotMatch(out, /HOSTOK/, `the host's loopback was reached through 10.0.2.2: ${out}`);
      assert.match(out, /^nc=1$/m, out);
      assert.equal(answer, 'INSIDE\n', 'the host reaches the published port');
      // slirp4netns, root's, ended with the container.
      const stacks = fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e)).filter((pid) => {
        try {
          return fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').includes(String(started!.initPid)) &&
            fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'slirp4netns';
        } catch {
          return false;
        }
      });
      assert.deepEqual(stacks, []);
    } finally {
      service.close();
    }
  });

  it('its resource limits do not pass through sudo: the helper outlives a small file size, and a note never names another\'s process', async () => {
    // The user's soft limits (the hard ones only root with CAP_SYS_RESOURCE could raise again): 1 KiB files, 64
    // descriptors. The container must get init's, and the helper must not die when its status file passes 1 KiB.
    const name = `fsize-${suffix}`;
    const child = sudoHelper(['start', '--rootfs', storeRootfs, '--name', name, '--', '/bin/sh', '-c', 'ulimit -f; ulimit -n; exec sleep 1000'],
      { prelude: 'ulimit -S -f 2; ulimit -S -n 64' });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    const started: StartedEvent = await waitFor(() => readStarted(statusOf(name)), 10_000);
    await waitFor(() => out.split('\n').length >= 3 || undefined);
    const [fileSize, files] = out.split('\n');
    assert.equal(fileSize, 'unlimited', 'the container has the caller\'s file size limit');
    assert.ok(Number(files) >= 1024, `the container has the caller's descriptor limit: ${files}`);
    // Twenty answers take the status file past 1 KiB: a helper with the caller's limit dies of SIGXFSZ there.
    for (let id = 1; id <= 20; id++) {
      writeWhole(started.control!, formatKillRequest(id, { initPid: 1, initStartTime: 1, pid: 1, startTime: 1, signal: 'TERM' }));
    }
    await waitFor(() => signalAnswers(statusOf(name)).length === 20 || undefined, 10_000);
    assert.ok(fs.statSync(statusOf(name)).size > 1024);
    assert.ok(isAlive(started.initPid), 'the container still runs');
    child.kill('SIGTERM');
    await finished(child);
    assert.match(fs.readFileSync(statusOf(name), 'utf8'), /"event":"exited","code":137/);
    assert.equal(fs.existsSync(`/run/mini-containers/${uid}/${helperOf(statusOf(name))}.pending`), false, 'its note is removed');
    // A note of a helper of this user's that died mid-start (as the finding's did), written as it was then: its
    // start time and the rootfs. Root then starts a sandbox by hand on the same rootfs; the user's next start
    // must leave it alone: the note names no process of its own.
    const note = `/run/mini-containers/${uid}/999999.pending`;
    fs.writeFileSync(note, `1\n${storeRootfs}\n`);
    const byHand = rootProcess('bwrap', ['--unshare-pid', '--as-pid-1', '--bind', storeRootfs, '/', '--proc', '/proc',
      '--dev', '/dev', '/bin/sleep', '1000']);
    const sandbox = await waitFor(() => fs.readFileSync(`/proc/${byHand.pid}/task/${byHand.pid}/children`, 'utf8').trim().split(/\s+/).map(Number).find((p) => p > 0));
    // Orphaned, as a sandbox left by a killed helper would be: its monitor ends, PID 1 lives on (not armed).
    process.kill(byHand.pid!, 'SIGKILL');
    await waitFor(() => fs.readFileSync(`/proc/${sandbox}/stat`, 'utf8').split(') ')[1].split(' ')[1] !== String(byHand.pid));
    const sandboxStart = startTimeOf(sandbox);
    try {
      const next = await runSudoHelper(['start', '--rootfs', storeRootfs, '--name', `next-${suffix}`, '--', '/bin/true']);
      assert.equal(next.code, 0, next.stderr);
      assert.equal(fs.existsSync(note), false, 'the note was read and removed');
      assert.ok(isAlive(sandbox) && startTimeOf(sandbox) === sandboxStart, 'root\'s sandbox on the same rootfs was ended by the user\'s start');
    } finally {
      if (isAlive(sandbox) && startTimeOf(sandbox) === sandboxStart) process.kill(sandbox, 'SIGKILL');
    }
  });

  it('paths outside the store are refused as text: the answer is the same whether they exist, are files, folders or links', async () => {
    const secretFile = `/root/.mc-exists-${suffix}`;
    const secretDir = `/root/.mc-dir-${suffix}`;
    const secretLink = `/root/.mc-link-${suffix}`;
    fs.writeFileSync(secretFile, 'x', { mode: 0o600 });
    fs.mkdirSync(`${secretDir}/proc`, { recursive: true });
    fs.mkdirSync(`${secretDir}/dev`);
    fs.symlinkSync('/etc', secretLink);
    try {
      const answers = new Set<string>();
      for (const rootfs of [secretFile, secretDir, secretLink, `/root/.mc-missing-${suffix}`, `${STORE}/../../../..${secretDir}`,
        `${STORE}/${storeName}/../../../../..${secretDir}`, '/', 'relative', '']) {
        const result = await runSudoHelper(['start', '--rootfs', rootfs, '--', '/bin/true']);
        assert.equal(result.code, 125, `${rootfs}: ${result.stderr}`);
        answers.add(result.stderr);
      }
      assert.deepEqual([...answers], ['container-helper: under sudo or pkexec the rootfs must be in /var/lib/mini-containers/rootfs (given as ' +
        '/var/lib/mini-containers/rootfs/NAME; ask root to run \'container-helper.sh make-rootfs --name NAME\'), or start a rootless shell with no password\n']);
      // Inside the store, a name that is not there is said so: the store's names are no secret of root's.
      const missing = await runSudoHelper(['start', '--rootfs', `${STORE}/no-such-${suffix}`, '--', '/bin/true']);
      assert.equal(missing.code, 125);
      assert.match(missing.stderr, /--rootfs does not exist/);
    } finally {
      fs.rmSync(secretFile, { force: true });
      fs.rmSync(secretDir, { recursive: true, force: true });
      fs.rmSync(secretLink, { force: true });
    }
  });

  it('a COMMAND that cannot run is explained the same whether it names a root-only file of the host, nothing, or a flag', async () => {
    // The check that says why COMMAND could not run (126/127) runs as root, in a sandbox on the store rootfs: the
    // caller must learn nothing of the host through it, and nothing of it may run on the host.
    const canary = `/root/.mc-canary-${suffix}`;
    const answers = new Map<string, string>();
    for (const command of ['/../../etc/shadow', `/../../root/.mc-absent-${suffix}`, '/../../usr/bin/id', `/proc/1/root/../../etc/shadow`,
      `../../../..${canary}`]) {
      const result = await runSudoHelper(['start', '--rootfs', storeRootfs, '--', command, `touch ${canary}`]);
      assert.equal(result.code, 127, `${command}: ${result.stderr}`);
      const line = result.stderr.split('\n').find((l) => l.startsWith('container-helper: ')) ?? '';
      assert.match(line, /command not found in the rootfs/, `${command}: ${result.stderr}`);
      answers.set(command, line.replace(command, 'COMMAND'));
    }
    assert.equal(new Set(answers.values()).size, 1, `different answers:\n${[...answers].map(([c, l]) => `${c}: ${l}`).join('\n')}`);
    // A COMMAND that reads as a flag is a name to look for, never an option of the check's shell.
    const flag = await runSudoHelper(['start', '--rootfs', storeRootfs, '--', '-c', `touch ${canary}`]);
    assert.equal(flag.code, 127, flag.stderr);
    assert.match(flag.stderr, /container-helper: command not found/);
    assert.equal(fs.existsSync(canary), false, 'nothing ran on the host');
  });

  it('a hard CPU limit the caller lowered ends only the caller\'s own container, and leaves nothing behind', async () => {
    // The caller's CPU limit (soft and hard: 1 s). Root here may lack CAP_SYS_RESOURCE (this VM's does), and then cannot raise a hard limit the caller lowered:
    // the container's busy loop is then killed by the kernel at the caller's own limit. Either way the helper
    // reports the end and removes its files, and nothing of the container is left.
    const capEff = BigInt(`0x${/^CapEff:\s*([0-9a-f]+)/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))![1]}`);
    const rootRaisesLimits = (capEff & (1n << 24n)) !== 0n;
    const name = `cpu-${suffix}`;
    const child = sudoHelper(['start', '--rootfs', storeRootfs, '--name', name, '--', '/bin/sh', '-c', 'while :; do :; done'],
      { prelude: 'ulimit -t 1' });
    const ended = finished(child);
    const started: StartedEvent = await waitFor(() => readStarted(statusOf(name)), 10_000);
    if (rootRaisesLimits) {
      await sleep(3000);
      assert.ok(isAlive(started.initPid), 'root raised the limit again: the loop outlives the caller\'s 1 s');
      child.kill('SIGTERM');
    }
    const run = await Promise.race([ended, sleep(20_000).then(() => undefined)]);
    assert.ok(run, 'the helper did not end within 20 s');
    assert.equal(isAlive(started.initPid), false, 'PID 1 is gone');
    assert.match(fs.readFileSync(statusOf(name), 'utf8'), /"event":"exited","code":137/, 'the end is reported (SIGKILL)');
    assert.equal(fs.existsSync(`/run/mini-containers/${uid}/${helperOf(statusOf(name))}.pending`), false, 'its note is removed');
    const left = fs.readdirSync(`/run/mini-containers/${uid}`).filter((f) => f.startsWith(`${helperOf(statusOf(name))}.`));
    assert.deepEqual(left, [], 'the helper\'s FIFOs are removed');
  });

  it('what root writes into its status file is bounded: huge requests, and more than a thousand of them', async () => {
    const name = `bound-${suffix}`;
    const child = sudoHelper(['start', '--rootfs', storeRootfs, '--name', name, '--', '/bin/sleep', '1000']);
    const started: StartedEvent = await waitFor(() => readStarted(statusOf(name)), 10_000);
    const huge = 'x'.repeat(200_000);
    for (let i = 0; i < 5; i++) writeWhole(started.control!, `kill ${huge} ${huge} 1 1 1 TERM\n`);
    await waitFor(() => signalAnswers(statusOf(name)).length === 5 || undefined, 10_000);
    assert.ok(fs.statSync(statusOf(name)).size < 4_000, `${fs.statSync(statusOf(name)).size} bytes after five huge requests`);
    // 1,100 requests more: at most 1,000 answers in all, and one that says the channel answers no more.
    const many = Array.from({ length: 1_100 }, (_, i) => formatKillRequest(i + 1, { initPid: 1, initStartTime: 1, pid: 1, startTime: 1, signal: 'TERM' })).join('');
    writeWhole(started.control!, many);
    await waitFor(() => signalAnswers(statusOf(name)).length >= 1_001 || undefined, 60_000);
    await sleep(500);
    const answers = signalAnswers(statusOf(name));
    assert.equal(answers.length, 1_001);
    assert.match(answers[1_000].error ?? '', /too many requests/);
    assert.ok(fs.statSync(statusOf(name)).size < 250_000, `${fs.statSync(statusOf(name)).size} bytes`);
    assert.ok(isAlive(started.initPid), 'the container still runs');
    child.kill('SIGTERM');
    await finished(child);
    assert.equal(isAlive(started.initPid), false);
  });
});

/** The helper PID a status file's first line names. */
function helperOf(statusFile: string): number {
  return JSON.parse(fs.readFileSync(statusFile, 'utf8').split('\n')[0]).pid;
}

/** Whether a TCP connection to the host's 127.0.0.1:port is accepted. */
function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

/** Writes all of `text` into a FIFO that has a reader, however long (a blocking write; the helper reads). */
function writeWhole(fifo: string, text: string): void {
  const fd = fs.openSync(fifo, 'w');
  try {
    const bytes = Buffer.from(text);
    for (let done = 0; done < bytes.length;) done += fs.writeSync(fd, bytes, done);
  } finally {
    fs.closeSync(fd);
  }
}

/** A process traced by `tracer`'s strace (its descendant) that is stopped at the entry of kill or pidfd_send_signal. */
function tracedInSignalCall(tracer: number): boolean {
  const kill = process.arch === 'arm64' ? 129 : 62;
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
      const tracerPid = Number(/^TracerPid:\s+(\d+)/m.exec(status)?.[1]);
      if (tracerPid !== tracer) continue;
      const call = Number(fs.readFileSync(`/proc/${pid}/syscall`, 'utf8').split(' ')[0]);
      if (call === 424 || call === kill) return true;
    } catch {
      // gone, or not ours to read
    }
  }
  return false;
}
