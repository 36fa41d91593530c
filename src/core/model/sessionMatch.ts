// Which of this window's sessions (isolated shells it started) runs a container of the tree. Pure: the tree and
// its commands pass what they know, and the unit tests pass plain objects.
import type { Container } from './containerModel';

/** What the tree knows of a session: its name (the container's, given to the helper), and its PID 1 once known. */
export interface SessionIdentity {
  readonly name: string;
  /** From the helper's "started" status line; undefined until that line has been read. */
  readonly container?: { readonly initPid: number; readonly startTime: number };
}

/**
 * The session that started `c`: the one whose status line names its PID 1 (host PID and start time); else,
 * while a session has not read its status line yet, the one whose name the helper's record gives `c` — the
 * registry record can reach a refresh before the status line reaches the session, and the container must not
 * lose its "started here" actions for that. A session that knows its PID 1 matches by that only.
 */
export function sessionFor<S extends SessionIdentity>(
  c: Pick<Container, 'initHostPid' | 'startTime' | 'name' | 'startedBy'>,
  sessions: Iterable<S>,
): S | undefined {
  let byName: S | undefined;
  for (const s of sessions) {
    if (s.container) {
      if (s.container.initPid === c.initHostPid && s.container.startTime === c.startTime) return s;
    } else if (c.startedBy === 'mini-containers' && c.name !== null && s.name === c.name) {
      byName ??= s;
    }
  }
  return byName;
}
