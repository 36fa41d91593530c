// The Root Filesystems view (beside Containers): each rootfs of the user's store, the system store and the configured
// folder, with its origin, size on disk, last use and owner; the default one marked. Refreshed when a store or the
// last-used record changes (fs.watch, debounced), when miniContainers.rootfs changes, and by its Refresh action.
import { parsePasswd } from '../core/proc/procParse';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  diskUsage, formatSize, lastUsedFile, listRootfs, originText, readLastUsed, type RootfsEntry,
} from '../core/rootfs/rootfsInventory';
import { SYSTEM_STORE, userStoreDir } from '../core/rootfs/rootfsStore';
import { readRootfsSetting } from '../settings';
import { inEnglish, t } from '../localize';

export const ROOTFS_VIEW_ID = 'miniContainers.rootfsView';

/** Where the view looks: the stores and the last-used record (XDG_DATA_HOME and XDG_STATE_HOME move the user's). */
export interface RootfsPlaces {
  userStore: string;
  systemStore: string;
  lastUsed: string;
}

export function rootfsPlaces(): RootfsPlaces {
  return {
    userStore: userStoreDir(process.env, os.homedir()),
    systemStore: SYSTEM_STORE,
    lastUsed: lastUsedFile(process.env, os.homedir()),
  };
}

/** A rootfs. contextValue: `rootfs.user`, `rootfs.system` or `rootfs.folder`, with `.default` for the default one. */
export class RootfsItem extends vscode.TreeItem {
  constructor(readonly entry: RootfsEntry, size: number | undefined, owner: string) {
    super(entry.name, vscode.TreeItemCollapsibleState.None);
    this.id = entry.path;
    const parts = [originText(entry.origin, t), size === undefined ? t('size…') : formatSize(size),
      entry.lastUsed ? t('used {0}', new Date(entry.lastUsed).toLocaleString()) : t('never used')];
    this.description = `${entry.isDefault ? `${t('default')} · ` : ''}${parts.join(' · ')}`;
    this.iconPath = new vscode.ThemeIcon(entry.isDefault ? 'star-full' : 'root-folder');
    this.contextValue = `rootfs.${entry.place}${entry.isDefault ? '.default' : ''}`;
    const place = entry.place === 'user' ? t('your store') : entry.place === 'system' ? t('the system store') : t('the configured folder');
    this.tooltip = new vscode.MarkdownString([
      `**${entry.name}**${entry.isDefault ? ` — ${t('default (miniContainers.rootfs)')}` : ''}`,
      '', `${t('Path')}: \`${entry.path}\` (${place})`,
      `${t('Origin')}: ${originText(entry.origin, t)}`,
      `${t('Size on disk')}: ${size === undefined ? '…' : formatSize(size)}`,
      `${t('Last used')}: ${entry.lastUsed ? new Date(entry.lastUsed).toLocaleString() : t('never')}`,
      `${t('Owner')}: ${owner}`,
    ].join('\n\n'));
  }
}

/** The empty state: itself an item, with the ways to get a rootfs. */
class EmptyItem extends vscode.TreeItem {
  constructor() {
    super(t('No root filesystem yet: create one.'), vscode.TreeItemCollapsibleState.None);
    this.contextValue = 'rootfs.empty';
    this.iconPath = new vscode.ThemeIcon('info');
    this.command = { command: 'miniContainers.createBusyboxRootfs', title: t('Create BusyBox Root Filesystem') };
  }
}

type Node = RootfsItem | EmptyItem;

