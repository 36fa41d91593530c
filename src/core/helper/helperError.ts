// A helper run that failed, as the git extension's GitError: its exit code, the helper's own line, and a code mapped
// here once. The helper's exit codes follow Docker (125 its own error, 126 not executable, 127 not found, else
// COMMAND's status, 128+N for signal N), and every error of its own is one stderr line starting HELPER_LINE_PREFIX.
// pkexec's own 126 (dialog dismissed) and 127 (not authorised) come with no such line: that is how they are told
// apart from the helper's, here and nowhere else. Pure: callers pass the exit code and what the run printed.
import { EXIT_HELPER_ERROR, EXIT_NOT_EXECUTABLE, EXIT_NOT_FOUND, type Launch } from './helperProtocol';
import { english, type Localize } from '../localize';

/** How every error line of the helper starts (its `die`). */
export const HELPER_LINE_PREFIX = 'container-helper: ';

/** What a non-zero exit means. */
export type HelperErrorCode =
  /** 125: the helper refused an argument or failed; its line says why. */
  | 'helperError'
  /** 126 from the helper: COMMAND exists in the rootfs but cannot be executed. */
  | 'notExecutable'
  /** 127 from the helper: COMMAND is not in the rootfs. */
  | 'notFound'
  /** pkexec's own 126: the user dismissed the authentication dialog. */
  | 'pkexecDismissed'
  /** pkexec's own 127: polkit did not authorise the user. */
  | 'pkexecNotAuthorised'
  /** 129–159: COMMAND (or the helper) was killed by signal exit code − 128. */
  | 'signalled'
  /** Any other status: COMMAND's own. */
  | 'exitCode';

/** The helper's one-line reason in what a run printed (a terminal's CR LF allowed), without its prefix; if any. */
export function helperErrorLine(output: string): string | undefined {
  const line = output.split(/\r?\n|\r/).map((l) => l.trim()).find((l) => l.startsWith(HELPER_LINE_PREFIX));
  return line ? line.slice(HELPER_LINE_PREFIX.length).trim() || undefined : undefined;
}

/**
 * The code of exit status `exitCode` of a launch run `via`, or undefined for 0. `helperSpoke`: whether the run printed
 * a line of the helper's (only pkexec's own 126/127 come without one).
 */
export function helperErrorCode(exitCode: number, via: Launch['via'], helperSpoke: boolean): HelperErrorCode | undefined {
  if (exitCode === 0) return undefined;
  if (via === 'pkexec' && !helperSpoke) {
    if (exitCode === EXIT_NOT_EXECUTABLE) return 'pkexecDismissed';
    if (exitCode === EXIT_NOT_FOUND) return 'pkexecNotAuthorised';
  }
  switch (exitCode) {
    case EXIT_HELPER_ERROR: return 'helperError';
    case EXIT_NOT_EXECUTABLE: return 'notExecutable';
    case EXIT_NOT_FOUND: return 'notFound';
  }
  return exitCode > 128 && exitCode < 160 ? 'signalled' : 'exitCode';
}

/** A sentence for the terminal when the helper's process ends. */
export function describeExit(code: number, via: Launch['via'], helperSpoke = false, t: Localize = english): string {
  switch (helperErrorCode(code, via, helperSpoke)) {
    case 'pkexecDismissed': return t('pkexec: authorization was dismissed');
    case 'pkexecNotAuthorised': return t('pkexec: not authorized');
    case 'helperError': return t('the helper refused or failed (exit code 125); its message is above');
    case 'notExecutable': return t('the command is not executable in the root filesystem (exit code 126)');
    case 'notFound': return t('the command was not found in the root filesystem (exit code 127)');
    case 'signalled': return t('exited on signal {0} (exit code {1})', code - 128, code);
  }
  return t('exited with code {0}', code);
}

/** A failed helper run. `message` is what to show: the helper's line, else what the exit code means. */
export class HelperError extends Error {
  override readonly name = 'HelperError';

  constructor(
    /** The run's exit status. */
    readonly exitCode: number,
    readonly code: HelperErrorCode,
    /** The helper's own line, without HELPER_LINE_PREFIX; undefined when it printed none. */
    readonly helperLine: string | undefined,
    message: string,
  ) {
    super(message);
  }

  /**
   * The error of a run that ended with `exitCode` after printing `output` (its stderr, or a terminal's text);
   * undefined when it succeeded. Without a helper line, the message is the output when there is some (sudo's own
   * reason), else the sentence for the exit code.
   */
  static of(exitCode: number, via: Launch['via'], output: string, t: Localize = english): HelperError | undefined {
    const line = helperErrorLine(output);
    const code = helperErrorCode(exitCode, via, line !== undefined);
    if (code === undefined) return undefined;
    const pkexecOwn = code === 'pkexecDismissed' || code === 'pkexecNotAuthorised';
    const message = line ?? (pkexecOwn ? describeExit(exitCode, via, false, t) : output.trim() || describeExit(exitCode, via, false, t));
    return new HelperError(exitCode, code, line, message);
  }
}
