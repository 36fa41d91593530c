import * as vscode from 'vscode';
import { buildModel, Container, ContainerModel, diffModels, processTotals } from '../core/model/containerModel';
import { hostChain } from '../core/model/hostChain';
import { ProcessInfo, ProcessScanner } from '../core/proc/processScanner';
import { ContainerRecord, ContainerRegistry, DEFAULT_REGISTRY_DIR, userRegistryDir } from '../core/helper/registry';
import { sessionFor } from '../core/model/sessionMatch';
import { bootTimeMs } from '../core/proc/procReader';
import { processForest } from '../core/model/treeText';
import {
  ContainerNode, HostProcessNode, HostSideNode, ProblemNode, ProcessNode, TreeClock, TreeNode,
} from './containerTreeItems';
import { VIEW_ID } from '../contributionIds';
import type { Sessions } from '../sessions';
import { readRefreshIntervalSeconds } from '../settings';
import { t } from '../localize';
import { EngineInfoCache } from '../core/engines/engineInfo';
import { nodeRunner } from '../core/engines/engineCli';
import { processKey, UsageMeter } from '../core/proc/cgroupUsage';
import type { ModelUsage } from '../core/model/format';
import { meteredContainers } from '../core/model/usageText';

/** How often polling probes every process even while the host looks quiet. */
const QUIET_PROBE_INTERVAL_MS = 10_000;

/**
 * The Containers view's data: one /proc scan per refresh, grouped into containers. Refreshes come from the
 * polling timer (only while the view is visible) and at once when a container started here starts or ends.
 * Only the containers that changed are repainted.
 */
