// What the unprivileged scenarios need from the machine, made as root and always taken back: a throw-away user
// with a password, a sudoers drop-in that lets that user run only the system-wide helper (with the password),
// and that system-wide helper installed the way "Install Helper System-wide" installs it; or a plain user with
// no sudo rule at all (the rootless scenario). Every step is
// synchronous so that the same code undoes it from `after` and from an interrupt (./cleanup).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync, chownSync, copyFileSync, constants, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync,
  rmSync, statSync, writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { SYSTEM_HELPER_PATH } from '../../src/core/helper/systemHelper';
import { onInterrupt } from './cleanup';

/** Runs a system tool as root; throws with its output when it fails. */
function run(file: string, args: string[], input?: string): string {
  const result = spawnSync(file, args, { input, encoding: 'utf8', timeout: 30_000 });
  if (result.error) throw new Error(`${file} ${args.join(' ')} could not run: ${result.error.message}`);
  if (result.status !== 0) {
    throw new Error(`${file} ${args.join(' ')} failed (${result.signal ?? `exit ${result.status}`}): ${result.stderr.trim()}`);
  }
  return result.stdout;
}

/** Collects undo steps; runs them newest first, each even if an earlier one failed. */
class Undo {
  private readonly steps: { what: string; undo: () => void }[] = [];
  private readonly unregister = onInterrupt(() => this.runAll());

  push(what: string, undo: () => void): void {
    this.steps.push({ what, undo });
  }

  runAll(): void {
    this.unregister();
    for (const { what, undo } of this.steps.splice(0).reverse()) {
      try {
        undo();
      } catch (err) {
        console.error(`cleanup: ${what} failed: ${(err as Error).message}`);
      }
    }
  }
}

export interface SudoUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  readonly password: string;
  /** The drop-in in /etc/sudoers.d that allows the user the system-wide helper, and only it. */
  readonly sudoersFile: string;
  /** Deletes the drop-in, sudo's timestamps of the user and the user with its home. Idempotent. */
  dispose(): void;
}

/**
 * A new user `mc-e2e-<random>` (own group and home, a random password) who may run SYSTEM_HELPER_PATH — with any
 * arguments, as root, after typing the password: the rule "Install Helper System-wide" prints, without NOPASSWD.
 * Nothing else of sudo is touched: the drop-in's Defaults apply to this user only.
 */
export function createSudoUser(): SudoUser {
  const suffix = randomBytes(3).toString('hex');
  const name = `mc-e2e-${suffix}`;
  const password = `pw-${randomBytes(9).toString('base64url')}`;
  const sudoersFile = `/etc/sudoers.d/mini-containers-e2e-${suffix}`;
  const undo = new Undo();
  try {
    run('useradd', ['--create-home', '--user-group', '--shell', '/bin/sh', name]);
    undo.push(`userdel ${name}`, () => {
      // Its sudo timestamps (per terminal) outlive the user otherwise; a lecture mark too, were one made.
      rmSync(`/run/sudo/ts/${name}`, { force: true });
      rmSync(`/var/lib/sudo/lectured/${name}`, { force: true });
      if (spawnSync('id', ['-u', name]).status === 0) run('userdel', ['--remove', name]);
    });
    run('chpasswd', [], `${name}:${password}\n`);
    const uid = Number(run('id', ['-u', name]).trim());
    const gid = Number(run('id', ['-g', name]).trim());

    const rule = [
      '# Mini Containers e2e (test/e2e/unprivileged.test.ts); removed when the test ends.',
      `Defaults:${name} !lecture`,
      `${name} ALL=(root) ${SYSTEM_HELPER_PATH}`,
      '',
    ].join('\n');
    // Validated before sudo ever reads it: a broken drop-in would break sudo for everyone.
    const draft = `/tmp/.mini-containers-e2e-sudoers-${suffix}`;
    writeFileSync(draft, rule, { mode: 0o440, flag: 'wx' });
    try {
      run('visudo', ['-cf', draft]);
    } finally {
      rmSync(draft, { force: true });
    }
    writeFileSync(sudoersFile, rule, { mode: 0o440, flag: 'wx' });
    undo.push(`rm ${sudoersFile}`, () => rmSync(sudoersFile, { force: true }));
    chownSync(sudoersFile, 0, 0);
    chmodSync(sudoersFile, 0o440);
    run('visudo', ['-cf', sudoersFile]);
    return { name, uid, gid, password, sudoersFile, dispose: () => undo.runAll() };
  } catch (err) {
    undo.runAll();
    throw err;
  }
}

/** A throw-away user of the tests, with no password and no sudo rule. */
export interface PlainUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  /** SIGKILLs, by PID, whatever still runs as the user, then deletes the user with its home. Idempotent. */
  dispose(): void;
}

