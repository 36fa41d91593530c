// The host-side processes that hold a container: the lesson's "second terminal" (`sudo unshare …` → `unshare …`
// → `/bin/sh`). Each one is recognised from its comm and command line and named by the part it plays.
// Mini Containers' own chain is [sudo | pkexec →] the helper → bubblewrap's monitor → PID 1: the helper execs
// bwrap through env (and, as root, capsh), each in the place of the one before, so neither is usually seen.

import type { ProcessInfo } from '../proc/processScanner';

/** The part a host process plays in holding a container. */
export type HolderRole =
  | 'sudo'
  | 'pkexec'
  | 'helper'
  | 'capsh'
  | 'bwrapMonitor'
  | 'unshare'
  | 'nspawn'
  | 'containerdShim'
  | 'conmon';

/** What a recognised holder needs of a process: its short name and its command line. */
export type HolderInput = Pick<ProcessInfo, 'comm' | 'command'>;

/** The first word of a command line without its folder, e.g. `/usr/bin/bwrap --ro-bind …` → `bwrap`. */
function programOf(command: string): string {
  const first = command.split(' ', 1)[0] ?? '';
  return first.slice(first.lastIndexOf('/') + 1);
}

/**
 * The role of a host process that can hold a container, or null for any other process. The helper is a shell
 * script, so its comm is `sh` or `dash`: it is recognised by its script's name in the command line, whatever its
 * sub-command.
 */
export function holderRole(p: HolderInput): HolderRole | null {
  // A host process's command line is read only for the ancestors of a container's PID 1: these.
  const command = p.command ?? '';
  const program = programOf(command);
  const is = (name: string) => p.comm === name || program === name;
  // Before the helper: sudo's and pkexec's command lines name the helper too.
  if (is('sudo')) return 'sudo';
  if (is('pkexec')) return 'pkexec';
  if (/(?:^|[\s/])container-helper\.sh\s+\S/.test(command)) return 'helper';
  // As root the helper runs bwrap through capsh, which execs bwrap in its place, so it is rarely an ancestor of a
  // PID 1; it is named for when it is (a capsh started by hand that runs its command as a child).
  if (is('capsh')) return 'capsh';
  // Outside the namespace, bwrap is the monitor that waits for the sandbox; inside, its PID 1.
  if (is('bwrap')) return 'bwrapMonitor';
  if (is('unshare')) return 'unshare';
  if (is('systemd-nspawn')) return 'nspawn';
  // comm is cut at 15 bytes: "containerd-shim-runc-v2" reads "containerd-shim".
  if (p.comm.startsWith('containerd-shim') || program.startsWith('containerd-shim')) return 'containerdShim';
  if (is('conmon')) return 'conmon';
  return null;
}

/** How far up from a container's PID 1 the chain is followed: sudo → helper → bubblewrap's monitor is three. */
const MAX_CHAIN = 6;

/**
 * The processes that hold the container whose PID 1 is `initHostPid`, outermost first: its ancestors on the host
 * as far up as each one is a recognised holder. Empty when PID 1's parent is not one (a container whose parent
 * is an ordinary program, or one reparented to the host's init).
 */
export function hostChain<P extends HolderInput & Pick<ProcessInfo, 'hostPid' | 'ppid'>>(
  initHostPid: number,
  processes: ReadonlyMap<number, P>,
): { process: P; role: HolderRole }[] {
  const chain: { process: P; role: HolderRole }[] = [];
  let pid = processes.get(initHostPid)?.ppid ?? 0;
  const seen = new Set<number>([initHostPid]);
  while (pid > 1 && chain.length < MAX_CHAIN && !seen.has(pid)) {
    seen.add(pid);
    const parent = processes.get(pid);
    if (!parent) break;
    const role = holderRole(parent);
    if (role === null) break;
    chain.unshift({ process: parent, role });
    pid = parent.ppid;
  }
  return chain;
}