export class ContainersProvider implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  private readonly changeEmitter = new vscode.EventEmitter<TreeNode | undefined>();
  readonly onDidChangeTreeData = this.changeEmitter.event;
  private readonly modelEmitter = new vscode.EventEmitter<ContainerModel>();
  /** Fires after a scan that built a new model (not after a poll that found nothing new). */
  readonly onDidChangeModel = this.modelEmitter.event;
  private readonly watchersEmitter = new vscode.EventEmitter<void>();
  /** Fires when a view other than the tree starts or stops following the scans. */
  readonly onDidChangeWatchers = this.watchersEmitter.event;
  private readonly watchers = new Set<string>();

  private scanner: ProcessScanner | undefined;
  private readonly registry: ContainerRegistry;
  /**
   * The records of this user's rootless containers; none when VS Code runs as root. Where they are (a stat of
   * XDG_RUNTIME_DIR) is found at the first scan, not during activation.
   */
  private userRegistry: ContainerRegistry | undefined;
  private userRegistryFound = false;
  /** Why the last scan of /proc failed, shown in the tree; undefined after one that worked. */
  private scanProblem: string | undefined;
  /** Why the last read of the helper's records failed (the containers show without their names). */
  private recordsProblem: string | undefined;
  private readonly sessionListener: vscode.Disposable;
  private model: ContainerModel | undefined;
  private records: ReadonlyMap<string, ContainerRecord> = new Map();
  private processes: ReadonlyMap<number, ProcessInfo> = new Map();
  /** Processes of each container and those nested in it (its row's count), computed once per model. */
  private totals: ReadonlyMap<string, number> = new Map();
  /**
   * Each container's processes by parent, made the first time one of its rows is asked for and kept while the
   * model hands back the same container object (until its processes change), not remade per expanded node.
   */
  private readonly forests = new WeakMap<Container, ReturnType<typeof processForest>>();
  private readonly nodes = new Map<string, ContainerNode>();
  /**
   * Process nodes of the current containers. TreeView.reveal registers the nodes getParent returns, and VS Code
   * refuses a second object with the same id until the tree refreshes: so one object per row, until its
   * container changes (and is refreshed).
   */
  private readonly processNodes = new Map<string, ProcessNode>();
  /** When the machine booted (a read of /proc/stat), at the first row that needs it rather than during activation. */
  private bootMsRead: number | undefined;
  /** Names and images of Docker and Podman containers, asked of their CLI in the background. */
  private readonly engines: EngineInfoCache;
  /** The engines' CLI named containers since the last model: the next refresh rebuilds it even if /proc is quiet. */
  private engineNamesArrived = false;
  /** Reads what each container costs, at each refresh, and keeps the last reading for CPU %. */
  private meter: UsageMeter | undefined;
  private usageRead: ModelUsage = { containers: new Map(), processes: new Map() };

  constructor(
    private readonly log: vscode.LogOutputChannel,
    private readonly sessions: Sessions,
    /** Where to read (tests): the scanner's /proc and the registry's folder. */
    private readonly sources: { procRoot?: string; registryDir?: string } = {},
  ) {
    this.registry = new ContainerRegistry(sources.registryDir ?? DEFAULT_REGISTRY_DIR);
    // A session learns its container's PID 1 from the status line, which may come after the refresh that drew the
    // container: redraw the containers whose "started here" (Reveal Terminal) changed.
    this.sessionListener = sessions.onDidChange(() => this.updateStartedHere());
    // The extension host's environment: DOCKER_HOST and CONTAINER_HOST name the daemon the user's CLI talks to.
    this.engines = new EngineInfoCache({
      run: nodeRunner,
      env: process.env,
      log,
      onResolved: () => {
        this.engineNamesArrived = true;
        if (this.model !== undefined) this.refresh({ probeAll: false });
      },
    });
  }

  /** The helper's records of root's containers and of this user's rootless ones, as one map. */
  private readRecords(): Map<string, ContainerRecord> {
    if (!this.userRegistryFound) {
      const uid = process.getuid?.() ?? 0;
      this.userRegistry = this.sources.registryDir === undefined && uid !== 0 ? new ContainerRegistry(userRegistryDir(process.env, uid)) : undefined;
      this.userRegistryFound = true;
    }
    const records = this.registry.read();
    if (!this.userRegistry) return records;
    const own = this.userRegistry.read();
    if (!own.size) return records;
    return new Map([...records, ...own]);
  }

  /**
   * Scans /proc and repaints what changed; returns the new model. A poll (`probeAll` false) reads only the
   * processes created since the last scan or first seen less than QUIET_PROBE_INTERVAL_MS ago (a new process
   * usually execs at once), and checks that the others still exist: with 2,000 idle processes, probing each
   * would cost about 10 ms of CPU every 2 s. Every process is still probed every QUIET_PROBE_INTERVAL_MS, for
   * what changes in an older process without a fork or an exit (an exec, a state).
   */
  refresh({ probeAll = true }: { probeAll?: boolean } = {}): ContainerModel | undefined {
    return this.rescan(true, probeAll);
  }

  /** Undefined when /proc could not be scanned: the tree then says why (and still shows the last containers). */
  private rescan(repaint: boolean, probeAll = true): ContainerModel | undefined {
    const scanner = (this.scanner ??= new ProcessScanner({ quietProbeIntervalMs: QUIET_PROBE_INTERVAL_MS, procRoot: this.sources.procRoot }));
    let snapshot;
    try {
      snapshot = scanner.scan({ probeAll });
    } catch (error) {
      const message = (error as Error).message;
      this.log.error(`[tree] refresh failed: ${message}`);
      this.setProblems(t('The containers could not be listed: {0}', message), this.recordsProblem, repaint);
      return undefined;
    }
    const previous = this.model;
    const records = this.readRecords();
    const recordsError = this.registry.lastError ?? this.userRegistry?.lastError;
    if (recordsError) this.log.warn(`[tree] container records: ${recordsError.message}`);
    this.setProblems(undefined, recordsError
      ? t('The records of the containers Mini Containers started could not be read ({0}): their names are missing.', recordsError.message)
      : undefined, repaint);
    if (previous && !snapshot.fullProbe && !snapshot.added.size && !snapshot.removed.size && !snapshot.changed.size &&
      sameRecords(records, this.records) && !this.engineNamesArrived) {
      // A poll that found nothing new: the model comes out the same; only what the containers cost may repaint.
      this.measure(previous, false);
      if (repaint) this.repaintUsage(new Set());
      return previous;
    }
    this.records = records;
    this.engineNamesArrived = false;
    const model = buildModel(snapshot, {
      records,
      rootOf: (pid) => scanner.rootOf(pid),
      engineOf: (pid) => scanner.engineOf(pid),
      engineInfo: (ref) => this.engines.lookup(ref),
      previous,
    });
    this.model = model;
    this.processes = snapshot.processes;
    this.totals = processTotals(model);
    this.measure(model, snapshot.fullProbe);
    const changes = diffModels(previous, model);
    const whole = !repaint || !previous || changes.added.size > 0 || changes.removed.size > 0;
    // A process node stays while the tree shows it: until its container is repainted (its CPU % and RSS repaint alone).
    for (const [id, node] of this.processNodes) {
      const current = model.byKey.get(node.container.key);
      if (current !== node.container && (whole || !current || changes.changed.has(node.container.key))) this.processNodes.delete(id);
    }
    this.modelEmitter.fire(model);
    if (!repaint) return model;
    if (whole) {
      for (const key of changes.removed) this.nodes.delete(key);
      this.changeEmitter.fire(undefined);
    } else {
      const clock = this.clock();
      for (const key of changes.changed) {
        const node = this.nodes.get(key);
        const container = model.byKey.get(key);
        if (!node || !container) continue;
        node.update(container, this.total(container), clock, undefined, this.usageRead.containers.get(key));
        this.changeEmitter.fire(node);
      }
      this.repaintUsage(changes.changed);
    }
    return model;
  }

  /**
   * Reads what the listed containers cost: their own cgroup's few files (or their processes' RSS and ticks, already
   * scanned), at a refresh the view makes anyway. `fresh`: the scan re-read every process (not a light poll).
   */
  private measure(model: ContainerModel, fresh: boolean): void {
    const meter = (this.meter ??= new UsageMeter({ bootMs: this.bootMs(), procRoot: this.sources.procRoot }));
    this.usageRead = meter.measure(meteredContainers(model), fresh);
  }

  /** Repaints the rows whose cost in words changed, but for the containers in `done`, repainted already. */
  private repaintUsage(done: ReadonlySet<string>): void {
    const model = this.model;
    if (!model) return;
    const clock = this.clock();
    for (const [key, node] of this.nodes) {
      const c = model.byKey.get(key);
      const usage = this.usageRead.containers.get(key);
      if (!c || done.has(key) || !node.usageChanged(usage)) continue;
      node.update(c, this.total(c), clock, undefined, usage);
      this.changeEmitter.fire(node);
    }
    for (const node of this.processNodes.values()) {
      if (node.showUsage(this.usageRead.processes.get(processKey(node.process)))) this.changeEmitter.fire(node);
    }
  }

  /** What each container and process cost at the last refresh (the picture shows it too). */
  get usage(): ModelUsage {
    return this.usageRead;
  }

  /**
   * While the view is hidden: closes the descriptors the scanner keeps (one per process) but keeps what it read,
   * so showing the view again costs a rescan (about 20 ms over 2,000 processes), not a first scan (about 100 ms).
   */
  pause(): void {
    this.scanner?.releaseDescriptors();
    this.model = undefined;
  }

  get current(): ContainerModel | undefined {
    return this.model;
  }

  /** The processes of the scan that built `current`, by host PID. */
  get currentProcesses(): ReadonlyMap<number, ProcessInfo> {
    return this.processes;
  }

  /**
   * A process of `currentProcesses` with its command line and user, read now if the scan left them out (a host
   * process: see ProcessInfo.command); undefined when it ended since, or the scanner was reset.
   */
  details(p: ProcessInfo): ProcessInfo | undefined {
    return this.scanner?.details(p);
  }

  /** Whether some view other than the tree (the namespaces picture) wants the scans to go on. */
  get watched(): boolean {
    return this.watchers.size > 0;
  }

  /** Another view (by `id`) follows the scans while `on`: polling goes on while it or the tree is visible. */
  setWatching(id: string, on: boolean): void {
    const before = this.watchers.size;
    if (on) this.watchers.add(id);
    else this.watchers.delete(id);
    if (this.watchers.size !== before) this.watchersEmitter.fire();
  }

  /** The tree node of one process, for TreeView.reveal; undefined when the last scan has no such process. */
  processNode(containerKey: string, hostPid: number, startTime: number): ProcessNode | undefined {
    const c = this.model?.byKey.get(containerKey);
    const p = c?.processes.find((x) => x.hostPid === hostPid && x.startTime === startTime);
    if (!c || !p) return undefined;
    return this.processNodeOf(c, p, this.forestOf(c).children.has(p.hostPid));
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    return node;
  }

  getChildren(node?: TreeNode): TreeNode[] {
    const model = this.model ?? this.rescan(false);
    const clock = this.clock();
    if (!node) {
      const problems = [
        ...(this.scanProblem ? [new ProblemNode('error', this.scanProblem)] : []),
        ...(this.recordsProblem ? [new ProblemNode('warning', this.recordsProblem)] : []),
      ];
      return [...problems, ...(model?.containers.filter((c) => c.parentKey === null).map((c) => this.containerNode(c, clock)) ?? [])];
    }
    if (!model) return [];
    if (node instanceof ContainerNode) {
      const c = model.byKey.get(node.container.key);
      if (!c) return [];
      const chain = this.hostChain(c);
      const { roots, children } = this.forestOf(c);
      const nested = model.containers.filter((n) => n.parentKey === c.key).map((n) => this.containerNode(n, clock));
      return [
        ...(chain.length ? [new HostSideNode(c, chain)] : []),
        ...roots.map((p) => this.processNodeOf(c, p, children.has(p.hostPid))),
        ...nested,
      ];
    }
    if (node instanceof ProcessNode) {
      const c = model.byKey.get(node.container.key);
      if (!c) return [];
      const { children } = this.forestOf(c);
      return (children.get(node.process.hostPid) ?? []).map(
        (p) => this.processNodeOf(c, p, children.has(p.hostPid)),
      );
    }
    if (node instanceof HostSideNode) return node.chain.map((p) => new HostProcessNode(node.container, p));
    return [];
  }

  /** Parents of containers and processes, which TreeView.reveal asks for; other nodes are never revealed. */
  getParent(node: TreeNode): TreeNode | undefined {
    const model = this.model;
    if (!model) return undefined;
    const clock = this.clock();
    const containerNode = (key: string | null) => {
      const c = key !== null ? model.byKey.get(key) : undefined;
      return c && this.containerNode(c, clock);
    };
    if (node instanceof ContainerNode) return containerNode(node.container.parentKey);
    if (node instanceof ProcessNode) {
      const c = model.byKey.get(node.container.key);
      const parent = c?.processes.find((p) => p.hostPid === node.process.ppid);
      if (c && parent) return this.processNodeOf(c, parent, true);
      return containerNode(node.container.key);
    }
    return node instanceof HostSideNode ? containerNode(node.container.key) : undefined;
  }

  /** The session of this window that started a container, if any (see sessionFor). */
  sessionOf(c: Container) {
    return sessionFor(c, this.sessions.all);
  }

  /** What the tree says at its top about the last refresh: its error, then its warning. */
  get problems(): readonly string[] {
    return [this.scanProblem, this.recordsProblem].filter((p): p is string => p !== undefined);
  }

  dispose(): void {
    this.engines.dispose();
    this.sessionListener.dispose();
    this.scanner?.dispose();
    this.changeEmitter.dispose();
    this.modelEmitter.dispose();
    this.watchersEmitter.dispose();
  }

  private processNodeOf(c: Container, p: ProcessInfo, hasChildren: boolean): ProcessNode {
    const id = `${c.key}/${p.hostPid}:${p.startTime}:${hasChildren}`;
    const cached = this.processNodes.get(id);
    if (cached?.container === c && cached.process === p) return cached;
    const node = new ProcessNode(c, p, hasChildren, this.bootMs(), this.usageRead.processes.get(processKey(p)));
    this.processNodes.set(id, node);
    return node;
  }

  private containerNode(c: Container, clock: TreeClock): ContainerNode {
    const startedHere = this.sessionOf(c) !== undefined;
    const existing = this.nodes.get(c.key);
    const usage = this.usageRead.containers.get(c.key);
    if (existing) {
      existing.update(c, this.total(c), clock, startedHere, usage);
      return existing;
    }
    const node = new ContainerNode(c, startedHere, this.total(c), clock, usage);
    this.nodes.set(c.key, node);
    return node;
  }

  /** Processes of the container and of every container nested in it, from the count of the last scan. */
  private total(c: Container): number {
    return this.totals.get(c.key) ?? c.processes.length;
  }

  private forestOf(c: Container): ReturnType<typeof processForest> {
    let forest = this.forests.get(c);
    if (!forest) this.forests.set(c, (forest = processForest(c.processes)));
    return forest;
  }

  /**
   * For a container the helper started: the processes that hold it on the host, outermost first — sudo or
   * pkexec when used, the helper, bubblewrap's monitor: the lesson's "second terminal".
   */
  private hostChain(c: Container): ProcessInfo[] {
    if (c.startedBy !== 'mini-containers' || c.parentKey !== null) return [];
    return hostChain(c.initHostPid, this.processes).map((h) => h.process);
  }

  private updateStartedHere(): void {
    const clock = this.clock();
    for (const [key, node] of this.nodes) {
      const c = this.model?.byKey.get(key);
      if (!c || (this.sessionOf(c) !== undefined) === node.startedHere) continue;
      node.update(c, this.total(c), clock, !node.startedHere);
      this.changeEmitter.fire(node);
    }
  }

  /** Keeps what the tree says about the last refresh; repaints the tree's top when that changed. */
  private setProblems(scan: string | undefined, records: string | undefined, repaint: boolean): void {
    if (scan === this.scanProblem && records === this.recordsProblem) return;
    this.scanProblem = scan;
    this.recordsProblem = records;
    if (repaint) this.changeEmitter.fire(undefined);
  }

  private bootMs(): number {
    return (this.bootMsRead ??= bootTimeMs());
  }

  private clock(): TreeClock {
    return { nowMs: Date.now(), bootMs: this.bootMs() };
  }
}

