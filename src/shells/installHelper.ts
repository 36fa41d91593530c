import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { quoteForDisplay } from '../core/helper/helperProtocol';
import { HELPER_FILES, installHelperFiles } from '../core/helper/helperInstall';
import { sudoersLine, SYSTEM_HELPER_PATH } from '../core/helper/systemHelper';
import { findProgram, runHelperInTerminal, shippedHelperPath } from './helperLauncher';
import { inEnglish, t } from '../localize';

/**
 * "Install Helper System-wide": copies the shipped helper, root-owned and mode 0755, to a fixed system path, and
 * gives the sudoers rule that allows only that copy. A password-less rule must never name a file a user can
 * change, such as the copy inside the extension folder.
 */
export function registerInstallHelper(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('miniContainers.installHelper', async () => {
      const source = shippedHelperPath(context);
      try {
        if (process.getuid?.() === 0) installAsRoot(source);
        else await installWithSudo(log, source);
      } catch (error) {
        log.error(`[install] Installing the helper failed: ${inEnglish((error as Error).message)}`);
        vscode.window.showErrorMessage(t('Installing the helper failed: {0}', (error as Error).message));
        return;
      }
      const rule = sudoersLine(os.userInfo().username);
      log.info(`[install] helper installed at ${SYSTEM_HELPER_PATH}; sudoers rule: ${rule}`);
      const copy = t('Copy Sudoers Rule');
      const answer = await vscode.window.showInformationMessage(
        t('The helper is installed at {0} (root-owned) and will be used while it matches this version. ' +
          'To start isolated shells without a password, add with "sudo visudo -f /etc/sudoers.d/mini-containers": {1}',
        SYSTEM_HELPER_PATH, rule),
        copy,
      );
      if (answer === copy) await vscode.env.clipboard.writeText(rule);
    }),
  );
}

/** As root: the shared install of every file the helper reads (src/core/helper/helperInstall.ts). */
function installAsRoot(source: string): void {
  installHelperFiles(path.dirname(source), '/usr/local');
}

/** `sudo install` in a terminal, where the user types the password; rejects with why when it did not succeed. */
async function installWithSudo(log: vscode.LogOutputChannel, source: string): Promise<void> {
  const sudo = findProgram('sudo');
  if (!sudo) throw new Error(t('sudo is not installed; run VS Code as root once, or copy the helper by hand.'));
  const files = HELPER_FILES.map((f) => path.join(path.dirname(source), f));
  const args = ['--', 'install', '-D', '-o', 'root', '-g', 'root', '-m', '0755', '-t', path.dirname(SYSTEM_HELPER_PATH), ...files];
  const ended = (code: number | undefined) => t('sudo install ended with exit code {0}', code ?? t('unknown'));
  const { code } = await runHelperInTerminal(log, t('Install Mini Containers helper'), sudo, args,
    t('Copying the helper and its seccomp filter to {0}, owned by root: {1}', path.dirname(SYSTEM_HELPER_PATH), `sudo ${args.map(quoteForDisplay).join(' ')}`),
    (failed) => `[${ended(failed)}]`);
  if (code !== 0) throw new Error(ended(code));
}
