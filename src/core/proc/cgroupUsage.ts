// What a container costs, as `docker stats` shows it: memory, CPU, processes and their limits, read from the
// container's own cgroup (cgroup v1, v2 or hybrid). A container without a group of its own (one started by hand
// with unshare shares its host shell's) is measured by its processes instead: the sum of their RSS and CPU ticks,
// and the result says so. Missing or unreadable files (the container ended, another user's group) leave that
// figure out; nothing here throws for them.

import * as fs from 'node:fs';
import { CgroupLine, engineAt, parseCgroupLines } from './engineCgroup';
import type { ProcessInfo } from './processScanner';

/** Where the cgroup file systems are mounted. */
export const DEFAULT_CGROUP_ROOT = '/sys/fs/cgroup';

/** Clock ticks per second of /proc/PID/stat's CPU times (USER_HZ). */
const TICKS_PER_SECOND = 100;

/** v1 writes "no limit" as the largest page-aligned signed 64-bit number; anything from 2^62 on is none. */
const V1_NO_LIMIT = 2 ** 62;

/** What a container's own cgroup says; a figure is absent when its file could not be read. */
export interface CgroupFigures {
  /** The container's own group, as its memory (else first) hierarchy names it, e.g. `/docker/<id>`. */
  readonly group: string;
  /** Memory in use, page cache that could be dropped (inactive_file) left out, as docker stats counts it. */
  readonly memoryBytes?: number;
  /** The memory limit; null: none. */
  readonly memoryLimitBytes?: number | null;
  /** Processes (and threads) in the group. */
  readonly pids?: number;
  /** The group's limit on them; null: none. */
  readonly pidsLimit?: number | null;
  /** CPU time used by the group since it was made, in microseconds. */
  readonly cpuUsec?: number;
  /** CPU quota in cores (quota / period, e.g. 1.5); null: none. */
  readonly cpusLimit?: number | null;
  /** How many times the kernel's OOM killer killed a process of the group. */
  readonly oomKills?: number;
}

/** Reads one file's text; undefined when missing or unreadable. Tests pass their own. */
export type ReadText = (file: string) => string | undefined;

/** The real file system: ENOENT, EACCES and the like (the group is gone, or not ours to read) read as undefined. */
export const readTextFile: ReadText = (file) => {
  try {
    return fs.readFileSync(file, 'latin1');
  } catch {
    return undefined;
  }
};

/**
 * The container's own group in one cgroup path: the path up to the innermost segment that names a container's
 * group, or undefined when none does (the host, a container started by hand, `/` in a cgroup namespace).
 *  Mini Containers:   …/mini-containers/<HELPERPID>-<STARTTIME>, …/mini-containers/user-<UID>/<HELPERPID>-<STARTTIME>
 *  Docker, Podman:    as engineCgroup.ts recognises them
 *  systemd-nspawn:    /machine.slice/machine-<name>.scope, /machine.slice/systemd-nspawn@<name>.service
 */
export function ownGroup(path: string): string | undefined {
  const segments = path.split('/');
  let end = -1;
  for (let i = 1; i < segments.length; i++) {
    const s = segments[i];
    const parent = segments[i - 1];
    const grand = segments[i - 2];
    const ours = (parent === 'mini-containers' && !/^user-\d+$/.test(s)) || (grand === 'mini-containers' && /^user-\d+$/.test(parent));
    const nspawn = parent === 'machine.slice' && (/^machine-.+\.scope$/.test(s) || /^systemd-nspawn@.+\.service$/.test(s));
    if (s !== '' && (ours || nspawn || engineAt(segments, i) !== undefined)) end = i;
  }
  return end < 0 ? undefined : segments.slice(0, end + 1).join('/');
}

/** The folder of a controller's files for one process, and which cgroup version lays it out. */
interface Place {
  /** Where its files may be, first the likelier: a combined v1 mount may be named either way (see `place`). */
  readonly dirs: readonly string[];
  readonly v2: boolean;
}

/** How a cgroup root is laid out: whether it is all v2, and else the controllers of its unified hierarchy. */
interface Layout {
  readonly pureV2: boolean;
  readonly unified: readonly string[];
}

/** The layout of each root, by reader: it does not change while the machine runs, so it is read once. */
const layouts = new WeakMap<ReadText, Map<string, Layout>>();

