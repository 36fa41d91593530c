// What a new isolated shell gets besides its rootfs, from the settings and the workspace: the folders it binds and
// its working directory (miniContainers.mountWorkspace, miniContainers.mounts).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as vscode from 'vscode';
import { planBinds } from '../core/helper/bindPlan';
import type { StartRequest } from '../core/helper/helperProtocol';
import { inEnglish, t } from '../localize';
import { readMountSettings } from '../settings';

/**
 * The start options the settings ask for. `delegated`: the helper will run as root for this user (sudo, pkexec),
 * where every bind is read-only and only the user's own folders, outside the system's, can be bound; a folder
 * that cannot be is left out with one warning that names it and says why (the shell still starts).
 */
export function readStartOptions(log: vscode.LogOutputChannel, delegated = false): Pick<StartRequest, 'binds' | 'workdir'> {
  const { mountWorkspace, mounts } = readMountSettings();
  const workspaceFolders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath);
  const plan = planBinds({
    mountWorkspace, mounts, workspaceFolders, home: os.homedir(), delegated, uid: process.getuid?.() ?? 0,
    folderOwnerOf: (path) => {
      try {
        const st = fs.statSync(path);
        return st.isDirectory() ? st.uid : undefined;
      } catch {
        return undefined;
      }
    },
  }, t);
  for (const warning of plan.warnings) {
    log.warn(`[shell] ${inEnglish(warning)}`);
    vscode.window.showWarningMessage(warning);
  }
  return { binds: plan.binds, workdir: plan.workdir };
}
