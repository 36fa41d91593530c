// A streaming tar reader: ustar, pax (per-entry `x` headers: path, linkpath, size, uid, gid, mtime) and GNU long
// names (`L`, `K`), base-256 numbers. Pure: it is given bytes and calls its sink in order, synchronously, so that
// whatever applies the entries (tarApply.ts) sees them one at a time and never races itself. It decides nothing
// about safety: names come out as the archive wrote them.

/** What a tar header says of one entry (after its pax or GNU long-name headers). */
export interface TarEntry {
  /** The name as written in the archive (pax `path`, GNU `L`, or ustar prefix/name). */
  name: string;
  type: 'file' | 'link' | 'symlink' | 'char' | 'block' | 'dir' | 'fifo' | 'other';
  /** The raw type flag, for the report of an `other`. */
  flag: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Seconds since the epoch. */
  mtime: number;
  linkname: string;
}

export interface TarSink {
  /** A new entry; its `size` bytes of content follow through data(). */
  entry(entry: TarEntry): void;
  data(chunk: Buffer): void;
  /** The end of the current entry's content. */
  endEntry(): void;
}

export class TarFormatError extends Error {}

const TYPES: Record<string, TarEntry['type']> = {
  '0': 'file', '\0': 'file', '7': 'file', '1': 'link', '2': 'symlink', '3': 'char', '4': 'block', '5': 'dir', '6': 'fifo',
};

/** Feeds a tar stream, chunk by chunk, to a sink. end() checks the archive did not stop mid-entry. */
export class TarParser {
  private pending: Buffer[] = [];
  private pendingLength = 0;
  /** Bytes of content still to pass to the sink, then padding to skip. */
  private remaining = 0;
  private padding = 0;
  /** A metadata entry (pax or GNU long name) being collected instead of passed on. */
  private meta: { flag: string; chunks: Buffer[] } | undefined;
  private pax: Record<string, string> = {};
  private longName: string | undefined;
  private longLink: string | undefined;
  private inEntry = false;
  private finished = false;
  /** Headers read, for the message of a format error. */
  private headers = 0;
  /** Bytes given to write() before the current chunk, and where the last entry's content starts in the archive. */
  private base = 0;
  contentOffset = 0;

  constructor(private readonly sink: TarSink) {}

  /** True after the two zero blocks that end an archive. */
  get done(): boolean {
    return this.finished;
  }

