// What the Root Filesystems view and `mini-containers rootfs list` show of each rootfs: the user's store, the system
// store and the configured folder, each with its origin (from NAME.json beside it), size on disk, last use and owner.
// Sizes come from an asynchronous walk (libuv's thread pool, off the extension host's main thread) that never follows
// a link, never crosses into another filesystem and counts a file with several hard links once.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { english, type Localize } from '../localize';
import { listStore, readMeta, type RootfsMeta, type RootfsOrigin } from './rootfsStore';
import { formatBytes } from '../model/treeText';

/** Which place a rootfs was found in. */
export type RootfsPlace = 'user' | 'system' | 'folder';

/** One row of the view and of `rootfs list`. */
export interface RootfsEntry {
  /** The folder name (for a configured folder: its base name). */
  name: string;
  /** Absolute path of the rootfs folder. */
  path: string;
  place: RootfsPlace;
  /** The store it lies in; undefined for the configured folder outside both stores. */
  store?: string;
  /** From NAME.json; `{ kind: 'folder' }` when there is none. */
  origin: RootfsOrigin;
  /** ISO time the rootfs was completed, from its metadata. */
  created?: string;
  /** ISO time a shell last started on it, from the last-used record; undefined when never recorded. */
  lastUsed?: string;
  /** Owner of the folder. */
  uid: number;
  /** Whether it is miniContainers.rootfs. */
  isDefault: boolean;
}

/** The origin in words: "BusyBox", "Debian bookworm (mmdebstrap)", "imported from FILE (oci)", "REF@DIGEST"… */
export function originText(origin: RootfsOrigin, t: Localize = english): string {
  switch (origin.kind) {
    case 'busybox':
      return 'BusyBox';
    case 'debian':
      return `${origin.distribution === 'ubuntu' ? 'Ubuntu' : 'Debian'} ${origin.suite} (${origin.tool})`;
    case 'import':
      return t('imported from {0} ({1})', origin.file, origin.format);
    case 'pull':
      return origin.digest ? `${origin.reference}@${origin.digest}` : origin.reference;
    case 'saved':
      return t('saved from {0}', origin.from);
    default:
      return t('folder');
  }
}

/** Bytes in words, base 1024: "512 B", "1.5 KiB", "23 MiB" (the Containers view's own formatter). */
export function formatSize(bytes: number): string {
  return formatBytes(bytes);
}

// --- last use

/**
 * The user's record of when a shell last started on each rootfs: one JSON object, path → ISO time, in
 * $XDG_STATE_HOME/mini-containers/last-used.json (else ~/.local/state/…). A file of the user's own rather than the
 * rootfs's atime (mounts are often noatime/relatime, and a container reads its rootfs all the time) or a field of
 * NAME.json (the system store's is root's).
 */
export function lastUsedFile(env: NodeJS.ProcessEnv, home: string): string {
  const state = env.XDG_STATE_HOME && path.isAbsolute(env.XDG_STATE_HOME) ? env.XDG_STATE_HOME : path.join(home, '.local', 'state');
  return path.join(state, 'mini-containers', 'last-used.json');
}

/** The recorded times, by rootfs path; empty when the file is missing or not ours. */
export function readLastUsed(file: string): Record<string, string> {
  try {
    const value = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
    if (!value || typeof value !== 'object' || Array.isArray(value)) return {};
    return Object.fromEntries(Object.entries(value).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
  } catch {
    return {};
  }
}

/** Records that a shell starts on `rootfs` now (a temporary file renamed over the record). */
export function recordLastUsed(file: string, rootfs: string, now: Date = new Date()): void {
  const times = readLastUsed(file);
  times[rootfs] = now.toISOString();
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, `${JSON.stringify(times)}\n`, { mode: 0o600 });
  fs.renameSync(temp, file);
}

/** Forgets `rootfs` (deleted). */
export function forgetLastUsed(file: string, rootfs: string): void {
  const times = readLastUsed(file);
  if (!(rootfs in times)) return;
  delete times[rootfs];
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, `${JSON.stringify(times)}\n`, { mode: 0o600 });
  fs.renameSync(temp, file);
}

// --- the list