export class RootfsProvider implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  /** Size by path, with the folder's mtime it was measured at: a rootfs is walked again only when it changed. */
  private readonly sizes = new Map<string, { size: number | undefined; stamp: string }>();
  private readonly walking = new Set<string>();
  private names = new Map<number, string>();
  private entries: RootfsEntry[] = [];
  /** Bumped by every refresh: a size that arrives for an older list only updates the cache. */
  private generation = 0;

  constructor(private readonly log: vscode.LogOutputChannel, readonly places: RootfsPlaces) {}

  dispose(): void {
    this.changed.dispose();
  }

  /** Lists again; `full` (the Refresh action) also measures every size again. */
  refresh(full = false): void {
    if (full) this.sizes.clear();
    this.generation++;
    this.changed.fire(undefined);
  }

  /** The current rows (for commands and tests). */
  get current(): readonly RootfsEntry[] {
    return this.entries;
  }

  getTreeItem(node: Node): vscode.TreeItem {
    return node;
  }

  getChildren(node?: Node): Node[] {
    if (node) return [];
    this.entries = listRootfs({
      userStore: this.places.userStore, systemStore: this.places.systemStore, configured: readRootfsSetting(),
      lastUsed: readLastUsed(this.places.lastUsed),
    });
    if (!this.entries.length) return [new EmptyItem()];
    if (this.entries.some((e) => !this.names.has(e.uid))) this.readNames();
    return this.entries.map((e) => new RootfsItem(e, this.sizeOf(e), this.names.get(e.uid) ?? String(e.uid)));
  }

  /** The cached size, or undefined while it is measured in the background (then the tree is told). */
  private sizeOf(entry: RootfsEntry): number | undefined {
    const stamp = stampOf(entry.path);
    const cached = this.sizes.get(entry.path);
    if (cached && cached.stamp === stamp) return cached.size;
    if (this.walking.has(entry.path)) return undefined;
    this.walking.add(entry.path);
    const generation = this.generation;
    const started = Date.now();
    diskUsage(entry.path).then(
      (size) => {
        this.log.debug(`[rootfsView] ${entry.path}: ${size} bytes, measured in ${Date.now() - started} ms`);
        return size;
      },
      (error: Error) => {
        this.log.warn(`[rootfsView] cannot measure ${entry.path}: ${inEnglish(error.message)}`);
        return undefined;
      },
    ).then((size) => {
      this.walking.delete(entry.path);
      this.sizes.set(entry.path, { size, stamp });
      // Still the list on screen: repaint (a newer refresh will read the cache anyway).
      if (generation === this.generation) this.changed.fire(undefined);
    });
    return undefined;
  }

  private readNames(): void {
    try {
      this.names = parsePasswd(fs.readFileSync('/etc/passwd', 'utf8'));
    } catch (error) {
      this.log.warn(`[rootfsView] cannot read /etc/passwd: ${(error as Error).message}`);
    }
  }
}

function stampOf(dir: string): string {
  try {
    const stat = fs.lstatSync(dir);
    return `${stat.ino}:${stat.mtimeMs}`;
  } catch {
    return '';
  }
}

/**
 * Watches the stores and the last-used record's folder; calls `onChange` at most every 300 ms. A folder not made yet
 * (the system store before the first pull as root) is watched through its nearest existing parent, and watched
 * itself from the moment it appears. The system store is not watched for anyone but root, who alone can read it
 * (0700 at its parent): its rootfs are not listed for others either.
 */
export function watchPlaces(places: RootfsPlaces, log: vscode.LogOutputChannel, onChange: () => void): vscode.Disposable {
  let timer: NodeJS.Timeout | undefined;
  let watchers: fs.FSWatcher[] = [];
  /** Whether a place is watched through a parent: then each change there may be the place being made. */
  let throughParent = false;
  const fire = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (throughParent) arm();
      onChange();
    }, 300);
  };
  const missing = (dir: string): boolean => {
    try {
      fs.statSync(dir);
      return false;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'ENOENT';
    }
  };
  const arm = () => {
    for (const w of watchers) w.close();
    watchers = [];
    throughParent = false;
    for (const place of new Set([places.userStore, places.systemStore, path.dirname(places.lastUsed)])) {
      let dir = place;
      // The system store, once made, is 0700 root's at its parent: only root ever lists it, so only root waits for it.
      const worthWaiting = place !== places.systemStore || process.getuid?.() === 0;
      while (worthWaiting && missing(dir) && path.dirname(dir) !== dir) dir = path.dirname(dir);
      try {
        const watcher = fs.watch(dir, fire);
        watcher.on('error', (error) => log.debug(`[rootfsView] watch ${dir}: ${error.message}`));
        watchers.push(watcher);
        if (dir !== place) throughParent = true;
      } catch (error) {
        // Not ours to read (a system store of root's, mode 0700): a Refresh still reads it.
        log.debug(`[rootfsView] not watching ${dir}: ${(error as Error).message}`);
      }
    }
  };
  arm();
  return { dispose: () => {
    clearTimeout(timer);
    for (const w of watchers) w.close();
  } };
}
