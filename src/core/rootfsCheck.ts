import type { Stats } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { english, type Localize } from './localize';

/**
 * What stops `dir` from serving as a root filesystem, as sentences a user can act on; empty when it can.
 * Mirrors the helper's own checks (which stay authoritative), so the user learns before any password prompt.
 */
export async function checkRootfs(dir: string, shell = '/bin/sh', t: Localize = english): Promise<string[]> {
  if (!path.isAbsolute(dir)) return [t('"{0}" is not an absolute path.', dir)];
  let real: string;
  try {
    real = await fs.realpath(dir);
  } catch {
    return [t('{0} does not exist.', dir)];
  }
  if (!(await fs.stat(real)).isDirectory()) return [t('{0} is not a folder.', dir)];
  if (real === '/') return [t("{0} is the host's own root; choose a separate root filesystem folder.", dir)];
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
