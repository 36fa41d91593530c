// The model of "Show Namespaces": the two views of the same processes, built from the Containers view's model.
// Each container is a frame holding its processes with every level of their NSpid (host PID first), the frames
// of the containers nested in it, and above it the host-side chain that holds it. The webview repaints a frame
// only when its part of the picture changed (diffPictures).

import type { ContainerModel } from './containerModel';
import { HolderRole, hostChain } from './hostChain';
import type { ProcessInfo } from '../proc/processScanner';
import { commandText, containerLabel } from './treeText';
import type { ContainerUsage } from '../proc/cgroupUsage';
import { containerUsageWords } from './usageText';
import { english, type Localize } from '../localize';

/** A lesson's fact about one number: what the reader of the two terminals had to work out. */
export type PictureFact =
  /** The process is PID 1 of this namespace (the last NSpid entry is 1). */
  | 'init'
  /** The process exists only on the host side: no number in the container's namespace. */
  | 'hostOnly'
  /** The process has ended and waits for its parent to reap it (state Z): the row goes once it is reaped. */
  | 'zombie';

/** One process of a container, with the PID it has at every level. */
export interface PictureProcess {
  /** `hostPid:startTime`: identifies the process across PID reuse. */
  readonly id: string;
  readonly hostPid: number;
  readonly startTime: number;
  /** NSpid: the host's PID first, then one per namespace down to the process's own. */
  readonly pids: readonly number[];
  /** Host PID of the parent: the webview draws children under it. */
  readonly ppid: number;
  readonly command: string;
  readonly user: string | null;
  readonly state: string;
  readonly facts: readonly PictureFact[];
}

/** One host process that holds a container: it has a host PID only. */
export interface PictureHolder {
  readonly id: string;
  readonly hostPid: number;
  readonly role: HolderRole;
  readonly command: string;
  readonly facts: readonly PictureFact[];
}

/** One PID namespace below the host's. */
export interface PictureContainer {
  readonly key: string;
  readonly label: string;
  /** 1 for a container of the host, 2 for one nested in it, …: its processes have depth + 1 PIDs. */
  readonly depth: number;
  /** Key of the container it is nested in, or null. */
  readonly parentKey: string | null;
  readonly initHostPid: number;
  readonly startedHere: boolean;
  /** Its network from the helper's record (host, none, private), or null; and what it publishes ("HOSTPORT:PORT"). */
  readonly network: string | null;
  readonly publish: readonly string[];
  /** What it costs, in words ("12 MiB · 3.2% CPU", ≈ for an RSS sum); null when not measured. */
  readonly usage: string | null;
  /** The host-side chain that holds it, outermost first; empty for nested containers. */
  readonly holders: readonly PictureHolder[];
  /** Its own processes (not those of nested containers), by host PID. */
  readonly processes: readonly PictureProcess[];
}

/** The whole picture of one scan. */
export interface Picture {
  /** Containers in tree order: each followed by those nested in it. */
  readonly containers: readonly PictureContainer[];
  /** Host processes in no container and holding none: the webview shows only their count until asked. */
  readonly hostOnlyCount: number;
}

/**
 * Builds the picture of one Containers-view model. `processes` is the scan the model was built from; `usage` what
 * each container cost at that scan (ContainersProvider.usage), by key.
 */
export function buildPicture(
  model: ContainerModel, processes: ReadonlyMap<number, ProcessInfo>, usage?: ReadonlyMap<string, ContainerUsage>, t: Localize = english,
): Picture {
  let held = 0;
  const containers = model.containers.map((c): PictureContainer => {
    const holders = c.parentKey === null ? hostChain(c.initHostPid, processes) : [];
    held += holders.length;
    return {
      key: c.key,
      label: containerLabel(c),
      depth: c.depth,
      parentKey: c.parentKey,
      initHostPid: c.initHostPid,
      startedHere: c.startedBy === 'mini-containers',
      network: c.network,
      publish: c.publish,
      usage: usageWords(usage?.get(c.key), t),
      holders: holders.map(({ process: p, role }) => ({
        id: `${p.hostPid}:${p.startTime}`, hostPid: p.hostPid, role, command: commandText(p), facts: ['hostOnly'],
      })),
      processes: c.processes.map(pictureProcess),
    };
  });
  let inContainers = 0;
  for (const key of model.containerOf.values()) if (key !== null) inContainers++;
  return { containers, hostOnlyCount: Math.max(0, processes.size - inContainers - held) };
}

function usageWords(u: ContainerUsage | undefined, t: Localize): string | null {
  const words = u !== undefined ? containerUsageWords(u, t) : '';
  return words || null;
}

