/**
 * The contract with src/helper/container-helper.sh: the arguments it takes, how it gets its privileges,
 * and the JSON lines it writes to --status-file. Pure: no I/O, no vscode.
 */
import { english, type Localize } from '../localize';

// The exit sentence lives with the typed error that maps exit codes once; the terminal imports it from here.
export { describeExit } from './helperError';

/** Docker's convention, which the helper follows. */
export const EXIT_HELPER_ERROR = 125;
export const EXIT_NOT_EXECUTABLE = 126;
export const EXIT_NOT_FOUND = 127;

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
const CONTROL = /[\x00-\x1f\x7f]/;

export function isValidName(name: string): boolean {
  return NAME.test(name);
}

/** The rootfs folder's name made valid, plus `suffix`: readable, and unique with a random suffix. */
export function containerName(rootfs: string, suffix: string): string {
  let base = (rootfs.split('/').filter(Boolean).pop() ?? '').replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 40);
  if (!/^[A-Za-z0-9]/.test(base)) base = `c${base}`;
  return `${base}-${suffix}`;
}

export interface StartRequest {
  /** Absolute path of the root filesystem. */
  rootfs: string;
  /** Container name (the extension always gives one, from containerName); the helper names it mc-PID when omitted. */
  name?: string;
  /** Defaults to the name. */
  hostname?: string;
  /** Absolute path of a file that does not exist yet, for the JSON status lines. */
  statusFile?: string;
  /** Keep every capability and a writable /proc (`--privileged`). */
  privileged?: boolean;
  /** A minimal reaping init as PID 1 (`--init`). */
  init?: boolean;
  /** Program and arguments run as PID 1; /bin/sh when empty. */
  command?: readonly string[];
  /** Host folders or files bound inside, in order (repeated `--bind SRC[:DEST][:ro]`). */
  binds?: readonly BindSpec[];
  /** COMMAND's working directory inside (`--workdir DIR`); / when omitted. */
  workdir?: string;
  /** `--ephemeral`: a throw-away root (an overlay over the rootfs whose changes vanish when the container ends). */
  ephemeral?: boolean;
  /** `--env KEY=VALUE`, repeated: COMMAND's environment over PATH, HOME, TERM, HOSTNAME (an image's Env). */
  env?: readonly string[];
  /**
   * `--network`: the host's network (without CAP_NET_RAW), `none` (only lo) or `private` (lo and tap0 through a
   * user-mode stack). The helper's default is host, but none under sudo/pkexec, where host is refused.
   */
  network?: Network;
  /** `--publish HOSTPORT:PORT`, repeated: the host's 127.0.0.1:hostPort reaches port inside (private only). */
  publish?: readonly PublishedPort[];
  /** `--memory SIZE`: the most memory and swap of the container's cgroup, e.g. "512m" (refused where it has none). */
  memory?: string;
  /** `--pids N|max`: the most processes of its cgroup; the helper's default is 4096 wherever there is a group. */
  pids?: number | 'max';
  /** `--cpus X`: the CPU time of X cores at most, e.g. "0.5". */
  cpus?: string;
}

/** `--memory SIZE`'s bytes, as the helper reads it (digits and b, k, m or g, binary; at least 4 MiB); undefined if invalid. */
export function parseMemorySize(size: string): number | undefined {
  const m = /^([1-9][0-9]{0,14})([bkmg]?)$/i.exec(size.trim());
  if (!m) return undefined;
  const bytes = Number(m[1]) * { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2].toLowerCase() as '' | 'b' | 'k' | 'm' | 'g'];
  return bytes >= 4 * 1024 ** 2 && Number.isSafeInteger(bytes) ? bytes : undefined;
}

/** Whether `--cpus X` is one the helper takes: 0.01..1024, two decimals at most. */
export function isValidCpus(cpus: string): boolean {
  if (!/^(0|[1-9][0-9]{0,3})(\.[0-9]{1,2})?$/.test(cpus)) return false;
  const value = Number(cpus);
  return value >= 0.01 && value <= 1024;
}

