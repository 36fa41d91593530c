// What the extension-host suites read of the host: /proc and the helper's records, to check the extension
// against the real system.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where the helper records each running container (see src/helper/container-helper.sh). */
export const REGISTRY = '/run/mini-containers/containers';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
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
