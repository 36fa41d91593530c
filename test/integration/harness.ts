// Shared by the integration suites: a real BusyBox rootfs, the real helper and the files it keeps under
// /run/mini-containers, waiting, and cleanup that runs even on failure. What /proc shows of processes is in hostProcs.ts.
import { execFileSync, spawn, ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildBusyboxRootfs } from '../../src/core/rootfs/busyboxRootfs';
import { parseStatusText, SignalEvent, StartedEvent, StatusEvent } from '../../src/core/helper/helperProtocol';
import { SECCOMP_TABLE, TIOCSTI } from '../../src/core/helper/seccomp';
import { type HelperRecord, REGISTRY, registryRecords as readRecords, sleep, waitFor as pollFor } from '../vscode/hostState';
import { allPids, childrenOf, processesInNamespaceOf, readStat } from './hostProcs';

const projectRoot = path.resolve(__dirname, '..', '..', '..');
export const helperPath = path.join(projectRoot, 'src', 'helper', 'container-helper.sh');

/** Where the helper, run by root itself (caller uid 0), makes each container's control FIFO, HELPERPID.control. */
export const CONTROL_DIR = '/run/mini-containers/0';

/** The control FIFO of the helper `helperPid`, run by root itself. */
export function controlFifoOf(helperPid: number): string {
  return `${CONTROL_DIR}/${helperPid}.control`;
}

export function requireRoot(): void {
  if (process.getuid?.() !== 0) throw new Error('The integration tests need root: run them as root (CI does).');
}

/** A temp folder for one suite; removed by `cleanup`. */
export function makeTempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `mc-${prefix}-`));
}

export async function makeRootfs(parent: string, name = 'rootfs'): Promise<string> {
  return buildBusyboxRootfs(path.join(parent, name));
}

interface HelperResult {
  /** The helper's PID: files it leaves are named after it. */
  pid: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

interface HelperOptions {
  /** Added to this process's environment. */
  env?: NodeJS.ProcessEnv;
  /** The folder it runs in; this process's by default. */
  cwd?: string;
}

const running = new Set<ChildProcess>();

/** Runs the helper to completion; the child is tracked so a failed test cannot leave it behind. */
export function runHelper(
  args: readonly string[], options: HelperOptions & { timeoutMs?: number } = {},
): Promise<HelperResult> {
  const child = spawnHelper(args, options);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => (stdout += d));
  child.stderr?.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGTERM'), options.timeoutMs ?? 20_000);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ pid: child.pid!, code, signal, stdout, stderr });
    });
  });
}