function layoutOf(root: string, read: ReadText): Layout {
  let byRoot = layouts.get(read);
  if (byRoot === undefined) layouts.set(read, (byRoot = new Map()));
  let layout = byRoot.get(root);
  if (layout === undefined) {
    const pureV2 = read(`${root}/cgroup.controllers`) !== undefined;
    const unified = pureV2 ? [] : (read(`${root}/unified/cgroup.controllers`) ?? '').split(/\s+/).filter(Boolean);
    byRoot.set(root, (layout = { pureV2, unified }));
  }
  return layout;
}

/**
 * The container's own cgroup figures from the text of its PID 1's /proc/PID/cgroup, or undefined when it has no
 * group of its own (see `ownGroup`). `root`: where the hierarchies are mounted (tests pass a fixture tree).
 */
export function readCgroupFigures(cgroupText: string, root = DEFAULT_CGROUP_ROOT, read: ReadText = readTextFile): CgroupFigures | undefined {
  const lines = parseCgroupLines(cgroupText);
  const v2Line = lines.find((l) => l.hierarchy === 0);
  const { pureV2, unified } = layoutOf(root, read);
  let group: string | undefined;
  /** Where `controller`'s files are for this process's own group; undefined when it has none there. */
  const place = (controller: string): Place | undefined => {
    if (pureV2) return at(v2Line, [root], true);
    const v1 = lines.find((l) => l.hierarchy !== 0 && l.controllers.includes(controller));
    if (v1 !== undefined) {
      // A combined mount (cpu,cpuacct) is at its joined name, and most systems link each controller's name to it.
      const mounts = [`${root}/${v1.controllers.join(',')}`];
      if (v1.controllers.length > 1) mounts.push(`${root}/${controller}`);
      return at(v1, mounts, false);
    }
    // Hybrid: a controller no v1 hierarchy took may be on the unified one.
    return unified.includes(controller) ? at(v2Line, [`${root}/unified`], true) : undefined;
  };
  const at = (line: CgroupLine | undefined, mounts: string[], v2: boolean): Place | undefined => {
    const own = line !== undefined ? ownGroup(line.path) : undefined;
    if (own === undefined) return undefined;
    group ??= own;
    return { dirs: mounts.map((m) => `${m}${own}`), v2 };
  };

  const memory = place('memory');
  const pids = place('pids');
  const cpu = place('cpu');
  const cpuacct = cpu?.v2 ? cpu : place('cpuacct');
  if (group === undefined) return undefined;
  const figures: { -readonly [K in keyof CgroupFigures]: CgroupFigures[K] } = { group };
  const file = (p: Place | undefined, name: string) => {
    for (const dir of p?.dirs ?? []) {
      const text = read(`${dir}/${name}`);
      if (text !== undefined) return text;
    }
    return undefined;
  };
  if (memory !== undefined) {
    const stat = keyValues(file(memory, 'memory.stat'));
    const used = integer(file(memory, memory.v2 ? 'memory.current' : 'memory.usage_in_bytes'));
    const inactive = stat.get(memory.v2 ? 'inactive_file' : 'total_inactive_file') ?? 0;
    if (used !== undefined) figures.memoryBytes = Math.max(0, used - (inactive < used ? inactive : 0));
    const limit = file(memory, memory.v2 ? 'memory.max' : 'memory.limit_in_bytes');
    figures.memoryLimitBytes = limitOf(limit, memory.v2);
    const events = keyValues(file(memory, memory.v2 ? 'memory.events' : 'memory.oom_control'));
    const oom = events.get('oom_kill');
    if (oom !== undefined) figures.oomKills = oom;
  }
  if (pids !== undefined) {
    figures.pids = integer(file(pids, 'pids.current'));
    figures.pidsLimit = limitOf(file(pids, 'pids.max'), true);
  }
  if (cpuacct !== undefined) {
    if (cpuacct.v2) figures.cpuUsec = keyValues(file(cpuacct, 'cpu.stat')).get('usage_usec');
    else {
      const ns = integer(file(cpuacct, 'cpuacct.usage'));
      figures.cpuUsec = ns === undefined ? undefined : ns / 1000;
    }
  }
  if (cpu !== undefined) {
    if (cpu.v2) {
      const [quota, period] = (file(cpu, 'cpu.max') ?? '').trim().split(/\s+/);
      figures.cpusLimit = quota === 'max' ? null : ratio(integer(quota), integer(period));
    } else {
      const quota = integer(file(cpu, 'cpu.cfs_quota_us'));
      figures.cpusLimit = quota === -1 ? null : ratio(quota, integer(file(cpu, 'cpu.cfs_period_us')));
    }
  }
  for (const key of Object.keys(figures) as (keyof CgroupFigures)[]) if (figures[key] === undefined) delete figures[key];
  return figures;
}

