/**
 * The `isolatedShell` task type: what a tasks.json entry means, as a start of the helper. Pure: no vscode, no I/O.
 * A task's `command` is a command line, as a `shell` task's is: the container's own /bin/sh runs it, with `args`
 * appended, each quoted, so `npm test`, `make -j2` or `sh -c 'exit 3'` mean what they mean in a shell task.
 */
import { english, type Localize } from '../localize';
import { type BindSpec, NETWORKS, type StartRequest } from '../helper/helperProtocol';

/** The task type contributed in package.json (`taskDefinitions`). */
export const ISOLATED_TASK_TYPE = 'isolatedShell';

/** An `isolatedShell` task's definition, as tasks.json gives it (checked by {@link parseIsolatedTask}). */
export interface IsolatedTaskDefinition {
  readonly type: typeof ISOLATED_TASK_TYPE;
  /** The command line, run by the container's /bin/sh. */
  readonly command: string;
  /** Words appended to the command line, each single-quoted. */
  readonly args?: readonly string[];
  /** The container's network (`--network`); the setting's when absent. */
  readonly network?: 'host' | 'none' | 'private';
  /** Extra binds, `SRC[:DEST][:ro]`, `${workspaceFolder}` and a leading `~` expanded. */
  readonly mounts?: readonly string[];
  /** The root filesystem; miniContainers.rootfs when absent. */
  readonly rootfs?: string;
}

/** What the VS Code layer knows when it starts a task: the folders, the home, and the start options of settings. */
export interface TaskStartContext {
  /** Absolute paths of the workspace folders; the first one is `${workspaceFolder}`. */
  readonly workspaceFolders: readonly string[];
  readonly home: string;
  /** What settings give every start (readStartOptions: the workspace binds, the cwd, the network). */
  readonly base: Pick<StartRequest, 'binds' | 'workdir' | 'network'>;
}

/** The part of a helper start that a task decides; the rootfs is undefined when the setting (or a prompt) decides. */
export type TaskStart = Required<Pick<StartRequest, 'command'>> & Pick<StartRequest, 'binds' | 'workdir' | 'network'> & { rootfs?: string };


/**
 * A tasks.json definition → a typed one; throws an Error saying what to fix (shown in the task's terminal).
 * Unknown properties are left alone: VS Code adds its own (`label`, `problemMatcher`…) beside the definition.
 */
export function parseIsolatedTask(value: unknown, t: Localize = english): IsolatedTaskDefinition {
  const v = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  if (typeof v.command !== 'string' || !v.command.trim()) throw new Error(t('An isolatedShell task needs a "command": the command line to run.'));
  const strings = (x: unknown) => Array.isArray(x) && x.every((s) => typeof s === 'string');
  if (v.args !== undefined && !strings(v.args)) throw new Error(t('"args" of an isolatedShell task must be a list of strings.'));
  if (v.mounts !== undefined && !strings(v.mounts)) throw new Error(t('"mounts" of an isolatedShell task must be a list of strings SRC[:DEST][:ro].'));
  if (v.network !== undefined && !NETWORKS.includes(v.network as never)) throw new Error(t('"network" of an isolatedShell task must be host, none or private.'));
  if (v.rootfs !== undefined && typeof v.rootfs !== 'string') throw new Error(t('"rootfs" of an isolatedShell task must be a path.'));
  return {
    type: ISOLATED_TASK_TYPE,
    command: v.command,
    ...(v.args !== undefined && { args: v.args as string[] }),
    ...(v.network !== undefined && { network: v.network as IsolatedTaskDefinition['network'] }),
    ...(v.mounts !== undefined && { mounts: v.mounts as string[] }),
    ...(v.rootfs !== undefined && { rootfs: v.rootfs }),
  };
}

