import * as os from 'node:os';
import * as vscode from 'vscode';
import { registerContainerCommands } from './containerCommands';
import { registerContainersView } from './containersView';
import { platformSupport } from './core/platform';
import { registerInstallHelper } from './installHelper';
import { registerIsolatedShell } from './isolatedShell';
import { registerNamespacesPanel } from './namespacesPanel';
import { registerRootfsCommands } from './rootfsCommands';
import { Sessions } from './sessions';
import { Signaller } from './signaller';
import { registerUnsupportedPlatform } from './unsupportedPlatform';
import { registerWalkthrough } from './walkthrough';

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
  const { provider, view } = registerContainersView(context, log, sessions);
  const signaller = new Signaller(context, log, sessions);
  context.subscriptions.push(signaller);
  registerContainerCommands(context, log, provider, signaller);
  registerNamespacesPanel(context, log, provider, view);
  registerWalkthrough(context, log, sessions, signaller);
}

export function deactivate(): void {}
