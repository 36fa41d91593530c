import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import * as path from 'node:path';
import { PROFILE_ID } from '../contributionIds';
import { buildStartArgs, containerName, isDelegated, planLaunch, privilegedStatusFile, type StartRequest } from '../core/helper/helperProtocol';
import { ContainerPty, makeStatusLocation } from './containerPty';
import { launchContext } from './helperLauncher';
import { readConfinementSettings } from '../settings';
import { loadNodePty } from './nodePty';
import { resolveRootfs } from '../rootfs/rootfsCommands';
import type { Session, Sessions } from '../sessions';
import { inEnglish, t } from '../localize';

/** "Start Isolated Shell" and the "Isolated Shell" terminal profile. */
export function registerIsolatedShell(
  context: vscode.ExtensionContext,
  log: vscode.LogOutputChannel,
  sessions: Sessions,
): void {
  const create = async (): Promise<vscode.TerminalOptions | vscode.ExtensionTerminalOptions | undefined> => {
    const rootfs = await resolveRootfs(log);
    if (!rootfs) return undefined;
    try {
      return await makeTerminalOptions(context, log, sessions, rootfs);
    } catch (error) {
      const message = (error as Error).message;
      log.error(`[shell] ${inEnglish(message)}`);
      vscode.window.showErrorMessage(message);
      return undefined;
    }
  };

  context.subscriptions.push(
    vscode.commands.registerCommand('miniContainers.startIsolatedShell', async () => {
      const options = await create();
      if (!options) return undefined;
      const terminal = vscode.window.createTerminal(options);
      terminal.show();
      return terminal;
    }),
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

/** What a caller other than Start Isolated Shell changes in a start (a task: its command, binds, network, name). */
export interface TerminalOverrides extends Pick<StartRequest, 'binds' | 'workdir' | 'network' | 'publish'> {
  /** PID 1's program and arguments; the rootfs's /bin/sh when absent. */
  command?: readonly string[];
  /** The terminal's name; the container's own name when absent. */
  name?: string;
  /** A task's terminal: closes with the container's exit code as soon as it ends (ContainerPty closeOnExit). */
  closeOnExit?: boolean;
}

/**
 * The one way this window starts a container in a terminal: the helper's start planned for this machine, a
 * ContainerPty that runs it, and the session the Containers view lists. Throws a sentence to show.
 */
export async function makeTerminalOptions(
  context: vscode.ExtensionContext,
  log: vscode.LogOutputChannel,
  sessions: Sessions,
  rootfs: string,
  overrides: TerminalOverrides = {},
): Promise<vscode.ExtensionTerminalOptions & { pty: ContainerPty }> {
  const pty = loadNodePty(vscode.env.appRoot, (line) => log.info(line));
  const name = containerName(rootfs, randomBytes(2).toString('hex'));
  const confinement = readConfinementSettings();
  const { command, binds, workdir, network, publish } = overrides;
  const request = { rootfs, name, ...confinement, command, binds, workdir, network, publish };
  // Under sudo or pkexec the helper, as root, writes only in its own folder: the status file's path is its choice.
  // The launch is planned twice from one reading of the machine: once to learn how it runs, once with its args.
  const how = await launchContext(context, log, { rootfs });
  const delegated = isDelegated(planLaunch(how, buildStartArgs(request), t).via);
  const { statusDir, statusFile, ownsStatusDir } = delegated
    ? { statusDir: path.dirname(privilegedStatusFile(process.getuid?.() ?? 0, name)), statusFile: privilegedStatusFile(process.getuid?.() ?? 0, name), ownsStatusDir: false }
    : { ...makeStatusLocation(), ownsStatusDir: true };
  try {
    const helperArgs = buildStartArgs({ ...request, statusFile: delegated ? undefined : statusFile }, t);
    const launch = planLaunch(how, helperArgs, t);
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
    return { name: overrides.name ?? name, pty: containerPty, iconPath: new vscode.ThemeIcon('vm') };
  } catch (error) {
    if (ownsStatusDir) fs.rmSync(statusDir, { recursive: true, force: true });
    throw error;
  }
}