/** A file of one integer (possibly negative); undefined when absent or not a number. */
function integer(text: string | undefined): number | undefined {
  const t = text?.trim();
  return t !== undefined && /^-?\d+$/.test(t) ? Number(t) : undefined;
}

/** `KEY VALUE` lines (memory.stat, cpu.stat, memory.events, memory.oom_control). */
function keyValues(text: string | undefined): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of (text ?? '').split('\n')) {
    const [key, value] = line.trim().split(/\s+/);
    if (key && value !== undefined && /^\d+$/.test(value)) values.set(key, Number(value));
  }
  return values;
}

/** A limit file: "max" (v2) or a value from 2^62 on (v1) is none (null); undefined when unreadable. */
function limitOf(text: string | undefined, v2: boolean): number | null | undefined {
  if (text?.trim() === 'max') return null;
  const n = integer(text);
  if (n === undefined) return undefined;
  return !v2 && n >= V1_NO_LIMIT ? null : n;
}

function ratio(quota: number | undefined, period: number | undefined): number | undefined {
  return quota === undefined || period === undefined || period <= 0 || quota < 0 ? undefined : quota / period;
}

/** What a container costs, as the Containers view, the picture and `ps --json` show it. */
export interface ContainerUsage {
  /** Memory in use, in bytes; null when unknown. */
  readonly memoryBytes: number | null;
  /** Where the memory figure comes from: its own cgroup, or the sum of its processes' RSS (a rougher figure). */
  readonly memorySource: 'cgroup' | 'rss';
  /** Its memory limit; null: none, or not known. */
  readonly memoryLimitBytes: number | null;
  /** Processes in its cgroup (threads included); with no group, its processes counted. */
  readonly pids: number | null;
  /** Its cgroup's limit on processes; null: none or not known. */
  readonly pidsLimit: number | null;
  /** Its CPU quota in cores (e.g. 1.5); null: none or not known. */
  readonly cpusLimit: number | null;
  /**
   * CPU in use, 100 = one core busy: since the previous reading of the same container, or at the first one, on
   * average since it started. Null when not known.
   */
  readonly cpuPercent: number | null;
  /** OOM kills in its cgroup; null without a group. */
  readonly oomKills: number | null;
}

/** What one process costs. */
export interface ProcessUsage {
  readonly rssBytes: number;
  /** As ContainerUsage.cpuPercent, from the process's CPU ticks. */
  readonly cpuPercent: number | null;
}

/** The container, and what the meter needs of it: its processes, those of containers nested in it included. */
export interface MeteredContainer {
  readonly key: string;
  readonly initHostPid: number;
  /** Start time of the init, in clock ticks after boot. */
  readonly startTime: number;
  /** Its processes and those of containers nested in it. */
  readonly processes: readonly ProcessInfo[];
}

/** Where and how a meter reads. */
export interface MeterOptions {
  /** The /proc mount whose PIDs the containers name. Default /proc. */
  readonly procRoot?: string;
  /** Where the cgroup hierarchies are mounted. Default /sys/fs/cgroup. */
  readonly cgroupRoot?: string;
  readonly read?: ReadText;
  /** Milliseconds since the epoch. Default Date.now. */
  readonly now?: () => number;
  /** When the machine booted, ms since the epoch: turns start times into dates for the first reading. */
  readonly bootMs: number;
}

interface Reading {
  readonly atMs: number;
  readonly cpuUsec: number;
}

interface ProcessReading extends Reading {
  readonly cpuPercent: number | null;
}

/**
 * Reads containers' usage and keeps each one's last reading (and each process's), so that CPU % is over the time
 * between two readings. Forgets the containers and processes that were not in the last reading.
 */
export class UsageMeter {
  private containers = new Map<string, Reading>();
  private processes = new Map<string, ProcessReading>();
  /** The cgroup text of each container that has a group of its own: a process keeps the group it was put in. */
  private cgroupTexts = new Map<string, string>();
  private readonly procRoot: string;
  private readonly cgroupRoot: string;
  private readonly read: ReadText;
  private readonly now: () => number;