function pictureProcess(p: ProcessInfo): PictureProcess {
  const pids = p.nsPids ?? [p.hostPid];
  const facts: PictureFact[] = [];
  if (pids.length > 1 && pids[pids.length - 1] === 1) facts.push('init');
  if (p.state === 'Z') facts.push('zombie');
  return {
    id: `${p.hostPid}:${p.startTime}`,
    hostPid: p.hostPid,
    startTime: p.startTime,
    pids,
    ppid: p.ppid,
    command: commandText(p),
    user: p.user,
    state: p.state,
    facts,
  };
}

/** What the webview must repaint to go from one picture to the next. */
export interface PictureUpdate {
  /** Every container's key in tree order (the webview reorders and drops frames by it). */
  readonly order: readonly string[];
  /** Containers that are new or whose frame shows something else. */
  readonly changed: readonly PictureContainer[];
  /** Keys of containers that are gone. */
  readonly removed: readonly string[];
  readonly hostOnlyCount: number;
}

/** The containers that differ between two pictures; with no previous one, every container is changed. */
export function diffPictures(previous: Picture | undefined, next: Picture): PictureUpdate {
  const before = new Map((previous?.containers ?? []).map((c) => [c.key, c]));
  const changed = next.containers.filter((c) => {
    const old = before.get(c.key);
    return old === undefined || !sameContainer(old, c);
  });
  const keys = new Set(next.containers.map((c) => c.key));
  return {
    order: next.containers.map((c) => c.key),
    changed,
    removed: [...before.keys()].filter((key) => !keys.has(key)),
    hostOnlyCount: next.hostOnlyCount,
  };
}

/** Whether an update repaints nothing. */
export function isEmptyUpdate(update: PictureUpdate, previous: Picture | undefined): boolean {
  return update.changed.length === 0 && update.removed.length === 0 && previous !== undefined &&
    previous.hostOnlyCount === update.hostOnlyCount &&
    previous.containers.length === update.order.length && previous.containers.every((c, i) => c.key === update.order[i]);
}

function sameContainer(a: PictureContainer, b: PictureContainer): boolean {
  return a.label === b.label && a.depth === b.depth && a.parentKey === b.parentKey && a.startedHere === b.startedHere &&
    a.network === b.network && a.publish.join(' ') === b.publish.join(' ') && a.usage === b.usage &&
    a.holders.length === b.holders.length && a.holders.every((h, i) => sameHolder(h, b.holders[i])) &&
    a.processes.length === b.processes.length && a.processes.every((p, i) => sameProcess(p, b.processes[i]));
}

function sameHolder(a: PictureHolder, b: PictureHolder): boolean {
  return a.id === b.id && a.role === b.role && a.command === b.command;
}

function sameProcess(a: PictureProcess, b: PictureProcess): boolean {
  return a.id === b.id && a.ppid === b.ppid && a.command === b.command && a.user === b.user && a.state === b.state &&
    a.pids.length === b.pids.length && a.pids.every((pid, i) => pid === b.pids[i]);
}

/** A host process in no container, as the filtered list shows it. */
export interface HostOnlyProcess {
  readonly hostPid: number;
  readonly command: string;
  readonly user: string | null;
}

/**
 * The host's own processes (in no container, holding none) whose host PID or command line contains `filter`
 * (case-insensitive), at most `limit` of them by host PID, and how many matched in all. Only this list is sent to
 * the webview, so a host with thousands of processes costs it a count and a page. A scan leaves a host process's
 * command line and user unread: `details` (ProcessScanner.details) reads them, for the processes shown, and for
 * every one whose PID does not match when there is a filter; undefined from it (the process ended) keeps `p`.
 */
export function filterHostOnly(
  model: ContainerModel,
  processes: ReadonlyMap<number, ProcessInfo>,
  picture: Picture,
  filter: string,
  limit: number,
  details: (p: ProcessInfo) => ProcessInfo | undefined = (p) => p,
): { matched: number; shown: HostOnlyProcess[] } {
  const holders = new Set(picture.containers.flatMap((c) => c.holders.map((h) => h.hostPid)));
  const needle = filter.trim().toLowerCase();
  const shown: HostOnlyProcess[] = [];
  let matched = 0;
  for (const listed of processes.values()) {
    if (model.containerOf.get(listed.hostPid) != null || holders.has(listed.hostPid)) continue;
    let p: ProcessInfo | undefined;
    const read = () => (p ??= details(listed) ?? listed);
    if (needle && !String(listed.hostPid).includes(needle) && !commandText(read()).toLowerCase().includes(needle)) continue;
    matched++;
    if (shown.length < limit) shown.push({ hostPid: listed.hostPid, command: commandText(read()), user: read().user });
  }
  return { matched, shown };
}
