import * as vscode from 'vscode';
import type { UnsupportedReason } from './core/platform';
import { PROFILE_ID, VIEW_ID } from './contributionIds';

/** Set to the reason while containers cannot be made here; the view's welcome content and menus read it. */
export const UNSUPPORTED_CONTEXT_KEY = 'miniContainers.unsupportedPlatform';

/**
 * Off Linux (or on WSL 1): the Containers view explains where to go, through its welcome content, and every
 * command and the terminal profile say the same instead of failing on a missing /proc.
 */
export function registerUnsupportedPlatform(
  context: vscode.ExtensionContext,
  log: vscode.LogOutputChannel,
  reason: UnsupportedReason,
): void {
  log.warn(`[platform] ${process.platform} ${process.arch} has no Linux namespaces (${reason}): the extension only explains where to run`);
  void vscode.commands.executeCommand('setContext', UNSUPPORTED_CONTEXT_KEY, reason);

  // An empty tree: VS Code then shows the view's welcome content for this reason.
  const empty: vscode.TreeDataProvider<never> = { getTreeItem: (node) => node, getChildren: () => [] };
  context.subscriptions.push(vscode.window.createTreeView(VIEW_ID, { treeDataProvider: empty }));

  const explain = async () => {
    const openRemote = vscode.l10n.t('Open a Remote Window');
    const answer = await vscode.window.showWarningMessage(explanation(reason), openRemote);
    if (answer === openRemote) await vscode.commands.executeCommand('workbench.action.remote.showMenu');
  };
  const commands = (context.extension.packageJSON as { contributes?: { commands?: { command: string }[] } }).contributes?.commands ?? [];
  for (const { command } of commands) context.subscriptions.push(vscode.commands.registerCommand(command, explain));
  context.subscriptions.push(
    vscode.window.registerTerminalProfileProvider(PROFILE_ID, {
      provideTerminalProfile: () => {
        void explain();
        return undefined;
      },
    }),
  );
}

/** What to do, in one notification. */
export function explanation(reason: UnsupportedReason): string {
  if (reason === 'wsl1') {
    return vscode.l10n.t('This WSL distribution runs on WSL 1, which has no Linux namespaces, so Mini Containers cannot make ' +
      'containers here. Convert it to WSL 2 (in Windows: wsl --set-version <distribution> 2) and reopen the folder.');
  }
  return vscode.l10n.t('Mini Containers makes containers with Linux namespaces, which this machine ({0}) does not have. Open a ' +
    'Linux machine through Remote-SSH, WSL or a Dev Container: the extension then runs there, beside your files.', process.platform);
}
