import * as vscode from 'vscode';
import type { Container } from '../core/model/containerModel';
import { KillTarget, SignalName, SIGNALS } from '../core/helper/helperProtocol';
import type { ProcessInfo } from '../core/proc/processScanner';
import { readProcText } from '../core/proc/procReader';
import { initStillRuns, isInitTarget } from '../core/helper/signalOutcome';
import { commandText, containerLabel } from '../core/model/treeText';
import { ContainerNode, ProcessNode } from './containerTreeItems';
import type { ContainersProvider } from './containersView';
import { readStopTimeoutSeconds } from '../settings';
import type { Signaller } from './signaller';
import { inEnglish, t } from '../localize';

/** Process and container actions of the Containers view; all signals go through the helper. */
export function registerContainerCommands(
  context: vscode.ExtensionContext,
  log: vscode.LogOutputChannel,
  provider: ContainersProvider,
  signaller: Signaller,
): void {
  /**
   * Sends the signal; true once it was sent. With `checkInit`, a SIGTERM to PID 1 is followed for up to
   * INIT_TERM_WAIT_MS: a PID 1 without a TERM handler ignores it (the kernel protects a namespace's init), and then
   * the user is told so and offered Stop or SIGKILL; the result is then false: the signal did nothing.
   */
  const send = async (c: Container, p: Pick<ProcessInfo, 'hostPid' | 'startTime'>, signal: SignalName, checkInit = false) => {
    const target: KillTarget = {
      initPid: c.initHostPid, initStartTime: c.startTime, pid: p.hostPid, startTime: p.startTime, signal,
    };
    try {
      await signaller.send(target, c, containerLabel(c, t));
      if (checkInit && signal === 'TERM' && isInitTarget(target) && (await initOutlives(target, INIT_TERM_WAIT_MS))) {
        log.info(`[kill] ${containerLabel(c)}: PID 1 (host PID ${c.initHostPid}) still runs ${INIT_TERM_WAIT_MS} ms after SIGTERM`);
        void offerStopOrKill(c);
        return false;
      }
      return true;
    } catch (error) {
      if (error instanceof vscode.CancellationError) return false;
      log.error(`[kill] Could not send SIG${signal} to host PID ${p.hostPid}: ${inEnglish((error as Error).message)}`);
      vscode.window.showErrorMessage(
        t('Could not send SIG{0} to host PID {1}: {2}', signal, p.hostPid, (error as Error).message),
      );
      return false;
    } finally {
      provider.refresh();
      // An ending process may linger for a moment; look again shortly.
      setTimeout(() => provider.refresh(), 250).unref();
    }
  };
  const register = (id: string, run: (...args: never[]) => unknown) =>
    context.subscriptions.push(vscode.commands.registerCommand(id, run));

  /** The tree's node, or the namespaces picture's reference to a process, as the container and process to signal. */
  type NodeLike = Pick<ProcessNode, 'container' | 'process'>;
  const targetOf = (arg: NodeLike | ProcessRef): { container: Container; process: Pick<ProcessInfo, 'hostPid' | 'startTime'> } | undefined => {
    if (!arg || typeof arg !== 'object') return undefined;
    // A tree node, or anything shaped like one (the helper checks the target either way).
    if ('container' in arg && 'process' in arg) return { container: arg.container, process: arg.process };
    const container = provider.current?.byKey.get(arg.containerKey);
    if (container?.processes.some((p) => p.hostPid === arg.hostPid && p.startTime === arg.startTime)) {
      return { container, process: { hostPid: arg.hostPid, startTime: arg.startTime } };
    }
    vscode.window.showWarningMessage(vscode.l10n.t('Host PID {0} is no longer in that container: nothing was sent.', arg.hostPid));
    return undefined;
  };
  const kill = (signal: SignalName) => (arg: NodeLike | ProcessRef) => {
    const target = targetOf(arg);
    return target ? send(target.container, target.process, signal, true) : false;
  };

  /** Says that PID 1 ignored SIGTERM, and runs Stop Container or SIGKILL to PID 1 if the user picks one. */
  async function offerStopOrKill(c: Container): Promise<void> {
    const stop = t('Stop Container');
    const force = t('Kill (SIGKILL)');
    const answer = await vscode.window.showWarningMessage(
      t('PID 1 of {0} (host PID {1}) still runs after SIGTERM: a container\'s PID 1 ignores the signals it has no handler ' +
        'for. Stop the container (SIGTERM, then SIGKILL after miniContainers.stopTimeout) or kill it with SIGKILL?',
      containerLabel(c, t), c.initHostPid),
      stop,
      force,
    );
    if (answer === stop) await vscode.commands.executeCommand('miniContainers.stopContainer', { container: c });
    else if (answer === force) await vscode.commands.executeCommand('miniContainers.killProcessForce', { container: c, process: initOf(c) });
  }

  register('miniContainers.refresh', () => provider.refresh());
  register('miniContainers.killProcess', kill('TERM'));
  register('miniContainers.killProcessForce', kill('KILL'));
  register('miniContainers.sendSignal', async (node: ProcessNode) => {
    const picked = await vscode.window.showQuickPick(
      SIGNALS.map((s) => ({ label: `SIG${s}`, signal: s })),
      { title: t('Send a signal to {0} (host PID {1})', commandText(node.process), node.process.hostPid) },
    );
    if (picked) await send(node.container, node.process, picked.signal, true);
  });
  register('miniContainers.copyHostPid', (node: ProcessNode) => vscode.env.clipboard.writeText(String(node.process.hostPid)));
  register('miniContainers.copyNamespacePid', (node: ProcessNode) =>
    vscode.env.clipboard.writeText(String(node.process.nsPid ?? '')));

  register('miniContainers.stopContainer', (node: ContainerNode) => stopContainer(node.container));
  register('miniContainers.killContainer', async (node: ContainerNode) => {
    const c = node.container;
    const go = t('Kill');
    const answer = await vscode.window.showWarningMessage(
      t('Kill container {0}? SIGKILL to its PID 1 (host PID {1}) ends every process in it at once.',
        containerLabel(c, t), c.initHostPid),
      { modal: true },
      go,
    );
    if (answer === go) await send(c, initOf(c), 'KILL');
  });
  register('miniContainers.revealTerminal', (node: ContainerNode) => {
    const session = provider.sessionOf(node.container);
    const terminal = vscode.window.terminals.find((t) => t.name === session?.name);
    if (terminal) terminal.show();
    else {
      vscode.window.showInformationMessage(
        t('No terminal of this window runs {0}.', containerLabel(node.container, t)),
      );
    }
  });

  /** SIGTERM to PID 1, then SIGKILL after miniContainers.stopTimeout s: PID 1 ignores signals it has no handler for. */
  async function stopContainer(c: Container): Promise<void> {
    const seconds = readStopTimeoutSeconds();
    if (!(await send(c, initOf(c), 'TERM'))) return;
    const ended = await waitUntilGone(c, seconds * 1000);
    if (ended) return;
    log.info(`[stop] ${containerLabel(c)} still runs ${seconds} s after SIGTERM: sending SIGKILL`);
    await send(c, initOf(c), 'KILL');
  }

  async function waitUntilGone(c: Container, ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      const model = provider.refresh();
      if (model && !model.byKey.has(c.key)) return true;
    }
    return false;
  }
}

/** How long a SIGTERM to PID 1 from Kill or Send Signal gets to end it before the user hears that it did not. */
const INIT_TERM_WAIT_MS = 1000;

/** Whether the target's PID 1 still runs `ms` after the signal; false as soon as it is seen gone. */
async function initOutlives(target: KillTarget, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (!initStillRuns(target, readProcText(`${target.initPid}/stat`))) return false;
    if (Date.now() >= deadline) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A process as the namespaces picture names it in its context menu: container key, host PID, start time. */
export interface ProcessRef {
  readonly containerKey: string;
  readonly hostPid: number;
  readonly startTime: number;
}

/** A container's PID 1, pinned by the container's own identity. */
function initOf(c: Container): Pick<ProcessInfo, 'hostPid' | 'startTime'> {
  return { hostPid: c.initHostPid, startTime: c.startTime };
}
