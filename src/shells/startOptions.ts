import * as vscode from 'vscode';
import type { StartRequest } from '../core/helper/helperProtocol';

// MINIMAL STAND-IN, from the tasks branch: the binds engineer's branch owns this file (miniContainers.mountWorkspace,
// miniContainers.mounts) and the network engineer adds the network and publish settings; on merge, theirs wins.
// Here: every workspace folder bound at its own path, the first one the cwd.

/** The start options every container of this window gets from settings and the workspace folders. */
export function readStartOptions(log: vscode.LogOutputChannel): Pick<StartRequest, 'binds' | 'workdir' | 'network' | 'publish'> {
  const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath);
  if (folders.length === 0) return {};
  log.debug(`[start] workspace folders bound: ${folders.join(', ')}`);
  return { binds: folders.map((source) => ({ source })), workdir: folders[0] };
}
