// "Save Changes as Root Filesystem…": the current tree of a running throw-away container (what its shell changed
// over its rootfs) written as a new rootfs of the store (src/core/rootfs/saveContainer.ts), like `docker commit`.
// From a throw-away container's node in the Containers view, or from the palette with a pick of them. The container
// is looked up in the current model by its key: what a caller passes is only a pointer to it.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Container } from '../core/model/containerModel';
import { containerLabel } from '../core/model/treeText';
import { ImportCancelled } from '../core/rootfs/imageImport';
import { defaultStore } from '../core/rootfs/rootfsStore';
import { saveContainer } from '../core/rootfs/saveContainer';
import type { ContainersProvider } from '../containersView/containersView';
import { inEnglish, t } from '../localize';
import { askRootfsName, offerAsDefault, withCancellableProgress } from './newRootfs';

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
  const proposed = `${path.basename(container.rootfs ?? 'rootfs')}-saved`.replace(/[^A-Za-z0-9_.-]/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 63);
  const name = givenName ?? await askRootfsName(t('Save Changes as Root Filesystem'), store, proposed, t('Name of the new root filesystem in {0}', store));
  if (!name) return undefined;
  log.info(`[save] ${label} (PID 1 = host PID ${container.initHostPid}) → ${path.join(store, name)}`);
  try {
    const result = await withCancellableProgress(t('Saving {0}', label), (signal, report) => saveContainer(container!.initHostPid, container!.startTime, store, name, {
      from: label,
      signal,
      onProgress: (p) => report(p.phase === 'reading' ? t('Reading: {0} MB', (p.done / 1e6).toFixed(1)) : t('Putting it in the store…')),
    }));
    log.info(`[save] ${label} is ${result.path}`);
    offerAsDefault(log, 'save', result.path, t('Saved {0} as {1}.', label, result.path));
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
