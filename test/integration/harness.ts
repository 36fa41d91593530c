// Shared by the integration suites: a real BusyBox rootfs, the real helper and the files it keeps under
// /run/mini-containers, waiting, and cleanup that runs even on failure. What /proc shows of processes is in hostProcs.ts.
import { spawn, ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildBusyboxRootfs } from '../../src/core/busyboxRootfs';
import { parseStatusText, SignalEvent, StartedEvent, StatusEvent } from '../../src/core/helperProtocol';
import { type HelperRecord, REGISTRY, registryRecords as readRecords, sleep, waitFor as pollFor } from '../vscode/hostState';
import { allPids, childrenOf, commandOf, processesInNamespaceOf } from './hostProcs';

const projectRoot = path.resolve(__dirname, '..', '..', '..');
export const helperPath = path.join(projectRoot, 'src', 'helper', 'container-helper.sh');

const RUN_DIR = '/run/mini-containers';
export const CONTROL_DIR = `${RUN_DIR}/control`;

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

/** Whether a helper is running as PID `pid` now (its FIFO, `PID.fifo`, is then legitimately there). */
export function helperRunningAs(pid: number): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes('container-helper');
  } catch {
    return false;
  }
}

/**
 * Files named after one of `helperPids` whose helper is not running any more: control FIFOs
 * (control/PID.fifo) and mount tables (mounts.PID). A helper that was SIGKILLed leaves them; the next start prunes them.
 */
export function staleFilesOf(helperPids: Iterable<number>): string[] {
  const fifos = new Set(listDir(CONTROL_DIR));
  const run = new Set(listDir(RUN_DIR));
  return [...helperPids].filter((pid) => !helperRunningAs(pid)).flatMap((pid) => [
    ...(fifos.has(`${pid}.fifo`) ? [`${CONTROL_DIR}/${pid}.fifo`] : []),
    ...(run.has(`mounts.${pid}`) ? [`${RUN_DIR}/mounts.${pid}`] : []),
  ]);
}

/** Living control servers (`__serve …/control/PID.fifo`) of the helpers `helperPids`. */
export function controlServersOf(helperPids: Iterable<number>): number[] {
  const fifos = [...helperPids].map((pid) => `/control/${pid}.fifo\0`);
  return allPids().filter((pid) => {
    try {
      const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1');
      return cmdline.includes('\0__serve\0') && fifos.some((f) => cmdline.includes(f));
    } catch {
      return false;
    }
  });
}

/**
 * Waits until the control server of helper `helperPid` reads its FIFO: its parent-death signal is set by then (a
 * helper can bring a container up before it even forks the server), and it has no short-lived subshells left from
 * its checks. Returns the server's PID.
 */
export function controlServerUp(helperPid: number, timeoutMs = 5_000): Promise<number> {
  const fifo = `${CONTROL_DIR}/${helperPid}.fifo`;
  const reading = (pid: number) => {
    try {
      return fs.readlinkSync(`/proc/${pid}/fd/5`) === fifo;
    } catch {
      return false;
    }
  };
  return waitFor(() => {
    const server = childrenOf(helperPid).find((pid) => / __serve \//.test(commandOf(pid)) && reading(pid));
    return server !== undefined && childrenOf(server).length === 0 ? server : undefined;
  }, timeoutMs, 5).catch(() => {
    throw new Error(`helper ${helperPid} has no control server reading its FIFO after ${timeoutMs} ms`);
  });
}
