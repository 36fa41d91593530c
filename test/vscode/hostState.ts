// What the extension-host suites read of the host: /proc and the helper's records, to check the extension
// against the real system.
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

/** Where the helper records each running container (see src/helper/container-helper.sh). */
export const REGISTRY = '/run/mini-containers/containers';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` every `stepMs` until it gives a value (not undefined or false), and returns that value. */
export async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 10_000, stepMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(stepMs);
  }
}

// --- the host's /proc

export interface Stat {
  pid: number;
  state: string;
  ppid: number;
  /** Field 22: clock ticks after boot. */
  startTime: number;
  comm: string;
}

export function readStat(pid: number): Stat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const close = text.lastIndexOf(')');
  // Fields from 3 (state) on; field 22 is at index 19.
  const fields = text.slice(close + 2).split(' ');
  return { pid, state: fields[0], ppid: Number(fields[1]), startTime: Number(fields[19]), comm: text.slice(text.indexOf('(') + 1, close) };
}

/** NSpid of /proc/PID/status: [host PID, …, PID in its own namespace]. Throws when the process is gone. */
export function nsPids(pid: number): number[] {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('NSpid:'));
  return line ? line.slice(6).trim().split(/\s+/).map(Number) : [];
}

/** The command line of a process, its arguments joined by spaces; undefined when it is gone. */
export function commandLine(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').filter(Boolean).join(' ');
  } catch {
    return undefined;
  }
}

/** Host PIDs whose parent is `pid`, from the kernel's list of each of its threads' children. */
export function childrenOf(pid: number): number[] {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  return tasks.flatMap((task) => {
    try {
      const text = readFileSync(`/proc/${pid}/task/${task}/children`, 'latin1').trim();
      return text ? text.split(' ').map(Number) : [];
    } catch {
      return []; // the thread ended
    }
  });
}

/** A process pinned by its start time, so that a reused PID is never mistaken for it. */
export interface Pinned {
  readonly pid: number;
  readonly startTime: number;
}

/** Every process below `pid` (children, their children…), each pinned by its start time; a vanished one is skipped. */
export function descendantsOf(pid: number): Pinned[] {
  const found: Pinned[] = [];
  const queue = childrenOf(pid);
  while (queue.length) {
    const child = queue.shift()!;
    const stat = readStat(child);
    if (!stat) continue;
    found.push({ pid: child, startTime: stat.startTime });
    queue.push(...childrenOf(child));
  }
  return found;
}

/** Whether the pinned process still has an entry in /proc, zombie or not. */
export function stillThere(p: Pinned): boolean {
  return readStat(p.pid)?.startTime === p.startTime;
}

/** Whether the pinned process is still there and not a zombie. */
export function living(p: Pinned): boolean {
  const stat = readStat(p.pid);
  return stat?.startTime === p.startTime && stat.state !== 'Z';
}

/** Runs: exists and is not a zombie (a killed child of the shell stays one until the shell reaps it). */
export function alive(pid: number): boolean {
  const stat = readStat(pid);
  return stat !== undefined && stat.state !== 'Z' && stat.state !== 'X';
}

export interface HelperRecord {
  initPid: number;
  startTime: number;
  name: string;
  rootfs: string;
  hostname: string;
  /** The container's control FIFO. */
  control?: string;
  /** The host PID of the helper that started it. */
  helperPid?: number;
}

/** The names the extension gives the containers, and so the terminals, of `rootfs`: its folder's name and 4 hex digits. */
export function containerNamePattern(rootfs: string): RegExp {
  return new RegExp(`^${basename(rootfs)}-[0-9a-f]{4}$`);
}

/** The helper's records of the containers that run now (other suites may run some at the same time). */
export function registryRecords(): HelperRecord[] {
  let files: string[];
  try {
    files = readdirSync(REGISTRY);
  } catch {
    return [];
  }
  return files.flatMap((file) => {
    try {
      return [JSON.parse(readFileSync(join(REGISTRY, file), 'utf8')) as HelperRecord];
    } catch {
      return []; // half-written or removed meanwhile
    }
  });
}

/** The helper's record of the container called `name`, if it runs. */
export function registryRecord(name: string): HelperRecord | undefined {
  return registryRecords().find((record) => record.name === name);
}
