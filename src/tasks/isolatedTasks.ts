import * as os from 'node:os';
import * as vscode from 'vscode';
import {
  ISOLATED_TASK_TYPE, commandLine, isolatedFromExisting, namedProblemMatchers, parseIsolatedTask, taskStart, type ExistingTask, type IsolatedTaskDefinition,
} from '../core/tasks/isolatedTask';
import { resolveRootfs } from '../rootfs/rootfsCommands';
import { makeTerminalOptions } from '../shells/isolatedShell';
import { readTasksJsonEntries } from '../settings';
import type { Sessions } from '../sessions';
import { inEnglish, t } from '../localize';

interface Deps {
  readonly context: vscode.ExtensionContext;
  readonly log: vscode.LogOutputChannel;
  readonly sessions: Sessions;
}

/**
 * The `isolatedShell` task type (tasks.json: command, args, network, mounts, rootfs) and "Run Task in Isolated
 * Shell…". A task runs in a fresh container started exactly as Start Isolated Shell starts one (makeTerminalOptions),
 * in a terminal that closes with the command's exit code, so VS Code reports it and problem matchers read its output.
 */
export function registerIsolatedTasks(context: vscode.ExtensionContext, log: vscode.LogOutputChannel, sessions: Sessions): void {
  const deps: Deps = { context, log, sessions };
  context.subscriptions.push(
    vscode.tasks.registerTaskProvider(ISOLATED_TASK_TYPE, {
      // Nothing to detect: isolatedShell tasks are the ones tasks.json declares (and Run Task in Isolated Shell…).
      provideTasks: () => [],
      resolveTask: (task) => isolatedTask(deps, task.definition, task.scope, task.name, task.problemMatchers),
    }),
  );
  context.subscriptions.push(
    vscode.commands.registerCommand('miniContainers.runTaskIsolated', () => runTaskIsolated(deps)),
  );
}

/** A Task of type isolatedShell whose execution starts its container when VS Code runs it. */
function isolatedTask(
  deps: Deps,
  definition: vscode.TaskDefinition,
  scope: vscode.Task['scope'],
  name: string,
  problemMatchers: string[],
): vscode.Task {
  const execution = new vscode.CustomExecution(() => startTaskTerminal(deps, definition, scope, name));
  return new vscode.Task(definition, scope ?? vscode.TaskScope.Workspace, name, ISOLATED_TASK_TYPE, execution, problemMatchers);
}

/** The container's terminal for one run of the task; a terminal that says why and ends with 125 when it cannot start. */
async function startTaskTerminal(
  { context: extension, log, sessions }: Deps,
  definition: vscode.TaskDefinition,
  scope: vscode.Task['scope'],
  name: string,
): Promise<vscode.Pseudoterminal> {
  try {
    const parsed = parseIsolatedTask(definition, t);
    // ${workspaceFolder} is the task's own folder, as in a shell task; the others follow.
    const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file');
    const own = typeof scope === 'object' ? folders.find((f) => f.uri.toString() === scope.uri.toString()) : undefined;
    const workspaceFolders = [...(own ? [own] : []), ...folders.filter((f) => f !== own)].map((f) => f.uri.fsPath);
    const context = { workspaceFolders, home: os.homedir() };
    // Checked now, before any container: the task's mounts and rootfs; its command and network.
    const start = taskStart(parsed, { ...context, base: {} }, t);
    const rootfs = start.rootfs ?? (await resolveRootfs(log));
    if (!rootfs) return new MessagePty(t('The task "{0}" did not run: no root filesystem was chosen.', name));
    log.info(`[task] ${name}: ${start.command.join(' ')} in a container on ${rootfs}`);
    const { pty } = await makeTerminalOptions(extension, log, sessions, rootfs, {
      command: start.command,
      network: start.network,
      closeOnExit: true,
      // The settings' binds (the workspace) plus the task's mounts; the task's own folder is its cwd, as in a shell
      // task, when the settings bind the workspace in at all.
      adjustStartOptions: (settings) => {
        const base = own && settings.workdir !== undefined ? { ...settings, workdir: own.uri.fsPath } : settings;
        const { binds, workdir } = taskStart(parsed, { ...context, base }, t);
        return { binds, workdir };
      },
    });
    return pty;
  } catch (error) {
    const message = t('The task "{0}" did not run: {1}', name, (error as Error).message);
    log.error(`[task] ${inEnglish(message)}`);
    return new MessagePty(message);
  }
}

