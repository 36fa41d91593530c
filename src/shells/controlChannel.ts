import * as fs from 'node:fs';
import { formatKillRequest, KillTarget, SignalEvent } from '../core/helper/helperProtocol';
import { english, type Localize } from '../core/localize';

/** How long to wait for the helper's answer before giving up. */
const ANSWER_TIMEOUT_MS = 5_000;
/** How often to try the FIFO again while it is not there or nobody reads it yet. */
const NO_READER_RETRY_MS = 50;

/**
 * Kill requests over the FIFO that the helper (already root) keeps for the container it started, so signalling a
 * process of it never asks for the password again. Answers arrive in the status file, through `answer`.
 */
export class ControlChannel {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: () => void; reject: (e: Error) => void; toInit: boolean }>();

  /** `t` localises the reasons a request fails, which the user reads (English by default, for the tests). */
  constructor(
    private readonly fifo: string,
    private readonly t: Localize = english,
  ) {}

  send(target: KillTarget): Promise<void> {
    const id = this.nextId++;
    const line = formatKillRequest(id, target);
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(this.t('The helper did not answer the kill request within {0} s; is the container still running?', ANSWER_TIMEOUT_MS / 1000)));
      }, ANSWER_TIMEOUT_MS);
      this.pending.set(id, {
        resolve: () => (clearTimeout(timer), resolve()),
        reject: (e) => (clearTimeout(timer), reject(e)),
        toInit: target.pid === target.initPid,
      });
      // Non-blocking: with no reader open fails with ENXIO instead of hanging. The helper makes the FIFO (ENOENT
      // until then) and starts reading it beside the container's start, so try again until it does, the container
      // ends (close) or the answer times out. Only root can create files in the FIFO's folder.
      const write = () => fs.open(this.fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK, (openError, fd) => {
        if (!this.pending.has(id)) {
          // Settled meanwhile: the container ended, or the answer timed out.
          if (!openError) fs.close(fd, () => undefined);
          return;
        }
        if (openError?.code === 'ENXIO' || openError?.code === 'ENOENT') {
          setTimeout(write, NO_READER_RETRY_MS);
          return;
        }
        if (openError) return this.settle(id, new Error(this.t("The container's control channel is closed ({0}).", openError.code ?? '?')));
        fs.write(fd, line, (writeError) => {
          fs.close(fd, () => undefined);
          if (writeError) this.settle(id, new Error(this.t('Could not write to the control channel: {0}', writeError.message)));
        });
      });
      write();
    });
  }

  /** Feeds one answer line from the status file. */
  answer(event: SignalEvent): void {
    this.settle(event.id, event.ok ? undefined : new Error(event.error ?? this.t('The helper refused the request.')));
  }

  /**
   * The container ended: nothing more will be answered. A request aimed at its PID 1 (Stop, Kill Container) is
   * done: PID 1's death ends the container, and the helper may be gone before it could write its answer.
   */
  close(): void {
    for (const [id, { toInit }] of [...this.pending]) {
      this.settle(id, toInit ? undefined : new Error(this.t('The container ended before the helper answered.')));
    }
  }

  private settle(id: number, error?: Error): void {
    const waiter = this.pending.get(id);
    if (!waiter) return;
    this.pending.delete(id);
    if (error) waiter.reject(error);
    else waiter.resolve();
  }
}

