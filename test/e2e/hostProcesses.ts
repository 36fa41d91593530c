// The host's view of a container: the processes whose root directory is the container's rootfs.
import { existsSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { alive, nsPids } from '../vscode/hostState';

export interface HostProcess {
  readonly pid: number;
  /** The PIDs from /proc/PID/status `NSpid`: the host's first, the innermost namespace's last. */
  readonly nsPids: number[];
  readonly command: string;
  /** `/proc/PID/ns/pid`, e.g. "pid:[4026532300]": the same for every process of one container. */
  readonly pidNamespace: string;
}

/** The device and inode of a directory (through /proc/PID/root, the root a process sees), or undefined. */
function dirIdentity(dir: string): string | undefined {
  try {
    const st = statSync(dir);
    return `${st.dev}:${st.ino}`;
  } catch {
    return undefined;
  }
}

/**
 * Processes whose root directory is `rootfs`. bubblewrap pivots into it, so `readlink /proc/PID/root` says only
 * "/": the directory is compared through the magic link, by device and inode.
 */
export function processesRootedIn(rootfs: string): HostProcess[] {
  const root = dirIdentity(rootfs);
  const found: HostProcess[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (root === undefined || dirIdentity(`/proc/${entry}/root`) !== root) continue;
      const command = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
      const pidNamespace = readlinkSync(`/proc/${entry}/ns/pid`);
      found.push({ pid: Number(entry), nsPids: nsPids(Number(entry)), command, pidNamespace });
    } catch {
      // The process ended while we read it (ENOENT, ESRCH): it is not running.
    }
  }
  return found;
}

// Whether a process still runs: it exists and is not a zombie. A container's PID 1 is reparented to the host's
// init when bubblewrap's monitor dies first, and stays a zombie until that init reaps it (on some hosts, a second
// later): it runs nothing any more.
export { alive as isRunning };

/** Last-resort cleanup for a failed test: SIGKILL what still runs in the test's own rootfs, by PID. */
export function killProcessesRootedIn(rootfs: string): number[] {
  if (!existsSync(rootfs)) return [];
  const pids = processesRootedIn(rootfs).map((p) => p.pid);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  return pids;
}
