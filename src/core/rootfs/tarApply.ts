// Applies the entries of an UNTRUSTED tar (a rootfs tarball or one image layer) to a target folder, one entry at a
// time and synchronously, so nothing else writes the target meanwhile (in the system store the whole unpack runs in
// a sandbox that can write only the target). Never writes outside the target: a name with "..", an absolute name,
// a name with control characters, an entry whose folder is a link (a link then a file through it), a hard link to a
// path outside or through a link, and device nodes and fifos are skipped and reported. Files are made by the running
// user (rootless: the user's own); owners other than root are recorded, never chowned.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TarEntry, TarSink } from './tarParse';

/** Why an entry name is refused, or its components (empty: the target itself). Pure. */
export function entryPath(name: string): { parts: string[] } | { refused: string } {
  if (/[\x00-\x1f\x7f]/.test(name)) return { refused: 'a name with control characters' };
  if (name.startsWith('/')) return { refused: 'an absolute name' };
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) return { refused: 'a name with ".."' };
  return { parts };
}

/** An OCI/AUFS whiteout: `.wh..wh..opq` hides the folder's lower content, `.wh.NAME` removes NAME. Pure. */
export function whiteout(parts: readonly string[]): { opaque: string[] } | { remove: string[] } | { meta: true } | undefined {
  const base = parts[parts.length - 1];
  if (base === undefined || !base.startsWith('.wh.')) return undefined;
  const dir = parts.slice(0, -1);
  if (base === '.wh..wh..opq') return { opaque: dir };
  // Other `.wh..wh.` names are AUFS's own bookkeeping (hard-link dirs): nothing of the image.
  if (base.startsWith('.wh..wh.')) return { meta: true };
  const name = base.slice(4);
  if (!name || name === '.' || name === '..') return { meta: true };
  return { remove: [...dir, name] };
}

