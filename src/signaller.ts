import * as vscode from 'vscode';
import { buildKillArgs, KillTarget, quoteForDisplay } from './core/helperProtocol';
import { planHelperLaunch, runInTerminal, runLaunch } from './helperLauncher';
import type { Sessions } from './isolatedShell';

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
    const what = `SIG${target.signal} to host PID ${target.pid} in ${containerLabel}`;
    const session = [...this.sessions.all].find(
      (s) => s.container?.initPid === target.initPid && s.container.startTime === target.initStartTime,
    );
    if (session?.container?.control) {
      this.log.info(`[kill] ${what} through the container's control channel`);
      await session.pty.signal(target);
      return;
    }
    const launch = planHelperLaunch(this.context, this.log, buildKillArgs(target));
    if (launch.via === 'root') {
      this.log.info(`[kill] ${what} with the helper`);
      const outcome = await runLaunch(launch);
      if (outcome.code !== 0) throw new Error(outcome.error ?? `The helper failed with exit code ${outcome.code}.`);
      return;
    }
    const command = [launch.file, ...launch.args].map(quoteForDisplay).join(' ');
    const go = `Run with ${launch.via}`;
    const answer = await vscode.window.showWarningMessage(
      `${containerLabel} was not started in this window, so signalling its processes needs root. ` +
        `Mini Containers will run its helper, which checks that the process belongs to that container: ${command}`,
      { modal: true },
      go,
    );
    if (answer !== go) throw new vscode.CancellationError();
    this.log.info(`[kill] ${what} via ${launch.via}: ${command}`);
    if (launch.via === 'pkexec') {
      const outcome = await runLaunch(launch);
      if (outcome.code !== 0) throw new Error(outcome.error ?? `pkexec ended with exit code ${outcome.code}.`);
      return;
    }
    const name = `Kill in ${containerLabel}`;
    const code = await runInTerminal(name, launch.file, launch.args, launch.banner ?? '');
    if (code !== 0) throw new Error(`The helper ended with exit code ${code ?? 'unknown'}; its message is in the "${name}" terminal.`);
  }
}
