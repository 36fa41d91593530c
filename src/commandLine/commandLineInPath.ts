import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  binFolder, COMMAND_NAME, CommandLineError, hostRuntime, installLauncher, isOnPath, launcherText, repointLauncher,
  uninstallLauncher,
} from '../core/commandLine/launcher';
import { inEnglish, t } from '../localize';

/**
 * What the extension-host tests pass to both commands (the palette passes nothing): another folder than
 * ~/.local/bin or /usr/local/bin, so that a test never touches the real ones. Deliberately not a setting.
 */
export interface CommandLineTarget {
  readonly folder?: string;
}

/** What "Install" did, returned to whoever ran the command (the tests); the user reads it in a notification. */
export interface InstalledCommandLine {
  readonly file: string;
  /** Whether the folder is on the PATH VS Code was started with, which its terminals inherit. */
  readonly onPath: boolean;
}

/**
 * "Install 'mini-containers' Command in PATH" and its "Uninstall", as VS Code's own "Install 'code' command in
 * PATH". On every activation an installed launcher of ours is re-pointed at this copy of the extension and this
 * runtime: an update of the extension or of VS Code moves both (src/core/commandLine/launcher.ts says why a
 * launcher file rather than a link).
 */
export function registerCommandLine(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): void {
  const text = launcherText(context.asAbsolutePath(path.join('dist', 'cli.js')), hostRuntime(process.execPath, process.versions));
  const defaultFolder = () => binFolder(process.getuid?.() ?? -1, os.homedir());
  const folderOf = (target: CommandLineTarget | undefined) => target?.folder ?? defaultFolder();

  // Off activate()'s path: a file read (and at most one write) that nothing waiting on activation needs.
  const later = setImmediate(() => repoint(log, defaultFolder(), text));
  context.subscriptions.push(
    { dispose: () => clearImmediate(later) },
    vscode.commands.registerCommand('miniContainers.installCommandLine', (target?: CommandLineTarget) => install(log, folderOf(target), text)),
    vscode.commands.registerCommand('miniContainers.uninstallCommandLine', (target?: CommandLineTarget) => uninstall(log, folderOf(target))),
  );
}

function repoint(log: vscode.LogOutputChannel, folder: string, text: string): void {
  try {
    const outcome = repointLauncher(folder, text);
    if (outcome === 'repointed') log.info(`[commandLine] re-pointed ${path.join(folder, COMMAND_NAME)} at this copy of the extension`);
  } catch (error) {
    // The command keeps working until the old copy is removed, and then says how to fix it: no notification.
    log.warn(`[commandLine] could not re-point ${path.join(folder, COMMAND_NAME)}: ${(error as Error).message}`);
  }
}

function install(log: vscode.LogOutputChannel, folder: string, text: string): InstalledCommandLine | undefined {
  let file: string;
  try {
    file = installLauncher(folder, text, t).file;
  } catch (error) {
    showFailure(log, t('Installing the mini-containers command failed: {0}', (error as Error).message), error);
    return undefined;
  }
  const onPath = isOnPath(folder, process.env.PATH);
  log.info(`[commandLine] installed ${file}; ${folder} is ${onPath ? '' : 'not '}on PATH`);
  if (onPath) {
    void vscode.window.showInformationMessage(t('The mini-containers command is installed at {0}. Try "mini-containers ps" in a new terminal.', file));
  } else {
    const line = `export PATH="${folder}:$PATH"`;
    const copy = t('Copy Line');
    void vscode.window.showWarningMessage(
      t('The mini-containers command is installed at {0}, but {1} is not on your PATH: add this line to ~/.profile, then log in again: {2}', file, folder, line),
      copy,
    ).then((answer) => (answer === copy ? vscode.env.clipboard.writeText(line) : undefined));
  }
  return { file, onPath };
}

function uninstall(log: vscode.LogOutputChannel, folder: string): 'removed' | 'absent' | undefined {
  const file = path.join(folder, COMMAND_NAME);
  let outcome: 'removed' | 'absent';
  try {
    outcome = uninstallLauncher(folder, t);
  } catch (error) {
    showFailure(log, t('Uninstalling the mini-containers command failed: {0}', (error as Error).message), error);
    return undefined;
  }
  log.info(`[commandLine] ${outcome === 'removed' ? 'removed' : 'nothing to remove at'} ${file}`);
  void vscode.window.showInformationMessage(outcome === 'removed'
    ? t('The mini-containers command is uninstalled ({0} removed).', file)
    : t('The mini-containers command is not installed: there is no {0}.', file));
  return outcome;
}

/** A refusal of ours already says what to do; a system error (EACCES, EROFS…) goes to the log with its stack too. */
function showFailure(log: vscode.LogOutputChannel, message: string, error: unknown): void {
  log.error(`[commandLine] ${inEnglish(message)}${error instanceof CommandLineError ? '' : `\n${(error as Error).stack}`}`);
  void vscode.window.showErrorMessage(message);
}
