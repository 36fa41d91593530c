// The one reader of /proc (and of the registry's files): reads the small files under one /proc mount with one
// reusable buffer, optionally keeping one descriptor per process open between scans. Everything "gone" or
// "denied" reads as undefined; anything else (EIO, a missing /proc) is thrown, because hiding it would show an
// empty tree for no reason. What the text means is procParse.ts's business.

import * as fs from 'node:fs';
import { parseAuxvPageSize, parseBootTimeMs, parseNsLink, parseOpenFilesLimit, parseStatus } from './procParse';

/** The subset of `node:fs` that reads /proc, /etc/passwd and the registry; tests inject their own. */
export interface ProcFs {
  /** Entry names of a directory. */
  readdirSync(path: string): string[];
  /** Opens a file for reading and returns its descriptor. */
  openSync(path: string, flags: 'r'): number;
  /** Reads up to `length` bytes at `position` (a pread); returns the count, 0 at the end. */
  readSync(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): number;
  /** Closes a descriptor from `openSync`. */
  closeSync(fd: number): void;
  /** The target of a symbolic link, e.g. `pid:[4026531836]` for /proc/PID/ns/pid. */
  readlinkSync(path: string): string;
  /** A whole (regular) file's bytes. */
  readFileSync(path: string): Buffer;
}

/** The real file system. */
export const nodeFs: ProcFs = fs;

/** The `code` of a Node.js system error, e.g. ENOENT. */
export function errorCode(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : undefined;
}

/** Errors meaning the process ended while we read it: its /proc entry is gone or the task is dead. */
export function isGone(e: unknown): boolean {
  const code = errorCode(e);
  return code === 'ENOENT' || code === 'ESRCH' || code === 'ENOTDIR';
}

/** Errors meaning we may not read this field (another user's process, hidepid, ptrace checks). */
export function isDenied(e: unknown): boolean {
  const code = errorCode(e);
  return code === 'EACCES' || code === 'EPERM';
}

/** Every so many scans lists /proc even when loadavg says nothing new, in case a kernel counts otherwise. */
const LIST_AT_LEAST_EVERY = 10;
/** More new PIDs than this since the last scan: listing is cheaper than probing each. */
const MAX_CANDIDATES = 64;

/** Reads files under one /proc root. */
export class ProcReader {
  private buf = Buffer.allocUnsafe(4096);
  private openFiles = 0;
  private lastPid: number | undefined;
  private lastThreads: number | undefined;
  private unlistedScans = 0;
  /** Whether /proc/loadavg's last PID is this root's namespace's: we are at its top level. */
  private lastPidUsable: boolean | undefined;
  /** Descriptor kept open by the last `readKept`, or -1. */
  keptFd = -1;

  /**
   * @param root the /proc mount, without a trailing slash
   * @param maxOpenFiles how many descriptors `readKept` may keep open; lowered to 0 when the process runs out
   */
  constructor(
    readonly root: string,
    private readonly fs: ProcFs = nodeFs,
    private maxOpenFiles = 0,
  ) {}