/** Starts the helper; stdout and stderr are pipes. */
export function spawnHelper(args: readonly string[], { env = {}, cwd }: HelperOptions = {}): ChildProcess {
  const child = spawn('/bin/sh', [helperPath, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  running.add(child);
  child.on('exit', () => running.delete(child));
  return child;
}

/** Ends every helper still running (by PID; the helper ends its container on SIGTERM). */
export async function stopAllHelpers(): Promise<void> {
  for (const child of running) child.kill('SIGTERM');
  await waitFor(() => running.size === 0, 5_000).catch(() => {
    for (const child of running) child.kill('SIGKILL');
  });
}

/** Polls until `check` returns a value other than undefined/false, or rejects after `timeoutMs`. */
export function waitFor<T>(check: () => T | undefined | false, timeoutMs = 5_000, stepMs = 20): Promise<T> {
  return pollFor('a condition', check, timeoutMs, stepMs);
}

export { sleep };

/** Spins (blocking) until `check` is true or `timeoutMs` passes: for hitting a moment a few milliseconds wide. */
export function spinUntil(check: () => boolean, timeoutMs: number): boolean {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) if (check()) return true;
  return false;
}

/**
 * Writes to a FIFO once it exists and has a reader, as a client of the helper's control channel must: the server
 * makes it beside the container's start. Non-blocking, so a dead reader never blocks the event loop, and never
 * creating anything where the FIFO is still missing (appendFileSync would make a plain file there).
 */
export async function writeFifo(fifo: string, text: string): Promise<void> {
  const fd = await waitFor(() => {
    try {
      return fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
    } catch {
      return undefined;
    }
  }, 5_000, 1);
  try {
    fs.writeSync(fd, text);
  } finally {
    fs.closeSync(fd);
  }
}

/** The events of a status file so far; none while it does not exist. */
function statusEvents(statusFile: string): StatusEvent[] {
  try {
    return parseStatusText(fs.readFileSync(statusFile, 'utf8'));
  } catch {
    return [];
  }
}

export function readStarted(statusFile: string): StartedEvent | undefined {
  return statusEvents(statusFile).find((e): e is StartedEvent => e.event === 'started');
}

/** The helper's answers to control-channel requests, in the order written. */
export function signalAnswers(statusFile: string): SignalEvent[] {
  return statusEvents(statusFile).filter((e): e is SignalEvent => e.event === 'signal');
}

/** Waits until the PID namespace of `initPid` holds exactly `count` processes; returns their host PIDs. */
export function waitForNamespaceSize(initPid: number, count: number, timeoutMs = 5_000, stepMs = 20): Promise<number[]> {
  return waitFor(() => {
    const pids = processesInNamespaceOf(initPid);
    return pids.length === count ? pids : undefined;
  }, timeoutMs, stepMs);
}

export function mountTable(): string {
  // Mount IDs and the lines of our own namespace: what a leaked proc or tmpfs would change.
  return fs.readFileSync('/proc/self/mountinfo', 'utf8');
}

/** Mount points (field 5 of mountinfo) under `folder`, as the host sees them. */
export function hostMountsUnder(folder: string): string[] {
  return mountTable().split('\n').map((l) => l.split(' ')[4])
    .filter((m) => m !== undefined && (m === folder || m.startsWith(`${folder}/`)));
}

/** A recursive listing of a folder (path, type, size, mode, mtime), to show that nothing in it changed. */
export function treeSnapshot(root: string, skip: (relative: string) => boolean = () => false): string {
  const lines: string[] = [];
  const walk = (dir: string) => {
    for (const name of fs.readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      const relative = path.relative(root, full);
      if (skip(relative)) continue;
      const st = fs.lstatSync(full);
      const kind = st.isDirectory() ? 'd' : st.isSymbolicLink() ? `l->${fs.readlinkSync(full)}` : st.isFIFO() ? 'p' : 'f';
      lines.push(`${JSON.stringify(relative)} ${kind} ${st.size} ${st.mode.toString(8)} ${st.mtimeMs}`);
      if (st.isDirectory()) walk(full);
    }
  };
  walk(root);
  return lines.join('\n');
}

/** Lines of `after` not in `before` and the reverse, for a readable assertion message. */
export function lineDiff(before: string, after: string): string {
  const a = new Set(before.split('\n'));
  const b = new Set(after.split('\n'));
  return [...[...a].filter((l) => !b.has(l)).map((l) => `- ${l}`), ...[...b].filter((l) => !a.has(l)).map((l) => `+ ${l}`)]
    .join('\n');
}

/** The names in a folder, sorted; none when it does not exist. */
function listDir(dir: string): string[] {
  try {
    return fs.readdirSync(dir).sort();
  } catch {
    return [];
  }
}

/** Names of the helper's registry records (INITPID-STARTTIME.json). */
export function registryRecords(): string[] {
  return listDir(REGISTRY);
}

/** Registry records that name helper PID `helperPid` as theirs. */
export function recordsOfHelper(helperPid: number): HelperRecord[] {
  return readRecords().filter((record) => record.helperPid === helperPid);
}

/** Whether a helper is running as PID `pid` now (its FIFO, `PID.control`, is then legitimately there). */
export function helperRunningAs(pid: number): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes('container-helper');
  } catch {
    return false;
  }
}

/**
 * Files named after one of `helperPids` whose helper is not running any more: control FIFOs (0/PID.control). A
 * helper that was SIGKILLed leaves its FIFO; the next start must prune it.
 */
export function staleFilesOf(helperPids: Iterable<number>): string[] {
  const fifos = new Set(listDir(CONTROL_DIR));
  return [...helperPids].filter((pid) => !helperRunningAs(pid) && fifos.has(`${pid}.control`)).map(controlFifoOf);
}

/** The files a process has open (the targets of /proc/PID/fd/*); none when it is gone. */
function openFiles(pid: number): string[] {
  let fds: string[];
  try {
    fds = fs.readdirSync(`/proc/${pid}/fd`);
  } catch {
    return [];
  }
  return fds.flatMap((fd) => {
    try {
      return [fs.readlinkSync(`/proc/${pid}/fd/${fd}`)];
    } catch {
      return []; // closed meanwhile
    }
  });
}

