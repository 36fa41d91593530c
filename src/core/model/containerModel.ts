// Groups scanned processes into containers: PID namespaces other than the scanned /proc's own.
// A container is named by its init (the process whose innermost NSpid entry is 1), keyed by the init's host
// PID and start time, because the kernel reuses both PIDs and namespace inodes.

import type { ProcessInfo, ProcessSnapshot } from '../proc/processScanner';
import { ContainerRecord, containerKey } from '../helper/registry';
import type { EngineKind, EngineRef } from '../proc/engineCgroup';
import type { EngineInfo } from '../engines/engineCli';

/** A Docker or Podman container, as its engine knows it. */
export interface EngineContainer {
  readonly kind: EngineKind;
  /** The engine's full container id (64 hex digits), from the init's cgroup. */
  readonly id: string;
  /** The engine's name for it; null until its CLI answered, or when it cannot. */
  readonly name: string | null;
  /** The image it runs, as named at `run`; null as for `name`. */
  readonly image: string | null;
}

/** One PID namespace below the host's, with the processes directly in it. */
export interface Container {
  /** `containerKey(initHostPid, startTime)`. */
  readonly key: string;
  /** Host PID of the container's PID 1. */
  readonly initHostPid: number;
  /** Start time of the init (stat field 22). */
  readonly startTime: number;
  /** Inode of the container's PID namespace; null when unreadable. Not an identity: inodes are reused. */
  readonly nsInode: number | null;
  /** Namespaces below the host: 1 for a container of the host, 2 for one nested in it, … */
  readonly depth: number;
  /** Name from the helper's record; null for containers it did not start. */
  readonly name: string | null;
  /** Hostname from the helper's record, or null. */
  readonly hostname: string | null;
  /** Root filesystem: the record's, else where the init's root is (readlink /proc/INIT/root), else null. */
  readonly rootfs: string | null;
  /** Its network from the helper's record (host, none, private); null without a record or in an older one. */
  readonly network: string | null;
  /** What it publishes from the record, "HOSTPORT:PORT" each (the host's 127.0.0.1:HOSTPORT → PORT inside). */
  readonly publish: readonly string[];
  /** Started with `--ephemeral` (the record says so): a throw-away root whose changes vanish when it ends. */
  readonly ephemeral: boolean;
  /** Whether Mini Containers' helper started it (a record matches its init). */
  readonly startedBy: 'mini-containers' | 'other';
  /** Key of the container this one is nested in; null when it is a container of the host. */
  readonly parentKey: string | null;
  /** Host PID of that container's init; null when nested in the host. */
  readonly parentInitHostPid: number | null;
  /** Processes in this namespace and not in a nested one, by ascending host PID; includes the init. */
  readonly processes: readonly ProcessInfo[];
  /** The Docker or Podman container whose init this is (its cgroup names it); null for any other. */
  readonly engine: EngineContainer | null;
}

/** Every container of one scan. */
export interface ContainerModel {
  /** Containers in tree order: each one followed by those nested in it; siblings by init host PID. */
  readonly containers: readonly Container[];
  /** The same containers by key. */
  readonly byKey: ReadonlyMap<string, Container>;
  /** Key of the container of each process by host PID; null for the host's own processes. */
  readonly containerOf: ReadonlyMap<number, string | null>;
}

/** What besides the processes goes into a model. */
export interface ModelInputs {
  /** The helper's records by `containerKey`; a record names the container whose init it matches. */
  readonly records?: ReadonlyMap<string, ContainerRecord>;
  /** Where a process's root is (readlink /proc/PID/root), for containers without a record. */
  readonly rootOf?: (hostPid: number) => string | null;
  /** The engine container a process is in, from its cgroup (ProcessScanner.engineOf); undefined: none. */
  readonly engineOf?: (hostPid: number) => EngineRef | undefined;
  /** What the engine's CLI said of a container, when known (EngineInfoCache.lookup, which never waits). */
  readonly engineInfo?: (ref: EngineRef) => EngineInfo | undefined;
  /**
   * The previous model: unchanged containers are reused as the same objects, and rootOf and engineOf are not
   * asked again.
   */
  readonly previous?: ContainerModel;
}

/** Whether `p` is the PID 1 of a namespace below the scanned one. */
export function isContainerInit(p: ProcessInfo): boolean {
  const chain = p.nsPids;
  return !p.kernelThread && chain !== null && chain.length > 1 && chain[chain.length - 1] === 1;
}

