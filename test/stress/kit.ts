// Sizes and /proc observations shared by the reliability suites (test/integration/reliability, hostile, pidReuse).
// Every check reads /proc directly, never through the code under test, and every process it ends is one the suite
// started (found by a path only this suite's temp folder has), by PID.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readStat, type Stat } from '../vscode/hostState';

/** `npm run stress` sets MC_STRESS=1: full size. Otherwise a size that keeps `npm run test:integration` short. */
export const FULL = process.env.MC_STRESS === '1';

export function sized(ci: number, full: number): number {
  return FULL ? full : ci;
}

export const RUN_DIR = '/run/mini-containers';
export const CONTROL_DIR = '/run/mini-containers/control';
export const REGISTRY_DIR = '/run/mini-containers/containers';

// /proc/PID/stat as every suite reads it: one reader, independent of the parser under test.
export { readStat };
export type { Stat };

export function startTimeOf(pid: number): number {
  const stat = readStat(pid);
  if (stat === undefined) throw new Error(`process ${pid} is gone`);
  return stat.startTime;
}

/** A process pinned by its start time, so that a reused PID is never mistaken for it. */
export interface Pinned {
  pid: number;
  startTime: number;
}

export function pin(pid: number): Pinned | undefined {
  const stat = readStat(pid);
  return stat && { pid, startTime: stat.startTime };
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

export function allPids(): number[] {
  return fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e)).map(Number);
}

/** Every process whose root directory (readlink /proc/PID/root) is `root` or lies under it. */
export function processesWithRootUnder(root: string): number[] {
  return allPids().filter((pid) => {
    try {
      const link = fs.readlinkSync(`/proc/${pid}/root`);
      return link === root || link.startsWith(`${root}/`) || link.startsWith(`${root} (deleted)`);
    } catch {
      return false;
    }
  });
}

/** Every process whose command line contains `text` (e.g. a temp folder of this suite). */
export function processesMentioning(text: string): number[] {
  return allPids().filter((pid) => {
    if (pid === process.pid) return false;
    try {
      return fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes(text);
    } catch {
      return false;
    }
  });
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

/** Zombies whose parent is one of `parents`. */
export function zombiesOf(parents: ReadonlySet<number>): Stat[] {
  return allPids().map(readStat).filter((s): s is Stat => s !== undefined && s.state === 'Z' && parents.has(s.ppid));
}

export function childrenOf(pid: number): number[] {
  const out: number[] = [];
  let tasks: string[];
  try {
    tasks = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const task of tasks) {
    try {
      const text = fs.readFileSync(`/proc/${pid}/task/${task}/children`, 'latin1').trim();
      if (text) out.push(...text.split(' ').map(Number));
    } catch {
      // the task ended
    }
  }
  return out;
}

/** `pid` and all its descendants, pinned. */
export function pinTree(pid: number): Pinned[] {
  const out: Pinned[] = [];
  const queue = [pid];
  while (queue.length) {
    const next = queue.shift()!;
    const p = pin(next);
    if (p === undefined) continue;
    out.push(p);
    queue.push(...childrenOf(next));
  }
  return out;
}

/** SIGKILLs, by PID, each process of `pids` that is still there; for cleanup of processes the suite started. */
export function killPinned(pids: readonly Pinned[]): void {
  for (const p of pids) {
    if (!stillThere(p)) continue;
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // ended meanwhile
    }
  }
}

/**
 * Cleanup after a failure: SIGKILLs every process rooted in `folder` or whose command line names it. `folder` is
 * a fresh mkdtemp of this suite, so each such process was started by it (a container, a helper, a supervisor).
 */
export function killEverythingOf(folder: string): void {
  const pids = new Set([...processesWithRootUnder(folder), ...processesMentioning(folder)]);
  killPinned([...pids].map(pin).filter((p): p is Pinned => p !== undefined));
}

/** The command line of a process with spaces for NULs, for messages; '?' when it is gone. */
export function commandOf(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').join(' ').trim();
  } catch {
    return '?';
  }
}

/**
 * Waits until the control server of helper `helperPid` reads its FIFO: its parent-death signal is set by then (a
 * helper can bring a container up before it even forks the server), and it has no short-lived subshells left from
 * its checks. Returns the server's PID.
 */
export async function controlServerUp(helperPid: number, timeoutMs = 5_000): Promise<number> {
  const fifo = `${CONTROL_DIR}/${helperPid}.fifo`;
  const reading = (pid: number) => {
    try {
      return fs.readlinkSync(`/proc/${pid}/fd/5`) === fifo;
    } catch {
      return false;
    }
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const server = childrenOf(helperPid).find((pid) => / __serve \//.test(commandOf(pid)) && reading(pid));
    if (server !== undefined && childrenOf(server).length === 0) return server;
    if (Date.now() > deadline) throw new Error(`helper ${helperPid} has no control server reading its FIFO after ${timeoutMs} ms`);
    await sleep(5);
  }
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

/** Mount points (field 5 of mountinfo) under `folder`, as the host sees them. */
export function hostMountsUnder(folder: string): string[] {
  return fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4])
    .filter((m) => m !== undefined && (m === folder || m.startsWith(`${folder}/`)));
}

export function listDir(dir: string): string[] {
  try {
    return fs.readdirSync(dir).sort();
  } catch {
    return [];
  }
}

/** Registry records (name → text) whose content names helper PID `helperPid`. */
export function recordsOfHelper(helperPid: number): string[] {
  return listDir(REGISTRY_DIR).filter((name) => {
    try {
      return fs.readFileSync(path.join(REGISTRY_DIR, name), 'utf8').includes(`"helperPid":${helperPid}}`);
    } catch {
      return false;
    }
  });
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

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Spins (blocking) until `check` is true or `timeoutMs` passes: for hitting a moment a few milliseconds wide. */
export function spinUntil(check: () => boolean, timeoutMs: number): boolean {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) if (check()) return true;
  return false;
}
