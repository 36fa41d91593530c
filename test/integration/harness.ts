// Shared by the integration suites: a real BusyBox rootfs, the real helper, and cleanup that runs even on failure.
import { spawn, ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildBusyboxRootfs } from '../../src/core/busyboxRootfs';
import { parseStatusText, StartedEvent } from '../../src/core/helperProtocol';

export const projectRoot = path.resolve(__dirname, '..', '..', '..');
export const helperPath = path.join(projectRoot, 'src', 'helper', 'container-helper.sh');

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

export interface HelperResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

const running = new Set<ChildProcess>();

/** Runs the helper to completion; the child is tracked so a failed test cannot leave it behind. */
export function runHelper(
  args: readonly string[], options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<HelperResult> {
  const child = spawnHelper(args, options.env);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => (stdout += d));
  child.stderr?.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGTERM'), options.timeoutMs ?? 20_000);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Starts the helper with this process's environment plus `env`. */
export function spawnHelper(args: readonly string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  const child = spawn('/bin/sh', [helperPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
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
export async function waitFor<T>(check: () => T | undefined | false, timeoutMs = 5_000, stepMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
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

export function readStarted(statusFile: string): StartedEvent | undefined {
  let text: string;
  try {
    text = fs.readFileSync(statusFile, 'utf8');
  } catch {
    return undefined;
  }
  return parseStatusText(text).find((e): e is StartedEvent => e.event === 'started');
}

/** Exists and is not a zombie: one reader of /proc/PID/stat for every suite. */
export { alive as isAlive } from '../vscode/hostState';

/** NSpid of a host process: [host PID, …, PID in its own namespace]. */
export function nsPids(pid: number): number[] {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const line = status.split('\n').find((l) => l.startsWith('NSpid:'));
  return line ? line.slice(6).trim().split(/\s+/).map(Number) : [];
}

/** Host PIDs whose PID namespace is that of `initPid`, found by walking /proc. */
export function processesInNamespaceOf(initPid: number): number[] {
  const ns = fs.readlinkSync(`/proc/${initPid}/ns/pid`);
  const found: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (fs.readlinkSync(`/proc/${entry}/ns/pid`) === ns) found.push(Number(entry));
    } catch {
      // vanished while we looked
    }
  }
  return found;
}

export function mountTable(): string {
  // Mount IDs and the lines of our own namespace: what a leaked proc or tmpfs would change.
  return fs.readFileSync('/proc/self/mountinfo', 'utf8');
}

export function registryRecords(): string[] {
  try {
    return fs.readdirSync('/run/mini-containers/containers').sort();
  } catch {
    return [];
  }
}
