// What the settings add to a container's start, one function for every way of starting one (the isolated shell, a
// task): the folders it binds and its working directory (miniContainers.mountWorkspace, miniContainers.mounts), its
// network and published ports (miniContainers.network, miniContainers.publish).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as vscode from 'vscode';
import { planBinds } from '../core/helper/bindPlan';
import { parsePublish, type StartRequest } from '../core/helper/helperProtocol';
import { inEnglish, t } from '../localize';
import { readMountSettings, readNetworkSettings } from '../settings';

/** Everything the settings ask for; `delegated` as for readMountOptions (the network is adjusted by forDelegated). */
export function readStartOptions(
  log: vscode.LogOutputChannel, delegated = false,
): Pick<StartRequest, 'binds' | 'workdir' | 'network' | 'publish'> {
  return { ...readMountOptions(log, delegated), ...readNetworkOptions(log) };
}

// --- mounts -------------------------------------------------------------------------------------------------------

/**
 * The start options the settings ask for. `delegated`: the helper will run as root for this user (sudo, pkexec),
 * where every bind is read-only and only the user's own folders, outside the system's, can be bound; a folder
 * that cannot be is left out with one warning that names it and says why (the shell still starts).
 */
export function readMountOptions(log: vscode.LogOutputChannel, delegated = false): Pick<StartRequest, 'binds' | 'workdir'> {
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

// --- network ------------------------------------------------------------------------------------------------------

/**
 * The start options the settings choose: miniContainers.network and miniContainers.publish. Throws an Error that
 * names the setting when a published port is not "HOSTPORT:PORT" (the helper would refuse it too). Whether the
 * helper runs under sudo/pkexec (where host is refused) is decided by `forDelegated`.
 */
export function readNetworkOptions(log: vscode.LogOutputChannel): Pick<StartRequest, 'network' | 'publish'> {
  const { network, publish } = readNetworkSettings();
  const ports = publish.map((text) => {
    const port = parsePublish(text);
    if (!port) throw new Error(t('miniContainers.publish: "{0}" is not HOSTPORT:PORT with ports 1 to 65535.', text));
    return port;
  });
  log.debug(`[shell] network ${network}${publish.length ? `, publish ${publish.join(' ')}` : ''}`);
  return ports.length ? { network, publish: ports } : { network };
}

/**
 * Under sudo or pkexec the helper refuses the host's network (root inside would be uid 0 in it): such a start gets
 * `none` instead, and `notice` is the line the terminal shows once. Anything else is left as it is.
 */
export function forDelegated(
  options: Pick<StartRequest, 'network' | 'publish'>, delegated: boolean,
): { options: Pick<StartRequest, 'network' | 'publish'>; notice?: string } {
  if (!delegated || (options.network ?? 'host') !== 'host') return { options };
  return {
    options: { ...options, network: 'none' },
    notice: t('Network: none (only lo). Under sudo or pkexec a container never shares the host\'s network, so miniContainers.network "host" is not used; choose "private" for a network of its own.'),
  };
}
