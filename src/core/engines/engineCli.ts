// The Docker and Podman command-line clients: which binary to run, the argv of what we ask them, and what their
// answers mean. Spawning goes through an injected runner, so all of it is tested without an engine.

import { execFile } from 'node:child_process';
import * as path from 'node:path';
import type { EngineKind } from '../proc/engineCgroup';

/** What a finished child process said. */
export interface RunResult {
  /** Exit code; null when it was killed (timeout) or could not start. */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** The spawn error's code when it could not start (ENOENT, EACCES), else undefined. */
  readonly spawnError?: string;
}

/** Runs `file args` with `env` to completion, killing it after `timeoutMs`; never throws. */
export type Runner = (file: string, args: readonly string[], options: { env: NodeJS.ProcessEnv; timeoutMs: number }) => Promise<RunResult>;

/** The Runner of real processes (execFile: no shell, output capped at 4 MiB). */
export const nodeRunner: Runner = (file, args, { env, timeoutMs }) => new Promise((resolve) => {
  execFile(file, args, { env, timeout: timeoutMs, maxBuffer: 4 << 20, encoding: 'utf8' }, (error, stdout, stderr) => {
    const e = error as (NodeJS.ErrnoException & { code?: number | string; killed?: boolean }) | null;
    if (e && typeof e.code === 'string' && /^E[A-Z]+$/.test(e.code)) return resolve({ code: null, stdout, stderr, spawnError: e.code });
    resolve({ code: e ? (e.killed ? null : typeof e.code === 'number' ? e.code : null) : 0, stdout, stderr });
  });
});


/** Why an engine's CLI could not be used: no binary answers, or none reaches its daemon. */
export class EngineCliError extends Error {
  constructor(
    readonly kind: EngineKind,
    /** `missing`: no candidate binary ran; `unreachable`: one ran but could not talk to its daemon. */
    readonly reason: 'missing' | 'unreachable',
    /** The first line of the client's stderr, for `unreachable`. */
    readonly detail: string,
  ) {
    super(reason === 'missing'
      ? `no ${kind} command found (looked in /usr/bin and PATH)`
      : `${kind} cannot reach its daemon: ${detail}`);
  }
}

/** A client that answered `version`, i.e. reached its daemon with the extension host's environment. */
export interface EngineCli {
  readonly kind: EngineKind;
  /** Absolute path of the binary. */
  readonly path: string;
}

/** How long `version` and `inspect` may take before we give up on the daemon. */
export const ENGINE_TIMEOUT_MS = 5_000;

/**
 * The binaries that may be `kind`'s client, in the order to try: the distribution's /usr/bin one first (it is the
 * client its package's daemon was built with), then every other on PATH. A machine may have another program
 * named `docker` earlier on PATH; `findEngineCli` keeps the first that actually reaches a daemon.
 */
export function engineCandidates(kind: EngineKind, env: NodeJS.ProcessEnv): string[] {
  const out = [`/usr/bin/${kind}`];
  for (const dir of (env.PATH ?? '').split(':')) {
    if (!dir.startsWith('/')) continue; // a relative PATH entry would depend on the extension host's cwd
    const file = path.join(dir, kind);
    if (!out.includes(file) && file !== `/bin/${kind}`) out.push(file); // /bin is /usr/bin on Debian 12
  }
  return out;
}

/** The argv after the binary of a `version` call that succeeds only when the daemon answers. */
export function versionArgs(kind: EngineKind): string[] {
  return ['version', '--format', kind === 'docker' ? '{{.Server.Version}}' : '{{.Client.Version}}'];
}

/**
 * The first candidate whose `version` reaches its daemon. Throws EngineCliError: `missing` when none could be
 * run, `unreachable` (with the first client's complaint, e.g. permission denied on the socket) otherwise.
 */
export async function findEngineCli(kind: EngineKind, run: Runner, env: NodeJS.ProcessEnv): Promise<EngineCli> {
  const judge = new CandidateJudge(kind);
  for (const candidate of engineCandidates(kind, env)) {
    const cli = judge.answer(candidate, await run(candidate, versionArgs(kind), { env, timeoutMs: ENGINE_TIMEOUT_MS }));
    if (cli !== undefined) return cli;
  }
  throw judge.failure();
}


/** What the candidates' `version` said: the first that reached its daemon, else the first complaint. */
class CandidateJudge {
  private complaint: string | undefined;
  constructor(private readonly kind: EngineKind) {}

  answer(candidate: string, r: RunResult): EngineCli | undefined {
    if (r.spawnError !== undefined) return undefined; // not there, or not executable: the next one
    if (r.code === 0 && r.stdout.trim() !== '') return { kind: this.kind, path: candidate };
    this.complaint ??= firstLine(r.stderr) || (r.code === null ? 'no answer in time' : `exit ${r.code}`);
    return undefined;
  }

