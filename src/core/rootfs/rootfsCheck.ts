import type { Stats } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { ROOTFS_STORE } from '../helper/helperProtocol';
import { english, type Localize } from '../localize';
import { errorCode } from '../proc/procReader';

/** Where the checks look; tests name another store. */
export interface RootfsCheckOptions {
  /**
   * The system store (ROOTFS_STORE), whose top only root may enter: a user cannot look inside, and the helper
   * (as root) checks a rootfs there itself. Its folders are not refused for that.
   */
  readonly store?: string;
}

/**
 * What stops `dir` from serving as a root filesystem, as sentences a user can act on; empty when it can.
 * Mirrors the helper's own checks (which stay authoritative), so the user learns before any password prompt.
 */
export async function checkRootfs(
  dir: string, shell = '/bin/sh', t: Localize = english, { store = ROOTFS_STORE }: RootfsCheckOptions = {},
): Promise<string[]> {
  if (!path.isAbsolute(dir)) return [t('"{0}" is not an absolute path.', dir)];
  const inStore = path.resolve(dir).startsWith(`${path.resolve(store)}/`);
  let real: string;
  try {
    real = await fs.realpath(dir);
  } catch (error) {
    const code = errorCode(error);
    if (code === 'EACCES' || code === 'EPERM') return inStore ? [] : [await deniedOnTheWay(dir, t)];
    if (code === 'ENOENT' || code === 'ENOTDIR') return [t('{0} does not exist.', dir)];
    return [t('{0} cannot be opened: {1}', dir, (error as Error).message)];
  }
  if (!(await fs.stat(real)).isDirectory()) return [t('{0} is not a folder.', dir)];
  if (real === '/') return [t("{0} is the host's own root; choose a separate root filesystem folder.", dir)];
  try {
    // Listing it and going through it, as this process (access(2) would ask for the real uid's rights instead):
    // what reading proc/, dev/ and the shell below needs.
    await fs.readdir(real);
    await fs.lstat(`${real}/.`);
  } catch (error) {
    const code = errorCode(error);
    if (code === 'EACCES' || code === 'EPERM') return inStore ? [] : [deniedFolder(dir, t)];
    throw error;
  }
  const problems: string[] = [];
  for (const part of ['proc', 'dev']) {
    if (!(await isRealDirectory(path.join(real, part)))) problems.push(t('it has no {0}/ folder', part));
  }
  const shellOnHost = await resolveInRoot(real, shell);
  if (!shellOnHost || !(await isExecutableFile(shellOnHost))) problems.push(t('it has no executable {0}', shell));
  if (!problems.length) return [];
  return [t('{0} is not a usable root filesystem: {1}.', dir, problems.join(', '))];
}

/**
 * The host path that `inside` names in the chroot at `root`, resolved as the container's kernel will: component by
 * component, so a link in any folder of the path is followed inside the root (an absolute target starts again at
 * `root`, ".." stops there and applies to the resolved parent), never through the host's own folders. Undefined
 * after 40 links or when a link cannot be read. Like the helper's own check, whose logic it mirrors.
 */
export async function resolveInRoot(root: string, inside: string): Promise<string | undefined> {
  const rest = inside.split('/').reverse();
  let resolved = '';
  let hops = 0;
  while (rest.length) {
    const part = rest.pop()!;
    if (part === '' || part === '.') continue;
    if (part === '..') {
      resolved = resolved.slice(0, Math.max(0, resolved.lastIndexOf('/')));
      continue;
    }
    const candidate = `${resolved}/${part}`;
    let stat: Stats | undefined;
    try {
      stat = await fs.lstat(root + candidate);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') return undefined;
    }
    if (stat?.isSymbolicLink()) {
      if (++hops > 40) return undefined;
      let target: string;
      try {
        target = await fs.readlink(root + candidate);
      } catch {
        return undefined;
      }
      if (target.startsWith('/')) resolved = '';
      rest.push(...target.split('/').reverse());
    } else if (rest.length && !stat?.isDirectory()) {
      // Not a folder, yet followed by a "/" (as "sh/" or "sh/."): the path names nothing, and the trailing "/"
      // keeps the caller's test of it saying so.
      return `${root}${candidate}/`;
    } else {
      resolved = candidate;
    }
  }
  return root + (resolved || '/');
}

/**
 * The sentence for a rootfs that cannot be reached because a folder on its way may not be entered: names the
 * folder that refuses (the first one whose entries cannot be looked up), and what to do.
 */
async function deniedOnTheWay(dir: string, t: Localize): Promise<string> {
  const parts = path.resolve(dir).split('/').filter(Boolean);
  for (let i = 1; i <= parts.length; i++) {
    const child = `/${parts.slice(0, i).join('/')}`;
    try {
      await fs.lstat(child);
    } catch (error) {
      const code = errorCode(error);
      if (code !== 'EACCES' && code !== 'EPERM') break;
      const refusing = path.dirname(child);
      if (refusing === path.resolve(dir)) break;
      return t('{0} cannot be reached: permission denied on {1}, a folder on its way that this user may not enter. ' +
        'Give this user search (x) permission on {1} (for example chmod o+x), or choose a root filesystem this user owns.', dir, refusing);
    }
  }
  return deniedFolder(dir, t);
}

function deniedFolder(dir: string, t: Localize): string {
  return t('{0} cannot be read: permission denied. Give this user read and search (r, x) permission on it ' +
    '(for example chmod o+rx), or choose a root filesystem this user owns.', dir);
}

async function isRealDirectory(p: string): Promise<boolean> {
  try {
    return (await fs.lstat(p)).isDirectory();
  } catch {
    return false;
  }
}

async function isExecutableFile(p: string): Promise<boolean> {
  try {
    const stat = await fs.stat(p);
    return stat.isFile() && (stat.mode & 0o111) !== 0;
  } catch {
    return false;
  }
}