/**
 * Living processes that hold open the control FIFO of one of `helperPids`, other than that helper itself: the
 * bwrap monitor holds its write end while the container runs. Once the helpers are gone, none may.
 */
export function controlFifoHoldersOf(helperPids: Iterable<number>): number[] {
  const fifos = new Map([...helperPids].map((pid) => [controlFifoOf(pid), pid]));
  return allPids().filter((pid) => {
    const stat = readStat(pid);
    if (stat === undefined || stat.state === 'Z') return false;
    return openFiles(pid).some((file) => {
      const owner = fifos.get(file.replace(/ \(deleted\)$/, ''));
      return owner !== undefined && owner !== pid;
    });
  });
}

/**
 * Waits until helper `helperPid` serves its container's control channel, and returns the bwrap monitor's PID (PID
 * 1's parent). The helper's own shell reads the control requests after it has written the "started" line: by then
 * it holds the FIFO open as its descriptor 6, the line is in `statusFile`, and its only child is the monitor, which
 * has the container's PID 1 as its only child (no short-lived subshell of its checks is left, to be pinned by
 * mistake).
 */
export function controlChannelUp(helperPid: number, statusFile: string, timeoutMs = 5_000): Promise<number> {
  const fifo = controlFifoOf(helperPid);
  const holdsFifo = () => {
    try {
      return fs.readlinkSync(`/proc/${helperPid}/fd/6`) === fifo;
    } catch {
      return false;
    }
  };
  return waitFor(() => {
    const started = readStarted(statusFile);
    if (started === undefined || started.control !== fifo || !holdsFifo()) return undefined;
    const monitor = readStat(started.initPid)?.ppid;
    const children = childrenOf(helperPid);
    if (monitor === undefined || children.length !== 1 || children[0] !== monitor) return undefined;
    const inMonitor = childrenOf(monitor);
    return inMonitor.length === 1 && inMonitor[0] === started.initPid ? monitor : undefined;
  }, timeoutMs, 5).catch(() => {
    throw new Error(`helper ${helperPid} does not serve its control FIFO ${fifo} after ${timeoutMs} ms`);
  });
}

/** Registry records of containers whose rootfs lies in `folder` (a temp folder of the suite): its own, and no other suite's. */
export function recordsUnder(folder: string): HelperRecord[] {
  return readRecords().filter((record) => record.rootfs === folder || record.rootfs.startsWith(`${folder}/`));
}

/**
 * Copies the host's perl (perl-base: on every Debian) and the libraries it loads into `rootfs`, at the same paths,
 * so that a test can make, from inside a container, any system call (`syscall`) or ioctl the filter must refuse.
 */
export function addPerl(rootfs: string): void {
  const ldd = execFileSync('ldd', ['/usr/bin/perl'], { encoding: 'utf8' });
  const libraries = [...ldd.matchAll(/(\/\S+) \(0x/g)].map((m) => m[1]);
  if (!libraries.length) throw new Error(`ldd /usr/bin/perl named no library:\n${ldd}`);
  for (const file of ['/usr/bin/perl', ...libraries]) {
    const target = path.join(rootfs, file);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.copyFileSync(fs.realpathSync(file), target);
    fs.chmodSync(target, 0o755);
  }
}

/**
 * A perl program that prints `keyctl=R` and `tiocsti=R`, R being "ok" or the errno: keyctl(KEYCTL_GET_KEYRING_ID,
 * the session keyring), and ioctl(TIOCSTI) on stdin. Where no filter applies, keyctl works, and TIOCSTI on a stdin
 * that is not a terminal fails with ENOTTY (25); the filter answers EPERM (1) to both before the kernel looks.
 */
export function perlFilterProbe(): string {
  const keyctl = SECCOMP_TABLE.find((r) => r.name === 'keyctl')!.nr[process.arch === 'arm64' ? 'aarch64' : 'x86_64'];
  return `my $k = syscall(${keyctl}, 0, -3, 0); print "keyctl=", ($k == -1 ? $! + 0 : "ok"), "\\n"; ` +
    `my $c = "x"; print "tiocsti=", (ioctl(STDIN, ${TIOCSTI}, $c) ? "ok" : $! + 0), "\\n";`;
}