/** A task's terminal that only says why the task did not run, then ends as a helper error (125) would. */
class MessagePty implements vscode.Pseudoterminal {
  private readonly writeEmitter = new vscode.EventEmitter<string>();
  private readonly closeEmitter = new vscode.EventEmitter<number | void>();
  readonly onDidWrite = this.writeEmitter.event;
  readonly onDidClose = this.closeEmitter.event;

  constructor(private readonly message: string) {}

  open(): void {
    this.writeEmitter.fire(`\x1b[31m${this.message}\x1b[0m\r\n`);
    this.closeEmitter.fire(125);
    this.writeEmitter.dispose();
    this.closeEmitter.dispose();
  }

  close(): void {}
}

// --- Run Task in Isolated Shell…

/** A workspace task as "Run Task in Isolated Shell…" can run it: npm tasks by script, shell tasks by command. */
function existingTask(task: vscode.Task): ExistingTask | undefined {
  const { definition, execution } = task;
  if (definition.type === 'npm' && typeof definition.script === 'string') {
    return { kind: 'npm', script: definition.script, ...(typeof definition.path === 'string' && definition.path && { path: definition.path }) };
  }
  if (definition.type !== 'shell' || !(execution instanceof vscode.ShellExecution)) return undefined;
  if (execution.commandLine !== undefined) return { kind: 'shell', commandLine: execution.commandLine };
  if (execution.command === undefined) return undefined;
  const word = (w: string | vscode.ShellQuotedString) => (typeof w === 'string' ? w : w.value);
  return { kind: 'shell', command: word(execution.command), args: (execution.args ?? []).map(word) };
}

async function runTaskIsolated(deps: Deps): Promise<void> {
  const tasks = await vscode.tasks.fetchTasks();
  const items = tasks.flatMap((task) => {
    const existing = existingTask(task);
    if (!existing) return [];
    const definition: IsolatedTaskDefinition = isolatedFromExisting(existing);
    const folder = typeof task.scope === 'object' ? task.scope.name : undefined;
    return [{ label: task.name, description: [task.source, folder].filter(Boolean).join(' · '), detail: commandLine(definition.command, definition.args ?? []), task, definition }];
  });
  if (items.length === 0) {
    void vscode.window.showInformationMessage(t('This workspace has no shell or npm task to run in an isolated shell.'));
    return;
  }
  const picked = await vscode.window.showQuickPick(items, {
    title: t('Run Task in Isolated Shell'),
    placeHolder: t('Pick a task: it runs in a fresh container with the workspace bound in (npm tasks need npm in the root filesystem).'),
    matchOnDetail: true,
  });
  if (!picked) return;
  deps.log.info(`[task] running "${picked.task.name}" isolated: ${picked.detail}`);
  const task = isolatedTask(deps, { ...picked.definition }, picked.task.scope, t('{0} (isolated)', picked.task.name), problemMatchersOf(deps.log, picked.task));
  task.group = picked.task.group;
  task.presentationOptions = picked.task.presentationOptions;
  await vscode.tasks.executeTask(task);
}

/**
 * The problem matchers of a workspace task: VS Code's API gives none for a task of tasks.json, so they are read from
 * the folder's `tasks` configuration, the entry of the same label; inline ones cannot be carried (logged).
 */
function problemMatchersOf(log: vscode.LogOutputChannel, task: vscode.Task): string[] {
  if (task.problemMatchers.length > 0) return task.problemMatchers;
  const folder = typeof task.scope === 'object' ? task.scope.uri : undefined;
  const entry = readTasksJsonEntries(folder).find((e): e is Record<string, unknown> => typeof e === 'object' && e !== null && (e as Record<string, unknown>).label === task.name);
  const { names, inline } = namedProblemMatchers(entry?.problemMatcher);
  if (inline > 0) log.warn(`[task] "${task.name}": ${inline} inline problem matcher(s) of tasks.json cannot be carried to the isolated run; named ones can`);
  return names;
}