/** The helper start of a task: /bin/sh -c LINE, the settings' binds and cwd plus the task's mounts, its network. */
export function taskStart(definition: IsolatedTaskDefinition, context: TaskStartContext, t: Localize = english): TaskStart {
  const expand = (text: string) => expandPath(text, context, t);
  const binds: BindSpec[] = [...(context.base.binds ?? []), ...(definition.mounts ?? []).map((m) => parseMount(expand(m), t))];
  const network = definition.network ?? context.base.network;
  const rootfs = definition.rootfs?.trim() ? expand(definition.rootfs.trim()) : undefined;
  if (rootfs !== undefined && !rootfs.startsWith('/')) throw new Error(t('The root filesystem must be an absolute path: {0}', rootfs));
  return {
    command: ['/bin/sh', '-c', commandLine(definition.command, definition.args ?? [])],
    ...(binds.length > 0 && { binds }),
    ...(context.base.workdir !== undefined && { workdir: context.base.workdir }),
    ...(network !== undefined && { network }),
    ...(rootfs !== undefined && { rootfs }),
  };
}

/** `command` followed by each arg single-quoted for a POSIX shell. */
export function commandLine(command: string, args: readonly string[]): string {
  return [command, ...args.map(shellQuote)].join(' ');
}

/** One word for a POSIX shell, whatever it holds. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** `SRC[:DEST][:ro]` → a bind; throws when SRC or DEST is not absolute. */
export function parseMount(text: string, t: Localize = english): BindSpec {
  const parts = text.split(':');
  const readOnly = parts.length > 1 && parts[parts.length - 1] === 'ro';
  if (readOnly) parts.pop();
  if (parts.length > 2 || parts.some((p) => !p.startsWith('/'))) {
    throw new Error(t('Invalid mount "{0}": use SRC[:DEST][:ro] with absolute paths.', text));
  }
  const [source, dest] = parts;
  return { source, ...(dest !== undefined && { dest }), ...(readOnly && { readOnly }) };
}

/** `${workspaceFolder}` (the first folder) and a leading `~` expanded; nothing else is. */
function expandPath(text: string, context: TaskStartContext, t: Localize): string {
  let out = text;
  if (out.includes('${workspaceFolder}')) {
    const folder = context.workspaceFolders[0];
    if (folder === undefined) throw new Error(t('"{0}" names the workspace folder, but no folder is open.', text));
    out = out.split('${workspaceFolder}').join(folder);
  }
  if (out === '~' || out.startsWith('~/')) out = context.home + out.slice(1);
  return out;
}

// --- existing tasks offered by "Run Task in Isolated Shell…"

/** What "Run Task in Isolated Shell…" reads of a workspace task (VS Code's Task, reduced to plain values). */
export type ExistingTask =
  | { kind: 'shell'; commandLine: string }
  | { kind: 'shell'; command: string; args: readonly string[] }
  | { kind: 'npm'; script: string; path?: string };

/** The isolatedShell definition that runs an existing shell or npm task the same way, in a container. */
export function isolatedFromExisting(task: ExistingTask): IsolatedTaskDefinition {
  if (task.kind === 'npm') {
    const run = commandLine('npm run', [task.script]);
    // An npm task of a package.json below the folder runs in that package's folder.
    const command = task.path ? `cd ${shellQuote(task.path)} && ${run}` : run;
    return { type: ISOLATED_TASK_TYPE, command };
  }
  if ('commandLine' in task) return { type: ISOLATED_TASK_TYPE, command: task.commandLine };
  return { type: ISOLATED_TASK_TYPE, command: task.command, ...(task.args.length > 0 && { args: task.args }) };
}

/**
 * The problem matchers a tasks.json entry names (`problemMatcher`: a name, or a list of names and inline
 * matchers), which VS Code's API does not give for a fetched task. A Task made by an extension can take only
 * names: `inline` counts the inline ones left out.
 */
export function namedProblemMatchers(problemMatcher: unknown): { names: string[]; inline: number } {
  const all = Array.isArray(problemMatcher) ? problemMatcher : problemMatcher === undefined ? [] : [problemMatcher];
  const names = all.filter((m): m is string => typeof m === 'string' && m.length > 0);
  return { names, inline: all.length - names.length };
}
