import * as path from 'node:path';
import * as vscode from 'vscode';
import { buildBusyboxRootfs, RootfsError } from './core/busyboxRootfs';
import { checkRootfs } from './core/rootfsCheck';
import { readRootfsSetting, writeRootfsSetting } from './settings';
import { inEnglish, t } from './localize';

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
      openLabel: t('Use as Root Filesystem'),
      title: t('Root filesystem for isolated shells (it needs bin/sh, proc/ and dev/)'),
    });
    if (!picked?.length) return undefined;
    const dir = picked[0].fsPath;
    const problems = await checkRootfs(dir, undefined, t);
    if (!problems.length) {
      await writeRootfsSetting(dir);
      log.info(`[rootfs] chosen: ${dir}`);
      vscode.window.showInformationMessage(t('Isolated shells will use the root filesystem {0}.', dir));
      return dir;
    }
    log.warn(`[rootfs] refused ${dir}: ${inEnglish(problems.join(' '))}`);
    const chooseAgain = t('Choose Again');
    const create = t('Create BusyBox Root Filesystem');
    const again = await vscode.window.showErrorMessage(problems.join(' '), chooseAgain, create);
    if (again === create) return vscode.commands.executeCommand<string | undefined>('miniContainers.createBusyboxRootfs');
    if (again !== chooseAgain) return undefined;
  }
}

/** Builds a BusyBox rootfs in global storage from the host's static busybox, and selects it. */
export async function createBusyboxRootfs(
  context: vscode.ExtensionContext,
  log: vscode.LogOutputChannel,
): Promise<string | undefined> {
  const storage = context.globalStorageUri.fsPath;
  let target = path.join(storage, 'busybox-rootfs');
  if (!(await checkRootfs(target, undefined, t)).length) {
    await writeRootfsSetting(target);
    vscode.window.showInformationMessage(t('The BusyBox root filesystem at {0} already exists and is now selected.', target));
    return target;
  }
  target = `${target}-${Date.now().toString(36)}`;
  try {
    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: t('Creating BusyBox root filesystem') },
      (progress) =>
        buildBusyboxRootfs(target, {
          t,
          onProgress: (step) => {
            log.info(`[rootfs] ${inEnglish(step)}`);
            progress.report({ message: step });
          },
        }),
    );
  } catch (error) {
    const message = (error as Error).message;
    log.error(`[rootfs] creating ${target} failed: ${inEnglish(message)}`);
    if (error instanceof RootfsError) vscode.window.showErrorMessage(message);
    else vscode.window.showErrorMessage(t('Creating the BusyBox root filesystem failed: {0}', message));
    return undefined;
  }
  await writeRootfsSetting(target);
  vscode.window.showInformationMessage(t('BusyBox root filesystem created at {0} and selected.', target));
  return target;
}

/**
 * The rootfs to start a shell in: the setting when it is usable; otherwise the user gets the two ways to get one.
 * Undefined when the user made no choice.
 */
export async function resolveRootfs(log: vscode.LogOutputChannel): Promise<string | undefined> {
  const configured = readRootfsSetting();
  let prompt = t('No root filesystem is set for isolated shells.');
  if (configured) {
    const problems = await checkRootfs(configured, undefined, t);
    if (!problems.length) return configured;
    prompt = `miniContainers.rootfs: ${problems.join(' ')}`;
    log.warn(`[rootfs] ${inEnglish(prompt)}`);
  }
  const choose = t('Choose Root Filesystem…');
  const create = t('Create BusyBox Root Filesystem');
  const choice = await vscode.window.showErrorMessage(prompt, choose, create);
  if (choice === choose) return vscode.commands.executeCommand<string | undefined>('miniContainers.chooseRootfs');
  if (choice === create) return vscode.commands.executeCommand<string | undefined>('miniContainers.createBusyboxRootfs');
  return undefined;
}
