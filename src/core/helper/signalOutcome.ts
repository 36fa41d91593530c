// What a signal did, for what the extension says after sending it. Pure: the callers read /proc and the helper's
// output, the unit tests pass text.
import type { KillTarget } from './helperProtocol';
import { english, type Localize } from '../localize';
import { parseStat } from '../proc/procParse';

/** Whether the target is the container's PID 1 itself (same host PID and start time). */
export function isInitTarget(target: Pick<KillTarget, 'initPid' | 'initStartTime' | 'pid' | 'startTime'>): boolean {
  return target.pid === target.initPid && target.startTime === target.initStartTime;
}

/**
 * Whether the container's PID 1 still runs, from the text of /proc/PID/stat read after the signal (undefined:
 * no such process). Another start time means the PID now names another process: PID 1 ended. A zombie has ended.
 */
export function initStillRuns(target: Pick<KillTarget, 'initStartTime'>, statText: string | undefined): boolean {
  if (statText === undefined) return false;
  const stat = parseStat(statText);
  return stat !== undefined && stat.startTime === target.initStartTime && stat.state !== 'Z' && stat.state !== 'X';
}

/** How a helper run in a terminal of its own ended. */
export interface TerminalRun {
  /** Its exit code; undefined when the terminal closed before it ended. */
  readonly code: number | undefined;
  /** The helper's reason, from its output. */
  readonly error?: string;
  /** Whether the terminal is still open (it stays open after a failure until the user closes it). */
  readonly open: boolean;
}

/**
 * The error to show for a failed helper run in terminal `name`; undefined when it succeeded. It names the terminal
 * only while that terminal is open: a closed one cannot be read.
 */
export function terminalRunError(run: TerminalRun, name: string, t: Localize = english): string | undefined {
  if (run.code === 0) return undefined;
  if (run.code === undefined) {
    return t('The "{0}" terminal closed before the helper ended: nothing says whether the signal was sent.', name);
  }
  if (run.error) return t('The helper ended with exit code {0}: {1}', run.code, run.error);
  if (run.open) return t('The helper ended with exit code {0}; its output is in the "{1}" terminal.', run.code, name);
  return t('The helper ended with exit code {0}.', run.code);
}