function limitArgs(memory: string | undefined, pids: number | 'max' | undefined, cpus: string | undefined, t: Localize): string[] {
  const args: string[] = [];
  if (memory !== undefined) {
    if (parseMemorySize(memory) === undefined) throw new Error(t('Invalid memory limit "{0}": give a size such as 512m or 2g (at least 4m).', memory.slice(0, 40)));
    args.push('--memory', memory.trim());
  }
  if (pids !== undefined) {
    if (pids !== 'max' && (!Number.isSafeInteger(pids) || pids < 1 || pids > 4194304)) throw new Error(t('Invalid process limit {0}: give 1 to 4194304.', String(pids)));
    args.push('--pids', String(pids));
  }
  if (cpus !== undefined) {
    if (!isValidCpus(cpus)) throw new Error(t('Invalid CPU limit "{0}": give a number of cores such as 0.5 or 2 (0.01 to 1024).', cpus.slice(0, 40)));
    args.push('--cpus', cpus);
  }
  return args;
}

/** One `--bind`: a host folder or file seen inside the container. */
export interface BindSpec {
  /** Absolute host path (links followed, once, when the container starts). */
  source: string;
  /** Absolute path inside; `source` when omitted. */
  dest?: string;
  /** Mounted read-only (`:ro`); the helper requires it under sudo or pkexec. */
  readOnly?: boolean;
}

/** Why `path` cannot be a DEST or --workdir inside the container (as the helper's check_inside_path), or undefined. */
export function insidePathProblem(path: string, t: Localize = english): string | undefined {
  if (!path.startsWith('/')) return t('it must be an absolute path');
  if (path === '/') return t('it is /, the container\'s own root');
  if (`${path}/`.split('/').slice(1, -1).some((part) => part === '' || part === '.' || part === '..')) {
    return t('it has an empty, "." or ".." component');
  }
  if (CONTROL.test(path)) return t('it contains control characters');
  return undefined;
}

/** The `--bind` word of `bind`, after the helper's own checks; throws an Error saying what to fix. */
export function bindArgument(bind: BindSpec, t: Localize = english): string {
  const { source, dest = bind.source, readOnly } = bind;
  if (!source.startsWith('/')) throw new Error(t('A folder to mount must be an absolute host path: {0}', source));
  if (CONTROL.test(source)) throw new Error(t('A folder to mount contains control characters: {0}', source));
  if (source.includes(':') || dest.includes(':')) throw new Error(t('A mount\'s paths may not contain ":": {0}', `${source}:${dest}`));
  const problem = insidePathProblem(dest, t);
  if (problem) throw new Error(t('Cannot mount {0} at {1}: {2}.', source, dest, problem));
  if (dest === '/proc' || dest.startsWith('/proc/') || dest === '/dev' || dest.startsWith('/dev/')) {
    throw new Error(t('Cannot mount {0} at {1}: /proc and /dev are the container\'s own.', source, dest));
  }
  return `${source}${dest === source ? '' : `:${dest}`}${readOnly ? ':ro' : ''}`;
}

export const NETWORKS = ['host', 'none', 'private'] as const;
export type Network = (typeof NETWORKS)[number];

/** One `--publish`: the host's 127.0.0.1:hostPort forwarded to port inside the container. */
export interface PublishedPort {
  hostPort: number;
  port: number;
}

/** At most this many `--publish` (the helper's limit too). */
export const MAX_PUBLISH = 32;

const isPort = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 65535;

/** "HOSTPORT:PORT" (each 1..65535, no leading zero) → a published port; undefined otherwise. */
export function parsePublish(text: string): PublishedPort | undefined {
  const match = /^([1-9][0-9]{0,4}):([1-9][0-9]{0,4})$/.exec(text.trim());
  if (!match) return undefined;
  const hostPort = Number(match[1]);
  const port = Number(match[2]);
  return isPort(hostPort) && isPort(port) ? { hostPort, port } : undefined;
}

/**
 * The `--network` and `--publish` words, after the helper's own checks: a known network, ports 1..65535, each host
 * port once, at most MAX_PUBLISH, and --publish only with private (the helper refuses the same).
 */
