// The remote extension host of one code-server, found through the logs in its user-data folder, and the CPU time
// of a process from /proc. Read only: nothing here ever signals a process.

import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

let clockTicks: number | undefined;

/** USER_HZ, the unit of the times in /proc/PID/stat (100 on Linux, but ask). */
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    const out = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim();
    clockTicks = Number(out) > 0 ? Number(out) : 100;
  }
  return clockTicks;
}

/** utime + stime of `pid` (all its threads) in ms. */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  // "PID (comm) S PPID …": comm may hold spaces and parentheses; utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond();
}

/** CPU ms `pid` used over the next `windowMs`, and the wall ms that window really took. */
export async function cpuOver(pid: number, windowMs: number): Promise<{ cpu: number; wall: number }> {
  const cpu0 = cpuMs(pid);
  const t0 = process.hrtime.bigint();
  await new Promise((resolve) => setTimeout(resolve, windowMs));
  return { cpu: cpuMs(pid) - cpu0, wall: Number(process.hrtime.bigint() - t0) / 1e6 };
}

function cmdline(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return [];
  }
}

interface HostLog {
  /** "session/exthostN": a new one for every extension host, e.g. after a window reload. */
  readonly id: string;
  readonly text: string;
}

/** The newest extension host's log. */
function newestHostLog(userDataDir: string): HostLog | undefined {
  const logs = join(userDataDir, 'logs');
  const hosts: { id: string; order: [string, number]; file: string }[] = [];
  try {
    for (const session of readdirSync(logs)) {
      for (const host of readdirSync(join(logs, session))) {
        const n = /^exthost(\d+)$/.exec(host);
        if (n) hosts.push({ id: `${session}/${host}`, order: [session, Number(n[1])], file: join(logs, session, host, 'remoteexthost.log') });
      }
    }
  } catch {
    return undefined;
  }
  hosts.sort((a, b) => (a.order[0] === b.order[0] ? a.order[1] - b.order[1] : a.order[0] < b.order[0] ? -1 : 1));
  const newest = hosts[hosts.length - 1];
  if (!newest) return undefined;
  try {
    return { id: newest.id, text: readFileSync(newest.file, 'utf8') };
  } catch {
    return undefined;
  }
}

/**
 * Waits until an extension host other than `previous` (an id this returned before) has activated its eager
 * extensions, i.e. has finished starting; returns its id and PID, checked to be a live extension host process.
 */
export async function readyExtensionHost(userDataDir: string, previous?: string, timeoutMs = 60_000): Promise<{ id: string; pid: number }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const log = newestHostLog(userDataDir);
    if (log && log.id !== previous && log.text.includes('Eager extensions activated')) {
      const pid = Number(/Extension host with pid (\d+) started/.exec(log.text)?.[1]);
      if (pid > 0 && cmdline(pid).some((a) => a.includes('--type=extensionHost'))) return { id: log.id, pid };
    }
    if (Date.now() > deadline) throw new Error(`no extension host finished starting within ${timeoutMs / 1000} s (logs in ${userDataDir}/logs)`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
