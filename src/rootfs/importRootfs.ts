// "Import Root Filesystem…": a tar of a root filesystem (plain, gzip, xz, zstd), an OCI image layout (folder or tar)
// or a `docker save` tar, chosen in an open dialog (or given as the command's argument); a name defaulting from the
// file's; the import (src/core/rootfs/imageImport.ts) in a notification with its progress and a Cancel; the entries
// left out named in the log; and the result offered as the default root filesystem.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { defaultRootfsName, ImportCancelled, importImage, type ImportProgress } from '../core/rootfs/imageImport';
import { defaultStore } from '../core/rootfs/rootfsStore';
import { inEnglish, t } from '../localize';
import { askRootfsName, offerAsDefault, withCancellableProgress } from './newRootfs';

export function registerImportRootfs(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): void {
  // Arguments, all optional: the file or folder and the name (then not asked), and the store (tests: a temp folder).
  const text = (value: unknown) => (typeof value === 'string' && value ? value : undefined);
  context.subscriptions.push(vscode.commands.registerCommand('miniContainers.importRootfs',
    (source?: unknown, name?: unknown, store?: unknown) => importRootfsCommand(log, text(source), text(name), text(store))));
}

/** One line of progress, as the notification shows it. */
function progressMessage(p: ImportProgress): string {
  const mb = (bytes: number) => (bytes / 1e6).toFixed(1);
  if (p.phase === 'read') return t('Reading the image…');
  const what = p.phase === 'unpack' ? t('Unpacking') : t('Layer {0}', p.phase.replace(/^layer /, ''));
  return p.total ? t('{0}: {1} of {2} MB', what, mb(p.done), mb(p.total)) : t('{0}: {1} MB', what, mb(p.done));
}

/** Imports a rootfs into the store; resolves with its path, or undefined when cancelled or failed (said). */
export async function importRootfsCommand(
  log: vscode.LogOutputChannel, givenSource?: string, givenName?: string, givenStore?: string,
): Promise<string | undefined> {
  const store = givenStore && path.isAbsolute(givenStore) ? givenStore : defaultStore(process.env);
  let source = givenSource && path.isAbsolute(givenSource) ? givenSource : undefined;
  if (!source) {
    const picked = await vscode.window.showOpenDialog({
      canSelectFiles: true,
      canSelectFolders: true,
      canSelectMany: false,
      openLabel: t('Import'),
      title: t('Import a root filesystem: a tar (plain, gzip, xz, zstd), an OCI image layout or a docker save tar'),
    });
    if (!picked?.length) return undefined;
    source = picked[0].fsPath;
  }
  const name = givenName ?? await askRootfsName(t('Import Root Filesystem'), store, defaultRootfsName(source));
  if (!name) return undefined;
  log.info(`[import] ${source} → ${path.join(store, name)}`);
  try {
    const result = await withCancellableProgress(t('Importing {0}', path.basename(source)), (signal, report) =>
      importImage(source, store, name, { signal, onProgress: (p) => report(progressMessage(p)) }));
    log.info(`[import] ${source} is ${result.path} (${result.meta.origin.kind === 'import' ? result.meta.origin.format : result.meta.origin.kind})`);
    for (const skipped of result.skipped) log.warn(`[import] skipped ${skipped}`);
    const message = result.skipped.length
      ? t('Imported {0} as {1}; {2} entries that could write outside it were left out (listed in the log).', path.basename(source), result.path, result.skipped.length)
      : t('Imported {0} as {1}.', path.basename(source), result.path);
    offerAsDefault(log, 'import', result.path, message, result.skipped.length > 0);
    return result.path;
  } catch (error) {
    if (error instanceof ImportCancelled) {
      log.info(`[import] ${source}: cancelled, nothing was left`);
      return undefined;
    }
    const message = t('Could not import {0}: {1}', source, (error as Error).message);
    log.error(`[import] ${inEnglish(message)}`);
    void vscode.window.showErrorMessage(message);
    return undefined;
  }
}