  write(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length && !this.finished) {
      if (this.remaining > 0) {
        const n = Math.min(this.remaining, chunk.length - offset);
        const piece = chunk.subarray(offset, offset + n);
        if (this.meta) this.meta.chunks.push(Buffer.from(piece));
        else this.sink.data(piece);
        this.remaining -= n;
        offset += n;
        if (this.remaining === 0) this.closeEntry();
        continue;
      }
      if (this.padding > 0) {
        const n = Math.min(this.padding, chunk.length - offset);
        this.padding -= n;
        offset += n;
        continue;
      }
      // A header: 512 bytes, perhaps across chunks.
      const need = 512 - this.pendingLength;
      const n = Math.min(need, chunk.length - offset);
      this.pending.push(chunk.subarray(offset, offset + n));
      this.pendingLength += n;
      offset += n;
      if (this.pendingLength === 512) {
        const block = Buffer.concat(this.pending, 512);
        this.pending = [];
        this.pendingLength = 0;
        this.contentOffset = this.base + offset;
        this.header(block);
      }
    }
    this.base += chunk.length;
  }

  /**
   * Bytes of the current entry's content and padding still expected, for a reader that seeks past contents it does
   * not need (an image tar's index): 0 between entries and inside a pax or long-name header.
   */
  get skippable(): number {
    return this.meta || this.remaining === 0 ? 0 : this.remaining + this.padding;
  }

  /** Passes the current entry's content without reading it; the caller moves its position by `skippable`. */
  skip(): void {
    const n = this.skippable;
    if (n === 0) return;
    this.base += n;
    this.remaining = this.padding = 0;
    this.closeEntry();
  }

  end(): void {
    if (this.remaining > 0 || this.inEntry || this.meta) throw new TarFormatError('the archive ends in the middle of an entry');
    if (!this.finished && this.headers === 0) throw new TarFormatError('not a tar archive (empty)');
  }

  private header(block: Buffer): void {
    if (block.every((b) => b === 0)) {
      // Two zero blocks end the archive; GNU tar tolerates one (and so do we: what follows is padding).
      this.finished = true;
      return;
    }
    if (!checksumOk(block)) {
      throw new TarFormatError(this.headers === 0 ? 'not a tar archive' : `a damaged tar header after ${this.headers} entries`);
    }
    this.headers++;
    const flag = String.fromCharCode(block[156]);
    const size = number(block, 124, 12);
    this.padding = (512 - (size % 512)) % 512;
    if (flag === 'x' || flag === 'g' || flag === 'L' || flag === 'K') {
      if (size > 1 << 20) throw new TarFormatError(`a ${flag} header of ${size} bytes`);
      this.meta = { flag, chunks: [] };
      this.remaining = size;
      if (size === 0) this.closeEntry();
      return;
    }
    const magic = block.toString('latin1', 257, 263);
    const prefix = magic.startsWith('ustar') ? text(block, 345, 155) : '';
    let name = text(block, 0, 100);
    if (prefix) name = `${prefix}/${name}`;
    const entry: TarEntry = {
      name: this.pax.path ?? this.longName ?? name,
      type: TYPES[flag] ?? 'other',
      flag,
      mode: number(block, 100, 8) & 0o7777,
      uid: this.pax.uid !== undefined ? Number(this.pax.uid) : number(block, 108, 8),
      gid: this.pax.gid !== undefined ? Number(this.pax.gid) : number(block, 116, 8),
      size: this.pax.size !== undefined ? Number(this.pax.size) : size,
      mtime: this.pax.mtime !== undefined ? Math.floor(Number(this.pax.mtime)) : number(block, 136, 12),
      linkname: this.pax.linkpath ?? this.longLink ?? text(block, 157, 100),
    };
    this.pax = {};
    this.longName = this.longLink = undefined;
    // Links, devices, folders and fifos have no content, whatever their size field says (old archivers).
    if (entry.type !== 'file' && entry.type !== 'other') entry.size = 0;
    if (!Number.isSafeInteger(entry.size) || entry.size < 0) throw new TarFormatError(`an entry of size ${entry.size}`);
    this.padding = (512 - (entry.size % 512)) % 512;
    this.remaining = entry.size;
    this.inEntry = true;
    this.sink.entry(entry);
    if (entry.size === 0) this.closeEntry();
  }

  private closeEntry(): void {
    if (this.meta) {
      const body = Buffer.concat(this.meta.chunks);
      if (this.meta.flag === 'x') this.pax = parsePax(body);
      else if (this.meta.flag === 'L') this.longName = cString(body);
      else if (this.meta.flag === 'K') this.longLink = cString(body);
      // 'g' (global pax) sets defaults nobody writes for rootfs archives: read and dropped.
      this.meta = undefined;
      return;
    }
    this.inEntry = false;
    this.sink.endEntry();
  }
}

/** A pax extended header's records: "LEN key=value\n" each. */
export function parsePax(body: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let offset = 0;
  while (offset < body.length) {
    const space = body.indexOf(0x20, offset);
    if (space < 0) break;
    const length = Number(body.toString('latin1', offset, space));
    if (!Number.isInteger(length) || length <= 0 || offset + length > body.length) break;
    const record = body.toString('utf8', space + 1, offset + length - 1);
    const eq = record.indexOf('=');
    if (eq > 0) out[record.slice(0, eq)] = record.slice(eq + 1);
    offset += length;
  }
  return out;
}

function checksumOk(block: Buffer): boolean {
  const stored = number(block, 148, 8);
  let unsigned = 0;
  for (let i = 0; i < 512; i++) unsigned += i >= 148 && i < 156 ? 0x20 : block[i];
  return stored === unsigned;
}

/** An octal field, or GNU's base-256 (high bit of the first byte set). */
function number(block: Buffer, offset: number, length: number): number {
  if (block[offset] & 0x80) {
    let value = block[offset] & 0x7f;
    for (let i = 1; i < length; i++) value = value * 256 + block[offset + i];
    return value;
  }
  const s = block.toString('latin1', offset, offset + length).replace(/\0.*$/s, '').trim();
  return s ? parseInt(s, 8) || 0 : 0;
}

function text(block: Buffer, offset: number, length: number): string {
  const end = block.indexOf(0, offset);
  return block.toString('utf8', offset, end >= 0 && end < offset + length ? end : offset + length);
}

function cString(body: Buffer): string {
  const end = body.indexOf(0);
  return body.toString('utf8', 0, end >= 0 ? end : body.length);
}
