// "Pull Image…": a reference asked in an input box (or given as the command's argument), a rootfs name defaulting
// from it, the pull (src/core/rootfs/imagePull.ts) in a notification with its progress and a Cancel, and the result
// offered as the default root filesystem.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { defaultRootfsName, formatReference, parseReference, PullError, pullImage, type PullProgress } from '../core/rootfs/imagePull';
import { defaultStore } from '../core/rootfs/rootfsStore';
import { inEnglish, t } from '../localize';
import { askRootfsName, offerAsDefault, withCancellableProgress } from './newRootfs';

export function registerPullImage(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): void {
  // Arguments, all optional: the reference and the name (then not asked), and the store (tests: a temp folder).
  const text = (value: unknown) => (typeof value === 'string' && value ? value : undefined);
  context.subscriptions.push(vscode.commands.registerCommand('miniContainers.pullImage',
    (reference?: unknown, name?: unknown, store?: unknown) => pullImageCommand(log, text(reference), text(name), text(store))));
}

/** One line of progress, as the notification shows it. */
function progressMessage(p: PullProgress): string {
  if (p.phase === 'download') return t('{0} MB downloaded, {1} of {2} layers stored', (p.done / 1e6).toFixed(1), p.layersDone ?? 0, p.layers ?? 0);
  return p.total ? t('Unpacking: {0} of {1}', p.done, p.total) : t('Unpacking…');
}

/** Pulls an image as a rootfs of the store; resolves with its path, or undefined when cancelled or failed (said). */
export async function pullImageCommand(
  log: vscode.LogOutputChannel, given?: string, givenName?: string, givenStore?: string,
): Promise<string | undefined> {
  const store = givenStore && path.isAbsolute(givenStore) ? givenStore : defaultStore(process.env);
  const reference = given ?? await vscode.window.showInputBox({
    title: t('Pull Image'),
    prompt: t('Image reference: docker.io/library/debian:bookworm, alpine:3.20, ghcr.io/OWNER/IMAGE:TAG or NAME@sha256:…'),
    placeHolder: t('alpine:3.20'),
    ignoreFocusOut: true,
    validateInput: (text) => (!text.trim() || parseReference(text) ? undefined : t('Not an image reference.')),
  });
  const ref = reference ? parseReference(reference) : undefined;
  if (!reference || !ref) {
    if (reference) vscode.window.showErrorMessage(t('"{0}" is not an image reference (examples: docker.io/library/debian:bookworm, alpine:3.20, ghcr.io/OWNER/IMAGE:TAG, NAME@sha256:…).', reference));
    return undefined;
  }
  const name = givenName ?? await askRootfsName(t('Pull Image'), store, defaultRootfsName(ref));
  if (!name) return undefined;
  const shown = formatReference(ref);
  log.info(`[pull] ${shown} → ${path.join(store, name)}`);
  try {
    let said = '';
    const result = await withCancellableProgress(t('Pulling {0}', shown), (signal, report) => pullImage(reference, store, name, {
      t,
      signal,
      onProgress: (p) => {
        const message = progressMessage(p);
        report(message);
        if (p.phase !== 'download' && message !== said) log.info(`[pull] ${inEnglish((said = message))}`);
      },
    }));
    log.info(`[pull] ${shown} (${result.digest}) is ${result.path}`);
    for (const skipped of result.skipped) log.warn(`[pull] skipped: ${skipped}`);
    offerAsDefault(log, 'pull', result.path, t('Pulled {0} as {1}.', shown, result.path));
    return result.path;
  } catch (error) {
    const message = (error as Error).message;
    if (error instanceof PullError && error.code === 'cancelled') {
      log.info(`[pull] ${inEnglish(message)}`);
      return undefined;
    }
    log.error(`[pull] ${inEnglish(message)}${error instanceof PullError && error.stderr ? `\n${error.stderr.trim()}` : ''}`);
    void vscode.window.showErrorMessage(message);
    return undefined;
  }
}
