// `start --network host|none|private` and `--publish`, as root (slirp4netns) and rootless (pasta, as a fresh
// ordinary user): what each network lets a container reach, what the host reaches of it, and that the user-mode
// stack and the network namespace end with the container, also when the helper is SIGKILLed. Only loopback and
// the namespaces the tests make are used: the "host service" is a listener of this test on the host's 127.0.0.1.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { onInterrupt } from '../e2e/cleanup';
import {
  addPerl, helperPath, makeRootfs, makeTempDir, readStarted, requireRoot, runHelper, sleep, spawnHelper, stopAllHelpers, waitFor,
} from './harness';
import { allPids, isAlive } from './hostProcs';

interface Run { code: number | null; stdout: string; stderr: string }

/** Raw ICMP socket (PF_INET, SOCK_RAW, IPPROTO_ICMP): "raw=ok", or the errno (1: EPERM). */
const RAW_PROBE = 'print "raw=", (socket(my $s, 2, 3, 1) ? "ok" : $! + 0), "\\n"';
/** The interfaces a container sees, one line. */
const INTERFACES = 'printf "interfaces="; ip -o link | sed "s/^[0-9]*: \\([^:@]*\\).*/\\1/" | tr "\\n" " "; echo';

function finished(child: ChildProcess): Promise<Run> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => (stdout += d));
  child.stderr?.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

/** The processes of a user-mode stack (slirp4netns, pasta or the passt.avx2 it execs) attached to `initPid`. */
function stackProcessesOf(initPid: number): number[] {
  return allPids().filter((pid) => {
    try {
      const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0');
      return /(^|\/)(slirp4netns|pasta|passt)/.test(argv[0] ?? '') && argv.includes(String(initPid)) && isAlive(pid);
    } catch {
      return false;
    }
  });
}

/** Processes that are in network namespace `inode` or hold a descriptor on it: none once it is gone. */
function netnsHolders(inode: number): number[] {
  const target = `net:[${inode}]`;
  return allPids().filter((pid) => {
    try {
      if (fs.readlinkSync(`/proc/${pid}/ns/net`) === target) return true;
      return fs.readdirSync(`/proc/${pid}/fd`).some((fd) => {
        try {
          return fs.readlinkSync(`/proc/${pid}/fd/${fd}`) === target;
        } catch {
          return false;
        }
      });
    } catch {
      return false;
    }
  });
}

/** A free TCP port on the host's 127.0.0.1 (asked of the kernel, then released). */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Connects to the host's 127.0.0.1:port and returns what the server says, or undefined when nobody answers. */
function readFrom(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    socket.setTimeout(2_000, () => socket.destroy());
    socket.on('data', (d) => (text += d));
    socket.on('error', () => resolve(undefined));
    socket.on('close', () => resolve(text || undefined));
  });
}

