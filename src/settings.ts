// Every setting the extension reads, read here only: one place for each key, its default and its bounds (the same
// as package.json's, which VS Code does not enforce on a hand-edited settings.json).
import * as vscode from 'vscode';
import { NETWORKS, type Network, type Privilege } from './core/helper/helperProtocol';

const SECTION = 'miniContainers';

/** A number setting within package.json's bounds; the default when it is not a number. */
function boundedNumber(key: string, fallback: number, min: number, max: number): number {
  const value = vscode.workspace.getConfiguration(SECTION).get<number>(key, fallback);
  return typeof value === 'number' && Number.isFinite(value) ? Math.min(max, Math.max(min, value)) : fallback;
}

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

export function readConfinementSettings(): { privileged: boolean; init: boolean } & ResourceLimits {
  const config = vscode.workspace.getConfiguration(SECTION);
  return { privileged: config.get<boolean>('privileged', false), init: config.get<boolean>('init', false), ...readLimitSettings() };
}

export interface ResourceLimits {
  memory?: string;
  pids?: number | 'max';
  cpus?: string;
}

/**
 * miniContainers.memory, pids and cpus: the limits of a container's cgroup. pids is passed only when the user set
 * it (0: none): its default, 4096, is the helper's own wherever a group exists, so that a rootless shell with no
 * group, which refuses any limit asked for, still starts when nothing was asked.
 */
export function readLimitSettings(): ResourceLimits {
  const config = vscode.workspace.getConfiguration(SECTION);
  const memory = String(config.get<string>('memory', '') ?? '').trim();
  const cpus = String(config.get<string | number>('cpus', '') ?? '').trim();
  const pids = config.inspect<number>('pids');
  const chosen = pids?.workspaceFolderValue ?? pids?.workspaceValue ?? pids?.globalValue;
  return {
    ...(memory ? { memory } : {}),
    ...(cpus ? { cpus } : {}),
    ...(typeof chosen === 'number' && Number.isFinite(chosen) ? { pids: chosen === 0 ? 'max' as const : Math.trunc(chosen) } : {}),
  };
}

/** miniContainers.refreshInterval: seconds between refreshes of the Containers view while it is visible. */
export function readRefreshIntervalSeconds(): number {
  return boundedNumber('refreshInterval', 2, 0.25, 60);
}

/** miniContainers.stopTimeout: seconds Stop Container waits after SIGTERM before SIGKILL. */
export function readStopTimeoutSeconds(): number {
  return boundedNumber('stopTimeout', 10, 0, 600);
}

/** VS Code's own workbench.welcomePage.walkthroughs.openOnInstall: whether the first use may open the walkthrough. */
export function readWalkthroughsOpenOnInstall(): boolean {
  return vscode.workspace.getConfiguration('workbench').get<boolean>('welcomePage.walkthroughs.openOnInstall', true);
}

/** The `tasks` entries of tasks.json (VS Code's own `tasks` section) for `folder`: what the task API leaves out. */
export function readTasksJsonEntries(folder: vscode.Uri | undefined): unknown[] {
  const entries = vscode.workspace.getConfiguration('tasks', folder).get<unknown>('tasks');
  return Array.isArray(entries) ? entries : [];
}

/** miniContainers.mountWorkspace and miniContainers.mounts: what a new isolated shell binds. */
export function readMountSettings(): { mountWorkspace: boolean; mounts: string[] } {
  const config = vscode.workspace.getConfiguration(SECTION);
  const mounts = config.get<unknown>('mounts', []);
  return {
    mountWorkspace: config.get<boolean>('mountWorkspace', true) !== false,
    mounts: Array.isArray(mounts) ? mounts.filter((m): m is string => typeof m === 'string' && m.trim() !== '') : [],
  };
}

/**
 * miniContainers.network and miniContainers.publish, as written: the network (host when not one of the three) and
 * the "HOSTPORT:PORT" strings (checked by readStartOptions, which says which one is wrong).
 */
/** miniContainers.debianMirror / miniContainers.ubuntuMirror: the archive to bootstrap from; empty: the host's apt source. */
export function readMirrorSetting(distribution: 'debian' | 'ubuntu'): string {
  const value = vscode.workspace.getConfiguration(SECTION).get<unknown>(`${distribution}Mirror`, '');
  return typeof value === 'string' ? value.trim() : '';
}

/** miniContainers.ephemeral: whether isolated shells start on a throw-away root. */
export function readEphemeralSetting(): boolean {
  return vscode.workspace.getConfiguration(SECTION).get<unknown>('ephemeral', false) === true;
}

export function readNetworkSettings(): { network: Network; publish: string[] } {
  const config = vscode.workspace.getConfiguration(SECTION);
  const network = config.get<string>('network', 'host');
  const publish = config.get<unknown>('publish', []);
  return {
    network: NETWORKS.includes(network as Network) ? network as Network : 'host',
    publish: Array.isArray(publish) ? publish.map(String) : [],
  };
}
