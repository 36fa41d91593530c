import * as vscode from 'vscode';
import { registerIsolatedShell, Sessions } from './isolatedShell';
import { registerRootfsCommands } from './rootfsCommands';

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('Mini Containers', { log: true });
  context.subscriptions.push(log);
  const sessions = new Sessions();
  context.subscriptions.push(sessions);

  registerRootfsCommands(context, log);
  registerIsolatedShell(context, log, sessions);
}

export function deactivate(): void {}
