import * as vscode from 'vscode';
import type { ContainerPty } from './shells/containerPty';
import type { StartedEvent } from './core/helper/helperProtocol';

/** A container started from this window, for the features that list or stop them. */
export interface Session {
  /** The container's name, which is also its terminal's. */
  name: string;
  pty: ContainerPty;
  container?: StartedEvent;
}

/** The containers this window started; fires when one starts running or ends. */
export class Sessions implements vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChange = this.emitter.event;
  readonly all = new Set<Session>();

  add(session: Session): void {
    this.all.add(session);
    this.emitter.fire();
  }
  changed(): void {
    this.emitter.fire();
  }
  remove(session: Session): void {
    if (this.all.delete(session)) this.emitter.fire();
  }
  dispose(): void {
    this.emitter.dispose();
  }
}
