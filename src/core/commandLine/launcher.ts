// The `mini-containers` command in PATH, as VS Code's "Install 'code' command in PATH" makes `code`. Pure Node.js:
// the extension's palette commands and the tests use it.
//
// What is installed is a small POSIX sh launcher *file*, not a symbolic link to dist/cli.js, because two things
// it needs are only known inside a running extension host, and both move:
// - the runtime: desktop VS Code users often have no `node` on PATH, so the launcher runs the CLI with the
//   extension host's own executable (`process.execPath`): Electron, made a plain Node.js by ELECTRON_RUN_AS_NODE=1,
//   in desktop VS Code; the server's bundled `node` under code-server or a remote (VS Code server); a VS Code
//   update moves either;
// - the CLI: it lies in the extension's folder, whose name holds the version, so every extension update moves it.
// The extension writes both absolute paths into the launcher, and on every activation re-points a launcher that
// bears its mark (and only such a one) at the running copy. A launcher whose paths are gone says so and how to fix
// it, instead of sh's bare "not found".

import * as fs from 'node:fs';
import * as path from 'node:path';
import { english, type Localize } from '../localize';

/** The command's name, and the launcher's file name. */
export const COMMAND_NAME = 'mini-containers';

/** The line that makes a file ours: only a file holding it is ever replaced or removed. */
export const LAUNCHER_MARK = "# mini-containers launcher, written by the Mini Containers extension (Install 'mini-containers' Command in PATH)";

/** A launcher is a few hundred bytes; a bigger file is not one of ours, whatever it says. */
const MAX_LAUNCHER_BYTES = 4096;

/** The program that runs dist/cli.js. */
export interface Runtime {
  /** Absolute path of the executable. */
  readonly path: string;
  /** Electron (desktop VS Code): it must be told to behave as Node.js (ELECTRON_RUN_AS_NODE=1). */
  readonly electron: boolean;
}

/** The extension host's own runtime: give it `process.execPath` and `process.versions`. */
export function hostRuntime(execPath: string, versions: Readonly<Record<string, string | undefined>>): Runtime {
  return { path: execPath, electron: versions.electron !== undefined };
}

/** Where the command goes: /usr/local/bin for root, as for other system-wide tools; ~/.local/bin otherwise. */
export function binFolder(uid: number, home: string): string {
  return uid === 0 ? '/usr/local/bin' : path.join(home, '.local', 'bin');
}

/** Whether `folder` is one of the entries of a PATH value (compared as written, and without a trailing slash). */
export function isOnPath(folder: string, pathValue: string | undefined): boolean {
  const wanted = path.resolve(folder);
  return (pathValue ?? '').split(':').some((entry) => entry !== '' && path.resolve(entry) === wanted);
}

/** A word for sh, single-quoted: nothing in it is expanded. */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The launcher that runs `cliJs` (absolute) with `runtime`, passing every argument on. */
export function launcherText(cliJs: string, runtime: Runtime): string {
  const run = `${runtime.electron ? 'ELECTRON_RUN_AS_NODE=1 ' : ''}exec "$runtime" "$cli" "$@"`;
  return [
    '#!/bin/sh',
    LAUNCHER_MARK,
    '# It runs the extension\'s CLI with VS Code\'s own runtime, so it needs no node on PATH. The extension re-points it',
    '# when VS Code or the extension moves (on activation); "Uninstall \'mini-containers\' Command from PATH" removes it.',
    `runtime=${shellQuote(runtime.path)}`,
    `cli=${shellQuote(cliJs)}`,
    'if [ ! -x "$runtime" ] || [ ! -r "$cli" ]; then',
    '  echo "mini-containers: cannot run $cli with $runtime: VS Code or the Mini Containers extension was updated, moved or removed." >&2',
    `  echo "Open the Containers view in VS Code to re-point this command, or run \\"Install 'mini-containers' Command in PATH\\" again." >&2`,
    '  exit 1',
    'fi',
    run,
    '',
  ].join('\n');
}

/** Whether `text` (a file's content) is a launcher this extension wrote. */
export function isOurLauncher(text: string): boolean {
  const lines = text.split('\n');
  return lines[0] === '#!/bin/sh' && lines[1] === LAUNCHER_MARK;
}

/** What the command's path holds now. */
export type LauncherState = { readonly kind: 'absent' } | { readonly kind: 'ours'; readonly text: string } | { readonly kind: 'foreign' };

/** Reads `file` without following a link: a link, a folder or a file without our mark is foreign. */
export function launcherState(file: string): LauncherState {
  const st = fs.lstatSync(file, { throwIfNoEntry: false });
  if (!st) return { kind: 'absent' };
  if (!st.isFile() || st.size > MAX_LAUNCHER_BYTES) return { kind: 'foreign' };
  const text = fs.readFileSync(file, 'utf8');
  return isOurLauncher(text) ? { kind: 'ours', text } : { kind: 'foreign' };
}

/** A refusal or failure the user can act on, already in their language. */
export class CommandLineError extends Error {}

function foreign(file: string, t: Localize): CommandLineError {
  return new CommandLineError(t('{0} already exists and was not installed by Mini Containers: it is left as it is. Remove or rename it yourself, then run this command again.', file));
}

/**
 * Writes `text` as the command in `folder` (made, with its parents, when missing). A new launcher is linked into
 * place only if the name is still free, ours replaces ours by a rename: the path never holds half a file, and a
 * file that appeared meanwhile is never overwritten. Throws a CommandLineError when the name holds something else.
 */
export function installLauncher(folder: string, text: string, t: Localize = english): { readonly file: string; readonly replaced: boolean } {
  const file = path.join(folder, COMMAND_NAME);
  const before = launcherState(file);
  if (before.kind === 'foreign') throw foreign(file, t);
  fs.mkdirSync(folder, { recursive: true, mode: 0o755 });
  const temporary = `${file}.new-${process.pid}`;
  fs.writeFileSync(temporary, text, { mode: 0o755, flag: 'wx' });
  try {
    fs.chmodSync(temporary, 0o755); // whatever the umask
    if (before.kind === 'ours') fs.renameSync(temporary, file);
    else {
      try {
        fs.linkSync(temporary, file);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw foreign(file, t);
        throw e;
      }
    }
  } finally {
    fs.rmSync(temporary, { force: true });
  }
  return { file, replaced: before.kind === 'ours' };
}

/** Removes our launcher from `folder`: "removed", or "absent" when there was none; throws when the name is not ours. */
export function uninstallLauncher(folder: string, t: Localize = english): 'removed' | 'absent' {
  const file = path.join(folder, COMMAND_NAME);
  const state = launcherState(file);
  if (state.kind === 'foreign') throw foreign(file, t);
  if (state.kind === 'absent') return 'absent';
  fs.rmSync(file);
  return 'removed';
}

/**
 * On activation: points our launcher in `folder`, if there is one, at `text` (this copy of the extension and this
 * runtime). Nothing is made where there was none, and a foreign file is never touched.
 */
export function repointLauncher(folder: string, text: string): 'repointed' | 'current' | 'absent' | 'foreign' {
  const state = launcherState(path.join(folder, COMMAND_NAME));
  if (state.kind !== 'ours') return state.kind;
  if (state.text === text) return 'current';
  installLauncher(folder, text);
  return 'repointed';
}