  constructor(private readonly options: MeterOptions) {
    this.procRoot = (options.procRoot ?? '/proc').replace(/\/+$/, '');
    this.cgroupRoot = (options.cgroupRoot ?? DEFAULT_CGROUP_ROOT).replace(/\/+$/, '');
    this.read = options.read ?? readTextFile;
    this.now = options.now ?? Date.now;
  }

  /**
   * One reading of every container given: the same object for a process in several (nested) containers.
   * `processesFresh` false: the processes' CPU ticks and RSS are as of an older scan (a light poll): the figures
   * that come from them keep their last values, and the next fresh reading measures from the last fresh one.
   */
  measure(containers: readonly MeteredContainer[], processesFresh = true): {
    containers: Map<string, ContainerUsage>;
    processes: Map<string, ProcessUsage>;
  } {
    const atMs = this.now();
    const processes = new Map<string, ProcessUsage>();
    const nextProcesses = new Map<string, ProcessReading>();
    const processUsage = (p: ProcessInfo): ProcessUsage => {
      const key = processKey(p);
      const last = this.processes.get(key);
      let reading: ProcessReading;
      if (!processesFresh && last !== undefined) reading = last;
      else {
        const cpuUsec = (p.cpuTicks * 1_000_000) / TICKS_PER_SECOND;
        const since = last ?? { atMs: this.startedAtMs(p.startTime), cpuUsec: 0 };
        reading = { atMs, cpuUsec, cpuPercent: percent(cpuUsec - since.cpuUsec, atMs - since.atMs) };
      }
      nextProcesses.set(key, reading);
      const usage = { rssBytes: p.rssBytes, cpuPercent: reading.cpuPercent };
      processes.set(key, usage);
      return usage;
    };

    const result = new Map<string, ContainerUsage>();
    const nextContainers = new Map<string, Reading>();
    const nextTexts = new Map<string, string>();
    for (const c of containers) {
      let text = this.cgroupTexts.get(c.key);
      text ??= this.read(`${this.procRoot}/${c.initHostPid}/cgroup`);
      const figures = text === undefined ? undefined : readCgroupFigures(text, this.cgroupRoot, this.read);
      if (figures !== undefined && text !== undefined) nextTexts.set(c.key, text);
      const own = c.processes.map(processUsage);
      let cpuPercent: number | null;
      const last = this.containers.get(c.key);
      if (figures?.cpuUsec !== undefined) {
        const cpuUsec = figures.cpuUsec;
        const since = last ?? { atMs: this.startedAtMs(c.startTime), cpuUsec: 0 };
        cpuPercent = percent(cpuUsec - since.cpuUsec, atMs - since.atMs);
        nextContainers.set(c.key, { atMs, cpuUsec });
      } else {
        // Its processes' ticks: the sum of each one's share (a process new since the last reading: over its life).
        cpuPercent = own.length === 0 ? null : own.reduce((sum, u) => sum + (u.cpuPercent ?? 0), 0);
      }
      const rss = own.reduce((sum, u) => sum + u.rssBytes, 0);
      const cgroupMemory = figures?.memoryBytes;
      result.set(c.key, {
        memoryBytes: cgroupMemory ?? (own.length ? rss : null),
        memorySource: cgroupMemory !== undefined ? 'cgroup' : 'rss',
        memoryLimitBytes: figures?.memoryLimitBytes ?? null,
        pids: figures?.pids ?? (figures === undefined ? c.processes.length : null),
        pidsLimit: figures?.pidsLimit ?? null,
        cpusLimit: figures?.cpusLimit ?? null,
        cpuPercent,
        oomKills: figures?.oomKills ?? null,
      });
    }
    this.containers = nextContainers;
    this.processes = nextProcesses;
    this.cgroupTexts = nextTexts;
    return { containers: result, processes };
  }

  private startedAtMs(startTime: number): number {
    return this.options.bootMs + (startTime * 1000) / TICKS_PER_SECOND;
  }
}

/** A process's key in a meter's results: host PID and start time, as PIDs are reused. */
export function processKey(p: Pick<ProcessInfo, 'hostPid' | 'startTime'>): string {
  return `${p.hostPid}:${p.startTime}`;
}

/** CPU microseconds over wall milliseconds, in percent of one core; null when no time passed. */
function percent(cpuUsec: number, wallMs: number): number | null {
  if (!(wallMs > 0)) return null;
  return Math.max(0, (cpuUsec / 1000 / wallMs) * 100);
}