  /**
   * The PIDs to read, ascending, and whether they come from listing the root. Listing /proc is a third of a
   * rescan's cost; /proc/loadavg's last allocated PID says which PIDs can be new since the last scan, so a
   * few new ones are probed directly and `previous` (the last scan's PIDs, all read) supplies the rest. New
   * candidates may be threads (TIDs share the PID space): the scanner drops those. Undefined `previous`, many
   * new PIDs, a wrap-around of PID numbers or LIST_AT_LEAST_EVERY scans without a listing make it list.
   *
   * `quiet`: loadavg's last PID and its count of threads are both as at the last call, so no process (or
   * thread) was created, and none was reaped, in between. `newAfter`, when known (no wrap-around of PID numbers
   * since the last call): the PIDs above it are the ones allocated since (so a PID of `previous` above it was
   * reused).
   */
  pids(previous: number[] | undefined): { pids: number[]; listed: boolean; quiet: boolean; newAfter?: number } {
    this.lastPidUsable ??= parseStatus(this.readText('self/status', 'latin1') ?? '').nsPids?.length === 1;
    // "0.10 0.20 0.30 RUNNING/THREADS LASTPID"
    const loadavg = this.lastPidUsable ? this.readText('loadavg', 'latin1')?.trimEnd() : undefined;
    const lastPid = loadavg === undefined ? undefined : +loadavg.slice(loadavg.lastIndexOf(' ') + 1);
    const threads = loadavg === undefined ? undefined : +loadavg.slice(loadavg.indexOf('/') + 1, loadavg.lastIndexOf(' '));
    const since = this.lastPid;
    const quiet = previous !== undefined && lastPid !== undefined && lastPid === since &&
      Number.isInteger(threads) && threads === this.lastThreads;
    // Read before listing: a process created in between is listed now and is a candidate next time too.
    this.lastPid = lastPid;
    this.lastThreads = threads;
    // The PIDs above `since` are the new ones, unless there was no last scan or the numbers wrapped around.
    const sequential = previous !== undefined && lastPid !== undefined && since !== undefined && lastPid >= since;
    const newAfter = sequential ? since : undefined;
    if (sequential && lastPid - since <= MAX_CANDIDATES && ++this.unlistedScans < LIST_AT_LEAST_EVERY) {
      if (lastPid === since) return { pids: previous, listed: false, quiet, newAfter };
      const pids = new Set(previous);
      for (let pid = since + 1; pid <= lastPid; pid++) pids.add(pid);
      return { pids: [...pids].sort((a, b) => a - b), listed: false, quiet, newAfter };
    }
    this.unlistedScans = 0;
    return { pids: this.listPids(), listed: true, quiet, newAfter };
  }

  /**
   * Whether process `pid` still exists (a zombie does), for less than the cost of reading any file of it. In the
   * real /proc of our own PID namespace (the only case where `pids` reads loadavg) that is kill(pid, 0).
   */
  exists(pid: number): boolean {
    if (this.root === '/proc' && this.fs === nodeFs) {
      try {
        process.kill(pid, 0);
        return true;
      } catch (e) {
        return errorCode(e) === 'EPERM'; // there, but not ours to signal
      }
    }
    try {
      this.fs.readdirSync(`${this.root}/${pid}`);
      return true;
    } catch (e) {
      if (isGone(e)) return false;
      throw e;
    }
  }

  /** The PIDs listed in the root, ascending (parents usually come before their children). */
  listPids(): number[] {
    const pids: number[] = [];
    for (const name of this.fs.readdirSync(this.root)) {
      const c = name.charCodeAt(0);
      if (c < 49 || c > 57) continue; // not a PID: self, sys, meminfo…
      const pid = +name;
      if (Number.isInteger(pid)) pids.push(pid);
    }
    // Node hands back names sorted as strings ("10" before "2").
    return pids.sort((a, b) => a - b);
  }

  /**
   * /proc/PID/`file` as latin1 text, through `fd` when it is a descriptor kept from the last scan (which this
   * takes over: it is closed if its process ended); afterwards `keptFd` is the descriptor to keep (the same,
   * a new one, or -1). Undefined when the process is gone.
   */
  readKept(pid: number, file: string, fd: number): string | undefined {
    this.keptFd = -1;
    if (fd >= 0) {
      try {
        const n = this.readAll(fd);
        this.keptFd = fd;
        return this.buf.toString('latin1', 0, n);
      } catch {
        // The process that descriptor pointed to ended (ESRCH); a new one may have the same PID.
        this.close(fd);
      }
    }
    try {
      fd = this.fs.openSync(`${this.root}/${pid}/${file}`, 'r');
    } catch (e) {
      if (isGone(e) || isDenied(e)) return undefined;
      if (!isOutOfDescriptors(e)) throw e;
      this.maxOpenFiles = 0;
      return undefined;
    }
    let keep = false;
    try {
      const n = this.readAll(fd);
      keep = this.openFiles < this.maxOpenFiles;
      return this.buf.toString('latin1', 0, n);
    } catch (e) {
      if (isGone(e) || isDenied(e)) return undefined;
      throw e;
    } finally {
      if (keep) {
        this.keptFd = fd;
        this.openFiles++;
      } else {
        this.fs.closeSync(fd);
      }
    }
  }