/** Groups a scan into containers. Pure: all file-system access goes through `inputs.rootOf`. */
export function buildModel(
  snapshot: Pick<ProcessSnapshot, 'processes' | 'hostNsInode'>,
  inputs: ModelInputs = {},
): ContainerModel {
  const procs = snapshot.processes;
  const initByInode = new Map<number, ProcessInfo>();
  const initsByDepth = new Map<number, ProcessInfo[]>();
  for (const p of procs.values()) {
    if (!isContainerInit(p)) continue;
    if (p.nsInode !== null) initByInode.set(p.nsInode, p);
    const depth = p.nsPids!.length;
    const sameDepth = initsByDepth.get(depth);
    if (sameDepth === undefined) initsByDepth.set(depth, [p]);
    else sameDepth.push(p);
  }

  // The init of each process's innermost namespace, or null for the host.
  const memo = new Map<number, ProcessInfo | null>();
  const resolve = (p: ProcessInfo): ProcessInfo | null => {
    const known = memo.get(p.hostPid);
    if (known !== undefined) return known;
    memo.set(p.hostPid, null); // a parent cycle (PID reused mid-scan) ends at the host
    const init = initOf(p);
    memo.set(p.hostPid, init);
    return init;
  };
  const initOf = (p: ProcessInfo): ProcessInfo | null => {
    const chain = p.nsPids;
    if (p.kernelThread || chain?.length === 1) return null;
    if (isContainerInit(p)) return p;
    if (p.nsInode !== null) {
      const init = initByInode.get(p.nsInode);
      if (init !== undefined) return init;
      if (p.nsInode === snapshot.hostNsInode) return null;
    }
    const parent = procs.get(p.ppid);
    // Without NSpid, the best guess is the parent's namespace: that is where a process is born.
    if (chain === null) return parent !== undefined ? resolve(parent) : null;
    // Ancestors at the same depth are in the same namespace, so walk up them to its init.
    let q = parent;
    for (let steps = 0; q !== undefined && steps < procs.size; steps++) {
      const depth = q.nsPids?.length;
      if (depth !== undefined && depth < chain.length) break;
      if (depth === chain.length) {
        if (isContainerInit(q)) return q;
        const known = memo.get(q.hostPid);
        if (known != null) return known;
      }
      q = procs.get(q.ppid);
    }
    // It joined the namespace from outside (setns) and its ns link is unreadable: guess as well as we can.
    const candidates = initsByDepth.get(chain.length) ?? [];
    if (candidates.length === 1) return candidates[0];
    return q !== undefined ? resolve(q) : null;
  };

  const containerOf = new Map<number, string | null>();
  const members = new Map<ProcessInfo, ProcessInfo[]>();
  for (const p of procs.values()) {
    const init = resolve(p);
    containerOf.set(p.hostPid, init && containerKey(init.hostPid, init.startTime));
    if (init === null) continue;
    const list = members.get(init);
    if (list === undefined) members.set(init, [p]);
    else list.push(p);
  }

  const built: Container[] = [];
  for (const [init, processes] of members) {
    const parentProc = procs.get(init.ppid);
    const parentInit = parentProc !== undefined ? resolve(parentProc) : null;
    built.push(makeContainer(init, processes, parentInit, inputs));
  }
  return { containers: treeOrder(built), byKey: new Map(built.map((c) => [c.key, c])), containerOf };
}

function makeContainer(
  init: ProcessInfo, processes: ProcessInfo[], parentInit: ProcessInfo | null, inputs: ModelInputs,
): Container {
  const key = containerKey(init.hostPid, init.startTime);
  const record = inputs.records?.get(key);
  const previous = inputs.previous?.byKey.get(key);
  let rootfs: string | null;
  if (record !== undefined) rootfs = record.rootfs;
  else if (previous !== undefined && previous.startedBy === 'other') rootfs = previous.rootfs;
  else rootfs = inputs.rootOf?.(init.hostPid) ?? null;
  const engine = record !== undefined ? null : engineOf(init.hostPid, previous, inputs);
  const c: Container = {
    key,
    initHostPid: init.hostPid,
    startTime: init.startTime,
    nsInode: init.nsInode,
    depth: init.nsPids!.length - 1,
    name: record?.name ?? null,
    hostname: record?.hostname ?? null,
    network: record?.network ?? null,
    publish: record?.publish ?? [],
    ephemeral: record?.ephemeral === true,
    rootfs,
    startedBy: record !== undefined ? 'mini-containers' : 'other',
    parentKey: parentInit && containerKey(parentInit.hostPid, parentInit.startTime),
    parentInitHostPid: parentInit?.hostPid ?? null,
    processes,
    engine,
  };
  // Hand back the previous object when nothing changed, so identity tells a view what to repaint.
  if (previous !== undefined && sameHeader(previous, c) && sameItems(previous.processes, processes)) return previous;
  return c;
}

/**
 * The engine container of an init: its cgroup is read once per container (a process keeps the cgroup its engine
 * put it in), and its name asked until the engine's CLI gave one; the previous object while nothing new is known.
 */
