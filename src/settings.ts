import * as vscode from 'vscode';
import type { Privilege } from './core/helperProtocol';

const SECTION = 'miniContainers';

export function readRootfsSetting(): string {
  return vscode.workspace.getConfiguration(SECTION).get<string>('rootfs', '').trim();
}

export async function writeRootfsSetting(dir: string): Promise<void> {
  await vscode.workspace.getConfiguration(SECTION).update('rootfs', dir, vscode.ConfigurationTarget.Global);
}

export function readPrivilegeSetting(): Privilege {
  const value = vscode.workspace.getConfiguration(SECTION).get<string>('privilege', 'auto');
  return value === 'rootless' || value === 'root' || value === 'sudo' || value === 'pkexec' ? value : 'auto';
}

export function readConfinementSettings(): { privileged: boolean; init: boolean } {
  const config = vscode.workspace.getConfiguration(SECTION);
  return { privileged: config.get<boolean>('privileged', false), init: config.get<boolean>('init', false) };
}
