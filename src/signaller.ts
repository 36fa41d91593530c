import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { buildKillArgs, KillTarget, quoteForDisplay } from './core/helperProtocol';
import { terminalRunError } from './core/signalOutcome';
import { planHelperLaunch, runAsRoot, runLaunch } from './helperLauncher';
import type { Sessions } from './sessions';
import { inEnglish, t } from './localize';

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

  /** Resolves once the signal was sent; rejects with the helper's reason, ready to show. */
  async send(target: KillTarget, containerLabel: string): Promise<void> {
    await this.deliver(target, containerLabel);
    this.sentEmitter.fire(target);
  }

  dispose(): void {
    this.sentEmitter.dispose();
  }

  private async deliver(target: KillTarget, containerLabel: string): Promise<void> {
    const what = `SIG${target.signal} to host PID ${target.pid} in ${inEnglish(containerLabel)}`;
    const session = [...this.sessions.all].find(
      (s) => s.container?.initPid === target.initPid && s.container.startTime === target.initStartTime,
    );
    if (session?.container?.control) {
      this.log.info(`[kill] ${what} through the container's control channel`);
      await session.pty.signal(target);
      return;
    }
    // A container whose PID 1 runs as this user is rootless: the helper signals it as this user, with no password.
    const launch = await planHelperLaunch(this.context, this.log, buildKillArgs(target), { targetUid: ownerOf(target.initPid) });
    if (launch.via === 'root' || launch.via === 'rootless') {
      this.log.info(`[kill] ${what} with the helper`);
      const outcome = await runLaunch(launch);
      if (outcome.code !== 0) throw new Error(outcome.error ?? t('The helper failed with exit code {0}.', outcome.code));
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
}

/** The real uid of a process, from /proc; undefined when it is gone or unreadable. */
function ownerOf(pid: number): number | undefined {
  try {
    const line = fs.readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('Uid:'));
    const uid = Number(line?.split(/\s+/)[1]);
    return Number.isSafeInteger(uid) ? uid : undefined;
  } catch {
    return undefined;
  }
}
