import type * as NodePty from 'node-pty';
import * as os from 'node:os';
import * as vscode from 'vscode';
import { inEnglish, t } from '../localize';

/** What a helper terminal runs, and how. */
export interface HelperPtyOptions {
  /** The terminal's name, which the log lines start with. */
  readonly name: string;
  readonly file: string;
  readonly args: readonly string[];
  /** A dim first line saying what runs. */
  readonly banner: string;
  /** A yellow line before the banner, e.g. that the container is privileged. */
  readonly warning?: string;
  /** Dim lines after the banner, e.g. the folders bound and whose files made there are. */
  readonly notes?: readonly string[];
  readonly pty: typeof NodePty;
  readonly log: vscode.LogOutputChannel;
  /** After the SIGHUP that closing the terminal sends: SIGKILL when the process still runs this many ms later. */
  readonly killAfterMs?: number;
}

/**
 * The one pty runner of the extension's helper terminals (an isolated shell; a kill or a root filesystem made
 * under sudo; the helper's install): the process runs through node-pty, with its input, output and size wired to
 * the terminal, after a line saying what runs. Subclasses say what its end means (`ended`): a last line, after
 * which a key closes the terminal, or none, and the terminal closes at once. Closing the terminal sends the
 * process SIGHUP. The emitters are disposed once the terminal is gone and the process has ended.
 */
export class HelperPty implements vscode.Pseudoterminal, vscode.Disposable {
  private readonly writeEmitter = new vscode.EventEmitter<string>();
  private readonly closeEmitter = new vscode.EventEmitter<number | void>();
  readonly onDidWrite = this.writeEmitter.event;
  readonly onDidClose = this.closeEmitter.event;

  private child: NodePty.IPty | undefined;
  /** The process's exit code (128+N for signal N) once it ended, or 127 when it could not start. */
  protected exitCode: number | undefined;
  /** Whether the terminal is gone: closed by the user, or by this pty. */
  protected closed = false;
  private disposed = false;

  constructor(protected readonly options: HelperPtyOptions) {}

  open(dimensions: vscode.TerminalDimensions | undefined): void {
    const { file, args, log, name, warning, banner, notes = [] } = this.options;
    if (warning) this.writeLine(`\x1b[33m${warning}\x1b[0m`);
    this.writeLine(`\x1b[2m${banner}\x1b[0m`);
    for (const note of notes) this.writeLine(`\x1b[2m${note}\x1b[0m`);
    log.info(`[terminal] ${name}: ${file} ${args.join(' ')}`);
    this.starting();
    let child: NodePty.IPty;
    try {
      child = this.options.pty.spawn(file, [...args], {
        name: 'xterm-256color',
        cols: dimensions?.columns ?? 80,
        rows: dimensions?.rows ?? 24,
        // The extension host's own folder may be one this user cannot enter (node-pty's chdir would fail).
        cwd: os.homedir(),
        env: { ...process.env, TERM: 'xterm-256color' } as Record<string, string>,
      });
    } catch (error) {
      const message = t('Could not start {0}: {1}', file, (error as Error).message);
      log.error(`[terminal] ${name}: ${inEnglish(message)}`);
      this.writeLine(`\x1b[31m${message}\x1b[0m ${t('Press any key to close the terminal.')}`);
      this.end(127, message);
      return;
    }
    this.child = child;
    child.onData((data) => {
      this.output(data);
      this.writeEmitter.fire(data);
    });
    child.onExit(({ exitCode, signal }) => this.end(signal ? 128 + signal : exitCode));
  }

  handleInput(data: string): void {
    if (this.exitCode !== undefined) this.closeTerminal();
    else this.child?.write(data);
  }

  setDimensions(dimensions: vscode.TerminalDimensions): void {
    if (this.exitCode === undefined && dimensions.columns > 0 && dimensions.rows > 0) {
      try {
        this.child?.resize(dimensions.columns, dimensions.rows);
      } catch (error) {
        // The process has just ended and node-pty closed the pty, but its exit is not reported yet (a task's
        // short command): nothing left to resize.
        this.options.log.debug(`[terminal] ${this.options.name}: resize after the pty closed: ${(error as Error).message}`);
      }
    }
  }

  /** The terminal is gone (the user closed it, or it followed onDidClose): a process still running gets SIGHUP. */
  close(): void {
    this.closed = true;
    const child = this.child;
    const { log, name, killAfterMs } = this.options;
    if (child && this.exitCode === undefined) {
      log.info(`[terminal] ${name}: closed by the user while its process runs: SIGHUP`);
      child.kill('SIGHUP');
      if (killAfterMs !== undefined) {
        setTimeout(() => {
          if (this.exitCode !== undefined) return;
          log.warn(`[terminal] ${name}: still running ${killAfterMs} ms after SIGHUP: SIGKILL`);
          child.kill('SIGKILL');
        }, killAfterMs).unref();
      }
    }
    this.closing();
    this.disposeWhenDone();
  }

  /** Releases the emitters; VS Code never calls it, the pty does once its terminal and process are both gone. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.writeEmitter.dispose();
    this.closeEmitter.dispose();
  }

  // --- what subclasses add

  /** Just before the process starts. */
  protected starting(): void {}

  /** Each piece of the process's output, before the terminal shows it. */
  protected output(_data: string): void {}

  /**
   * The process ended with `code`, or could not start (`startError`, already shown). Returns the line that says so,
   * after which a key closes the terminal; undefined closes it now. Not shown when the terminal is already gone.
   */
  protected ended(_code: number, _startError: string | undefined): string | undefined {
    return undefined;
  }

  /** The terminal is gone, whether or not the process still runs. */
  protected closing(): void {}

  // ---

  protected writeLine(text: string): void {
    this.writeEmitter.fire(`${text}\r\n`);
  }

  private end(code: number, startError?: string): void {
    if (this.exitCode !== undefined) return;
    this.exitCode = code;
    const line = this.ended(code, startError);
    if (this.closed) this.closeEmitter.fire(code);
    else if (startError === undefined && line === undefined) this.closeTerminal();
    else if (startError === undefined) this.writeEmitter.fire(`\r\n\x1b[1m${line}\x1b[0m ${t('Press any key to close the terminal.')}\r\n`);
    this.disposeWhenDone();
  }

  private closeTerminal(): void {
    this.closed = true;
    this.closeEmitter.fire(this.exitCode);
    this.disposeWhenDone();
  }

  private disposeWhenDone(): void {
    if (this.closed && this.exitCode !== undefined) this.dispose();
  }
}
