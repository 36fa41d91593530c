// The Root Filesystems view's registration and actions: Start Shell Here, Start Throw-away Shell Here, Use as
// Default, Reveal (the user's only), Delete (modal confirm; refused while a container runs on it; the system store's
// only as root, otherwise the sudo command line to run), Refresh.
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { forgetLastUsed } from '../core/rootfs/rootfsInventory';
import { removeRootfs, RootfsRemoveError, runningRootfsUsers } from '../core/rootfs/rootfsRemove';
import { writeRootfsSetting } from '../settings';
import { inEnglish, t } from '../localize';
import { RootfsItem, RootfsProvider, rootfsPlaces, ROOTFS_VIEW_ID, watchPlaces } from './rootfsView';

export function registerRootfsView(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): RootfsProvider {
  const places = rootfsPlaces();
  // The user's store and the state folder exist from now on, so that they can be watched from the first build on.
  for (const dir of [places.userStore, places.lastUsed.replace(/\/[^/]*$/, '')]) {
    try {
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    } catch (error) {
      log.warn(`[rootfsView] cannot make ${dir}: ${(error as Error).message}`);
    }
  }
  const provider = new RootfsProvider(log, places);
  context.subscriptions.push(provider);
  context.subscriptions.push(vscode.window.createTreeView(ROOTFS_VIEW_ID, { treeDataProvider: provider }));
  context.subscriptions.push(watchPlaces(places, log, () => provider.refresh()));
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('miniContainers.rootfs') && provider.refresh()),
  );

  const register = (id: string, run: (item: RootfsItem) => unknown) => context.subscriptions.push(
    vscode.commands.registerCommand(id, (item: unknown) => (item instanceof RootfsItem ? run(item) : undefined)),
  );
  context.subscriptions.push(vscode.commands.registerCommand('miniContainers.rootfsView.refresh', () => provider.refresh(true)));
  register('miniContainers.rootfsView.startShell', (item) =>
    vscode.commands.executeCommand('miniContainers.startIsolatedShell', item.entry.path));
  register('miniContainers.rootfsView.startThrowawayShell', (item) =>
    vscode.commands.executeCommand('miniContainers.startThrowawayShell', item.entry.path));
  register('miniContainers.rootfsView.useAsDefault', async (item) => {
    await writeRootfsSetting(item.entry.path);
    log.info(`[rootfsView] default: ${item.entry.path}`);
  });
  register('miniContainers.rootfsView.reveal', (item) => reveal(item));
  register('miniContainers.rootfsView.delete', (item) => deleteRootfs(log, provider, item));
  return provider;
}

/** The folder in the OS's file manager on a desktop; in a remote or browser window, in a new window's explorer. */
async function reveal(item: RootfsItem): Promise<void> {
  const uri = vscode.Uri.file(item.entry.path);
  if (vscode.env.remoteName === undefined && vscode.env.uiKind === vscode.UIKind.Desktop) {
    await vscode.commands.executeCommand('revealFileInOS', uri);
  } else {
    await vscode.commands.executeCommand('vscode.openFolder', uri, { forceNewWindow: true });
  }
}

async function deleteRootfs(log: vscode.LogOutputChannel, provider: RootfsProvider, item: RootfsItem): Promise<void> {
  const { entry } = item;
  const uid = process.getuid?.() ?? 0;
  if (!entry.store) {
    vscode.window.showErrorMessage(t('{0} is a folder of yours, not of a store: Mini Containers deletes only the root filesystems it keeps.', entry.path));
    return;
  }
  if (entry.place === 'system' && uid !== 0) {
    const line = `sudo "$(command -v mini-containers)" rootfs rm ${entry.name}`;
    const copy = t('Copy Command');
    const answer = await vscode.window.showErrorMessage(
      t('{0} is in the system store, which only root can change. Run in a terminal: {1}', entry.path, line), copy);
    if (answer === copy) await vscode.env.clipboard.writeText(line);
    return;
  }
  const remove = t('Delete');
  const answer = await vscode.window.showWarningMessage(
    t('Delete the root filesystem {0}? Its folder {1} and everything in it are removed.', entry.name, entry.path),
    { modal: true }, remove);
  if (answer !== remove) return;
  try {
    await vscode.window.withProgress({ location: { viewId: ROOTFS_VIEW_ID } }, () =>
      removeRootfs(entry.store as string, entry.name, { users: () => runningRootfsUsers(process.env, uid), t }));
  } catch (error) {
    const message = (error as Error).message;
    log.error(`[rootfsView] delete ${entry.path}: ${inEnglish(message)}`);
    vscode.window.showErrorMessage(error instanceof RootfsRemoveError ? message : t('Deleting {0} failed: {1}', entry.path, message));
    provider.refresh();
    return;
  }
  log.info(`[rootfsView] deleted ${entry.path}`);
  try {
    forgetLastUsed(provider.places.lastUsed, entry.path);
  } catch (error) {
    log.warn(`[rootfsView] cannot update ${provider.places.lastUsed}: ${(error as Error).message}`);
  }
  if (entry.isDefault) await writeRootfsSetting('');
  provider.refresh();
}