function networkArgs(network: Network | undefined, publish: readonly PublishedPort[] | undefined, t: Localize): string[] {
  const args: string[] = [];
  if (network !== undefined) {
    if (!NETWORKS.includes(network)) throw new Error(t('Invalid network "{0}": use host, none or private.', String(network)));
    args.push('--network', network);
  }
  if (!publish || publish.length === 0) return args;
  if (network !== 'private') throw new Error(t('Publishing ports needs the private network (miniContainers.network is "{0}").', network ?? 'host'));
  if (publish.length > MAX_PUBLISH) throw new Error(t('At most {0} ports can be published.', String(MAX_PUBLISH)));
  const seen = new Set<number>();
  for (const { hostPort, port } of publish) {
    if (!isPort(hostPort) || !isPort(port)) throw new Error(t('Invalid published port "{0}:{1}": each must be 1 to 65535.', String(hostPort), String(port)));
    if (seen.has(hostPort)) throw new Error(t('Host port {0} is published twice.', String(hostPort)));
    seen.add(hostPort);
    args.push('--publish', `${hostPort}:${port}`);
  }
  return args;
}

/** The helper's limits on `--env` (30-options.sh env_option). */
export const ENV_LIMITS = { count: 128, length: 4096 };

/** Each KEY=VALUE checked as the helper checks it; throws an Error saying which one is refused and why. */
export function envArguments(env: readonly string[], t: Localize = english): readonly string[] {
  if (env.length > ENV_LIMITS.count) throw new Error(t('At most {0} environment variables can be set in a container.', String(ENV_LIMITS.count)));
  const keys = new Set<string>();
  for (const kv of env) {
    const eq = kv.indexOf('=');
    const key = eq < 0 ? kv : kv.slice(0, eq);
    if (eq < 0 || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new Error(t('Invalid environment variable "{0}": use KEY=VALUE, KEY of letters, digits and _.', kv.slice(0, 80)));
    if (CONTROL.test(kv) || kv.length > ENV_LIMITS.length) throw new Error(t('The environment variable {0} has control characters or is longer than {1} bytes.', key, String(ENV_LIMITS.length)));
    if (keys.has(key)) throw new Error(t('The environment variable {0} is given twice.', key));
    keys.add(key);
  }
  return env;
}

/**
 * The helper's argv for `start`, after the same checks the helper makes, so the user hears about a bad
 * value before any password prompt. Throws an Error whose message says what to fix.
 */
export function buildStartArgs(request: StartRequest, t: Localize = english): string[] {
  const { rootfs, name, hostname, statusFile, privileged, init, command, binds, workdir, network, publish, env, ephemeral, memory, pids, cpus } = request;
  if (!rootfs.startsWith('/')) throw new Error(t('The root filesystem must be an absolute path: {0}', rootfs));
  if (CONTROL.test(rootfs)) throw new Error(t('The root filesystem path contains control characters.'));
  const args = ['start', '--rootfs', rootfs];
  if (name !== undefined) {
    if (!isValidName(name)) throw new Error(t('Invalid container name "{0}": use letters, digits, _ . - (at most 63).', name));
    args.push('--name', name);
  }
  if (hostname !== undefined) {
    if (!isValidName(hostname)) throw new Error(t('Invalid hostname "{0}": use letters, digits, _ . - (at most 63).', hostname));
    args.push('--hostname', hostname);
  }
  if (statusFile !== undefined) {
    if (!statusFile.startsWith('/')) throw new Error(t('The status file must be an absolute path: {0}', statusFile));
    args.push('--status-file', statusFile);
  }
  if (privileged) args.push('--privileged');
  if (init) args.push('--init');
  if ((binds?.length ?? 0) > 64) throw new Error(t('At most 64 folders can be mounted in a container.'));
  for (const bind of binds ?? []) args.push('--bind', bindArgument(bind, t));
  if (workdir !== undefined) {
    const problem = insidePathProblem(workdir, t);
    if (problem && workdir !== '/') throw new Error(t('Invalid working directory {0}: {1}.', workdir, problem));
    args.push('--workdir', workdir);
  }
  args.push(...networkArgs(network, publish, t));
  for (const kv of envArguments(env ?? [], t)) args.push('--env', kv);
  if (ephemeral) args.push('--ephemeral');
  args.push(...limitArgs(memory, pids, cpus, t));
  if (command && command.length) args.push('--', ...command);
  return args;
}

export type Privilege = 'auto' | 'rootless' | 'root' | 'sudo' | 'pkexec';

export interface LaunchContext {
  privilege: Privilege;
  /** Effective uid of the extension host. */
  uid: number;
  helperPath: string;
  /** Run the helper by its own path (the root-owned system copy a sudo rule names), not through /bin/sh. */
  helperDirect?: boolean;
  /** Absolute paths of sudo and pkexec when installed. */
  sudoPath?: string;
  pkexecPath?: string;
  /** Whether an unprivileged user namespace can be made here (bubblewrap's own test, done once). */
  userNamespaces?: boolean;
  /** Owner uid of the rootfs to start, when known: rootless needs the user's own. */
  rootfsOwner?: number;
}

/** The helper is run by the shell, so it needs no exec bit (a VSIX does not keep one). */
export const HELPER_SHELL = '/bin/sh';

/** Where the helper keeps, under sudo or pkexec, the caller's status file and control FIFO (root's folder). */
export const PRIVILEGED_RUN_DIR = '/run/mini-containers';

/** The status file the helper writes under sudo/pkexec for container `name` of user `uid`. */
export function privilegedStatusFile(uid: number, name: string): string {
  if (!isValidName(name) || !Number.isSafeInteger(uid) || uid < 0) throw new Error(`Not a container name or uid: ${name}, ${uid}`);
  return `${PRIVILEGED_RUN_DIR}/${uid}/${name}.status`;
}

/** The system store of root filesystems that privileged containers of ordinary users may use. */
export const ROOTFS_STORE = '/var/lib/mini-containers/rootfs';

export interface Launch {
  file: string;
  args: string[];
  /** How the helper runs: as the user in a user namespace, or as root (directly, with sudo, with pkexec). */
  via: 'rootless' | 'root' | 'sudo' | 'pkexec';
  /** The terminal's first line: which mode runs and why (and, before a password prompt, what runs as root). */
  banner: string;
}

/** Whether a launch's helper is root run by sudo or pkexec for this user, so it writes where PRIVILEGED_RUN_DIR says. */
export function isDelegated(via: Launch['via']): boolean {
  return via === 'sudo' || via === 'pkexec';
}

/**
 * Chooses how to run the helper, per the miniContainers.privilege setting, and says why in its banner. The banner
 * names the mode in the setting's own words (rootless, as root, through sudo, through pkexec); "privileged" is
 * miniContainers.privileged's word (`--privileged`), which the terminal's warning line says, never the banner.
 */
export function planLaunch(context: LaunchContext, helperArgs: readonly string[], t: Localize = english): Launch {
  const { via, why } = resolvePrivilege(context, t);
  const helper = context.helperDirect
    ? [context.helperPath, ...helperArgs]
    : [HELPER_SHELL, context.helperPath, ...helperArgs];
  const shown = helper.map(quoteForDisplay).join(' ');
  switch (via) {
    case 'rootless':
      return {
        file: helper[0], args: helper.slice(1), via,
        banner: t('Mini Containers: rootless container in a user namespace, no password ({0}).', why),
      };
    case 'root':
      if (context.uid !== 0) {
        throw new Error(t('miniContainers.privilege is "root" but VS Code does not run as root; choose "auto", "rootless", "sudo" or "pkexec".'));
      }
      return { file: helper[0], args: helper.slice(1), via, banner: t('Mini Containers: container run as root, without a user namespace ({0}).', why) };
    case 'sudo':
      if (!context.sudoPath) throw new Error(t('sudo is not installed; install it or set miniContainers.privilege to "rootless" or "pkexec".'));
      return {
        file: context.sudoPath,
        args: ['--', ...helper],
        via,
        banner: t('Mini Containers runs its helper as root through sudo to create PID, mount, UTS and IPC namespaces without a user namespace ({0}): {1}', why, `sudo ${shown}`),
      };
    case 'pkexec':
      if (!context.pkexecPath) throw new Error(t('pkexec is not installed; install policykit-1 or set miniContainers.privilege to "rootless" or "sudo".'));
      return {
        file: context.pkexecPath,
        args: helper,
        via,
        banner: t('Mini Containers runs its helper as root through pkexec to create PID, mount, UTS and IPC namespaces without a user namespace ({0}): {1}', why, `pkexec ${shown}`),
      };
  }
}

/**
 * auto: VS Code is root → run directly; user namespaces work and the rootfs is the user's → rootless; else sudo,
 * else pkexec. The reason is told to the user.
 */
function resolvePrivilege(context: LaunchContext, t: Localize): { via: Launch['via']; why: string } {
  if (context.privilege !== 'auto') return { via: context.privilege, why: t('miniContainers.privilege is "{0}"', context.privilege) };
  if (context.uid === 0) return { via: 'root', why: t('VS Code runs as root') };
  // An owner that could not be read (a rootfs in root's store, which no user may enter) is not the user's.
  const yours = context.rootfsOwner === context.uid;
  if (context.userNamespaces && yours) return { via: 'rootless', why: t('user namespaces work here and the root filesystem is yours') };
  const because = !context.userNamespaces ? t('user namespaces are not available here') : t('the root filesystem belongs to another user');
  if (context.sudoPath) return { via: 'sudo', why: because };
  if (context.pkexecPath) return { via: 'pkexec', why: because };
  throw new Error(t('Cannot start a container: {0}, and neither sudo nor pkexec is installed. Use a root filesystem of your own (Create BusyBox Root Filesystem).', because));
}

/** Single-quotes a word for display when it needs it; never executed. */
export function quoteForDisplay(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * The helper's "started" record: its status-file line, and (plus "uid") the content of its registry file
 * REG/initPid-startTime.json. Both are read by parseStartedRecord only.
 */
export interface StartedEvent {
  readonly event: 'started';
  /** Host PID of the container's PID 1. */
  readonly initPid: number;
  /** Field 22 of /proc/initPid/stat: with initPid, the container's identity. */
  readonly startTime: number;
  /** Absolute path of the root filesystem, as the helper resolved it. */
  readonly rootfs: string;
  /** The container's name (`--name`, or the helper's default): always set. */
  readonly name: string;
  readonly hostname: string;
  /** FIFO owned by the calling user that takes `kill` requests for this container only. */
  readonly control?: string;
  /** The network it has (`--network`); absent in records of helpers older than the option. */
  readonly network?: Network;
  /** What it publishes, "HOSTPORT:PORT" each (the host's 127.0.0.1:HOSTPORT); absent with network. */
  readonly publish?: readonly string[];
  /** `--ephemeral`: a throw-away root whose changes vanish with the container; absent otherwise. */
  readonly ephemeral?: true;
  /** The host PID of the helper that started it (absent in records of older helpers). */
  readonly helperPid?: number;
  /** Its cgroup, as /proc/PID/cgroup names it (/mini-containers/…); absent when it has none. */
  readonly cgroup?: string;
}

/** The helper's answer to one control-channel request. */
export interface SignalEvent {
  event: 'signal';
  id: number;
  ok: boolean;
  error?: string;
}

export interface ExitedEvent {
  event: 'exited';
  code: number;
  /** The kernel killed a process of the container for memory (its cgroup's oom_kill count). */
  oom?: true;
  /** The container's `--memory` limit in bytes, when it had one. */
  memoryLimit?: number;
}

export type StatusEvent = StartedEvent | ExitedEvent | SignalEvent;

/** One line of the status file → an event, or undefined for anything malformed. */
export function parseStatusLine(line: string): StatusEvent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (v.event === 'started') return parseStartedRecord(v);
  if (v.event === 'signal') {
    if (!isCount(v.id) || typeof v.ok !== 'boolean') return undefined;
    const answer: SignalEvent = { event: 'signal', id: v.id, ok: v.ok };
    if (typeof v.error === 'string') answer.error = v.error;
    return answer;
  }
  if (v.event === 'exited') {
    if (!isCount(v.code) || v.code > 255) return undefined;
    if (v.oom !== undefined && v.oom !== true) return undefined;
    if (v.memoryLimit !== undefined && !isCount(v.memoryLimit)) return undefined;
    return { event: 'exited', code: v.code, ...(v.oom ? { oom: true as const } : {}), ...(v.memoryLimit === undefined ? {} : { memoryLimit: v.memoryLimit }) };
  }
  return undefined;
}

const isCount = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
const isPath = (s: unknown): s is string => typeof s === 'string' && s.startsWith('/') && !CONTROL.test(s);

/**
 * The one reader of a "started" record, for the status file and the registry alike: undefined unless every field
 * is what the helper writes. The helper always sets the name and hostname (its own default when none is given) and
 * validates both, resolves the rootfs to an absolute path without control characters, and takes the start time
 * from field 22 of /proc/initPid/stat, in clock ticks since boot. That is 0 only for a process started in the
 * boot's first tick (the host's init, early kernel threads); a container's PID 1 is started by bwrap, which the
 * helper started, long after: a 0 there is not the helper's and is refused. `control`, when present, is an
 * absolute path (a relative one would be opened from wherever VS Code runs).
 */
export function parseStartedRecord(value: unknown): StartedEvent | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const v = value as Record<string, unknown>;
  if (v.event !== 'started' || !isCount(v.initPid) || v.initPid < 1 || !isCount(v.startTime) || v.startTime < 1) return undefined;
  if (!isPath(v.rootfs) || typeof v.name !== 'string' || !isValidName(v.name)) return undefined;
  if (typeof v.hostname !== 'string' || !isValidName(v.hostname)) return undefined;
  if (v.control !== undefined && !isPath(v.control)) return undefined;
  if (v.network !== undefined && !NETWORKS.includes(v.network as Network)) return undefined;
  if (v.publish !== undefined && (!Array.isArray(v.publish) || !v.publish.every((p) => typeof p === 'string' && parsePublish(p)))) return undefined;
  if (v.ephemeral !== undefined && v.ephemeral !== true) return undefined;
  if (v.helperPid !== undefined && (!isCount(v.helperPid) || v.helperPid < 1)) return undefined;
  if (v.cgroup !== undefined && (!isPath(v.cgroup) || !/^\/mini-containers(\/[A-Za-z0-9_.-]+)+$/.test(v.cgroup))) return undefined;
  const { initPid, startTime, rootfs, name, hostname } = v;
  return {
    event: 'started', initPid, startTime, rootfs, name, hostname,
    ...(v.control === undefined ? {} : { control: v.control }),
    ...(v.network === undefined ? {} : { network: v.network as Network, publish: (v.publish as string[] | undefined) ?? [] }),
    ...(v.ephemeral ? { ephemeral: true as const } : {}),
    ...(v.helperPid === undefined ? {} : { helperPid: v.helperPid }),
    ...(v.cgroup === undefined ? {} : { cgroup: v.cgroup as string }),
  };
}