describe('--network and --publish', { timeout: 240_000 }, () => {
  const suffix = randomBytes(3).toString('hex');
  const user = `mc-net-${suffix}`;
  let tmp = '';
  let rootfs = '';
  let uid = 0;
  let gid = 0;
  let home = '';
  let userRootfs = '';
  let userHelper = '';
  let runtimeDir = '';
  /** The host service: a listener of this test on the host's 127.0.0.1 that says HOSTOK. */
  let hostService: net.Server | undefined;
  let hostPort = 0;
  const children = new Set<ChildProcess>();

  /** The helper as the user (rootless), with their own XDG_RUNTIME_DIR. */
  function spawnAsUser(args: string[]): ChildProcess {
    const child = spawn('/bin/sh', [userHelper, ...args], {
      uid, gid, cwd: home, stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: '/usr/bin:/bin', HOME: home, XDG_RUNTIME_DIR: runtimeDir, TERM: 'xterm' },
    });
    children.add(child);
    child.on('exit', () => children.delete(child));
    return child;
  }
  /** Runs a script in a container, as root or rootless, with the given network options. */
  function inside(as: 'root' | 'rootless', options: string[], script: string): Promise<Run> {
    if (as === 'root') return runHelper(['start', '--rootfs', rootfs, ...options, '--', '/bin/sh', '-c', script], { timeoutMs: 30_000 });
    return finished(spawnAsUser(['start', '--rootfs', userRootfs, ...options, '--', '/bin/sh', '-c', script]));
  }
  /** The client inside: what the host service says through ADDR (a shell word), and nc's status. */
  const reachHost = (address: string) => `sleep 1 | nc -w 3 ${address} ${hostPort}; echo "nc=$?"`;
  /** The gateway of a private network as the container sees it (pasta: the host's own gateway's address). */
  const GATEWAY = '$(ip route | sed -n "s/^default via \\([^ ]*\\).*/\\1/p")';

  function takeBack(): void {
    for (const child of children) child.kill('SIGKILL');
    hostService?.close();
    spawnSync('userdel', ['--force', '--remove', user]);
    if (uid) fs.rmSync(`/tmp/mini-containers-${uid}`, { recursive: true, force: true });
    if (home) fs.rmSync(home, { recursive: true, force: true });
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  }
  let unregister = () => {};

  before(async () => {
    requireRoot();
    unregister = onInterrupt(takeBack);
    tmp = makeTempDir('net');
    rootfs = await makeRootfs(tmp);
    addPerl(rootfs);
    assert.equal(spawnSync('useradd', ['--create-home', '--user-group', '--shell', '/bin/sh', user]).status, 0, 'useradd');
    uid = Number(spawnSync('id', ['-u', user], { encoding: 'utf8' }).stdout.trim());
    gid = Number(spawnSync('id', ['-g', user], { encoding: 'utf8' }).stdout.trim());
    home = `/home/${user}`;
    userRootfs = await makeRootfs(home);
    addPerl(userRootfs);
    runtimeDir = path.join(home, 'run');
    fs.mkdirSync(runtimeDir, { mode: 0o700 });
    const helperDir = path.join(home, 'helper');
    fs.mkdirSync(helperDir, { mode: 0o755 });
    for (const file of ['container-helper.sh', 'seccomp.bpf']) fs.copyFileSync(path.join(path.dirname(helperPath), file), path.join(helperDir, file));
    userHelper = path.join(helperDir, 'container-helper.sh');
    spawnSync('chown', ['-R', `${uid}:${gid}`, home]);
    hostService = net.createServer((socket) => socket.end('HOSTOK\n'));
    await new Promise<void>((resolve) => hostService!.listen(0, '127.0.0.1', resolve));
    hostPort = (hostService.address() as net.AddressInfo).port;
  });
  after(async () => {
    await stopAllHelpers();
    takeBack();
    unregister();
  });

  for (const as of ['root', 'rootless'] as const) {
    it(`${as}: none has only lo and cannot reach the host's 127.0.0.1`, async () => {
      const run = await inside(as, ['--network', 'none'], `${INTERFACES}; ${reachHost('127.0.0.1')}`);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /^interfaces=lo $/m, run.stdout);
      assert.doesNotMatch(run.stdout, /HOSTOK/, run.stdout);
      assert.match(run.stdout, /^nc=1$/m, run.stdout);
    });

    it(`${as}: host (the default) reaches the host's 127.0.0.1, but a raw socket is refused`, async () => {
      const run = await inside(as, [], `${INTERFACES}; ${reachHost('127.0.0.1')}; /usr/bin/perl -e '${RAW_PROBE}'; grep CapBnd /proc/self/status`);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /^HOSTOK$/m, run.stdout);
      assert.match(run.stdout, /^raw=1$/m, `a raw socket on the host's network: ${run.stdout}`);
      const bounding = BigInt(`0x${/^CapBnd:\s+(\S+)$/m.exec(run.stdout)?.[1]}`);
      assert.equal(bounding & (1n << 13n), 0n, 'CAP_NET_RAW is not even in the bounding set');
      // The probe can succeed: in a network of its own, root inside keeps CAP_NET_RAW, as in Docker.
      const own = await inside(as, ['--network', 'none'], `/usr/bin/perl -e '${RAW_PROBE}'`);
      assert.match(own.stdout, /^raw=ok$/m, own.stdout + own.stderr);
    });

    it(`${as}: private has its own tap0 and reaches the host's loopback through the user-mode stack`, async () => {
      // slirp4netns: 10.0.2.2 is the host's loopback; pasta: the gateway's address is.
      const address = as === 'root' ? '10.0.2.2' : GATEWAY;
      const run = await inside(as, ['--network', 'private'], `${INTERFACES}; ${reachHost(address)}`);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /^interfaces=lo tap0 $/m, run.stdout);
      assert.match(run.stdout, /^HOSTOK$/m, run.stdout);
    });

    it(`${as}: --publish lets the host reach a server inside; the stack and the namespace end with the container`, async () => {
      const published = await freePort();
      const statusFile = path.join(as === 'root' ? tmp : runtimeDir, `publish-${as}.status`);
      const args = ['--status-file', statusFile, '--network', 'private', '--publish', `${published}:80`, '--',
        '/bin/sh', '-c', 'nc -l -p 80 -e echo INSIDE'];
      const child = as === 'root' ? spawnHelper(['start', '--rootfs', rootfs, ...args]) : spawnAsUser(['start', '--rootfs', userRootfs, ...args]);
      const done = finished(child);
      const started = await waitFor(() => readStarted(statusFile), 10_000);
      assert.equal(started.network, 'private');
      assert.deepEqual(started.publish, [`${published}:80`]);
      const netns = fs.statSync(`/proc/${started.initPid}/ns/net`).ino;
      assert.ok(stackProcessesOf(started.initPid).length >= 1, 'a user-mode stack serves the container');
      // The server inside may not listen yet: ask until it answers (each try a new connection).
      let answer: string | undefined;
      for (const deadline = Date.now() + 10_000; answer === undefined && Date.now() < deadline;) {
        answer = await readFrom(published);
        if (answer === undefined) await sleep(100);
      }
      assert.equal(answer, 'INSIDE\n');
      const run = await done;
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(stackProcessesOf(started.initPid), [], 'the stack outlived the container');
      assert.deepEqual(netnsHolders(netns), [], 'the network namespace outlived the container');
      assert.equal(await readFrom(published), undefined, 'the published port outlived the container');
    });

    it(`${as}: when the helper is SIGKILLed, its container, its user-mode stack and the namespace go too`, async () => {
      const statusFile = path.join(as === 'root' ? tmp : runtimeDir, `sigkill-${as}.status`);
      const args = ['--status-file', statusFile, '--network', 'private', '--', '/bin/sleep', '1000'];
      const child = as === 'root' ? spawnHelper(['start', '--rootfs', rootfs, ...args]) : spawnAsUser(['start', '--rootfs', userRootfs, ...args]);
      const done = finished(child);
      const started = await waitFor(() => readStarted(statusFile), 10_000);
      const netns = fs.statSync(`/proc/${started.initPid}/ns/net`).ino;
      const stack = await waitFor(() => stackProcessesOf(started.initPid).length > 0 && stackProcessesOf(started.initPid), 5_000);
      assert.ok(stack.length >= 1);
      child.kill('SIGKILL');
      await done;
      await waitFor(() => !isAlive(started.initPid), 5_000);
      await waitFor(() => stackProcessesOf(started.initPid).length === 0, 5_000).catch(() => {
        throw new Error(`the user-mode stack ${stackProcessesOf(started.initPid).join(' ')} outlived the SIGKILLed helper`);
      });
      await waitFor(() => netnsHolders(netns).length === 0, 5_000).catch(() => {
        throw new Error(`processes ${netnsHolders(netns).join(' ')} still hold the container's network namespace`);
      });
      // The next start prunes the dead helper's files (its FIFOs, socket and log).
      const runDir = as === 'root' ? '/run/mini-containers/0' : path.join(runtimeDir, 'mini-containers');
      assert.equal((await inside(as, ['--network', 'none'], 'true')).code, 0);
      assert.deepEqual(fs.readdirSync(runDir).filter((f) => f.startsWith(`${child.pid}.`)), []);
    });

    it(`${as}: a missing user-mode stack is refused with 125 and the apt-get line, never another network`, () => {
      // The tool hidden in a mount namespace of this test only (the host's package stays installed): /dev/null
      // bound over it, so the helper's own PATH finds no program there.
      const tool = as === 'root' ? '/usr/bin/slirp4netns' : '/usr/bin/pasta';
      const helperArgs = as === 'root'
        ? ['/bin/sh', helperPath, 'start', '--rootfs', rootfs]
        : ['setpriv', `--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', 'env', '-i', `HOME=${home}`, `XDG_RUNTIME_DIR=${runtimeDir}`,
          '/bin/sh', userHelper, 'start', '--rootfs', userRootfs];
      const run = spawnSync('unshare', ['--mount', '--propagation', 'private', '--', '/bin/sh', '-c', 'mount --bind /dev/null "$1" && shift && exec "$@"',
        'sh', tool, ...helperArgs, '--network', 'private', '--', '/bin/echo', 'RAN'], { encoding: 'utf8', timeout: 30_000 });
      assert.equal(run.status, 125, run.stderr);
      assert.equal(run.stdout, '', 'nothing ran');
      const install = as === 'root' ? 'apt-get install slirp4netns' : 'apt-get install passt';
      assert.match(run.stderr, new RegExp(`^container-helper: --network private needs ${path.basename(tool)}, which is missing: ${install}$`, 'm'));
    });
  }

  it('refuses --publish without private, a bad value, and a network it does not know', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--publish', '8080:80'], /--publish needs --network private \(with host/],
      [['--network', 'none', '--publish', '8080:80'], /--publish needs --network private \(with none/],
      [['--network', 'private', '--publish', '8080'], /--publish must be HOSTPORT:PORT/],
      [['--network', 'private', '--publish', '65536:80'], /--publish must be HOSTPORT:PORT/],
      [['--network', 'private', '--publish', '8080:80', '--publish', '8080:81'], /host port 8080 is given twice/],
      [['--network', 'bridge'], /--network must be host, none or private: bridge/],
      [['--network', 'none', '--network', 'host'], /--network given twice/],
    ];
    for (const [options, message] of cases) {
      const run = await runHelper(['start', '--rootfs', rootfs, ...options, '--', '/bin/echo', 'RAN']);
      assert.equal(run.code, 125, `${options.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, message);
      assert.equal(run.stdout, '');
    }
  });
});
