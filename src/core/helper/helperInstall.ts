// Installing the helper system-wide: root-owned copies of everything it reads (the script and its seccomp
// filter), the only files a password-less sudo rule may name. Used by the CLI's `install-helper` and by the
// extension's "Install Helper System-wide" when VS Code runs as root. Pure Node.js.

import * as fs from 'node:fs';
import * as path from 'node:path';

/** What the helper reads from its own folder, besides nothing else on the host that a user could change. */
export const HELPER_FILES = ['container-helper.sh', 'seccomp.bpf'] as const;

/** The folder of the system copy for a prefix: PREFIX/libexec/mini-containers. */
export function helperFolder(prefix: string): string {
  return path.join(prefix, 'libexec', 'mini-containers');
}

/**
 * Copies HELPER_FILES from `sourceDir` into helperFolder(prefix), as root: every folder from / down to it must
 * be root-owned and not writable by group or others (else a user could swap the copy), the folder is made 0755,
 * and each file is written beside its target, made root-owned (0755 for the script, 0644 for the filter), then
 * renamed into place, so the path never holds a half-written or user-owned file. Returns the script's path.
 */
export function installHelperFiles(sourceDir: string, prefix: string): string {
  if (process.getuid?.() !== 0) throw new Error('install-helper must run as root (sudo mini-containers install-helper)');
  if (!path.isAbsolute(prefix)) throw new Error(`--prefix must be an absolute path: ${prefix}`);
  const folder = helperFolder(prefix);
  for (const file of HELPER_FILES) {
    if (!fs.statSync(path.join(sourceDir, file), { throwIfNoEntry: false })?.isFile()) {
      throw new Error(`${path.join(sourceDir, file)} is missing: build first (node esbuild.mjs)`);
    }
  }
  // Every existing folder on the way must be root's and writable by root only (or sticky, as /tmp: nobody can
  // then rename root's entries), checked before anything is made.
  for (let dir = folder; ; dir = path.dirname(dir)) {
    const st = fs.lstatSync(dir, { throwIfNoEntry: false });
    if (st && (st.isSymbolicLink() || st.uid !== 0 || ((st.mode & 0o022) !== 0 && (st.mode & 0o1000) === 0))) {
      throw new Error(`${dir} is not a root-owned folder that only root can write: a user could replace the helper there`);
    }
    if (dir === path.dirname(dir)) break;
  }
  fs.mkdirSync(folder, { recursive: true, mode: 0o755 });
  fs.chownSync(folder, 0, 0);
  fs.chmodSync(folder, 0o755);
  for (const file of HELPER_FILES) {
    const target = path.join(folder, file);
    const temporary = `${target}.new-${process.pid}`;
    fs.copyFileSync(path.join(sourceDir, file), temporary, fs.constants.COPYFILE_EXCL);
    try {
      fs.chownSync(temporary, 0, 0);
      fs.chmodSync(temporary, file.endsWith('.sh') ? 0o755 : 0o644);
      fs.renameSync(temporary, target);
    } finally {
      fs.rmSync(temporary, { force: true });
    }
  }
  return path.join(folder, HELPER_FILES[0]);
}
