// What the Containers view says about containers and processes: labels, descriptions and tooltips, kept free of
// vscode so they can be tested with plain fixtures.
import type { Container } from './containerModel';
import { english, type Localize } from '../localize';
import type { ProcessInfo } from '../proc/processScanner';
import { engineTitle, shortId } from '../engines/engineCli';

/** Clock ticks per second of /proc's start times: USER_HZ, 100 on every Linux architecture that matters. */
export const CLOCK_TICKS = 100;

/** Start time (ticks after boot) → ms since the epoch. */
export function startedAtMs(startTime: number, bootMs: number): number {
  return bootMs + (startTime * 1000) / CLOCK_TICKS;
}

/** "45s", "12m", "3h 05m", "2d 4h" (in English). */
export function formatDuration(ms: number, t: Localize = english): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return t('{0}s', s);
  const m = Math.floor(s / 60);
  if (m < 60) return t('{0}m', m);
  const h = Math.floor(m / 60);
  if (h < 24) return t('{0}h {1}m', h, String(m % 60).padStart(2, '0'));
  return t('{0}d {1}h', Math.floor(h / 24), h % 24);
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

/** The engine's name for a Docker or Podman container (its short id until known), else the helper's name. */
export function containerLabel(c: Container, t: Localize = english): string {
  if (c.engine !== null) return c.engine.name ?? shortId(c.engine.id);
  return c.name ?? c.hostname ?? t('container {0}', c.initHostPid);
}

/** "Docker · debian:12", or just "Docker" while the image is not known; undefined for other containers. */
export function engineWords(c: Container): string | undefined {
  if (c.engine === null) return undefined;
  return c.engine.image !== null ? `${engineTitle(c.engine.kind)} · ${c.engine.image}` : engineTitle(c.engine.kind);
}

/** Counts the container's own processes and those of containers nested in it. */
export function containerDescription(c: Container, total: number, nowMs: number, bootMs: number, t: Localize = english): string {
  const uptime = formatDuration(nowMs - startedAtMs(c.startTime, bootMs), t);
  const count = total === 1 ? t('1 process') : t('{0} processes', total);
  const pids = t('PID 1 = host PID {0} · {1} · up {2}', c.initHostPid, count, uptime);
  const engine = engineWords(c);
  if (engine !== undefined) return `${engine} · ${pids}`;
  return c.ephemeral ? `${t('throw-away')} · ${pids}` : pids;
}

/** The network line of a container started by the helper: which network, and what it publishes. */
export function networkText(network: string, publish: readonly string[], t: Localize = english): string {
  const which = network === 'host' ? t("Network: the host's (without raw sockets)")
    : network === 'none' ? t('Network: none (only lo)')
    : network === 'private' ? t('Network: private (tap0, through a user-mode stack)')
    : t('Network: {0}', network);
  if (publish.length === 0) return which;
  const ports = publish.map((p) => { const [host, port] = p.split(':'); return `127.0.0.1:${host} → ${port}`; }).join(', ');
  return `${which}\n${t('Publishes: {0}', ports)}`;
}

/** `locale` formats the start date (VS Code's display language, e.g. "fr"); default: Node's. */
export function containerTooltip(c: Container, nowMs: number, bootMs: number, t: Localize = english, locale?: string): string {
  const by = c.startedBy === 'mini-containers' ? t('started by Mini Containers') : t('discovered (not started here)');
  const started = new Date(startedAtMs(c.startTime, bootMs)).toLocaleString(locale);
  return [
    `${containerLabel(c, t)} — ${by}`,
    c.engine !== null ? t('{0} container {1}', engineTitle(c.engine.kind), shortId(c.engine.id)) : undefined,
    c.engine !== null ? t('Image: {0}', c.engine.image ?? t('unknown')) : undefined,
    c.engine === null ? t('Root filesystem: {0}', c.rootfs ?? t('unknown')) : undefined,
    t('PID 1 = host PID {0}', c.initHostPid),
    c.hostname ? t('Hostname: {0}', c.hostname) : undefined,
    c.network !== null ? networkText(c.network, c.publish, t) : undefined,
    c.ephemeral ? t('Throw-away: its changes to the root filesystem vanish when it ends; the rootfs itself is never written.') : undefined,
    c.nsInode !== null ? t('PID namespace: pid:[{0}]', c.nsInode) : undefined,
    c.parentInitHostPid !== null ? t('Nested in the container whose PID 1 is host PID {0}', c.parentInitHostPid) : undefined,
    t('Started {0} (up {1})', started, formatDuration(nowMs - startedAtMs(c.startTime, bootMs), t)),
  ].filter(Boolean).join('\n');
}