/** One report line: the entry's name (control characters shown as \xNN) and why it was skipped. */
export function reportLine(name: string, why: string): string {
  const shown = name.replace(/[\x00-\x1f\x7f\\]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return `${shown}: ${why}`;
}

const MAX_OWNERS = 10_000;

export interface ApplyState {
  skipped: string[];
  /** "uid:gid" of entries owned by others than root, by path inside. */
  owners: Record<string, string>;
  /** Folders' modes and times, applied deepest first at the end (a read-only folder is written into meanwhile). */
  dirs: Map<string, { mode: number; mtime: number }>;
}

export function newApplyState(): ApplyState {
  return { skipped: [], owners: {}, dirs: new Map() };
}

/**
 * A TarSink writing into `target`. `layer`: whiteouts are honoured (image layers), else `.wh.` files are ordinary
 * files (a plain rootfs tarball). Paths written in this layer are kept, so a whiteout hides only lower layers.
 */
export class TarApplier implements TarSink {
  private fd: number | undefined;
  private fdEntry: TarEntry | undefined;
  private readonly written = new Set<string>();

  constructor(private readonly target: string, private readonly state: ApplyState, private readonly layer: boolean) {}

  entry(entry: TarEntry): void {
    const checked = entryPath(entry.name);
    if ('refused' in checked) return this.skip(entry.name, checked.refused);
    const { parts } = checked;
    if (parts.length === 0) {
      if (entry.type === 'dir') this.state.dirs.set(this.target, { mode: entry.mode, mtime: entry.mtime });
      return;
    }
    if (this.layer) {
      const wh = whiteout(parts);
      if (wh) return this.applyWhiteout(entry.name, wh);
    }
    if (entry.type === 'char' || entry.type === 'block') return this.skip(entry.name, 'a device node (not made)');
    if (entry.type === 'fifo') return this.skip(entry.name, 'a fifo (not made)');
    if (entry.type === 'other') return this.skip(entry.name, `an entry of type "${entry.flag}" (not made)`);
    const parent = this.parentDir(parts, true);
    if (typeof parent !== 'string') return this.skip(entry.name, parent.refused);
    const full = path.join(parent, parts[parts.length - 1]);
    const rel = parts.join('/');
    if (entry.type === 'dir') {
      if (!this.isDir(full)) {
        this.removeAny(full);
        fs.mkdirSync(full, 0o700);
      }
      this.state.dirs.set(full, { mode: entry.mode, mtime: entry.mtime });
    } else if (entry.type === 'symlink') {
      this.removeAny(full);
      fs.symlinkSync(entry.linkname, full);
    } else if (entry.type === 'link') {
      const from = this.linkSource(entry.linkname);
      if (typeof from !== 'string') return this.skip(entry.name, from.refused);
      if (from === full) return this.markWritten(parts);
      this.removeAny(full);
      fs.linkSync(from, full);
    } else {
      this.removeAny(full);
      // O_EXCL|O_NOFOLLOW: never opens an existing file or a link left in the way.
      const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = fs.constants;
      this.fd = fs.openSync(full, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
      this.fdEntry = entry;
    }
    this.markWritten(parts);
    if ((entry.uid !== 0 || entry.gid !== 0) && Object.keys(this.state.owners).length < MAX_OWNERS) {
      this.state.owners[rel] = `${entry.uid}:${entry.gid}`;
    } else if (entry.uid === 0 && entry.gid === 0) {
      delete this.state.owners[rel];
    }
  }

  data(chunk: Buffer): void {
    if (this.fd === undefined) return;
    let offset = 0;
    while (offset < chunk.length) offset += fs.writeSync(this.fd, chunk, offset, chunk.length - offset);
  }

  endEntry(): void {
    if (this.fd === undefined || !this.fdEntry) return;
    const fd = this.fd;
    const entry = this.fdEntry;
    this.fd = this.fdEntry = undefined;
    try {
      fs.fchmodSync(fd, entry.mode);
      fs.futimesSync(fd, entry.mtime, entry.mtime);
    } finally {
      fs.closeSync(fd);
    }
  }

  /** Closes a file left open by a stream that stopped mid-entry. */
  abort(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = this.fdEntry = undefined;
  }

  private skip(name: string, why: string): void {
    this.state.skipped.push(reportLine(name, why));
  }

  private markWritten(parts: readonly string[]): void {
    for (let i = 1; i <= parts.length; i++) this.written.add(parts.slice(0, i).join('/'));
  }

  /** The real folder that holds `parts`' last component, made when missing; refused when a component is no folder. */
  private parentDir(parts: readonly string[], make: boolean): string | { refused: string } {
    let dir = this.target;
    for (const part of parts.slice(0, -1)) {
      dir = path.join(dir, part);
      let stat: fs.Stats | undefined;
      try {
        stat = fs.lstatSync(dir);
      } catch {
        stat = undefined;
      }
      if (stat?.isSymbolicLink()) return { refused: `its folder ${path.relative(this.target, dir)} is a link (never followed)` };
      if (stat && !stat.isDirectory()) return { refused: `its folder ${path.relative(this.target, dir)} is not a folder` };
      if (!stat) {
        if (!make) return { refused: 'missing' };
        fs.mkdirSync(dir, 0o755);
      }
    }
    return dir;
  }

  /** A hard link's source inside the target: an existing non-folder reached through real folders only. */
  private linkSource(linkname: string): string | { refused: string } {
    const checked = entryPath(linkname);
    if ('refused' in checked) return { refused: `a hard link to ${linkname} (${checked.refused}, outside the target)` };
    if (checked.parts.length === 0) return { refused: 'a hard link to the root folder' };
    const parent = this.parentDir(checked.parts, false);
    if (typeof parent !== 'string') return { refused: `a hard link to ${linkname}: ${parent.refused}` };
    const from = path.join(parent, checked.parts[checked.parts.length - 1]);
    try {
      if (fs.lstatSync(from).isDirectory()) return { refused: `a hard link to the folder ${linkname}` };
    } catch {
      return { refused: `a hard link to ${linkname}, which the archive did not make before` };
    }
    return from;
  }

  private applyWhiteout(name: string, wh: { opaque: string[] } | { remove: string[] } | { meta: true }): void {
    if ('meta' in wh) return;
    if ('remove' in wh) {
      if (this.written.has(wh.remove.join('/'))) return; // only lower layers are hidden
      const parent = this.parentDir(wh.remove, false);
      if (typeof parent !== 'string') return; // nothing there to remove (or not through a link)
      this.removeAny(path.join(parent, wh.remove[wh.remove.length - 1]));
      return;
    }
    const dirParts = wh.opaque;
    const parent = this.parentDir([...dirParts, 'x'], true);
    if (typeof parent !== 'string') return this.skip(name, parent.refused);
    this.markWritten(dirParts);
    const prefix = dirParts.length ? `${dirParts.join('/')}/` : '';
    for (const child of fs.readdirSync(parent)) {
      if (!this.written.has(prefix + child)) this.removeAny(path.join(parent, child));
    }
  }

  private isDir(p: string): boolean {
    try {
      return fs.lstatSync(p).isDirectory();
    } catch {
      return false;
    }
  }

  /** Removes whatever is at p (a link itself, never what it points to). */
  private removeAny(p: string): void {
    let stat: fs.Stats;
    try {
      stat = fs.lstatSync(p);
    } catch {
      return;
    }
    if (!stat.isDirectory()) return fs.unlinkSync(p);
    fs.rmSync(p, { recursive: true, force: true });
    const below = `${p}/`;
    for (const dir of this.state.dirs.keys()) if (dir === p || dir.startsWith(below)) this.state.dirs.delete(dir);
  }
}

/** Sets the folders' recorded modes and times, deepest first. */
export function finishDirs(state: ApplyState): void {
  const dirs = [...state.dirs.entries()].sort((a, b) => b[0].length - a[0].length);
  for (const [dir, { mode, mtime }] of dirs) {
    try {
      // The owner keeps write and search on its folders: a rootfs it cannot delete would be worse than a mode bit.
      fs.chmodSync(dir, mode | 0o700);
      fs.utimesSync(dir, mtime, mtime);
    } catch {
      // removed by a later layer: nothing to set
    }
  }
}
