// "Save Changes as Root Filesystem…": the current tree of a running throw-away container (what its shell changed
// over its rootfs) written as a new rootfs of the store (src/core/rootfs/saveContainer.ts), like `docker commit`.
// From a throw-away container's node in the Containers view, or from the palette with a pick of them. The container
// is looked up in the current model by its key: what a caller passes is only a pointer to it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Container } from '../core/model/containerModel';
import { containerLabel } from '../core/model/treeText';
import { ImportCancelled } from '../core/rootfs/imageImport';
import { ROOTFS_NAME, defaultStore } from '../core/rootfs/rootfsStore';
import { saveContainer } from '../core/rootfs/saveContainer';
import type { ContainersProvider } from '../containersView/containersView';
import { writeRootfsSetting } from '../settings';
import { inEnglish, t } from '../localize';

export function registerSaveChanges(context: vscode.ExtensionContext, log: vscode.LogOutputChannel, provider: ContainersProvider): void {
  // Arguments, all optional: a tree node (or { container: { key } }), the name (then not asked), the store (tests).
  const text = (value: unknown) => (typeof value === 'string' && value ? value : undefined);
  context.subscriptions.push(vscode.commands.registerCommand('miniContainers.saveChanges',
    (node?: { container?: { key?: unknown } }, name?: unknown, store?: unknown) => saveChangesCommand(log, provider, node?.container?.key, text(name), text(store))));
}

/** The throw-away containers of a fresh scan. */
function throwaways(provider: ContainersProvider): Container[] {
  const model = provider.refresh() ?? provider.current;
  return (model?.containers ?? []).filter((c) => c.ephemeral);
}

export async function saveChangesCommand(
  log: vscode.LogOutputChannel, provider: ContainersProvider, key: unknown, givenName?: string, givenStore?: string,
): Promise<string | undefined> {
  const running = throwaways(provider);
  let container = running.find((c) => c.key === key);
  if (key !== undefined && !container) {
    void vscode.window.showErrorMessage(t('That container is not a running throw-away container any more.'));
    return undefined;
  }
  if (!container) {
    if (!running.length) {
      void vscode.window.showInformationMessage(t('No throw-away container is running: start one with Start Throw-away Shell.'));
      return undefined;
    }
    const picked = await vscode.window.showQuickPick(
      running.map((c) => ({ label: containerLabel(c, t), detail: c.rootfs ?? undefined, container: c })),
      { title: t('Save Changes as Root Filesystem'), placeHolder: t('Pick a running throw-away container') },
    );
    container = picked?.container;
  }
  if (!container) return undefined;
  const label = containerLabel(container, t);
  const store = givenStore && path.isAbsolute(givenStore) ? givenStore : defaultStore(process.env);
  const name = givenName ?? await vscode.window.showInputBox({
    title: t('Save Changes as Root Filesystem'),
    prompt: t('Name of the new root filesystem in {0}', store),
    value: `${path.basename(container.rootfs ?? 'rootfs')}-saved`.replace(/[^A-Za-z0-9_.-]/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 63),
    ignoreFocusOut: true,
    validateInput: (text) => !ROOTFS_NAME.test(text) ? t('Use letters, digits, _ . - (at most 63).')
      : fs.existsSync(path.join(store, text)) ? t('A root filesystem named {0} already exists in {1}.', text, store) : undefined,
  });
  if (!name) return undefined;
  log.info(`[save] ${label} (PID 1 = host PID ${container.initHostPid}) → ${path.join(store, name)}`);
  try {
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: t('Saving {0}', label), cancellable: true },
      (progress, token) => {
        const controller = new AbortController();
        const cancel = token.onCancellationRequested(() => controller.abort());
        return saveContainer(container!.initHostPid, container!.startTime, store, name, {
          from: label,
          signal: controller.signal,
          onProgress: (p) => progress.report({
            message: p.phase === 'reading' ? t('Reading: {0} MB', (p.done / 1e6).toFixed(1)) : t('Putting it in the store…'),
          }),
        }).finally(() => cancel.dispose());
      },
    );
    log.info(`[save] ${label} is ${result.path}`);
    const use = t('Use as Default');
    void vscode.window.showInformationMessage(t('Saved {0} as {1}.', label, result.path), use).then(async (answer) => {
      if (answer !== use) return;
      await writeRootfsSetting(result.path);
      log.info(`[save] ${result.path} is now miniContainers.rootfs`);
    });
    return result.path;
  } catch (error) {
    if (error instanceof ImportCancelled) {
      log.info(`[save] ${label}: cancelled, nothing was left`);
      return undefined;
    }
    const message = t('Could not save {0}: {1}', label, (error as Error).message);
    log.error(`[save] ${inEnglish(message)}`);
    void vscode.window.showErrorMessage(message);
    return undefined;
  }
}
