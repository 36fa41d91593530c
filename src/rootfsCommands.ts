import * as path from 'node:path';
import * as vscode from 'vscode';
import { buildBusyboxRootfs, RootfsError } from './core/busyboxRootfs';
import { checkRootfs } from './core/rootfsCheck';
import { readRootfsSetting, writeRootfsSetting } from './settings';

const CHOOSE = 'Choose Root Filesystem…';
const CREATE = 'Create BusyBox Root Filesystem';

/** "Choose Root Filesystem…" and "Create BusyBox Root Filesystem". */
export function registerRootfsCommands(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): void {
  context.subscriptions.push(vscode.commands.registerCommand('miniContainers.chooseRootfs', () => chooseRootfs(log)));
  context.subscriptions.push(
    vscode.commands.registerCommand('miniContainers.createBusyboxRootfs', () => createBusyboxRootfs(context, log)),
  );
}

/** Asks for a folder until it is a usable rootfs or the user gives up; stores it in the setting. */
export async function chooseRootfs(log: vscode.LogOutputChannel): Promise<string | undefined> {
  for (;;) {
    const picked = await vscode.window.showOpenDialog({
      canSelectFiles: false,
      canSelectFolders: true,
      canSelectMany: false,
      openLabel: 'Use as Root Filesystem',
      title: 'Root filesystem for isolated shells (it needs bin/sh, proc/ and dev/)',
    });
    if (!picked?.length) return undefined;
    const dir = picked[0].fsPath;
    const problems = await checkRootfs(dir);
    if (!problems.length) {
      await writeRootfsSetting(dir);
      log.info(`[rootfs] chosen: ${dir}`);
      vscode.window.showInformationMessage(`Isolated shells will use the root filesystem ${dir}.`);
      return dir;
    }
    log.warn(`[rootfs] refused ${dir}: ${problems.join(' ')}`);
    const again = await vscode.window.showErrorMessage(problems.join(' '), 'Choose Again', CREATE);
    if (again === CREATE) return vscode.commands.executeCommand<string | undefined>('miniContainers.createBusyboxRootfs');
    if (again !== 'Choose Again') return undefined;
  }
}

/** Builds a BusyBox rootfs in global storage from the host's static busybox, and selects it. */
export async function createBusyboxRootfs(
  context: vscode.ExtensionContext,
  log: vscode.LogOutputChannel,
): Promise<string | undefined> {
  const storage = context.globalStorageUri.fsPath;
  let target = path.join(storage, 'busybox-rootfs');
  if (!(await checkRootfs(target)).length) {
    await writeRootfsSetting(target);
    vscode.window.showInformationMessage(`The BusyBox root filesystem at ${target} already exists and is now selected.`);
    return target;
  }
  target = `${target}-${Date.now().toString(36)}`;
  try {
    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Creating BusyBox root filesystem' },
      (progress) =>
        buildBusyboxRootfs(target, {
          onProgress: (step) => {
            log.info(`[rootfs] ${step}`);
            progress.report({ message: step });
          },
        }),
    );
  } catch (error) {
    const message = (error as Error).message;
    log.error(`[rootfs] creating ${target} failed: ${message}`);
    if (error instanceof RootfsError) vscode.window.showErrorMessage(message);
    else vscode.window.showErrorMessage(`Creating the BusyBox root filesystem failed: ${message}`);
    return undefined;
  }
  await writeRootfsSetting(target);
  vscode.window.showInformationMessage(`BusyBox root filesystem created at ${target} and selected.`);
  return target;
}

/**
 * The rootfs to start a shell in: the setting when it is usable; otherwise the user gets the two ways to get one.
 * Undefined when the user made no choice.
 */
export async function resolveRootfs(log: vscode.LogOutputChannel): Promise<string | undefined> {
  const configured = readRootfsSetting();
  let prompt = 'No root filesystem is set for isolated shells.';
  if (configured) {
    const problems = await checkRootfs(configured);
    if (!problems.length) return configured;
    prompt = `miniContainers.rootfs: ${problems.join(' ')}`;
    log.warn(`[rootfs] ${prompt}`);
  }
  const choice = await vscode.window.showErrorMessage(prompt, CHOOSE, CREATE);
  if (choice === CHOOSE) return vscode.commands.executeCommand<string | undefined>('miniContainers.chooseRootfs');
  if (choice === CREATE) return vscode.commands.executeCommand<string | undefined>('miniContainers.createBusyboxRootfs');
  return undefined;
}
