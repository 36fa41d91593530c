import type * as NodePty from 'node-pty';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { ControlChannel } from './controlChannel';
import { HELPER_LINE_PREFIX } from '../core/helper/helperError';
import { describeExit, ExitedEvent, KillTarget, Launch, parseStatusText, StartedEvent } from '../core/helper/helperProtocol';
import { formatBytes } from '../core/model/treeText';
import { HelperPty } from './helperPty';
import { t } from '../localize';

export interface ContainerPtyOptions {
  name: string;
  launch: Launch;
  /** A line shown in yellow before anything runs, e.g. that the container is privileged. */
  warning?: string;
  /** Dim lines after the banner (the folders bound). */
  notes?: readonly string[];
  /** Folder where the helper creates the status file: private to this user, or (under sudo/pkexec) the helper's. */
  statusDir: string;
  statusFile: string;
  /** Whether statusDir is this terminal's own, removed when it ends. */
  ownsStatusDir: boolean;
  pty: typeof NodePty;
  log: vscode.LogOutputChannel;
  onStarted?: (event: StartedEvent) => void;
  onEnded?: () => void;
  /**
   * A task's terminal: when the container ends, its last line is written and the terminal closes at once with the
   * exit code (VS Code's task system then says the task ended, with that code, and keeps the terminal to read).
   */
  closeOnExit?: boolean;
}

/** Grace period between SIGHUP and SIGKILL when the terminal is closed. */
const KILL_AFTER_MS = 700;

/**
 * An integrated terminal whose process is the privileged helper (directly, or under sudo/pkexec), run by the
 * helper terminals' pty runner; it follows the helper's status file for the container's PID 1 and its control
 * channel. Closing the terminal ends the container and everything in it (the helper turns SIGHUP into SIGKILL of
 * PID 1).
 */
export class ContainerPty extends HelperPty {
  private watcher: fs.FSWatcher | undefined;
  private poller: NodeJS.Timeout | undefined;
  /** Whether the helper printed one of its "container-helper: " lines (pkexec's own 126/127 come without). */
  private helperSpoke = false;
  private statusOffset = 0;
  private started: StartedEvent | undefined;
  private exited: ExitedEvent | undefined;
  private channel: ControlChannel | undefined;

  constructor(private readonly spec: ContainerPtyOptions) {
    const { name, launch, warning, notes, pty, log } = spec;
    super({ name, file: launch.file, args: launch.args, banner: launch.banner, warning, notes, pty, log, killAfterMs: KILL_AFTER_MS });
  }

  protected override starting(): void {
    this.watchStatus();
  }

  protected override output(data: string): void {
    if (!this.helperSpoke && data.includes(HELPER_LINE_PREFIX)) this.helperSpoke = true;
  }

  protected override ended(code: number, startError: string | undefined): string | undefined {
    const { name, launch, log } = this.spec;
    if (startError === undefined) {
      this.readStatus();
      log.info(`[terminal] ${name}: helper ended with code ${code}`);
    }
    this.channel?.close();
    this.watcher?.close();
    this.watcher = undefined;
    if (this.poller) clearInterval(this.poller);
    this.poller = undefined;
    if (this.spec.ownsStatusDir) fs.rm(this.spec.statusDir, { recursive: true, force: true }, () => undefined);
    this.spec.onEnded?.();
    const oom = this.exited?.oom
      ? this.exited.memoryLimit === undefined
        ? t('; the kernel killed a process of it: out of memory')
        : t('; the kernel killed a process of it: out of memory, limit {0}', formatBytes(this.exited.memoryLimit))
      : '';
    const line = t('[Container {0} {1}]', name, describeExit(code, launch.via, this.helperSpoke, t) + oom);
    if (!this.spec.closeOnExit) return line;
    if (!this.closed) this.writeLine(`\x1b[2m${line}\x1b[0m`);
    return undefined;
  }

  /** The container once it runs, from the helper's status file. */
  get container(): StartedEvent | undefined {
    return this.started;
  }

  /** Asks the helper that started this container to signal one of its processes; rejects with its reason. */
  signal(target: KillTarget): Promise<void> {
    if (!this.channel || this.exitCode !== undefined) return Promise.reject(new Error(t('The container has ended.')));
    return this.channel.send(target);
  }

  private watchStatus(): void {
    if (this.tryWatch()) return;
    // The helper's folder under sudo/pkexec may not exist before its first start: read every 100 ms until it
    // does, then watch it like any other.
    this.spec.log.info(`[terminal] ${this.spec.statusDir} does not exist yet; polling the status file until it does`);
    this.poller = setInterval(() => {
      this.readStatus();
      if (this.exitCode === undefined && this.tryWatch()) {
        clearInterval(this.poller);
        this.poller = undefined;
        this.readStatus();
      }
    }, 100);
  }

  /** Watches the status file's folder; false when it cannot (yet). */
  private tryWatch(): boolean {
    try {
      this.watcher = fs.watch(this.spec.statusDir, () => this.readStatus());
      return true;
    } catch {
      return false;
    }
  }

  private readStatus(): void {
    let text: string;
    try {
      text = fs.readFileSync(this.spec.statusFile, 'utf8');
    } catch {
      return;
    }
    const fresh = text.slice(this.statusOffset);
    const complete = fresh.slice(0, fresh.lastIndexOf('\n') + 1);
    this.statusOffset += complete.length;
    for (const event of parseStatusText(complete)) {
      if (event.event === 'signal') this.channel?.answer(event);
      if (event.event === 'exited') this.exited = event;
      if (event.event === 'started' && !this.started) {
        this.started = event;
        if (event.control) this.channel = new ControlChannel(event.control, t);
        this.spec.log.info(
          `[terminal] ${this.spec.name}: container runs, PID 1 = host PID ${event.initPid}, rootfs ${event.rootfs}`,
        );
        this.spec.onStarted?.(event);
      }
    }
  }
}

/** A folder only this user can enter, holding the path the helper will create its status file at. */
export function makeStatusLocation(): { statusDir: string; statusFile: string } {
  const statusDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mini-containers-'));
  return { statusDir, statusFile: path.join(statusDir, 'status.jsonl') };
}
