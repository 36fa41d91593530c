// "Create Debian Root Filesystem…": a suite picked (the host's own first; Debian's stable and testing; Ubuntu's LTS),
// a name, mmdebstrap run (src/core/rootfs/debianRootfs.ts) in a notification fed from its own output, with Cancel
// leaving nothing; its log in the output channel; the result offered as the default root filesystem.
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  createDebianRootfs, debianPrerequisites, defaultMirror, hostAptSources, hostSuite, parseSuite, readTextOrEmpty, SUITES,
  validMirror, type SuiteChoice,
} from '../core/rootfs/debianRootfs';
import { ImportCancelled } from '../core/rootfs/imageImport';
import { defaultStore } from '../core/rootfs/rootfsStore';
import { readMirrorSetting } from '../settings';
import { inEnglish, t } from '../localize';
import { askRootfsName, offerAsDefault, withCancellableProgress } from './newRootfs';

export function registerCreateDebianRootfs(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): void {
  // Arguments, all optional: the suite ("bookworm", "ubuntu:noble"), the name (then not asked), the store (tests).
  const text = (value: unknown) => (typeof value === 'string' && value ? value : undefined);
  context.subscriptions.push(vscode.commands.registerCommand('miniContainers.createDebianRootfs',
    (suite?: unknown, name?: unknown, store?: unknown) => createDebianRootfsCommand(log, text(suite), text(name), text(store))));
}

function label(choice: SuiteChoice): string {
  return `${choice.distribution === 'ubuntu' ? 'Ubuntu' : 'Debian'} ${choice.suite}`;
}

export async function createDebianRootfsCommand(
  log: vscode.LogOutputChannel, givenSuite?: string, givenName?: string, givenStore?: string,
): Promise<string | undefined> {
  const store = givenStore && path.isAbsolute(givenStore) ? givenStore : defaultStore(process.env);
  let choice: SuiteChoice | undefined = givenSuite ? parseSuite(givenSuite) : undefined;
  if (!choice) {
    const host = hostSuite(readTextOrEmpty('/etc/os-release'));
    const choices = [...(host ? [host] : []), ...SUITES.filter((s) => !host || s.suite !== host.suite)];
    const picked = await vscode.window.showQuickPick(choices.map((c) => ({
      label: label(c),
      description: host && c.suite === host.suite ? t('this machine\'s') : undefined,
      choice: c,
    })), { title: t('Create Debian Root Filesystem'), placeHolder: t('Suite to bootstrap with mmdebstrap') });
    choice = picked?.choice;
  }
  if (!choice) return undefined;
  const mirror = readMirrorSetting(choice.distribution) || defaultMirror(choice.distribution, hostAptSources());
  if (!validMirror(mirror)) {
    void vscode.window.showErrorMessage(t('miniContainers.{0}Mirror: "{1}" is not an http:// or https:// URL.', choice.distribution, mirror));
    return undefined;
  }
  const asRoot = process.getuid?.() === 0;
  const problem = debianPrerequisites(choice, asRoot, os.userInfo().username, process.getuid?.() ?? 0);
  if (problem) {
    log.error(`[debian] ${problem}`);
    void vscode.window.showErrorMessage(t('Cannot create the {0} root filesystem: {1}', label(choice), problem));
    return undefined;
  }
  const name = givenName ?? await askRootfsName(t('Create Debian Root Filesystem'), store, `${choice.distribution}-${choice.suite}`);
  if (!name) return undefined;
  log.info(`[debian] ${label(choice)} from ${mirror} → ${path.join(store, name)} (mmdebstrap, ${asRoot ? 'root' : 'unshare'} mode)`);
  try {
    let reported = 0;
    const result = await withCancellableProgress(t('Creating {0}', label(choice)), (signal, report) => createDebianRootfs(choice!, mirror, store, name, {
      signal,
      onLog: (line) => log.info(`[debian] ${line}`),
      onProgress: ({ fraction, stage }) => {
        const increment = Math.max(0, Math.round(fraction * 100) - reported);
        reported += increment;
        report(stageText(stage), increment);
      },
    }));
    log.info(`[debian] ${label(choice)} is ${result.path}`);
    offerAsDefault(log, 'debian', result.path, t('Created {0} as {1}.', label(choice), result.path));
    return result.path;
  } catch (error) {
    if (error instanceof ImportCancelled) {
      log.info(`[debian] ${label(choice)}: cancelled, nothing was left`);
      return undefined;
    }
    const message = t('Could not create {0}: {1}', label(choice), (error as Error).message);
    log.error(`[debian] ${inEnglish(message)}`);
    void vscode.window.showErrorMessage(message, t('Show Log')).then((answer) => answer && log.show(true));
    return undefined;
  }
}

/** The notification's words for an mmdebstrap stage. */
function stageText(stage: string): string {
  switch (stage) {
    case 'preparing': return t('Preparing…');
    case 'downloading': return t('Downloading packages…');
    case 'extracting': return t('Extracting packages…');
    case 'installing essential packages': return t('Installing essential packages…');
    case 'installing the rest': return t('Installing the other packages…');
    case 'cleaning up': return t('Cleaning up…');
    case 'writing the tarball': return t('Writing the root filesystem…');
    case 'importing': return t('Putting it in the store…');
    default: return t('Working…');
  }
}