export interface InventoryInput {
  userStore: string;
  systemStore: string;
  /** miniContainers.rootfs, or '' (the CLI knows no setting). */
  configured: string;
  lastUsed: Record<string, string>;
}

/** Every rootfs of both stores, then the configured folder when it lies in neither. Reads no rootfs content. */
export function listRootfs(input: InventoryInput): RootfsEntry[] {
  const configured = input.configured ? path.resolve(input.configured) : '';
  const entries: RootfsEntry[] = [];
  const seen = new Set<string>();
  const places: [RootfsPlace, string][] = [['user', input.userStore], ['system', input.systemStore]];
  for (const [place, store] of places) {
    if (seen.has(store)) continue; // root's user store is not the system store, but never list one twice
    seen.add(store);
    for (const name of listStore(store)) {
      const dir = path.join(store, name);
      const stat = lstatOrUndefined(dir);
      if (!stat?.isDirectory()) continue;
      const meta: RootfsMeta | undefined = readMeta(store, name);
      entries.push({
        name, path: dir, place, store, origin: meta?.origin ?? { kind: 'folder' }, created: meta?.created,
        lastUsed: input.lastUsed[dir], uid: stat.uid, isDefault: dir === configured,
      });
    }
  }
  if (configured && !entries.some((e) => e.path === configured)) {
    const stat = statOrUndefined(configured);
    if (stat?.isDirectory()) {
      entries.push({
        name: path.basename(configured), path: configured, place: 'folder', origin: { kind: 'folder' },
        lastUsed: input.lastUsed[configured], uid: stat.uid, isDefault: true,
      });
    }
  }
  return entries;
}

/** `rootfs list --json`: one document, sizes included (null when unreadable). */
export function toListJson(entries: readonly RootfsEntry[], sizes: ReadonlyMap<string, number | undefined>, userName: (uid: number) => string | undefined) {
  return {
    rootfs: entries.map((e) => ({
      name: e.name,
      path: e.path,
      place: e.place,
      origin: e.origin,
      originText: originText(e.origin),
      created: e.created ?? null,
      lastUsed: e.lastUsed ?? null,
      sizeBytes: sizes.get(e.path) ?? null,
      owner: { uid: e.uid, name: userName(e.uid) ?? null },
      default: e.isDefault,
    })),
  };
}

// --- size on disk

/**
 * Bytes the tree at `dir` takes on disk (allocated blocks, as `du` counts): links are counted, never followed; a
 * file with several hard links once; a folder on another filesystem (a mount inside) is left out. Unreadable parts
 * are skipped. `signal` stops the walk (it then rejects with an AbortError).
 */
export async function diskUsage(dir: string, signal?: AbortSignal): Promise<number> {
  const root = await fs.promises.lstat(dir);
  const seen = new Set<string>();
  let total = 0;
  const count = (stat: fs.Stats): void => {
    if (stat.nlink > 1 && !stat.isDirectory()) {
      const key = `${stat.dev}:${stat.ino}`;
      if (seen.has(key)) return;
      seen.add(key);
    }
    total += stat.blocks * 512;
  };
  count(root);
  if (!root.isDirectory()) return total;
  const pending = [dir];
  while (pending.length) {
    if (signal?.aborted) throw Object.assign(new Error('aborted'), { name: 'AbortError' });
    const folder = pending.pop() as string;
    let names: string[];
    try {
      names = await fs.promises.readdir(folder);
    } catch {
      continue;
    }
    // A folder's entries are stat'ed together, at most 64 at a time: the thread pool does them side by side.
    for (let i = 0; i < names.length; i += 64) {
      const stats = await Promise.all(names.slice(i, i + 64).map((n) => fs.promises.lstat(path.join(folder, n)).catch(() => undefined)));
      stats.forEach((stat, j) => {
        if (!stat || stat.dev !== root.dev) return;
        count(stat);
        if (stat.isDirectory()) pending.push(path.join(folder, names[i + j]));
      });
    }
  }
  return total;
}

function lstatOrUndefined(p: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(p);
  } catch {
    return undefined;
  }
}

function statOrUndefined(p: string): fs.Stats | undefined {
  try {
    return fs.statSync(p);
  } catch {
    return undefined;
  }
}
