import * as os from 'node:os';
import * as vscode from 'vscode';
import { registerCommandLine } from './commandLine/commandLineInPath';
import { registerContainerCommands } from './containersView/containerCommands';
import { registerContainersView } from './containersView/containersView';
import { registerOpenShell } from './containersView/openShell';
import { registerSaveChanges } from './rootfs/saveChanges';
import { Signaller } from './containersView/signaller';
import { platformSupport } from './core/platform';
import { registerNamespacesPanel } from './learning/namespacesPanel';
import { registerWalkthrough } from './learning/walkthrough';
import { registerRootfsCommands } from './rootfs/rootfsCommands';
import { registerRootfsView } from './rootfsView/rootfsActions';
import { registerPullImage } from './rootfs/pullImage';
import { registerImportRootfs } from './rootfs/importRootfs';
import { registerCreateDebianRootfs } from './rootfs/createDebianRootfs';
import { Sessions } from './sessions';
import { registerInstallHelper } from './shells/installHelper';
import { registerIsolatedShell } from './shells/isolatedShell';
import { registerIsolatedTasks } from './tasks/isolatedTasks';
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
  registerPullImage(context, log);
  registerImportRootfs(context, log);
  registerCreateDebianRootfs(context, log);
  registerIsolatedShell(context, log, sessions);
  registerIsolatedTasks(context, log, sessions);
  registerInstallHelper(context, log);
  registerCommandLine(context, log);
  const { provider, view } = registerContainersView(context, log, sessions);
  const signaller = new Signaller(context, log, sessions);
  context.subscriptions.push(signaller);
  registerContainerCommands(context, log, provider, signaller);
  registerRootfsView(context, log);
  registerOpenShell(context, log, provider);
  registerSaveChanges(context, log, provider);
  registerNamespacesPanel(context, log, provider, view);
  registerWalkthrough(context, log, sessions, signaller);
}

export function deactivate(): void {}
