// Where root filesystems live and what is known of each: the user's store (rootless shells), the system store
// (root-owned, for shells run through sudo or pkexec), and one metadata file per rootfs beside it, NAME.json, never
// inside it (a container's root writes its rootfs: nothing it writes may change what the extension believes of it).
// Every way of making a rootfs (BusyBox, import, pull, Debian, saved changes) builds it in a temporary folder of the
// same store and renames it into place only when complete, so a cancelled or failed build leaves no NAME behind.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** The system store: root-owned, 0700 at its parent; the helper takes only rootfs folders directly inside it. */
export const SYSTEM_STORE = '/var/lib/mini-containers/rootfs';

/** A rootfs name: also a file name, a container name prefix and, in the system store, what the helper validates. */
export const ROOTFS_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

/** The user's store: $XDG_DATA_HOME/mini-containers/rootfs, else ~/.local/share/mini-containers/rootfs. */
export function userStoreDir(env: NodeJS.ProcessEnv, home: string): string {
  const data = env.XDG_DATA_HOME && path.isAbsolute(env.XDG_DATA_HOME) ? env.XDG_DATA_HOME : path.join(home, '.local', 'share');
  return path.join(data, 'mini-containers', 'rootfs');
}

/**
 * Where a rootfs made by this process goes: root's is the system store (shells through sudo or pkexec start only on
 * it), anyone else's their own store.
 */
export function defaultStore(env: NodeJS.ProcessEnv, uid = process.getuid?.() ?? -1, home = os.homedir()): string {
  return uid === 0 ? SYSTEM_STORE : userStoreDir(env, home);
}

/** Where a rootfs came from, as the Root Filesystems view and `rootfs list` show it. */
export type RootfsOrigin =
  | { kind: 'busybox' }
  | { kind: 'debian'; distribution: 'debian' | 'ubuntu'; suite: string; mirror: string; tool: string }
  | { kind: 'import'; file: string; format: string }
  | { kind: 'pull'; reference: string; digest: string }
  | { kind: 'saved'; from: string }
  | { kind: 'folder' };

/** What an image says about how its containers run (OCI image config's `config`), recorded at import. */
export interface ImageConfig {
  env?: string[];
  workingDir?: string;
  user?: string;
  entrypoint?: string[];
  cmd?: string[];
}

/** NAME.json beside the rootfs folder NAME. */
export interface RootfsMeta {
  version: 1;
  name: string;
  origin: RootfsOrigin;
  /** ISO time the rootfs was completed. */
  created: string;
  /** The image's run configuration, for imported and pulled images. */
  config?: ImageConfig;
  /** What the import left out of an untrusted archive (entries and why), as its report said. */
  skipped?: string[];
  /**
   * Owners an imported archive gave to entries other than root ("uid:gid" by path inside), recorded instead of
   * chowned: a rootless import's files are all the user's (root inside). At most 10,000.
   */
  owners?: Record<string, string>;
}

export function metaPath(store: string, name: string): string {
  return path.join(store, `${name}.json`);
}

/** The metadata of rootfs `name` of `store`; undefined when there is none or it is not ours. */
export function readMeta(store: string, name: string): RootfsMeta | undefined {
  let text: string;
  try {
    text = fs.readFileSync(metaPath(store, name), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const meta = JSON.parse(text) as RootfsMeta;
    return meta && meta.version === 1 && meta.name === name && typeof meta.origin?.kind === 'string' ? meta : undefined;
  } catch {
    return undefined;
  }
}

/** Writes NAME.json atomically (a temporary file renamed over it). */
export function writeMeta(store: string, meta: RootfsMeta): void {
  const file = metaPath(store, meta.name);
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, `${JSON.stringify(meta, null, 2)}\n`, { mode: 0o644 });
  fs.renameSync(temp, file);
}

/** The rootfs names of `store`: folders directly inside it whose name is valid (temporary ones start with "."). */
export function listStore(store: string): string[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(store, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.filter((e) => e.isDirectory() && ROOTFS_NAME.test(e.name)).map((e) => e.name).sort();
}

/**
 * A new, empty temporary folder in `store` for building rootfs `name` (made with its parents, the store 0700 when
 * new): `.new-NAME-PID-RANDOM`, which listStore never shows. Throws when `name` is invalid or already taken.
 */
export function makeBuildDir(store: string, name: string): string {
  if (!ROOTFS_NAME.test(name)) throw new Error(`invalid root filesystem name "${name}": use letters, digits, _ . - (at most 63)`);
  fs.mkdirSync(store, { recursive: true, mode: 0o700 });
  if (fs.existsSync(path.join(store, name))) throw new Error(`${path.join(store, name)} already exists`);
  return fs.mkdtempSync(path.join(store, `.new-${name}-${process.pid}-`));
}

/**
 * Moves the complete build folder into place as `name`, with its metadata, without replacing anything: throws when
 * the name was taken meanwhile (the build folder is then left for the caller to remove).
 */
export function commitBuildDir(store: string, buildDir: string, meta: RootfsMeta): string {
  const target = path.join(store, meta.name);
  if (path.dirname(buildDir) !== store) throw new Error(`${buildDir} is not a build folder of ${store}`);
  // rename(2) would replace an empty folder of that name: none may be there, not even a link.
  if (fs.existsSync(target) || isLink(target)) throw new Error(`${target} already exists`);
  try {
    fs.renameSync(buildDir, target);
  } catch (error) {
    throw new Error(`${target} could not be put in place: ${(error as Error).message}`);
  }
  writeMeta(store, meta);
  return target;
}

function isLink(p: string): boolean {
  try {
    return fs.lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}
