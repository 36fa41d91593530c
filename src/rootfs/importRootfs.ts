// "Import Root Filesystem…": a tar of a root filesystem (plain, gzip, xz, zstd), an OCI image layout (folder or tar)
// or a `docker save` tar, chosen in an open dialog (or given as the command's argument); a name defaulting from the
// file's; the import (src/core/rootfs/imageImport.ts) in a notification with its progress and a Cancel; the entries
// left out named in the log; and the result offered as the default root filesystem.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { defaultRootfsName, ImportCancelled, importImage, type ImportProgress } from '../core/rootfs/imageImport';
import { ROOTFS_NAME, defaultStore } from '../core/rootfs/rootfsStore';
import { writeRootfsSetting } from '../settings';
import { inEnglish, t } from '../localize';

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
  const name = givenName ?? await vscode.window.showInputBox({
    title: t('Import Root Filesystem'),
    prompt: t('Name of the root filesystem in {0}', store),
    value: defaultRootfsName(source),
    ignoreFocusOut: true,
    validateInput: (text) => !ROOTFS_NAME.test(text) ? t('Use letters, digits, _ . - (at most 63).')
      : fs.existsSync(path.join(store, text)) ? t('A root filesystem named {0} already exists in {1}.', text, store) : undefined,
  });
  if (!name) return undefined;
  log.info(`[import] ${source} → ${path.join(store, name)}`);
  try {
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: t('Importing {0}', path.basename(source)), cancellable: true },
      (progress, token) => {
        const controller = new AbortController();
        const cancel = token.onCancellationRequested(() => controller.abort());
        let said = '';
        return importImage(source, store, name, {
          signal: controller.signal,
          onProgress: (p) => {
            const message = progressMessage(p);
            if (message === said) return;
            said = message;
            progress.report({ message });
          },
        }).finally(() => cancel.dispose());
      },
    );
    log.info(`[import] ${source} is ${result.path} (${result.meta.origin.kind === 'import' ? result.meta.origin.format : result.meta.origin.kind})`);
    for (const skipped of result.skipped) log.warn(`[import] skipped ${skipped}`);
    const use = t('Use as Default');
    const showLog = t('Show Log');
    const message = result.skipped.length
      ? t('Imported {0} as {1}; {2} entries that could write outside it were left out (listed in the log).', path.basename(source), result.path, result.skipped.length)
      : t('Imported {0} as {1}.', path.basename(source), result.path);
    const shown = result.skipped.length
      ? vscode.window.showWarningMessage(message, use, showLog)
      : vscode.window.showInformationMessage(message, use);
    void shown.then(async (answer) => {
      if (answer === showLog) log.show(true);
      if (answer !== use) return;
      await writeRootfsSetting(result.path);
      log.info(`[import] ${result.path} is now miniContainers.rootfs`);
    });
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
