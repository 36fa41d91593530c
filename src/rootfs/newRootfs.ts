// What every command that makes a root filesystem (Pull Image…, Import Root Filesystem…, Create Debian Root
// Filesystem…, Save Changes as Root Filesystem…) shows the same way: the name asked, the work in a notification whose
// Cancel aborts it, and the result offered as the default.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { ROOTFS_NAME } from '../core/rootfs/rootfsStore';
import { writeRootfsSetting } from '../settings';
import { t } from '../localize';

/** The name of a new rootfs in `store`, proposed as `value`: letters, digits, _ . - and not taken. */
export function askRootfsName(title: string, store: string, value: string, prompt = t('Name of the root filesystem in {0}', store)): Thenable<string | undefined> {
  return vscode.window.showInputBox({
    title,
    prompt,
    value,
    ignoreFocusOut: true,
    validateInput: (text) => !ROOTFS_NAME.test(text) ? t('Use letters, digits, _ . - (at most 63).')
      : fs.existsSync(path.join(store, text)) ? t('A root filesystem named {0} already exists in {1}.', text, store) : undefined,
  });
}

/**
 * Runs `work` in a notification titled `title`: its signal aborts when the user presses Cancel; `report` shows a
 * message (each once, in a row) and, when given, moves the bar by `increment` percent.
 */
export function withCancellableProgress<T>(
  title: string, work: (signal: AbortSignal, report: (message: string, increment?: number) => void) => Promise<T>,
): Thenable<T> {
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (progress, token) => {
    const controller = new AbortController();
    const cancel = token.onCancellationRequested(() => controller.abort());
    let said = '';
    return work(controller.signal, (message, increment) => {
      if (message === said && !increment) return;
      said = message;
      progress.report({ message, increment });
    }).finally(() => cancel.dispose());
  });
}

/**
 * Says that `rootfs` was made (`message`), as a warning with Show Log when `warn`, and makes it miniContainers.rootfs
 * if the user picks Use as Default.
 */
export function offerAsDefault(log: vscode.LogOutputChannel, tag: string, rootfs: string, message: string, warn = false): void {
  const use = t('Use as Default');
  const showLog = t('Show Log');
  const shown = warn ? vscode.window.showWarningMessage(message, use, showLog) : vscode.window.showInformationMessage(message, use);
  void shown.then(async (answer) => {
    if (answer === showLog) log.show(true);
    if (answer !== use) return;
    await writeRootfsSetting(rootfs);
    log.info(`[${tag}] ${rootfs} is now miniContainers.rootfs`);
  });
}