/**
 * The command's program name and arguments, shortened for a tree label. A zombie has no command line left (ps
 * shows `[sleep]`): it is labelled by the name the kernel keeps, and its description says what it is.
 */
export function processLabel(p: ProcessInfo): string {
  if (p.state === 'Z') return p.comm;
  const command = commandText(p);
  return command.length > 80 ? `${command.slice(0, 79)}…` : command;
}

/**
 * The command line, or the comm when it was not read: only a host process's can be missing (ProcessInfo.command),
 * and the scanner reads it for those that hold a container.
 */
export function commandText(p: Pick<ProcessInfo, 'command' | 'comm'>): string {
  return p.command ?? p.comm;
}

/** Its PIDs and its user; for a zombie, instead of the user, that it waits to be reaped (`zombieWords`). */
export function processDescription(p: ProcessInfo, t: Localize = english): string {
  return t('PID {0} · host {1} · {2}', p.nsPid ?? '?', p.hostPid, p.state === 'Z' ? zombieWords(p.ppid, t) : p.user ?? '?');
}

/**
 * What a zombie (state Z) is, in the tree's description and the picture's row alike. `parentHostPid` is the host
 * PID of its parent; the picture passes "{0}" and puts each row's in.
 */
export function zombieWords(parentHostPid: number | string, t: Localize = english): string {
  return t('exited, waiting for its parent (host PID {0}) to reap it', parentHostPid);
}

/** Why a zombie stays listed: the lesson's material, for the tree's tooltip and the picture's. */
export function zombieWhy(t: Localize = english): string {
  return t(
    'A zombie: it has ended, but the kernel keeps its PID and exit status until its parent collects them with wait(). ' +
      "A shell reaps its jobs before its next prompt; in a container, PID 1 adopts the orphans and must reap them too.",
  );
}

/** ps's one-letter states in words. */
function stateName(state: string, t: Localize): string {
  switch (state) {
    case 'R': return t('running');
    case 'S': return t('sleeping');
    case 'D': return t('uninterruptible sleep');
    case 'Z': return t('zombie');
    case 'T': return t('stopped');
    case 't': return t('traced');
    case 'I': return t('idle');
    case 'X': return t('dead');
  }
  return t('unknown');
}

export function processTooltip(p: ProcessInfo, bootMs: number, t: Localize = english, locale?: string): string {
  return [
    commandText(p),
    t('PID {0} in its namespace · host PID {1} · parent host PID {2}', p.nsPid ?? '?', p.hostPid, p.ppid),
    t('NSpid (host → innermost): {0}', p.nsPids ? p.nsPids.join(' → ') : t('unreadable')),
    t('State: {0} ({1}) · user {2}', p.state, stateName(p.state, t), p.user ?? '?'),
    t('Started {0}', new Date(startedAtMs(p.startTime, bootMs)).toLocaleString(locale)),
    t('Memory (RSS): {0} · CPU time: {1} s', formatBytes(p.rssBytes), (p.cpuTicks / CLOCK_TICKS).toFixed(2)),
    p.state === 'Z' ? zombieWhy(t) : undefined,
  ].filter(Boolean).join('\n');
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
  // In the container's order, PID 1 first: /proc lists by host PID, and host PIDs wrap around (pid_max) where
  // the container's own PIDs have not, so its PID 1 may come after its children there.
  const byNsPid = (a: ProcessInfo, b: ProcessInfo) => (a.nsPid ?? Infinity) - (b.nsPid ?? Infinity) || a.hostPid - b.hostPid;
  roots.sort(byNsPid);
  for (const siblings of children.values()) siblings.sort(byNsPid);
  return { roots, children };
}
