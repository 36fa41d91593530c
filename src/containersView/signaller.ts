import * as vscode from 'vscode';
import type { Container } from '../core/model/containerModel';
import { buildKillArgs, KillTarget, quoteForDisplay } from '../core/helper/helperProtocol';
import { parseStatus } from '../core/proc/procParse';
import { readProcText } from '../core/proc/procReader';
import { sessionFor } from '../core/model/sessionMatch';
import { terminalRunError } from '../core/helper/signalOutcome';
import { planHelperLaunch, runAsRoot, runLaunch } from '../shells/helperLauncher';
import type { Session, Sessions } from '../sessions';
import { inEnglish, t } from '../localize';

/**
 * Sends a signal to a process of a container, always through the helper, whose checks make sure nothing outside
 * that container is hit. Containers started in this window go through their helper's control channel (no new
 * password); others need root: directly when VS Code runs as root, else sudo in a terminal or pkexec, after
 * saying so.
 */
export class Signaller implements vscode.Disposable {
  private readonly sentEmitter = new vscode.EventEmitter<KillTarget>();
  /** Fires once a signal was sent, whichever way it went. */
  readonly onDidSend = this.sentEmitter.event;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly log: vscode.LogOutputChannel,
    private readonly sessions: Sessions,
  ) {}

  /**
   * Resolves once the signal was sent; rejects with the helper's reason, ready to show. `container` is the tree's
   * container of the target, which finds the session of this window that started it (sessionFor, as the tree does).
   */
  async send(target: KillTarget, container: SignalledContainer, containerLabel: string): Promise<void> {
    await this.deliver(target, container, containerLabel);
    this.sentEmitter.fire(target);
  }

  dispose(): void {
    this.sentEmitter.dispose();
  }

  private async deliver(target: KillTarget, container: SignalledContainer, containerLabel: string): Promise<void> {
    const what = `SIG${target.signal} to host PID ${target.pid} in ${inEnglish(containerLabel)}`;
    // The same lookup as the tree's: a session whose "started" line is still on its way matches by the name the
    // helper recorded, and its control channel is used once that line arrives (no password asked meanwhile).
    const found = sessionFor(container, this.sessions.all);
    const session = found && (await this.started(found));
    if (session?.container?.initPid === target.initPid && session.container.startTime === target.initStartTime && session.container.control) {
      this.log.info(`[kill] ${what} through the container's control channel`);
      await session.pty.signal(target);
      return;
    }
    // A container whose PID 1 runs as this user is rootless: the helper signals it as this user, with no password.
    const launch = await planHelperLaunch(this.context, this.log, buildKillArgs(target), { targetUid: ownerOf(target.initPid) });
    if (launch.via === 'root' || launch.via === 'rootless') {
      this.log.info(`[kill] ${what} with the helper`);
      const outcome = await runLaunch(launch);
      if (outcome.error) throw outcome.error;
      return;
    }
    const command = [launch.file, ...launch.args].map(quoteForDisplay).join(' ');
    const go = t('Run with {0}', launch.via);
    const answer = await vscode.window.showWarningMessage(
      t('{0} was not started in this window, so signalling its processes needs root. ' +
        'Mini Containers will run its helper, which checks that the process belongs to that container: {1}', containerLabel, command),
      { modal: true },
      go,
    );
    if (answer !== go) throw new vscode.CancellationError();
    this.log.info(`[kill] ${what} via ${launch.via}: ${command}`);
    const name = t('Kill in {0}', containerLabel);
    // Under sudo the terminal stays open after a failure, and the helper's reason is copied into the error: an
    // error never points to a terminal that has closed.
    const run = await runAsRoot(this.log, launch, name, launch.banner);
    const error = launch.via === 'pkexec' ? run.error : terminalRunError(run, name, t);
    if (error) throw new Error(error);
  }

  /**
   * `session` once its "started" line has been read, waiting up to STARTED_WAIT_MS for it: the helper writes the
   * registry record just before that line, so the tree can show the container a moment before the session knows it.
   */
  private started(session: Session): Promise<Session> {
    if (session.container) return Promise.resolve(session);
    return new Promise((resolve) => {
      const done = () => {
        listener.dispose();
        clearTimeout(timer);
        resolve(session);
      };
      const listener = this.sessions.onDidChange(() => {
        if (session.container || !this.sessions.all.has(session)) done();
      });
      const timer = setTimeout(done, STARTED_WAIT_MS);
    });
  }
}

/** What the signaller needs of the tree's container: its identity and the name the helper recorded. */
export type SignalledContainer = Pick<Container, 'initHostPid' | 'startTime' | 'name' | 'startedBy'>;

/** How long a signal waits for its session's "started" line before asking for root instead. */
const STARTED_WAIT_MS = 2000;

/**
 * The effective uid of a process, as the tree shows it (parseStatus); undefined when it is gone or unreadable. A
 * rootless container's processes hold no other uid than the user's (the only one mapped in its user namespace), so
 * any of the four agrees there; the tree's is the one the user sees.
 */
function ownerOf(pid: number): number | undefined {
  const text = readProcText(`${pid}/status`);
  return text === undefined ? undefined : parseStatus(text).uid ?? undefined;
}