  /** A whole small file, e.g. `123/status`; undefined when gone or not readable. */
  readText(rel: string, encoding: 'latin1' | 'utf8'): string | undefined {
    let fd: number;
    try {
      fd = this.fs.openSync(`${this.root}/${rel}`, 'r');
    } catch (e) {
      if (isGone(e) || isDenied(e)) return undefined;
      throw e;
    }
    try {
      return this.buf.toString(encoding, 0, this.readAll(fd));
    } catch (e) {
      if (isGone(e) || isDenied(e)) return undefined;
      throw e;
    } finally {
      this.fs.closeSync(fd);
    }
  }

  /** A link's target, e.g. `123/root`; undefined when gone or not readable. */
  readLink(rel: string): string | undefined {
    try {
      return this.fs.readlinkSync(`${this.root}/${rel}`);
    } catch (e) {
      if (isGone(e) || isDenied(e)) return undefined;
      throw e;
    }
  }

  /** The inode of `<pidDir>/ns/pid`. */
  readNsInode(pidDir: string): number | undefined {
    const link = this.readLink(`${pidDir}/ns/pid`);
    return link === undefined ? undefined : parseNsLink(link);
  }

  /** Closes a descriptor that `readKept` kept. */
  close(fd: number): void {
    if (fd < 0) return;
    this.openFiles--;
    try {
      this.fs.closeSync(fd);
    } catch {
      // Closing a /proc descriptor cannot fail in a way we could act on.
    }
  }

  /**
   * Reads from offset 0 into `this.buf`, growing it. /proc files report size 0, so we read until a read
   * does not fill the buffer: /proc's seq files and cmdline return all they have in one read.
   */
  private readAll(fd: number): number {
    let total = 0;
    for (;;) {
      const n = this.fs.readSync(fd, this.buf, total, this.buf.length - total, total);
      total += n;
      if (n === 0 || total < this.buf.length) return total;
      const bigger = Buffer.allocUnsafe(this.buf.length * 2);
      this.buf.copy(bigger, 0, 0, total);
      this.buf = bigger;
    }
  }
}

function isOutOfDescriptors(e: unknown): boolean {
  const code = errorCode(e);
  return code === 'EMFILE' || code === 'ENFILE';
}

/** This machine's page size, from our own auxiliary vector; 4096 when it cannot be read. */
export function systemPageSize(): number {
  try {
    return parseAuxvPageSize(nodeFs.readFileSync('/proc/self/auxv')) ?? 4096;
  } catch {
    return 4096; // no /proc: only RSS figures are affected
  }
}

/** A quarter of our open-file limit, at most 8192: kept descriptors must leave room for everyone else. */
export function defaultMaxOpenFiles(): number {
  try {
    const limit = parseOpenFilesLimit(nodeFs.readFileSync('/proc/self/limits').toString('latin1'));
    return Math.min(8192, Math.floor((limit ?? 8192 * 4) / 4));
  } catch {
    return 0;
  }
}

/**
 * One file of the real /proc read once, e.g. `readProcText(`${pid}/stat`)`; undefined when the process is gone or
 * the file may not be read. For the few reads outside a scan (the signaller, a wait for PID 1 to end).
 */
export function readProcText(rel: string, files: ProcFs = nodeFs): string | undefined {
  return new ProcReader('/proc', files).readText(rel, 'latin1');
}

/** When the machine booted, in ms since the epoch, from /proc/stat's btime; throws when it cannot be read. */
export function bootTimeMs(procStat = '/proc/stat'): number {
  const ms = parseBootTimeMs(nodeFs.readFileSync(procStat).toString('latin1'));
  if (ms === undefined) throw new Error(`${procStat} has no btime line`);
  return ms;
}
