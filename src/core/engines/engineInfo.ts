// Names and images of engine containers, asked of their CLI off the caller's path: `lookup` answers at once from
// what is known and queues what is not; one `inspect` per engine asks for everything queued, and `onResolved`
// fires when names arrived, so a view can redraw. A missing CLI or an unreachable daemon is logged once and
// retried after a while, never per refresh.

import { EngineCli, EngineCliError, EngineInfo, findEngineCli, inspectArgs, parseInspect, Runner, ENGINE_TIMEOUT_MS } from './engineCli';
import type { EngineKind, EngineRef } from '../proc/engineCgroup';

/** Where the cache logs (the extension's LogOutputChannel, or the CLI's stderr). */
export interface EngineLog {
  info(message: string): void;
  warn(message: string): void;
}

export interface EngineInfoOptions {
  readonly run: Runner;
  /** The environment the clients run with: DOCKER_HOST, CONTAINER_HOST and PATH come from it. */
  readonly env: NodeJS.ProcessEnv;
  readonly log: EngineLog;
  /** Called after an `inspect` brought names or images that were not known. */
  readonly onResolved?: () => void;
  /** How long an id the engine could not name, or an engine that could not be reached, is left alone. */
  readonly retryMs?: number;
  readonly now?: () => number;
}

/** How many containers' names are kept; the oldest are forgotten first. */
const MAX_ENTRIES = 2_000;

export class EngineInfoCache {
  /** Known names by `kind:id`; `failedAt` instead of info when the last ask failed. */
  private readonly known = new Map<string, { info?: EngineInfo; failedAt?: number }>();
  private readonly queued = new Map<EngineKind, Set<string>>();
  private readonly running = new Set<EngineKind>();
  private readonly clis = new Map<EngineKind, { cli?: EngineCli; failedAt?: number }>();
  /** Problems already logged, so a daemon that stays down is said once. */
  private readonly said = new Set<string>();
  private readonly retryMs: number;
  private readonly now: () => number;
  private disposed = false;

  constructor(private readonly options: EngineInfoOptions) {
    this.retryMs = options.retryMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  /**
   * The name and image of `ref` when known; undefined while it is being asked, or when it could not be (the view
   * then shows the id). Never waits: what is not known is queued for the next `inspect`.
   */
  lookup(ref: EngineRef): EngineInfo | undefined {
    const entry = this.known.get(`${ref.kind}:${ref.id}`);
    if (entry?.info !== undefined) return entry.info;
    if (entry?.failedAt !== undefined && this.now() - entry.failedAt < this.retryMs) return undefined;
    this.enqueue(ref);
    return undefined;
  }

  /** Resolves once nothing is queued or being asked (tests and the CLI wait on it). */
  async settled(): Promise<void> {
    while (!this.disposed && (this.running.size > 0 || [...this.queued.values()].some((s) => s.size > 0))) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  dispose(): void {
    this.disposed = true;
  }

  private enqueue(ref: EngineRef): void {
    let ids = this.queued.get(ref.kind);
    if (ids === undefined) this.queued.set(ref.kind, (ids = new Set()));
    if (ids.has(ref.id)) return;
    ids.add(ref.id);
    // One ask per engine for everything a scan queued: started after the scan's synchronous work.
    if (!this.running.has(ref.kind)) {
      this.running.add(ref.kind);
      setImmediate(() => void this.drain(ref.kind));
    }
  }

  private async drain(kind: EngineKind): Promise<void> {
    try {
      for (;;) {
        const ids = [...(this.queued.get(kind) ?? [])];
        this.queued.delete(kind);
        if (ids.length === 0 || this.disposed) return;
        await this.ask(kind, ids);
      }
    } finally {
      this.running.delete(kind);
    }
  }

  private async ask(kind: EngineKind, ids: string[]): Promise<void> {
    const cli = await this.cli(kind);
    if (cli === undefined) {
      for (const id of ids) this.remember(kind, id, { failedAt: this.now() });
      return;
    }
    const r = await this.options.run(cli.path, inspectArgs(kind, ids), { env: this.options.env, timeoutMs: ENGINE_TIMEOUT_MS });
    const found = parseInspect(r.stdout);
    let news = false;
    for (const id of ids) {
      const info = found.get(id);
      if (info !== undefined) news = true;
      this.remember(kind, id, info !== undefined ? { info } : { failedAt: this.now() });
    }
    if (found.size < ids.length) {
      // Another daemon's container (the user's, while DOCKER_HOST names a test socket), or a daemon gone since.
      this.sayOnce(`inspect:${kind}:${r.code}`, `[engines] ${cli.path} inspect named ${found.size} of ${ids.length} containers` +
        ` (exit ${r.code}): ${r.stderr.trim().split('\n')[0] ?? ''}; they show by id`);
    }
    if (news && !this.disposed) this.options.onResolved?.();
  }

  /** The client to ask, found once; after a failure, looked for again only after `retryMs`. */
  private async cli(kind: EngineKind): Promise<EngineCli | undefined> {
    const state = this.clis.get(kind);
    if (state?.cli !== undefined) return state.cli;
    if (state?.failedAt !== undefined && this.now() - state.failedAt < this.retryMs) return undefined;
    try {
      const cli = await findEngineCli(kind, this.options.run, this.options.env);
      this.clis.set(kind, { cli });
      this.options.log.info(`[engines] ${kind} containers are named by ${cli.path}`);
      return cli;
    } catch (e) {
      this.clis.set(kind, { failedAt: this.now() });
      const message = e instanceof EngineCliError ? e.message : String(e);
      this.sayOnce(`cli:${kind}:${message}`, `[engines] ${message}; its containers show by id`);
      return undefined;
    }
  }

  private remember(kind: EngineKind, id: string, entry: { info?: EngineInfo; failedAt?: number }): void {
    const key = `${kind}:${id}`;
    this.known.delete(key);
    this.known.set(key, entry);
    if (this.known.size > MAX_ENTRIES) this.known.delete(this.known.keys().next().value as string);
  }

  private sayOnce(key: string, message: string): void {
    if (this.said.has(key)) return;
    this.said.add(key);
    this.options.log.warn(message);
  }
}
