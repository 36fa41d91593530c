/**
 * "Open Shell in Container": the helper's `exec` arguments, and how it runs for a container of each kind. Pure: no
 * I/O, no vscode.
 */
import { english, type Localize } from '../localize';
import { HELPER_SHELL, type Launch, type LaunchContext, planLaunch, quoteForDisplay } from './helperProtocol';

export interface ExecRequest {
  /** Host PID of the container's PID 1, and its start time (stat field 22): the container's identity. */
  initPid: number;
  initStartTime: number;
  /** Absolute folder inside the container; / when omitted. */
  workdir?: string;
  /** Program and arguments; the container's /bin/sh when empty. */
  command?: readonly string[];
}

/** The helper's argv for `exec`, after the checks the helper makes; throws an Error that says what to fix. */
export function buildExecArgs(request: ExecRequest, t: Localize = english): string[] {
  const { initPid, initStartTime, workdir, command } = request;
  if (!Number.isSafeInteger(initPid) || initPid < 1) throw new Error(t('Not a process ID: {0}', initPid));
  if (!Number.isSafeInteger(initStartTime) || initStartTime < 1) throw new Error(t('Not a start time: {0}', initStartTime));
  const args = ['exec', '--container', String(initPid), '--container-start-time', String(initStartTime)];
  if (workdir !== undefined) {
    if (!workdir.startsWith('/')) throw new Error(t('The folder in the container must be an absolute path: {0}', workdir));
    if (/[\x00-\x1f\x7f]/.test(workdir)) throw new Error(t('The folder in the container contains control characters.'));
    args.push('--workdir', workdir);
  }
  if (command && command.length) args.push('--', ...command);
  return args;
}

/** What the plan needs of a container of the tree. */
export interface ExecTarget {
  readonly startedBy: 'mini-containers' | 'other';
  /** Effective uid of its PID 1 as the host sees it; undefined when unreadable. */
  readonly ownerUid: number | undefined;
}

export interface ExecPlan {
  readonly launch: Launch;
  /**
   * A container started by hand, of another user (root): the helper refuses it to a delegated caller, so the plan is
   * root's own call, run through sudo or pkexec behind /bin/sh (the helper then sees sh, not sudo, as its parent):
   * a root shell that the user must confirm first, told exactly what runs (`shown`).
   */
  readonly rootOwnCall: boolean;
  /** The command line as the user is shown it before it runs. */
  readonly shown: string;
}

/**
 * The script that runs the helper as a CHILD of /bin/sh (the `exit $?` after it keeps dash from exec'ing it in
 * sh's place), so the helper, seeing sh and not sudo as its parent, takes the call for root's own.
 */
export const ROOT_OWN_CALL_SCRIPT = '"$0" "$@"; exit $?';

/**
 * How to run `exec` for `target`: our containers (and the user's own by hand) through the same planning as a start
 * (rootless for the user's own, else root directly, sudo or pkexec, per miniContainers.privilege); a container root
 * started by hand, as root's own call (see ExecPlan.rootOwnCall). Throws a sentence to show.
 */
export function planExec(context: LaunchContext, target: ExecTarget, helperArgs: readonly string[], t: Localize = english): ExecPlan {
  const ownedByUser = target.ownerUid !== undefined && target.ownerUid === context.uid;
  if (target.startedBy === 'mini-containers' || ownedByUser || context.uid === 0) {
    const launch = planLaunch({ ...context, rootfsOwner: target.ownerUid }, helperArgs, t);
    return { launch, rootOwnCall: false, shown: [launch.file, ...launch.args].map(quoteForDisplay).join(' ') };
  }
  const helper = context.helperDirect ? [context.helperPath] : [HELPER_SHELL, context.helperPath];
  const script = [HELPER_SHELL, '-c', ROOT_OWN_CALL_SCRIPT, ...helper, ...helperArgs];
  if (context.privilege === 'rootless' || context.privilege === 'root') {
    throw new Error(t('This container was started by hand as another user: opening a shell in it needs root, and miniContainers.privilege is "{0}". Set it to "auto", "sudo" or "pkexec".', context.privilege));
  }
  let launch: Launch;
  if (context.privilege !== 'pkexec' && context.sudoPath) {
    launch = { file: context.sudoPath, args: ['--', ...script], via: 'sudo', banner: '' };
  } else if (context.privilege !== 'sudo' && context.pkexecPath) {
    launch = { file: context.pkexecPath, args: script, via: 'pkexec', banner: '' };
  } else {
    throw new Error(t('This container was started by hand as another user: opening a shell in it needs root, and {0} is not installed.', context.privilege === 'pkexec' ? 'pkexec' : 'sudo'));
  }
  const shown = [launch.file, ...launch.args].map(quoteForDisplay).join(' ');
  return {
    launch: { ...launch, banner: t('Mini Containers: a root shell in a container started by hand, as root\'s own call: {0}', shown) },
    rootOwnCall: true,
    shown,
  };
}

/** `label (N)` with the smallest N from 2 that no terminal in `taken` has: the container's own terminal is (1). */
export function execTerminalName(label: string, taken: Iterable<string>): string {
  const names = new Set(taken);
  for (let n = 2; ; n++) if (!names.has(`${label} (${n})`)) return `${label} (${n})`;
}
