// What /proc shows about the host's processes, for the integration suites. Every check reads /proc directly, never
// through the code under test, and every process these helpers end is one the suite started, by PID.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { alive, childrenOf, commandLine, living, nsPids, type Pinned, readStat, type Stat, stillThere } from '../vscode/hostState';

// One process's /proc files as every suite reads them: one reader each, independent of the parsers under test.
export { childrenOf, living, nsPids, readStat, stillThere };
export type { Pinned };

/** Exists and is not a zombie. */
export { alive as isAlive };

export function startTimeOf(pid: number): number {
  const stat = readStat(pid);
  if (stat === undefined) throw new Error(`process ${pid} is gone`);
  return stat.startTime;
}

export function pin(pid: number): Pinned | undefined {
  const stat = readStat(pid);
  return stat && { pid, startTime: stat.startTime };
}

export function allPids(): number[] {
  return fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e)).map(Number);
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

/** The identity (device and inode) of a directory, or of the root directory a process sees, or undefined. */
export function dirIdentity(dir: string): string | undefined {
  try {
    const st = fs.statSync(dir);
    return `${st.dev}:${st.ino}`;
  } catch {
    return undefined;
  }
}

/**
 * Every process whose root directory is `root` or a folder under it (three levels deep at most). bubblewrap
 * pivots into the rootfs, so `readlink /proc/PID/root` says only "/": the directory itself is compared, through
 * the magic link, by device and inode.
 */
export function processesWithRootUnder(root: string): number[] {
  const ids = new Set<string>();
  const walk = (dir: string, depth: number) => {
    const id = dirIdentity(dir);
    if (id) ids.add(id);
    if (depth === 0) return;
    let entries: fs.Dirent[] = [];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) if (e.isDirectory()) walk(path.join(dir, e.name), depth - 1);
  };
  walk(root, 3);
  return allPids().filter((pid) => {
    const id = dirIdentity(`/proc/${pid}/root`);
    return id !== undefined && ids.has(id);
  });
}

/** Every process whose command line contains one of `texts` (e.g. a temp folder of this suite), in one pass. */
export function processesMentioning(...texts: string[]): number[] {
  return allPids().filter((pid) => {
    if (pid === process.pid) return false;
    try {
      const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1');
      return texts.some((text) => cmdline.includes(text));
    } catch {
      return false;
    }
  });
}

/** Zombies whose parent is one of `parents`. */
export function zombiesOf(parents: ReadonlySet<number>): Stat[] {
  return allPids().map(readStat).filter((s): s is Stat => s !== undefined && s.state === 'Z' && parents.has(s.ppid));
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

/** The command line of a process with spaces for NULs, for messages; '?' when it is gone. */
export function commandOf(pid: number): string {
  return commandLine(pid) ?? '?';
}

/** SIGKILLs process `pid`, one the suite started, if it is still there; for cleanup. */
export function killPid(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // ended meanwhile
  }
}

/** SIGKILLs, by PID, each process of `pids` that is still there; for cleanup of processes the suite started. */
export function killPinned(pids: readonly Pinned[]): void {
  for (const p of pids) if (stillThere(p)) killPid(p.pid);
}

/**
 * Cleanup after a failure: SIGKILLs every process rooted in `folder` or whose command line names it. `folder` is
 * a fresh mkdtemp of this suite, so each such process was started by it (a container, a helper, bubblewrap's monitor).
 */
export function killEverythingOf(folder: string): void {
  const pids = new Set([...processesWithRootUnder(folder), ...processesMentioning(folder)]);
  killPinned([...pids].map(pin).filter((p): p is Pinned => p !== undefined));
}
