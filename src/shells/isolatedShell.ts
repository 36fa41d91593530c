import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import * as os from 'node:os';
import * as path from 'node:path';
import { PROFILE_ID } from '../contributionIds';
import {
  type BindSpec, buildStartArgs, containerName, isDelegated, type Launch, planLaunch, privilegedStatusFile, type StartRequest,
} from '../core/helper/helperProtocol';
import { ContainerPty, makeStatusLocation } from './containerPty';
import { launchContext } from './helperLauncher';
import { imageDefaults } from '../rootfs/imageDefaults';
import { readConfinementSettings, readEphemeralSetting } from '../settings';
import { loadNodePty } from './nodePty';
import { forDelegated, readMountOptions, readNetworkOptions } from './startOptions';
import { resolveRootfs } from '../rootfs/rootfsCommands';
import type { Session, Sessions } from '../sessions';
import { inEnglish, t } from '../localize';
import { checkRootfs } from '../core/rootfs/rootfsCheck';
import { lastUsedFile, recordLastUsed } from '../core/rootfs/rootfsInventory';

/** "Start Isolated Shell" and the "Isolated Shell" terminal profile. */
export function registerIsolatedShell(
  context: vscode.ExtensionContext,
  log: vscode.LogOutputChannel,
  sessions: Sessions,
): void {
  /**
   * `given`: a rootfs path (the Root Filesystems view's Start Shell Here); else the setting's, or the user's choice.
   * `overrides`: Start Throw-away Shell's `ephemeral`.
   */
  const create = async (given?: string, overrides: TerminalOverrides = {}): Promise<vscode.TerminalOptions | vscode.ExtensionTerminalOptions | undefined> => {
    const rootfs = given ?? await resolveRootfs(log);
    if (!rootfs) return undefined;
    if (given !== undefined) {
      const problems = await checkRootfs(given, undefined, t);
      if (problems.length) {
        const message = `${given}: ${problems.join(' ')}`;
        log.error(`[shell] ${inEnglish(message)}`);
        vscode.window.showErrorMessage(message);
        return undefined;
      }
    }
    try {
      return await makeTerminalOptions(context, log, sessions, rootfs, overrides);
    } catch (error) {
      const message = (error as Error).message;
      log.error(`[shell] ${inEnglish(message)}`);
      vscode.window.showErrorMessage(message);
      return undefined;
    }
  };

  const open = async (rootfs: unknown, overrides: TerminalOverrides) => {
    const options = await create(typeof rootfs === 'string' && path.isAbsolute(rootfs) ? rootfs : undefined, overrides);
    if (!options) return undefined;
    const terminal = vscode.window.createTerminal(options);
    terminal.show();
    return terminal;
  };
  context.subscriptions.push(
    // An optional argument: the absolute path of the rootfs to start on (anything else, e.g. a tree item a menu
    // passes, is ignored).
    vscode.commands.registerCommand('miniContainers.startIsolatedShell', (rootfs?: unknown) => open(rootfs, {})),
    // The same on a throw-away root (`--ephemeral`), whatever miniContainers.ephemeral says.
    vscode.commands.registerCommand('miniContainers.startThrowawayShell', (rootfs?: unknown) => open(rootfs, { ephemeral: true })),
  );
  context.subscriptions.push(
    vscode.window.registerTerminalProfileProvider(PROFILE_ID, {
      async provideTerminalProfile() {
        const options = await create();
        return options ? new vscode.TerminalProfile(options) : undefined;
      },
    }),
  );
}

/** What a caller may set instead of the settings: a command instead of the shell, binds, workdir, network, a name. */
export type TerminalOverrides = Partial<Pick<StartRequest, 'command' | 'binds' | 'workdir' | 'network' | 'publish' | 'ephemeral'>> & {
  name?: string;
  /**
   * Changes the binds and workdir the settings give (read once it is known whether the helper runs delegated): a
   * task adds its own mounts and works in its own folder.
   */
  adjustStartOptions?: (fromSettings: Pick<StartRequest, 'binds' | 'workdir'>) => Pick<StartRequest, 'binds' | 'workdir'>;
  /** A task's terminal: it closes with the container's exit code as soon as the container ends (ContainerPty). */
  closeOnExit?: boolean;
};