/** Host PIDs whose real or effective uid is `uid`. */
export function processesOfUid(uid: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const uids = /^Uid:\s+(\d+)\s+(\d+)/m.exec(readFileSync(`/proc/${entry}/status`, 'utf8'));
      if (uids && (Number(uids[1]) === uid || Number(uids[2]) === uid)) pids.push(Number(entry));
    } catch {
      // ended meanwhile
    }
  }
  return pids;
}

/**
 * A new user `<prefix><random>` (own group and home, no password, no sudo rule): an ordinary user as a new
 * Debian install has one. Its processes can only be the test's, so dispose() may end all of them.
 */
export function createPlainUser(prefix = 'mc-e2e-r-'): PlainUser {
  const name = `${prefix}${randomBytes(3).toString('hex')}`;
  run('useradd', ['--create-home', '--user-group', '--shell', '/bin/sh', name]);
  const undo = new Undo();
  try {
    const uid = Number(run('id', ['-u', name]).trim());
    const gid = Number(run('id', ['-g', name]).trim());
    undo.push(`userdel ${name}`, () => {
      const left = processesOfUid(uid);
      for (const pid of left) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone already
        }
      }
      if (left.length) console.error(`cleanup: killed processes of ${name} still running: ${left.join(', ')}`);
      // userdel refuses while a process of the user runs: give the killed ones a moment to go.
      for (let i = 0; i < 50 && processesOfUid(uid).length; i++) spawnSync('sleep', ['0.1']);
      if (spawnSync('id', ['-u', name]).status === 0) run('userdel', ['--remove', name]);
    });
    return { name, uid, gid, dispose: () => undo.runAll() };
  } catch (err) {
    undo.runAll();
    if (spawnSync('id', ['-u', name]).status === 0) run('userdel', ['--remove', name]);
    throw err;
  }
}

/** The helper's copy inside the installed extension: what "Install Helper System-wide" copies. */
export function installedHelper(extensionsDir: string): string {
  const folder = readdirSync(extensionsDir).find((f) => f.startsWith('mini-containers.mini-containers-'));
  assert.ok(folder, `the extension is not in ${extensionsDir}: ${readdirSync(extensionsDir).join(', ')}`);
  return join(extensionsDir, folder, 'src', 'helper', 'container-helper.sh');
}

export interface SystemHelper {
  readonly path: string;
  /** Puts back what was there before: removes the copy (and the folder when it was made here), or restores it. */
  dispose(): void;
}

/**
 * Installs `source` at SYSTEM_HELPER_PATH exactly as "Install Helper System-wide" does as root
 * (src/shells/installHelper.ts): the folder root-owned 0755, the file written beside the target, made root-owned
 * 0755, then renamed into place.
 * A folder that already existed is left as it was; a helper that was already there is restored afterwards.
 */
export function installSystemHelper(source: string): SystemHelper {
  const folder = dirname(SYSTEM_HELPER_PATH);
  const undo = new Undo();
  try {
    if (!existsSync(folder)) {
      mkdirSync(folder, { recursive: true, mode: 0o755 });
      undo.push(`rmdir ${folder}`, () => rmdirSync(folder));
      chownSync(folder, 0, 0);
      chmodSync(folder, 0o755);
    }
    if (existsSync(SYSTEM_HELPER_PATH)) {
      const previous = readFileSync(SYSTEM_HELPER_PATH);
      const { mode, uid, gid } = statSync(SYSTEM_HELPER_PATH);
      undo.push(`restore ${SYSTEM_HELPER_PATH}`, () => {
        const temporary = `${SYSTEM_HELPER_PATH}.restore-${process.pid}`;
        writeFileSync(temporary, previous, { mode: 0o700, flag: 'wx' });
        chownSync(temporary, uid, gid);
        chmodSync(temporary, mode & 0o7777);
        renameSync(temporary, SYSTEM_HELPER_PATH);
      });
    } else {
      undo.push(`rm ${SYSTEM_HELPER_PATH}`, () => rmSync(SYSTEM_HELPER_PATH, { force: true }));
    }
    // The seccomp filter beside it, as the command installs it too.
    const filter = join(folder, 'seccomp.bpf');
    const previousFilter = existsSync(filter) ? readFileSync(filter) : undefined;
    undo.push(`restore ${filter}`, () => (previousFilter ? writeFileSync(filter, previousFilter) : rmSync(filter, { force: true })));
    for (const [from, to] of [[source, SYSTEM_HELPER_PATH], [join(dirname(source), 'seccomp.bpf'), filter]]) {
      const temporary = `${to}.new-${process.pid}`;
      copyFileSync(from, temporary, constants.COPYFILE_EXCL);
      try {
        chownSync(temporary, 0, 0);
        chmodSync(temporary, 0o755);
        renameSync(temporary, to);
      } finally {
        rmSync(temporary, { force: true });
      }
    }
    return { path: SYSTEM_HELPER_PATH, dispose: () => undo.runAll() };
  } catch (err) {
    undo.runAll();
    throw err;
  }
}