  failure(): EngineCliError {
    return new EngineCliError(this.kind, this.complaint === undefined ? 'missing' : 'unreachable', this.complaint ?? '');
  }
}

/** What the Containers view shows of an engine's container. */
export interface EngineInfo {
  /** The engine's name for it (without Docker's leading `/`). */
  readonly name: string | null;
  /** The image as the user named it at `run` (e.g. `debian:12`). */
  readonly image: string | null;
  /**
   * Its PID 1 as the daemon sees it (`.State.Pid`; 0 when stopped): the host PID when the daemon runs in the host's
   * PID namespace. The model names a container only when this matches, so a cgroup named like another container's
   * (any `…/docker-ID.scope` a delegated user could make) does not borrow that container's name.
   */
  readonly pid: number | null;
}

/** The argv after the binary of one `inspect` of several containers: one JSON array per line. */
export function inspectArgs(kind: EngineKind, ids: readonly string[]): string[] {
  const image = kind === 'docker' ? '.Config.Image' : '.ImageName';
  return ['inspect', '--type', 'container', '--format', `[{{json .Id}},{{json .Name}},{{json ${image}}},{{json .State.Pid}}]`, ...ids];
}

/**
 * The lines of `inspect` (see inspectArgs) by full id. An id the daemon does not know is missing from stdout
 * (the client says so on stderr and exits 1): it is missing from the map too. Lines that do not parse are skipped.
 */
export function parseInspect(stdout: string): Map<string, EngineInfo> {
  const out = new Map<string, EngineInfo>();
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('[')) continue;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch {
      continue;
    }
    if (!Array.isArray(row) || typeof row[0] !== 'string') continue;
    const name = typeof row[1] === 'string' && row[1] !== '' ? row[1].replace(/^\//, '') : null;
    const image = typeof row[2] === 'string' && row[2] !== '' ? row[2] : null;
    const pid = Number.isInteger(row[3]) ? row[3] as number : null;
    out.set(row[0], { name, image, pid });
  }
  return out;
}

/**
 * The argv after the binary that opens an interactive shell in a running container, as its users would type it:
 * the engine sets the container's environment, user, cgroup and namespaces.
 */
export function execShellArgs(kind: EngineKind, id: string, token: string): string[] {
  checkId(kind, id);
  if (!SHELL_TOKEN.test(token)) throw new Error(`not a shell token: ${JSON.stringify(token)}`);
  return ['exec', '-it', '-e', `${SHELL_MARK}=${token}`, id, 'sh'];
}

/** The variable that marks the processes of one engine shell (the shell and what it starts inherit it). */
export const SHELL_MARK = 'MINI_CONTAINERS_SHELL';
const SHELL_TOKEN = /^[0-9a-f]{16,64}$/;

function checkId(kind: EngineKind, id: string): void {
  if (!/^[0-9a-f]{12,64}$/.test(id)) throw new Error(`not a ${kind} container id: ${JSON.stringify(id)}`);
}

/**
 * The argv that ends an engine shell once its terminal closed. The engine does not: its client's hang-up leaves
 * the exec'd shell running in the container (its terminal is held by the engine). Run by the engine in the same
 * container, so it sees that container's processes only: HUP to each that carries the shell's mark. A constant
 * script; the token is its argument. Needs sh, tr, grep and kill in the image (BusyBox, Debian, Alpine have them).
 */
export function endShellArgs(kind: EngineKind, id: string, token: string): string[] {
  checkId(kind, id);
  if (!SHELL_TOKEN.test(token)) throw new Error(`not a shell token: ${JSON.stringify(token)}`);
  const script = 'for e in /proc/[0-9]*/environ; do p=${e#/proc/}; p=${p%/environ}; [ "$p" = "$$" ] && continue; ' +
    `if tr '\\0' '\\n' < "$e" 2>/dev/null | grep -qxF "${SHELL_MARK}=$1"; then kill -HUP "$p" 2>/dev/null; fi; done; exit 0`;
  return ['exec', id, 'sh', '-c', script, 'end-shell', token];
}

/**
 * The name of another terminal into the container called `base`: its first shell is `base`, the next ones
 * `base (2)`, `base (3)`…, the lowest number no terminal of `taken` has.
 */
export function nextShellName(base: string, taken: readonly string[]): string {
  const names = new Set(taken);
  for (let n = 2; ; n++) if (!names.has(`${base} (${n})`)) return `${base} (${n})`;
}

/** The Debian package of each engine's client, for the line that tells how to install it. */
export const ENGINE_PACKAGE: Record<EngineKind, string> = { docker: 'docker.io', podman: 'podman' };

/** "docker" → "Docker": the engine's name in a sentence. */
export function engineTitle(kind: EngineKind): string {
  return kind === 'docker' ? 'Docker' : 'Podman';
}

/** The first 12 hex digits, as `docker ps` shows an id. */
export function shortId(id: string): string {
  return id.slice(0, 12);
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0]?.trim() ?? '';
}