/** Whether two reads of the registry gave the same records (the registry hands back the same objects). */
function sameRecords(a: ReadonlyMap<string, ContainerRecord>, b: ReadonlyMap<string, ContainerRecord>): boolean {
  if (a.size !== b.size) return false;
  for (const [key, record] of a) if (b.get(key) !== record) return false;
  return true;
}

/** The Containers view: polls only while visible, and at once when a container of this window starts or ends. */
export function registerContainersView(
  context: vscode.ExtensionContext,
  log: vscode.LogOutputChannel,
  sessions: Sessions,
): { provider: ContainersProvider; view: vscode.TreeView<TreeNode> } {
  const provider = new ContainersProvider(log, sessions);
  context.subscriptions.push(provider);
  const view = vscode.window.createTreeView(VIEW_ID, { treeDataProvider: provider, showCollapseAll: true });
  context.subscriptions.push(view);

  let timer: NodeJS.Timeout | undefined;
  // A failed refresh is logged, and shown at the top of the tree, by the provider.
  const refresh = (probeAll = true) => provider.refresh({ probeAll });
  /** `scanNow` false (at activation): the tree's first getChildren scans, after activate() has returned. */
  const schedule = (scanNow = true) => {
    clearInterval(timer);
    timer = undefined;
    if (!view.visible && !provider.watched) {
      provider.pause();
      return;
    }
    if (scanNow) refresh();
    timer = setInterval(() => refresh(false), readRefreshIntervalSeconds() * 1000);
  };
  context.subscriptions.push(view.onDidChangeVisibility(() => schedule()));
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('miniContainers.refreshInterval') && schedule()),
  );
  context.subscriptions.push(provider.onDidChangeWatchers(() => schedule()));
  context.subscriptions.push(sessions.onDidChange(() => (view.visible || provider.watched) && refresh()));
  context.subscriptions.push({ dispose: () => clearInterval(timer) });
  schedule(false);
  return { provider, view };
}
