// `mini-containers delegate-cgroup USER`: what root does, once, so that USER's rootless containers get a cgroup of
// their own (and so limits) as root's do. The helper, rootless, makes its groups only in
// <hierarchy>/mini-containers/user-UID, and only when that folder is the user's (see the helper's CGROUP contract):
// this makes it, in the host's v2 hierarchy or in each v1 hierarchy the helper uses (memory, pids, cpu, cpuacct,
// freezer; a combined mount once), and gives it to the user as the kernel's delegation rules ask (cgroup-v2.rst,
// "Delegation": the folder and its cgroup.procs, cgroup.threads and cgroup.subtree_control; v1, the folder and its
// process lists). Pure Node.js: no shell, no input in any command.

import * as fs from 'node:fs';
import * as path from 'node:path';

const V1_CONTROLLERS = ['memory', 'pids', 'cpu', 'cpuacct', 'freezer'] as const;
/** What v2 hands down to the containers' groups, where the kernel has it. */
const V2_CONTROLLERS = ['memory', 'pids', 'cpu'] as const;
/** The files of a delegated folder its owner must be able to write. */
const DELEGATED_FILES = ['cgroup.procs', 'cgroup.threads', 'cgroup.subtree_control', 'tasks'] as const;

/** The hierarchies the helper makes groups in, under `root` (/sys/fs/cgroup): v2's one, or each v1 controller's. */
export function helperHierarchies(root: string): { version: 1 | 2; tops: string[] } {
  if (fs.existsSync(path.join(root, 'cgroup.controllers'))) return { version: 2, tops: [root] };
  const tops = V1_CONTROLLERS.filter((c) => fs.existsSync(path.join(root, c, 'cgroup.procs'))).map((c) => fs.realpathSync(path.join(root, c)));
  return { version: 1, tops: [...new Set(tops)] };
}

/** The delegated folders of `uid`, one per hierarchy. */
export function delegatedFolders(root: string, uid: number): string[] {
  return helperHierarchies(root).tops.map((top) => path.join(top, 'mini-containers', `user-${uid}`));
}

/**
 * Makes `mini-containers/user-UID` in every hierarchy and gives it to uid:gid; on v2 also enables the controllers
 * from the top down to it, so the user's groups can have limits. Returns the folders. Throws, saying where, when
 * the cgroup filesystem refuses (not root, a read-only mount); a folder already there is given again (idempotent).
 */
export function delegateCgroups(root: string, uid: number, gid: number): string[] {
  const { version, tops } = helperHierarchies(root);
  if (!tops.length) throw new Error(`no cgroup hierarchy is mounted at ${root}`);
  const made: string[] = [];
  for (const top of tops) {
    const parent = path.join(top, 'mini-containers');
    const mine = path.join(parent, `user-${uid}`);
    for (const dir of [parent, mine]) {
      try {
        fs.mkdirSync(dir);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(`cannot create ${dir}: ${(e as Error).message}`);
      }
    }
    if (version === 2) {
      const available = fs.readFileSync(path.join(top, 'cgroup.controllers'), 'utf8').split(/\s+/);
      const wanted = V2_CONTROLLERS.filter((c) => available.includes(c)).map((c) => `+${c}`).join(' ');
      for (const dir of [top, parent, mine]) {
        if (wanted) fs.writeFileSync(path.join(dir, 'cgroup.subtree_control'), wanted);
      }
    }
    fs.chownSync(mine, uid, gid);
    for (const file of DELEGATED_FILES) {
      if (fs.existsSync(path.join(mine, file))) fs.chownSync(path.join(mine, file), uid, gid);
    }
    made.push(mine);
  }
  return made;
}

/** Removes uid's delegated folders (the kernel refuses one that still holds a group: that one is named). */
export function undelegateCgroups(root: string, uid: number): string[] {
  const removed: string[] = [];
  for (const dir of delegatedFolders(root, uid)) {
    if (!fs.existsSync(dir)) continue;
    try {
      fs.rmdirSync(dir);
    } catch (e) {
      throw new Error(`cannot remove ${dir} (a container of the user may still run): ${(e as Error).message}`);
    }
    removed.push(dir);
  }
  return removed;
}
