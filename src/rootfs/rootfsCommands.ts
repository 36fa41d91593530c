import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { buildBusyboxRootfs, RootfsError } from '../core/rootfs/busyboxRootfs';
import { isDelegated, Launch, quoteForDisplay, ROOTFS_STORE } from '../core/helper/helperProtocol';
import { checkRootfs } from '../core/rootfs/rootfsCheck';
import { planHelperLaunch, runAsRoot } from '../shells/helperLauncher';
import { readRootfsSetting, writeRootfsSetting } from '../settings';
import { inEnglish, t } from '../localize';

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

/**
 * Builds a BusyBox rootfs from the host's static busybox, and selects it: in global storage, the user's own, for
 * rootless shells and for VS Code run as root; in the system store, through the helper as root, when shells run
 * with sudo or pkexec (whose helper takes only a store rootfs).
 */
export async function createBusyboxRootfs(
  context: vscode.ExtensionContext,
  log: vscode.LogOutputChannel,
): Promise<string | undefined> {
  const storage = context.globalStorageUri.fsPath;
  // How a shell on a rootfs of the user's own would run here: made first, so that its owner is known.
  await fs.mkdir(storage, { recursive: true });
  const name = `busybox-u${process.getuid?.() ?? 0}`;
  let launch: Launch | undefined;
  try {
    launch = await planHelperLaunch(context, log, ['make-rootfs', '--name', name], { rootfs: storage });
  } catch {
    launch = undefined; // no way to run the helper: build the user's own, and starting will say why it cannot run
  }
  if (launch && isDelegated(launch.via)) return createInStore(log, launch, name);
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

/** The store's BusyBox rootfs NAME, made by the helper run as root with sudo (in a terminal) or pkexec. */
async function createInStore(log: vscode.LogOutputChannel, launch: Launch, name: string): Promise<string | undefined> {
  const target = `${ROOTFS_STORE}/${name}`;
  const command = [launch.file, ...launch.args].map(quoteForDisplay).join(' ');
  const go = t('Create in the System Store');
  const answer = await vscode.window.showInformationMessage(
    t('Shells here run with {0}, so their root filesystem must be in the system store {1}, which only root can write. Mini Containers will run its helper as root to make one there: {2}', launch.via, ROOTFS_STORE, command),
    { modal: true },
    go,
  );
  if (answer !== go) return undefined;
  log.info(`[rootfs] creating ${target} in the system store via ${launch.via}: ${command}`);
  const title = t('Create BusyBox Root Filesystem');
  const banner = t('Mini Containers runs its helper as root through {0} to create a BusyBox root filesystem in the system store: {1}', launch.via, command);
  const run = await runAsRoot(log, launch, title, banner);
  const error = run.code === undefined ? t('The "{0}" terminal closed before the helper ended.', title)
    : run.code !== 0 ? run.error ?? t('The helper ended with exit code {0}.', run.code) : undefined;
  // Made earlier (by this or another window): the helper's own content, so it is used as it is.
  const existed = error !== undefined && /already exists/.test(error);
  if (error !== undefined && !existed) {
    log.error(`[rootfs] creating ${target} failed: ${error}`);
    vscode.window.showErrorMessage(t('Creating the BusyBox root filesystem failed: {0}', error));
    return undefined;
  }
  await writeRootfsSetting(target);
  log.info(`[rootfs] ${existed ? 'selected the existing' : 'created and selected'} ${target}`);
  vscode.window.showInformationMessage(existed
    ? t('The BusyBox root filesystem at {0} already exists and is now selected.', target)
    : t('BusyBox root filesystem created at {0} and selected.', target));
  return target;
}