/** The terminal of a new container on `rootfs`: the settings' start options unless `overrides` gives them. */
export async function makeTerminalOptions(
  context: vscode.ExtensionContext,
  log: vscode.LogOutputChannel,
  sessions: Sessions,
  rootfs: string,
  overrides: TerminalOverrides = {},
): Promise<vscode.ExtensionTerminalOptions> {
  const pty = loadNodePty(vscode.env.appRoot, (line) => log.info(line));
  const name = overrides.name ?? containerName(rootfs, randomBytes(2).toString('hex'));
  const confinement = readConfinementSettings();
  // Under sudo or pkexec the helper, as root, writes only in its own folder: the status file's path is its choice.
  // The launch is planned twice from one reading of the machine: once to learn how it runs, once with its args.
  const how = await launchContext(context, log, { rootfs });
  const via = planLaunch(how, buildStartArgs({ rootfs, name, ...confinement }), t).via;
  const delegated = isDelegated(via);
  const settings = overrides.binds === undefined || overrides.workdir === undefined ? readMountOptions(log, delegated) : {};
  const fromSettings = overrides.adjustStartOptions ? overrides.adjustStartOptions(settings) : settings;
  const binds = overrides.binds ?? fromSettings.binds;
  // An imported or pulled image runs its own command in its WorkingDir with its Env (a task's own folder wins).
  const image = imageDefaults(rootfs);
  const workdir = overrides.workdir ?? (overrides.adjustStartOptions ? fromSettings.workdir : image?.workdir ?? fromSettings.workdir);
  const ephemeral = overrides.ephemeral ?? readEphemeralSetting();
  const chosenNetwork = overrides.network === undefined ? readNetworkOptions(log) : { network: overrides.network, publish: overrides.publish };
  // Under sudo or pkexec the host's network is refused: none instead, said once in the terminal.
  const { options: networkOptions, notice } = forDelegated(chosenNetwork, delegated);
  const { statusDir, statusFile, ownsStatusDir } = delegated
    ? { statusDir: path.dirname(privilegedStatusFile(process.getuid?.() ?? 0, name)), statusFile: privilegedStatusFile(process.getuid?.() ?? 0, name), ownsStatusDir: false }
    : { ...makeStatusLocation(), ownsStatusDir: true };
  try {
    const helperArgs = buildStartArgs({
      rootfs, name, statusFile: delegated ? undefined : statusFile, ...confinement, binds, workdir, ...networkOptions, command: overrides.command ?? image?.command, env: image?.env, ephemeral,
    }, t);
    const launch = planLaunch(how, helperArgs, t);
    if (notice) log.info(`[shell] ${name}: ${inEnglish(notice)}`);
    if (confinement.privileged) {
      log.warn(`[shell] ${name}: privileged (miniContainers.privileged): root inside keeps every capability`);
      vscode.window.showWarningMessage(t(
        '{0} runs privileged (miniContainers.privileged): root inside keeps every capability and can take over the host.', name,
      ));
    }
    const containerPty = new ContainerPty({
      name,
      launch,
      warning: confinement.privileged
        ? t('Privileged (miniContainers.privileged): root in this shell keeps every capability and can take over the host.')
        : undefined,
      notes: [
        ...(ephemeral ? [t('Throw-away: changes to the root filesystem vanish when this shell ends (folders bound in keep theirs).')] : []),
        ...bindNotes(via, binds ?? []), ...(notice ? [notice] : []),
      ],
      statusDir,
      statusFile,
      ownsStatusDir,
      pty,
      log,
      onStarted: (event) => {
        session.container = event;
        sessions.changed();
      },
      onEnded: () => sessions.remove(session),
      closeOnExit: overrides.closeOnExit,
    });
    const session: Session = { name, pty: containerPty };
    sessions.add(session);
    // The Root Filesystems view's "last used": a record of the user's own (see lastUsedFile).
    try {
      recordLastUsed(lastUsedFile(process.env, os.homedir()), rootfs);
    } catch (error) {
      log.warn(`[shell] cannot record the last use of ${rootfs}: ${(error as Error).message}`);
    }
    return { name, pty: containerPty, iconPath: new vscode.ThemeIcon('vm') };
  } catch (error) {
    if (ownsStatusDir) fs.rmSync(statusDir, { recursive: true, force: true });
    throw error;
  }
}

/** The banner's lines about the binds: where they are, and, as root, whose the files made there are on the host. */
function bindNotes(via: Launch['via'], binds: readonly BindSpec[]): string[] {
  if (!binds.length) return [];
  const list = binds.map((b) => `${b.source}${b.dest && b.dest !== b.source ? ` → ${b.dest}` : ''}${b.readOnly ? ' (ro)' : ''}`).join(', ');
  if (isDelegated(via)) return [t('Mounted read-only (under sudo or pkexec every mount is): {0}. A rootless shell can write there.', list)];
  if (via === 'root') return [t('Mounted: {0}. Files made inside by root are root\'s on the host.', list)];
  return [t('Mounted: {0}. Files made inside are yours on the host.', list)];
}
