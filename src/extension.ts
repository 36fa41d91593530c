import * as os from 'node:os';
import * as vscode from 'vscode';
import { registerContainerCommands } from './containerCommands';
import { registerContainersView } from './containersView';
import { platformSupport } from './core/platform';
import { registerInstallHelper } from './installHelper';
import { registerIsolatedShell, Sessions } from './isolatedShell';
import { registerRootfsCommands } from './rootfsCommands';
import { Signaller } from './signaller';
import { registerUnsupportedPlatform } from './unsupportedPlatform';

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('Mini Containers', { log: true });
  context.subscriptions.push(log);
  const support = platformSupport(process.platform, os.release());
  if (!support.supported) {
    registerUnsupportedPlatform(context, log, support.reason);
    return;
  }
  const sessions = new Sessions();
  context.subscriptions.push(sessions);

  registerRootfsCommands(context, log);
  registerIsolatedShell(context, log, sessions);
  registerInstallHelper(context, log);
  const tree = registerContainersView(context, log, sessions);
  registerContainerCommands(context, log, tree, new Signaller(context, log, sessions));
}

export function deactivate(): void {}
