import * as vscode from 'vscode';
import type { Container } from '../core/model/containerModel';
import { buildExecArgs, execTerminalName, planExec } from '../core/helper/execPlan';
import { EXIT_HELPER_ERROR } from '../core/helper/helperProtocol';
import { helperErrorLine } from '../core/helper/helperError';
import { parseStatus } from '../core/proc/procParse';
import { bootTimeMs, readProcText } from '../core/proc/procReader';
import { containerDescription, containerLabel } from '../core/model/treeText';
import type { ContainersProvider } from './containersView';
import { openEngineShell } from '../shells/engineShell';
import { launchContext } from '../shells/helperLauncher';
import { HelperPty, type HelperPtyOptions } from '../shells/helperPty';
import { loadNodePty } from '../shells/nodePty';
import { inEnglish, t } from '../localize';

/**
 * "Open Shell in Container": a new shell in a running container, in a terminal of its own named `<container> (2)`,
 * `(3)`…, through the helper's `exec` (Docker and Podman containers through their engine). From a container node
 * of the tree, or from the palette with a pick of the running containers. Closing the terminal ends that shell only.
 */
export function registerOpenShell(context: vscode.ExtensionContext, log: vscode.LogOutputChannel, provider: ContainersProvider): void {
  context.subscriptions.push(vscode.commands.registerCommand('miniContainers.openShellInContainer', async (node?: { container?: Container }) => {
    const container = node?.container ?? (await pickContainer(provider));
    if (!container) return undefined;
    try {
      return await openShell(context, log, container);
    } catch (error) {
      const message = t('Could not open a shell in {0}: {1}', containerLabel(container, t), (error as Error).message);
      log.error(`[exec] ${inEnglish(message)}`);
      vscode.window.showErrorMessage(message);
      return undefined;
    }
  }));
}

/** The running containers of a fresh scan, to pick one; undefined when none is picked (or none runs: said). */
async function pickContainer(provider: ContainersProvider): Promise<Container | undefined> {
  const model = provider.refresh() ?? provider.current;
  const containers = model?.containers ?? [];
  if (!containers.length) {
    vscode.window.showInformationMessage(t('No container is running.'));
    return undefined;
  }
  const now = Date.now();
  const bootMs = bootTimeMs();
  const picked = await vscode.window.showQuickPick(
    containers.map((c) => ({
      label: containerLabel(c, t), description: containerDescription(c, c.processes.length, now, bootMs, t), detail: c.rootfs ?? undefined, container: c,
    })),
    { title: t('Open Shell in Container'), placeHolder: t('Pick a running container') },
  );
  return picked?.container;
}

async function openShell(context: vscode.ExtensionContext, log: vscode.LogOutputChannel, container: Container): Promise<vscode.Terminal | undefined> {
  // Docker and Podman containers (the engines' discovery sets `engine`) get the engine's own exec.
  if (container.engine !== null) return openEngineShell(container, log);
  const label = containerLabel(container, t);
  const args = buildExecArgs({ initPid: container.initHostPid, initStartTime: container.startTime }, t);
  const plan = planExec(await launchContext(context, log), { startedBy: container.startedBy, ownerUid: ownerOf(container.initHostPid) }, args, t);
  if (plan.rootOwnCall) {
    const go = t('Open Root Shell');
    const answer = await vscode.window.showWarningMessage(
      t('{0} was started by hand, not by Mini Containers, so the helper enters it only for root itself, never on your behalf. ' +
        'This gives you a ROOT shell in that container, with no more confinement than its PID 1 has (a container started by hand may have none). ' +
        'Mini Containers will run: {1}', label, plan.shown),
      { modal: true },
      go,
    );
    if (answer !== go) return undefined;
  }
  const name = execTerminalName(label, vscode.window.terminals.map((terminal) => terminal.name));
  const banner = plan.rootOwnCall ? plan.launch.banner : t('Mini Containers: a new shell in {0} (PID 1 = host PID {1}): {2}', label, container.initHostPid, plan.shown);
  log.info(`[exec] ${name}: ${plan.shown}`);
  const pty = new ExecPty({
    name, file: plan.launch.file, args: plan.launch.args, banner, log, pty: loadNodePty(vscode.env.appRoot, (line) => log.info(line)), killAfterMs: 5000,
  }, label);
  const terminal = vscode.window.createTerminal({ name, pty, iconPath: new vscode.ThemeIcon('terminal') });
  terminal.show();
  return terminal;
}

/**
 * The exec'd shell's terminal: it closes when the shell ends, as any shell's; when the helper refused (125, its
 * one line), it stays open saying so, and the reason is a notification too.
 */
class ExecPty extends HelperPty {
  private printed = '';
  constructor(options: HelperPtyOptions, private readonly label: string) {
    super(options);
  }

  protected override output(data: string): void {
    this.printed = (this.printed + data).slice(-4096);
  }

  protected override ended(code: number, startError: string | undefined): string | undefined {
    if (startError !== undefined || code !== EXIT_HELPER_ERROR) return undefined;
    const reason = helperErrorLine(this.printed) ?? t('the helper ended with exit code {0}', code);
    const message = t('Could not open a shell in {0}: {1}', this.label, reason);
    this.options.log.error(`[exec] ${inEnglish(message)}`);
    void vscode.window.showErrorMessage(message);
    return t('[The helper ended with exit code {0}]', code);
  }
}

/** The effective uid of PID 1 as the tree shows it; undefined when it is gone or unreadable. */
function ownerOf(pid: number): number | undefined {
  const text = readProcText(`${pid}/status`);
  return text === undefined ? undefined : parseStatus(text).uid ?? undefined;
}
