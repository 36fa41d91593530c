// Deleting a rootfs of a store (the view's Delete and `mini-containers rootfs rm NAME`): refused while a container
// runs on it; the folder is first renamed to a hidden name (so it leaves the list, and no new shell starts on it,
// at once), its NAME.json removed, then the tree is removed by a walk that unlinks links without following them and
// never enters another filesystem: a link planted inside pointing at the user's files removes the link only.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { english, type Localize } from '../localize';
import { metaPath, ROOTFS_NAME } from './rootfsStore';
import { ContainerRegistry, DEFAULT_REGISTRY_DIR, userRegistryDir } from '../helper/registry';

export type RemoveRefusal = 'invalid-name' | 'missing' | 'not-a-folder' | 'in-use' | 'mounted';

/** Why a rootfs was not removed, in words, with a code a caller (or test) can act on. */
export class RootfsRemoveError extends Error {
  constructor(readonly code: RemoveRefusal, message: string) {
    super(message);
    this.name = 'RootfsRemoveError';
  }
}

/** What is known of a running container for the check: the helper's started record, or a process's root. */
export interface RootfsUser {
  /** Container name (or "PID n" for a process found by its root). */
  name: string;
  rootfs: string;
}

/** The containers among `users` that run on `rootfs` (its path, or a folder inside it as their root). */
export function usersOf(rootfs: string, users: Iterable<RootfsUser>): string[] {
  const names: string[] = [];
  for (const u of users) {
    if (u.rootfs === rootfs || u.rootfs.startsWith(`${rootfs}/`)) names.push(u.name);
  }
  return names;
}

/**
 * Processes whose root is the rootfs or a folder inside it: a container started by hand (chroot, unshare), or one
 * whose record we cannot read. bubblewrap pivots into the rootfs, so readlink of /proc/PID/root says only "/": the
 * root is also compared by device and inode. Processes we may not look at (another user's) are skipped.
 */
export function processesRootedIn(rootfs: string, proc = '/proc'): string[] {
  const found: string[] = [];
  let identity: string;
  let names: string[];
  try {
    const stat = fs.statSync(rootfs);
    identity = `${stat.dev}:${stat.ino}`;
    names = fs.readdirSync(proc);
  } catch {
    return found;
  }
  for (const pid of names) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const root = path.join(proc, pid, 'root');
      const link = fs.readlinkSync(root);
      const stat = fs.statSync(root);
      if (`${stat.dev}:${stat.ino}` === identity || link === rootfs || link.startsWith(`${rootfs}/`)) found.push(`PID ${pid}`);
    } catch {
      // gone, or not ours to read
    }
  }
  return found;
}

/**
 * The containers the helper recorded, run as root and as user `uid`, whose PID 1 still exists.
 */
export function runningRootfsUsers(env: NodeJS.ProcessEnv, uid: number): RootfsUser[] {
  const users: RootfsUser[] = [];
  const dirs = uid === 0 ? [DEFAULT_REGISTRY_DIR] : [DEFAULT_REGISTRY_DIR, userRegistryDir(env, uid)];
  for (const dir of dirs) {
    for (const record of new ContainerRegistry(dir).read().values()) {
      if (fs.existsSync(`/proc/${record.initPid}`)) users.push({ name: record.name, rootfs: record.rootfs });
    }
  }
  return users;
}

/** Mount points (from /proc/self/mountinfo's fifth field, octal escapes decoded) at or below `dir`. */
export function mountsUnder(dir: string, mountinfo: string): string[] {
  const found: string[] = [];
  for (const line of mountinfo.split('\n')) {
    const field = line.split(' ')[4];
    if (!field) continue;
    const point = field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
    if (point === dir || point.startsWith(`${dir}/`)) found.push(point);
  }
  return found;
}

export interface RemoveOptions {
  /** The running containers to check against: the helper's records (runningRootfsUsers). */
  users: () => Iterable<RootfsUser>;
  /** Processes whose root is `dir` or inside it (processesRootedIn; injectable for tests). */
  rootedIn?: (dir: string) => string[];
  /** /proc/self/mountinfo's text (injectable for tests). */
  mountinfo?: () => string;
  t?: Localize;
}

/**
 * Removes rootfs `name` of `store` and its NAME.json. Throws RootfsRemoveError when refused (nothing removed), or
 * the file system's error when removing failed midway (the hidden folder is then left, never listed).
 */
export async function removeRootfs(store: string, name: string, options: RemoveOptions): Promise<void> {
  const t = options.t ?? english;
  if (!ROOTFS_NAME.test(name)) throw new RootfsRemoveError('invalid-name', t('"{0}" is no root filesystem name.', name));
  const dir = path.join(store, name);
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(dir);
  } catch {
    throw new RootfsRemoveError('missing', t('There is no root filesystem {0}.', dir));
  }
  if (!stat.isDirectory()) throw new RootfsRemoveError('not-a-folder', t('{0} is not a folder (a link is never followed): not removed.', dir));
  const users = [...usersOf(dir, options.users()), ...(options.rootedIn ?? processesRootedIn)(dir)];
  if (users.length) {
    throw new RootfsRemoveError('in-use', t('{0} is in use by {1}: stop it first.', dir, users.join(', ')));
  }
  const mounts = mountsUnder(dir, (options.mountinfo ?? (() => fs.readFileSync('/proc/self/mountinfo', 'utf8')))());
  if (mounts.length) throw new RootfsRemoveError('mounted', t('{0} has a filesystem mounted at {1}: not removed.', dir, mounts.join(', ')));
  const doomed = path.join(store, `.rm-${name}-${process.pid}-${Date.now().toString(36)}`);
  fs.renameSync(dir, doomed);
  fs.rmSync(metaPath(store, name), { force: true });
  await removeTree(doomed, stat.dev);
}

/**
 * Removes the folder `dir` and everything in it, on device `dev` only: links are unlinked, never followed; a folder
 * of another filesystem is refused rather than entered. Folders made read-only inside (by an image) are made
 * writable by their owner first.
 */
export async function removeTree(dir: string, dev: number): Promise<void> {
  const stat = await fs.promises.lstat(dir);
  if (!stat.isDirectory()) {
    await fs.promises.unlink(dir);
    return;
  }
  if (stat.dev !== dev) throw new Error(`${dir} is on another filesystem: not entered`);
  if ((stat.mode & 0o700) !== 0o700) await fs.promises.chmod(dir, stat.mode | 0o700);
  for (const entry of await fs.promises.readdir(dir, { withFileTypes: true })) {
    const child = path.join(dir, entry.name);
    if (entry.isDirectory()) await removeTree(child, dev);
    else await fs.promises.unlink(child);
  }
  await fs.promises.rmdir(dir);
}
