// What the Containers view says about containers and processes: labels, descriptions and tooltips, kept free of
// vscode so they can be tested with plain fixtures.
import * as fs from 'node:fs';
import type { Container } from './containerModel';
import type { ProcessInfo } from './processScanner';

/** Clock ticks per second of /proc's start times: USER_HZ, 100 on every Linux architecture that matters. */
export const CLOCK_TICKS = 100;

/** When the machine booted, in ms since the epoch, from /proc/stat's btime. */
export function bootTimeMs(procStat = '/proc/stat'): number {
  const line = fs.readFileSync(procStat, 'utf8').split('\n').find((l) => l.startsWith('btime '));
  const seconds = line ? Number(line.slice(6)) : NaN;
  if (!Number.isFinite(seconds)) throw new Error(`${procStat} has no btime line`);
  return seconds * 1000;
}

/** Start time (ticks after boot) → ms since the epoch. */
export function startedAtMs(startTime: number, bootMs: number): number {
  return bootMs + (startTime * 1000) / CLOCK_TICKS;
}

/** "45s", "12m", "3h 05m", "2d 4h". */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

export function containerLabel(c: Container): string {
  return c.name ?? c.hostname ?? `container ${c.initHostPid}`;
}

/** Counts the container's own processes and those of containers nested in it. */
export function containerDescription(c: Container, total: number, nowMs: number, bootMs: number): string {
  const uptime = formatDuration(nowMs - startedAtMs(c.startTime, bootMs));
  const count = `${total} process${total === 1 ? '' : 'es'}`;
  return `PID 1 = host PID ${c.initHostPid} · ${count} · up ${uptime}`;
}

export function containerTooltip(c: Container, nowMs: number, bootMs: number): string {
  const by = c.startedBy === 'mini-containers' ? 'started by Mini Containers' : 'discovered (not started here)';
  return [
    `${containerLabel(c)} — ${by}`,
    `Root filesystem: ${c.rootfs ?? 'unknown'}`,
    `PID 1 = host PID ${c.initHostPid}`,
    c.hostname ? `Hostname: ${c.hostname}` : undefined,
    c.nsInode !== null ? `PID namespace: pid:[${c.nsInode}]` : undefined,
    c.parentInitHostPid !== null ? `Nested in the container whose PID 1 is host PID ${c.parentInitHostPid}` : undefined,
    `Started ${new Date(startedAtMs(c.startTime, bootMs)).toLocaleString()} (up ${formatDuration(nowMs - startedAtMs(c.startTime, bootMs))})`,
  ].filter(Boolean).join('\n');
}

/** The command's program name and arguments, shortened for a tree label. */
export function processLabel(p: ProcessInfo): string {
  return p.command.length > 80 ? `${p.command.slice(0, 79)}…` : p.command;
}

export function processDescription(p: ProcessInfo): string {
  return `PID ${p.nsPid ?? '?'} · host ${p.hostPid} · ${p.user ?? '?'}`;
}

const STATES: Record<string, string> = {
  R: 'running', S: 'sleeping', D: 'uninterruptible sleep', Z: 'zombie', T: 'stopped', t: 'traced', I: 'idle', X: 'dead',
};

export function processTooltip(p: ProcessInfo, bootMs: number): string {
  return [
    p.command,
    `PID ${p.nsPid ?? '?'} in its namespace · host PID ${p.hostPid} · parent host PID ${p.ppid}`,
    `NSpid (host → innermost): ${p.nsPids ? p.nsPids.join(' → ') : 'unreadable'}`,
    `State: ${p.state} (${STATES[p.state] ?? 'unknown'}) · user ${p.user ?? '?'}`,
    `Started ${new Date(startedAtMs(p.startTime, bootMs)).toLocaleString()}`,
    `Memory (RSS): ${formatBytes(p.rssBytes)} · CPU time: ${(p.cpuTicks / CLOCK_TICKS).toFixed(2)} s`,
  ].join('\n');
}

/**
 * The container's processes as a forest by parent: a process whose parent is not in the same container is a root.
 * Returns the roots and a children map, both in host PID order.
 */
export function processForest(processes: readonly ProcessInfo[]): {
  roots: ProcessInfo[];
  children: Map<number, ProcessInfo[]>;
} {
  const inside = new Set(processes.map((p) => p.hostPid));
  const roots: ProcessInfo[] = [];
  const children = new Map<number, ProcessInfo[]>();
  for (const p of processes) {
    if (p.ppid !== p.hostPid && inside.has(p.ppid)) {
      const siblings = children.get(p.ppid);
      if (siblings) siblings.push(p);
      else children.set(p.ppid, [p]);
    } else {
      roots.push(p);
    }
  }
  return { roots, children };
}
