// The remote extension host of one code-server, found through the logs in its user-data folder, and the CPU time
// of a process from /proc. Read only: nothing here ever signals a process.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseStat } from '../../src/core/proc/procParse';
import { CLOCK_TICKS } from '../../src/core/model/treeText';
import { commandLine, waitFor } from '../vscode/hostState';

/** utime + stime of `pid` (all its threads) in ms. */
function cpuMs(pid: number): number {
  const stat = parseStat(readFileSync(`/proc/${pid}/stat`, 'latin1'));
  if (!stat) throw new Error(`cannot parse /proc/${pid}/stat`);
  return (stat.cpuTicks * 1000) / CLOCK_TICKS;
}

/** CPU ms `pid` used over the next `windowMs`, and the wall ms that window really took. */
export async function cpuOver(pid: number, windowMs: number): Promise<{ cpu: number; wall: number }> {
  const cpu0 = cpuMs(pid);
  const t0 = process.hrtime.bigint();
  await new Promise((resolve) => setTimeout(resolve, windowMs));
  return { cpu: cpuMs(pid) - cpu0, wall: Number(process.hrtime.bigint() - t0) / 1e6 };
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
export function readyExtensionHost(userDataDir: string, previous?: string, timeoutMs = 60_000): Promise<{ id: string; pid: number }> {
  return waitFor(`an extension host to finish starting (logs in ${userDataDir}/logs)`, () => {
    const log = newestHostLog(userDataDir);
    if (!log || log.id === previous || !log.text.includes('Eager extensions activated')) return undefined;
    const pid = Number(/Extension host with pid (\d+) started/.exec(log.text)?.[1]);
    return pid > 0 && commandLine(pid)?.includes('--type=extensionHost') ? { id: log.id, pid } : undefined;
  }, timeoutMs, 100);
}