/** All complete lines of a status file's text; a partial last line is left for the next read. */
export function parseStatusText(text: string): StatusEvent[] {
  const lines = text.split('\n');
  lines.pop();
  return lines.map(parseStatusLine).filter((e): e is StatusEvent => e !== undefined);
}

/** One control-channel line asking the helper to signal a process of its container. */
export function formatKillRequest(id: number, target: KillTarget): string {
  for (const n of [id, target.initPid, target.initStartTime, target.pid, target.startTime]) {
    if (!Number.isSafeInteger(n) || n < 0) throw new Error(`Not a valid PID or start time: ${n}`);
  }
  if (!SIGNALS.includes(target.signal)) throw new Error(`Not a signal this extension sends: ${target.signal}`);
  return `kill ${id} ${target.initPid} ${target.initStartTime} ${target.pid} ${target.startTime} ${target.signal}\n`;
}

/** Signals offered in "Send Signal…", by name as the helper takes them. */
export const SIGNALS = ['TERM', 'KILL', 'INT', 'HUP', 'QUIT', 'USR1', 'USR2', 'STOP', 'CONT', 'WINCH'] as const;
export type SignalName = (typeof SIGNALS)[number];

/** A process to signal, pinned by start times so a reused PID is never hit. */
export interface KillTarget {
  initPid: number;
  initStartTime: number;
  pid: number;
  startTime: number;
  signal: SignalName;
}

/** argv of `container-helper.sh kill` for a target. */
export function buildKillArgs(target: KillTarget): string[] {
  formatKillRequest(0, target);
  return [
    'kill', '--container', String(target.initPid), '--container-start-time', String(target.initStartTime),
    '--pid', String(target.pid), '--start-time', String(target.startTime), '--signal', target.signal,
  ];
}