function engineOf(initHostPid: number, previous: Container | undefined, inputs: ModelInputs): EngineContainer | null {
  const known = previous?.engine ?? null;
  const ref = previous !== undefined ? known : inputs.engineOf?.(initHostPid) ?? null;
  if (ref === null) return null;
  if (known !== null && known.name !== null) return known;
  const info = inputs.engineInfo?.(ref);
  // The daemon's PID 1 for that id must be this init (see EngineInfo.pid), else it shows by id only.
  const matches = info !== undefined && (info.pid === null || info.pid === initHostPid);
  if (!matches) return known ?? { kind: ref.kind, id: ref.id, name: null, image: null };
  return { kind: ref.kind, id: ref.id, name: info.name, image: info.image };
}

/**
 * How many processes each container holds, its own and those of every container nested in it, by key: one pass
 * over the tree order (each container comes before those nested in it), so a view counts once per scan.
 */
export function processTotals(model: ContainerModel): Map<string, number> {
  const totals = new Map<string, number>();
  for (let i = model.containers.length - 1; i >= 0; i--) {
    const c = model.containers[i];
    // Everything nested in c comes after it, so was added to c's entry already.
    const total = (totals.get(c.key) ?? 0) + c.processes.length;
    totals.set(c.key, total);
    if (c.parentKey !== null && model.byKey.has(c.parentKey)) totals.set(c.parentKey, (totals.get(c.parentKey) ?? 0) + total);
  }
  return totals;
}

/** Each container followed by the ones nested in it; siblings by init host PID. */
function treeOrder(containers: Container[]): Container[] {
  const children = new Map<string | null, Container[]>();
  const keys = new Set(containers.map((c) => c.key));
  for (const c of [...containers].sort((a, b) => a.initHostPid - b.initHostPid)) {
    // A parent that is not a container here (not scanned) makes this a top-level one.
    const parent = c.parentKey !== null && keys.has(c.parentKey) ? c.parentKey : null;
    const siblings = children.get(parent);
    if (siblings === undefined) children.set(parent, [c]);
    else siblings.push(c);
  }
  const out: Container[] = [];
  const visit = (parent: string | null) => {
    for (const c of children.get(parent) ?? []) {
      out.push(c);
      visit(c.key);
    }
  };
  visit(null);
  return out;
}

/** Which containers a view must repaint between two models. */
export interface ModelChanges {
  /** Keys of containers that are new. */
  readonly added: ReadonlySet<string>;
  /** Keys of containers that ended. */
  readonly removed: ReadonlySet<string>;
  /** Keys of containers whose header or process rows (see `sameRow`) changed. */
  readonly changed: ReadonlySet<string>;
}

/** The difference between two models; with no previous model everything is added. */
export function diffModels(previous: ContainerModel | undefined, next: ContainerModel): ModelChanges {
  const added = new Set<string>();
  const removed = new Set<string>();
  const changed = new Set<string>();
  for (const c of next.containers) {
    const old = previous?.byKey.get(c.key);
    if (old === undefined) added.add(c.key);
    else if (old !== c && !(sameHeader(old, c) && sameRows(old.processes, c.processes))) changed.add(c.key);
  }
  for (const key of previous?.byKey.keys() ?? []) if (!next.byKey.has(key)) removed.add(key);
  return { added, removed, changed };
}

/** Whether two records show the same row in a `ps`-like view (CPU and memory are not shown, so not compared). */
export function sameRow(a: ProcessInfo, b: ProcessInfo): boolean {
  return a === b || (a.hostPid === b.hostPid && a.nsPid === b.nsPid && a.ppid === b.ppid && a.user === b.user &&
    a.state === b.state && a.command === b.command && a.startTime === b.startTime);
}

function sameRows(a: readonly ProcessInfo[], b: readonly ProcessInfo[]): boolean {
  return a.length === b.length && a.every((p, i) => sameRow(p, b[i]));
}

function sameItems(a: readonly ProcessInfo[], b: readonly ProcessInfo[]): boolean {
  return a.length === b.length && a.every((p, i) => p === b[i]);
}

function sameHeader(a: Container, b: Container): boolean {
  return a.key === b.key && a.nsInode === b.nsInode && a.name === b.name && a.hostname === b.hostname &&
    a.network === b.network && a.publish.join(' ') === b.publish.join(' ') && a.ephemeral === b.ephemeral &&
    a.rootfs === b.rootfs && a.startedBy === b.startedBy && a.parentKey === b.parentKey && sameEngine(a.engine, b.engine);
}

function sameEngine(a: EngineContainer | null, b: EngineContainer | null): boolean {
  return a === b || (a !== null && b !== null && a.kind === b.kind && a.id === b.id && a.name === b.name && a.image === b.image);
}
