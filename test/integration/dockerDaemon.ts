// A real Docker daemon for the engine tests: Debian's docker.io, started by the test on ITS OWN socket, data and
// exec folders under a fresh temp dir $T (never /var/run/docker.sock, never /var/lib/docker), with an image made
// locally by `docker import` of the BusyBox test rootfs (no registry, no network). `stop` removes the containers
// and the image, ends the daemon by its PID (containerd, which it spawns, ends with it; what is left that names
// $T is killed by PID), unmounts only mounts under $T, and removes $T. Needs root and no systemd.

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildBusyboxRootfs } from '../../src/core/rootfs/busyboxRootfs';
import { processesMentioning, killPid } from './hostProcs';
import { sleep } from '../vscode/hostState';

/** Debian's client; /usr/local/bin/docker on this machine is another program. */
export const DOCKER = '/usr/bin/docker';
const DOCKERD = '/usr/sbin/dockerd';

export interface TestDocker {
  /** The temp dir everything lives in. */
  readonly dir: string;
  /** `unix://$T/docker.sock`: DOCKER_HOST for every client of this daemon. */
  readonly host: string;
  /** This process's environment with DOCKER_HOST set. */
  readonly env: NodeJS.ProcessEnv;
  /** The image `docker import` made of the BusyBox rootfs. */
  readonly image: string;
  /** The storage driver the daemon runs with (overlay2, or vfs where overlay2 fails). */
  readonly storageDriver: string;
  /** Milliseconds the start took: daemon up, then the image imported. */
  readonly startMs: number;
  /** Runs `docker ARGS` against this daemon; rejects with its stderr when it fails. */
  docker(...args: string[]): Promise<string>;
  /** Runs `sleep 1000` detached in a new container named `name`, without network; resolves to its full id. */
  runSleeper(name: string): Promise<string>;
  /** Removes everything (see the header); resolves to how long that took. Safe to call twice. */
  stop(): Promise<number>;
}

/** Whether this machine can run the daemon at all (root, Debian's docker.io installed). */
export function dockerSkipReason(): string | false {
  if (process.getuid?.() !== 0) return 'needs root to run a Docker daemon';
  if (!fs.existsSync(DOCKERD) || !fs.existsSync(DOCKER)) return 'needs Debian\'s docker.io (test/setup/debian-packages.sh installs it)';
  return false;
}

function run(file: string, args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs = 60_000, input?: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(file, args, { env, timeout: timeoutMs, maxBuffer: 16 << 20, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${path.basename(file)} ${args.join(' ')}: ${stderr.trim() || error.message}`));
      else resolve(stdout);
    });
    if (input) input.pipe(child.stdin!);
  });
}

/** Starts dockerd on `$T/docker.sock` with `driver`; resolves once it answers, rejects (having ended it) if it ends. */
async function startDaemon(dir: string, driver: string, env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  const log = fs.openSync(path.join(dir, `dockerd-${driver}.log`), 'a');
  const daemon = spawn(DOCKERD, [
    '--host', `unix://${dir}/docker.sock`, '--data-root', `${dir}/data`, '--exec-root', `${dir}/exec`,
    '--pidfile', `${dir}/dockerd.pid`, '--iptables=false', '--ip6tables=false', '--bridge=none',
    `--storage-driver=${driver}`, '--exec-opt', 'native.cgroupdriver=cgroupfs',
  ], { stdio: ['ignore', log, log], env });
  fs.closeSync(log);
  let ended = false;
  daemon.on('exit', () => (ended = true));
  const deadline = Date.now() + 30_000;
  while (!ended && Date.now() < deadline) {
    try {
      await run(DOCKER, ['version', '--format', '{{.Server.Version}}'], env, 5_000);
      return daemon;
    } catch {
      await sleep(100);
    }
  }
  await endDaemon(daemon);
  const tail = fs.readFileSync(path.join(dir, `dockerd-${driver}.log`), 'utf8').trim().split('\n').slice(-3).join('\n');
  throw new Error(`dockerd --storage-driver=${driver} ${ended ? 'ended' : 'did not answer in 30 s'}:\n${tail}`);
}

/** SIGTERM, then SIGKILL after 20 s; resolves once it has ended. */
async function endDaemon(daemon: ChildProcess): Promise<void> {
  if (daemon.exitCode !== null || daemon.signalCode !== null) return;
  const ended = new Promise<void>((resolve) => daemon.once('exit', () => resolve()));
  daemon.kill('SIGTERM');
  const timer = setTimeout(() => daemon.kill('SIGKILL'), 20_000);
  await ended;
  clearTimeout(timer);
}

/** Mount points under `dir`, deepest first. */
function mountsUnder(dir: string): string[] {
  return fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
    .map((line) => line.split(' ')[4]?.replace(/\\040/g, ' '))
    .filter((m): m is string => m !== undefined && (m === dir || m.startsWith(`${dir}/`)))
    .sort((a, b) => b.length - a.length);
}

/** A daemon of its own, with the BusyBox image imported. */
export async function startTestDocker(): Promise<TestDocker> {
  const started = Date.now();
  // Short: a Unix socket path ($T/exec/containerd/containerd.sock…) must fit in 108 bytes.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mc-docker-'));
  const host = `unix://${dir}/docker.sock`;
  const env: NodeJS.ProcessEnv = { ...process.env, DOCKER_HOST: host };
  delete env.DOCKER_CONTEXT;
  const made = new Set<string>();
  let daemon: ChildProcess | undefined;
  let storageDriver = 'overlay2';
  let stopped: Promise<number> | undefined;

  const docker = (...args: string[]) => run(DOCKER, args, env);
  const stop = () => (stopped ??= (async () => {
    const t0 = Date.now();
    if (daemon !== undefined) {
      if (made.size > 0) await docker('rm', '--force', ...made).catch(() => undefined);
      await docker('image', 'rm', '--force', image).catch(() => undefined);
      await endDaemon(daemon);
    }
    // containerd and its shims name $T in their command lines: anything left was started by this daemon.
    for (const pid of processesMentioning(dir)) killPid(pid);
    for (const mount of mountsUnder(dir)) {
      await run('/bin/umount', [mount], process.env, 10_000).catch(() => run('/bin/umount', ['--lazy', mount], process.env, 10_000));
    }
    fs.rmSync(dir, { recursive: true, force: true });
    return Date.now() - t0;
  })());

  const image = `mc-test-busybox:${path.basename(dir).slice('mc-docker-'.length).toLowerCase()}`;
  try {
    try {
      daemon = await startDaemon(dir, storageDriver, env);
    } catch (e) {
      // overlay2 needs a file system that takes overlay upper dirs (not overlayfs itself on older kernels).
      process.stderr.write(`# ${(e as Error).message}\n# trying --storage-driver=vfs\n`);
      storageDriver = 'vfs';
      daemon = await startDaemon(dir, storageDriver, env);
    }
    const rootfs = await buildBusyboxRootfs(path.join(dir, 'rootfs'));
    const tar = spawn('tar', ['-C', rootfs, '-c', '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
    await run(DOCKER, ['import', '-', image], env, 60_000, tar.stdout!);
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    dir, host, env, image, storageDriver, startMs: Date.now() - started, docker, stop,
    runSleeper: async (name) => {
      made.add(name);
      return (await docker('run', '--detach', '--name', name, '--network', 'none', image, 'sleep', '1000')).trim();
    },
  };
}
