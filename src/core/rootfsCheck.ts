import * as fs from 'node:fs/promises';
import * as path from 'node:path';

/**
 * What stops `dir` from serving as a root filesystem, as sentences a user can act on; empty when it can.
 * Mirrors the helper's own checks (which stay authoritative), so the user learns before any password prompt.
 */
export async function checkRootfs(dir: string, shell = '/bin/sh'): Promise<string[]> {
  if (!path.isAbsolute(dir)) return [`"${dir}" is not an absolute path.`];
  let real: string;
  try {
    real = await fs.realpath(dir);
  } catch {
    return [`${dir} does not exist.`];
  }
  if (!(await fs.stat(real)).isDirectory()) return [`${dir} is not a folder.`];
  if (real === '/') return [`${dir} is the host's own root; choose a separate root filesystem folder.`];
  const problems: string[] = [];
  for (const part of ['proc', 'dev']) {
    if (!(await isRealDirectory(path.join(real, part)))) problems.push(`it has no ${part}/ folder`);
  }
  const shellOnHost = await resolveInRoot(real, shell);
  if (!shellOnHost || !(await isExecutableFile(shellOnHost))) problems.push(`it has no executable ${shell}`);
  if (!problems.length) return [];
  return [`${dir} is not a usable root filesystem: ${problems.join(', ')}.`];
}

/** Follows links in `inside` as the chroot will see them, with `root` as `/`. */
export async function resolveInRoot(root: string, inside: string): Promise<string | undefined> {
  let current = path.posix.normalize('/' + inside);
  for (let hops = 0; hops < 40; hops++) {
    const host = path.join(root, current);
    let target: string;
    try {
      target = await fs.readlink(host);
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'EINVAL' ? host : undefined;
    }
    current = target.startsWith('/') ? path.posix.normalize(target) : path.posix.join(path.posix.dirname(current), target);
  }
  return undefined;
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
