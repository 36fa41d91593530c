import type * as NodePty from 'node-pty';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { ControlChannel } from './controlChannel';
import { HELPER_LINE_PREFIX } from './core/helperError';
import { describeExit, KillTarget, Launch, parseStatusText, StartedEvent } from './core/helperProtocol';
import { t } from './localize';

export interface ContainerPtyOptions {
  name: string;
  launch: Launch;
  /** A line shown in yellow before anything runs, e.g. that the container is privileged. */
  warning?: string;
  /** Folder where the helper creates the status file: private to this user, or (under sudo/pkexec) the helper's. */
  statusDir: string;
  statusFile: string;
  /** Whether statusDir is this terminal's own, removed when it ends. */
  ownsStatusDir: boolean;
  pty: typeof NodePty;
  log: vscode.LogOutputChannel;
  onStarted?: (event: StartedEvent) => void;
  onEnded?: () => void;
}

/** Grace period between SIGHUP and SIGKILL when the terminal is closed. */
const KILL_AFTER_MS = 700;

/**
 * An integrated terminal whose process is the privileged helper (directly, or under sudo/pkexec): input, output,
 * resize and exit are wired to node-pty; closing the terminal ends the container and everything in it.
 */
export class ContainerPty implements vscode.Pseudoterminal {
  private readonly writeEmitter = new vscode.EventEmitter<string>();
  private readonly closeEmitter = new vscode.EventEmitter<number | void>();
  readonly onDidWrite = this.writeEmitter.event;
  readonly onDidClose = this.closeEmitter.event;

  private process: NodePty.IPty | undefined;
  private watcher: fs.FSWatcher | undefined;
  private poller: NodeJS.Timeout | undefined;
  /** Whether the helper printed one of its "container-helper: " lines (pkexec's own 126/127 come without). */
  private helperSpoke = false;
  private statusOffset = 0;
  private exitCode: number | undefined;
  private started: StartedEvent | undefined;
  private channel: ControlChannel | undefined;
  private disposed = false;

  constructor(private readonly options: ContainerPtyOptions) {}

  open(dimensions: vscode.TerminalDimensions | undefined): void {
    const { launch, log, name } = this.options;
    if (this.options.warning) this.writeLine(`\x1b[33m${this.options.warning}\x1b[0m`);
    this.writeLine(`\x1b[2m${launch.banner}\x1b[0m`);
    log.info(`[terminal] ${name}: ${launch.file} ${launch.args.join(' ')}`);
    this.watchStatus();
    try {
      this.process = this.options.pty.spawn(launch.file, launch.args, {
        name: 'xterm-256color',
        cols: dimensions?.columns ?? 80,
        rows: dimensions?.rows ?? 24,
        cwd: os.homedir(),
        env: { ...process.env, TERM: 'xterm-256color' } as Record<string, string>,
      });
    } catch (error) {
      log.error(`[terminal] ${name}: Could not start ${launch.file}: ${(error as Error).message}`);
      this.writeLine(`\x1b[31m${t('Could not start {0}: {1}', launch.file, (error as Error).message)}\x1b[0m`);
      this.finish(1);
      return;
    }
    this.process.onData((data) => {
      if (!this.helperSpoke && data.includes(HELPER_LINE_PREFIX)) this.helperSpoke = true;
      this.writeEmitter.fire(data);
    });
    this.process.onExit(({ exitCode, signal }) => {
      const code = signal ? 128 + signal : exitCode;
      this.readStatus();
      log.info(`[terminal] ${name}: helper ended with code ${code}`);
      if (!this.disposed) {
        this.writeLine('');
        const ended = t('[Container {0} {1}]', name, describeExit(code, launch.via, this.helperSpoke, t));
        this.writeLine(`\x1b[1m${ended}\x1b[0m ${t('Press any key to close the terminal.')}`);
      }
      this.finish(code);
    });
  }

  handleInput(data: string): void {
    if (this.exitCode !== undefined) {
      this.closeEmitter.fire(this.exitCode);
      return;
    }
    this.process?.write(data);
  }

  setDimensions(dimensions: vscode.TerminalDimensions): void {
    if (this.exitCode === undefined && dimensions.columns > 0 && dimensions.rows > 0) {
      this.process?.resize(dimensions.columns, dimensions.rows);
    }
  }

  /** The user closed the terminal: end the container (the helper turns SIGHUP into SIGKILL of PID 1). */
  close(): void {
    this.disposed = true;
    const child = this.process;
    if (child && this.exitCode === undefined) {
      this.options.log.info(`[terminal] ${this.options.name}: closed by the user, ending the container`);
      child.kill('SIGHUP');
      const timer = setTimeout(() => {
        if (this.exitCode === undefined) {
          this.options.log.warn(`[terminal] ${this.options.name}: helper still running after SIGHUP, sending SIGKILL`);
          child.kill('SIGKILL');
        }
      }, KILL_AFTER_MS);
      timer.unref();
    }
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

  private finish(code: number): void {
    if (this.exitCode !== undefined) return;
    this.exitCode = code;
    this.channel?.close();
    this.watcher?.close();
    this.watcher = undefined;
    if (this.poller) clearInterval(this.poller);
    this.poller = undefined;
    if (this.options.ownsStatusDir) fs.rm(this.options.statusDir, { recursive: true, force: true }, () => undefined);
    this.options.onEnded?.();
    if (this.disposed) this.closeEmitter.fire(code);
  }

  private watchStatus(): void {
    if (this.tryWatch()) return;
    // The helper's folder under sudo/pkexec may not exist before its first start: read every 100 ms until it
    // does, then watch it like any other.
    this.options.log.info(`[terminal] ${this.options.statusDir} does not exist yet; polling the status file until it does`);
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
      this.watcher = fs.watch(this.options.statusDir, () => this.readStatus());
      return true;
    } catch {
      return false;
    }
  }

  private readStatus(): void {
    let text: string;
    try {
      text = fs.readFileSync(this.options.statusFile, 'utf8');
    } catch {
      return;
    }
    const fresh = text.slice(this.statusOffset);
    const complete = fresh.slice(0, fresh.lastIndexOf('\n') + 1);
    this.statusOffset += complete.length;
    for (const event of parseStatusText(complete)) {
      if (event.event === 'signal') this.channel?.answer(event);
      if (event.event === 'started' && !this.started) {
        this.started = event;
        if (event.control) this.channel = new ControlChannel(event.control, t);
        this.options.log.info(
          `[terminal] ${this.options.name}: container runs, PID 1 = host PID ${event.initPid}, rootfs ${event.rootfs}`,
        );
        this.options.onStarted?.(event);
      }
    }
  }

  private writeLine(text: string): void {
    this.writeEmitter.fire(`${text}\r\n`);
  }
}

/** A folder only this user can enter, holding the path the helper will create its status file at. */
export function makeStatusLocation(): { statusDir: string; statusFile: string } {
  const statusDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mini-containers-'));
  return { statusDir, statusFile: path.join(statusDir, 'status.jsonl') };
}
