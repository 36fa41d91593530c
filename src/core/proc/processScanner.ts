// Scans a /proc tree into one record per process, incrementally. A full scan reads one file of a process of the
// scanned mount's own PID namespace (the host's, normally): its stat, plus one readlink of its ns/pid to know the
// namespace (a syscall that opens no file; status instead when the link is denied: another user's process, when
// we are not root). Its command line and UID are not read (ProcessInfo.command and uid are null) except for the
// host-side ancestors of a container's PID 1, which the views name; `details` reads them on demand. A kernel
// thread costs its stat alone; a process of another namespace also gets status (NSpid, UID) and cmdline.
// The first rescan opens every process's change probe (and, having nothing to compare it with, reads stat again
// through the descriptor the first scan kept); after that a process that has not run since the last scan (same
// /proc/PID/schedstat) costs one small read, one that ran has its stat re-read, and only a new process (or one
// that exec'd: same start time, new comm, or the same comm with new mappings) is read as above. `npm run bench`
// (scan.bench.ts) measures it against the kernel's floor (open+read+close of every stat) and `ps`, as ratios
// within one run.

import { EngineRef, parseEngineCgroup } from './engineCgroup';
import { PF_KTHREAD, latin1ToUtf8, parseCmdline, parsePasswd, parseStat, parseStatus, StatFields } from './procParse';
import { ProcFs, ProcReader, defaultMaxOpenFiles, isDenied, isGone, nodeFs, systemPageSize } from './procReader';

/** One process as seen from the scanned /proc. Objects are immutable and reused while nothing changes. */
export interface ProcessInfo {
  /** PID in the PID namespace of the scanned /proc mount (the host's, normally). */
  readonly hostPid: number;
  /** Parent's PID in that same namespace; 0 when the parent is outside it. Changes when reparented. */
  readonly ppid: number;
  /** `NSpid:` of /proc/PID/status, outermost first; null when status could not be read. */
  readonly nsPids: readonly number[] | null;
  /** The PID the process sees for itself: the last NSpid entry; null when unknown. */
  readonly nsPid: number | null;
  /** One-letter state from stat, e.g. S, R, Z. */
  readonly state: string;
  /**
   * Effective UID; null when status could not be read, or was not: a process of the scanned mount's own namespace
   * costs a scan its stat alone, unless it holds a container (see `command`).
   */
  readonly uid: number | null;
  /** User name from the host's passwd, or the UID as a string when it has no entry; null when no UID. */
  readonly user: string | null;
  /**
   * Arguments joined with spaces, or `[comm]` when the command line is empty or unreadable. Null when not read:
   * a process of the scanned mount's own namespace that is no container's host-side ancestor (up to
   * HOLDER_DEPTH of them above a container's PID 1); `ProcessScanner.details` reads it (and the UID) on demand.
   * Never null in another namespace, nor for a kernel thread.
   */
  readonly command: string | null;
  /** The kernel's short name of the executable (stat field 2, decoded as UTF-8). */
  readonly comm: string;
  /** Stat field 22: clock ticks after boot. With hostPid it identifies the process across PID reuse. */
  readonly startTime: number;
  /** Resident memory in bytes, as of the last stat read (with the schedstat probe: when it last ran). */
  readonly rssBytes: number;
  /** User plus system CPU time in clock ticks. */
  readonly cpuTicks: number;
  /** Inode of the process's PID namespace (/proc/PID/ns/pid); null when unreadable. */
  readonly nsInode: number | null;
  /** A kernel thread (PF_KTHREAD, or kthreadd and its children): always in the host namespace. */
  readonly kernelThread: boolean;
}

/** The result of one scan. */
export interface ProcessSnapshot {
  /** Every process that could be read, by host PID, in ascending PID order. */
  readonly processes: ReadonlyMap<number, ProcessInfo>;
  /** PID namespace inode of the scanned /proc mount (of its PID 1, or of this process); null if unknown. */
  readonly hostNsInode: number | null;
  /** PIDs not present in the previous scan. */
  readonly added: ReadonlySet<number>;
  /** PIDs of the previous scan that are gone. */
  readonly removed: ReadonlySet<number>;
  /** PIDs whose record was replaced: some field changed, the process exec'd, or its PID was reused. */
  readonly changed: ReadonlySet<number>;
  /** Whether every process was probed (false: see `quietProbeIntervalMs`). */
  readonly fullProbe: boolean;
}

/** Where and how the scanner reads. */
export interface ScannerOptions {
  /** The /proc mount to scan. Default `/proc`. */
  readonly procRoot?: string;
  /** The passwd file that names UIDs. Default `/etc/passwd`. */
  readonly passwdPath?: string;
  /** File-system access; default the real one. */
  readonly fs?: ProcFs;
  /** Bytes per page for RSS; default from this process's auxiliary vector, else 4096. */
  readonly pageSize?: number;
  /**
   * How many descriptors (one per process, of the `changeProbe` file) to keep open between scans. A kept
   * descriptor makes a rescan one pread instead of open+read+close (about half the cost), and a dead process
   * reads as ESRCH even if its PID was reused. Default: a quarter of our open-file limit, at most 8192. 0: none.
   */
  readonly maxOpenFiles?: number;
  /**
   * The file read on every rescan to tell whether a process changed. `schedstat` (CPU time, wait time, run
   * count; the default when the kernel has it) is three times cheaper for the kernel to produce than `stat`
   * and changes whenever the process ran, which every change of state, CPU time or command needs; a parent's
   * exit (reparenting) is caught separately. Only RSS may go stale while a process sleeps (memory reclaim).
   */
  readonly changeProbe?: 'schedstat' | 'stat';
  /**
   * Probe every known process at most this often (ms); in between, a scan reads only the processes created
   * since the last one, probes those first seen less than this long ago (a new process usually execs right
   * away: a container's PID 1 goes from the helper to the rootfs's shell), and asks the kernel whether each
   * other one still exists (kill(pid, 0), about a third of a probe); while /proc/loadavg shows that nothing was
   * created or reaped and no process is that young, it reads nothing more. What that can miss until the next full
   * probe, in a process older than this: an exec or setuid without a fork, a change of state (a zombie not yet
   * reaped), CPU time and memory. Default 0: probe every process on every scan.
   */
  readonly quietProbeIntervalMs?: number;
  /** Milliseconds of a monotonic clock; default performance.now. */
  readonly now?: () => number;
}

interface Entry {
  info: ProcessInfo;
  /** The stat text it was made from: an identical text means nothing to re-parse. */
  statText: string;
  /** Its `image` (where the program is mapped): another one means the process exec'd. */
  image: string;
  /** The change probe's text: an identical text means the process did not run since. */
  probeText: string;
  /** Kept-open descriptor of the change probe, or -1; of stat when `statFd`. */
  fd: number;
  /** `fd` is stat's, kept by a first scan for the first rescan, which reads it once more instead of reopening stat. */
  statFd: boolean;
  /** When this process was first read (the scanner's clock): a young process is probed on every scan. */
  seenAt: number;
}

const KTHREADD = 2;
/** How many host-side ancestors of a container's PID 1 get their command line read (hostChain's MAX_CHAIN). */
const HOLDER_DEPTH = 6;
const NONE: ReadonlySet<number> = new Set();

/** Scans a /proc tree; keeps the previous result so that each rescan reads as little as possible. */
export class ProcessScanner {
  private readonly files: ProcReader;
  private readonly fs: ProcFs;
  private readonly passwdPath: string;
  private readonly pageSize: number;
  private entries = new Map<number, Entry>();
  private users: Map<number, string> | undefined;
  private usersReloaded = false;
  private hostNsInode: number | null = null;
  /** ns/pid links tried first by readProcess, and how many of them could not be read. */
  private linkTries = 0;
  private linkFailures = 0;
  private probe: 'schedstat' | 'stat' | undefined;
  /** Whether every PID of the last listing was read: only then may the next scan skip listing. */
  private complete = false;
  private readonly quietProbeIntervalMs: number;
  private readonly now: () => number;
  /** The last scan's processes, when every one of them was last probed, and when its youngest was first read. */
  private last: { processes: ReadonlyMap<number, ProcessInfo>; probedAt: number; youngestSeenAt: number } | undefined;

  constructor(options: ScannerOptions = {}) {
    this.probe = options.changeProbe;
    this.fs = options.fs ?? nodeFs;
    const root = (options.procRoot ?? '/proc').replace(/\/+$/, '');
    this.files = new ProcReader(root, this.fs, options.maxOpenFiles ?? defaultMaxOpenFiles());
    this.passwdPath = options.passwdPath ?? '/etc/passwd';
    this.pageSize = options.pageSize ?? systemPageSize();
    this.quietProbeIntervalMs = options.quietProbeIntervalMs ?? 0;
    this.now = options.now ?? (() => performance.now());
  }

  /**
   * Reads every process. Throws only when the /proc directory itself cannot be listed. `probeAll` probes every
   * process even when the host looks quiet (see `quietProbeIntervalMs`): for a refresh the user asked for.
   */
  scan({ probeAll = false }: { probeAll?: boolean } = {}): ProcessSnapshot {
    const { pids, listed, quiet, newAfter } = this.files.pids(this.complete ? [...this.entries.keys()] : undefined);
    const now = this.now();
    const light = !probeAll && newAfter !== undefined && this.last !== undefined &&
      now - this.last.probedAt < this.quietProbeIntervalMs;
    if (light && quiet && now - this.last!.youngestSeenAt >= this.quietProbeIntervalMs) {
      return { processes: this.last!.processes, hostNsInode: this.hostNsInode, added: NONE, removed: NONE, changed: NONE, fullProbe: false };
    }
    if (this.hostNsInode === null) this.hostNsInode = this.findHostNsInode();
    this.probe ??= ['self', '1'].some((dir) => this.files.readText(`${dir}/schedstat`, 'latin1') !== undefined)
      ? 'schedstat'
      : 'stat';
    this.usersReloaded = false;
    const previous = this.entries;
    const next = new Map<number, Entry>();
    const processes = new Map<number, ProcessInfo>();
    const added = new Set<number>();
    const changed = new Set<number>();
    try {
      this.readAll(pids, listed, previous, next, processes, added, changed, now,
        light ? { newAfter: newAfter!, known: listed || quiet, youngAfter: now - this.quietProbeIntervalMs } : undefined);
      if (this.probe === 'schedstat') this.rereadOrphans(next, processes, added, changed);
      this.readHolders(next, processes, added, changed);
    } catch (e) {
      // Unexpected (EIO…): drop all state, descriptors included, so the next scan starts clean.
      for (const entry of new Set([...previous.values(), ...next.values()])) this.files.close(entry.fd);
      this.entries = new Map();
      this.complete = false;
      this.last = undefined;
      throw e;
    }
    const removed = new Set<number>();
    for (const [pid, entry] of previous) {
      if (next.has(pid)) continue;
      removed.add(pid);
      this.files.close(entry.fd);
    }
    this.entries = next;
    // A listed PID that could not be read may be readable next time: list again. Unlisted candidates that
    // were not read were threads or have ended.
    if (listed) this.complete = next.size === pids.length;
    let youngestSeenAt = -Infinity;
    for (const entry of next.values()) if (entry.seenAt > youngestSeenAt) youngestSeenAt = entry.seenAt;
    this.last = { processes, probedAt: light ? this.last!.probedAt : now, youngestSeenAt };
    return { processes, hostNsInode: this.hostNsInode, added, removed, changed, fullProbe: !light };
  }

  /**
   * `light`: a known PID up to `newAfter`, first seen before `youngAfter`, is only checked to exist, or taken as
   * existing when `known` (`pids` was listed just now, or nothing was reaped since the last scan); see
   * `quietProbeIntervalMs`.
   */
  private readAll(
    pids: number[], listed: boolean, previous: Map<number, Entry>, next: Map<number, Entry>, processes: Map<number, ProcessInfo>,
    added: Set<number>, changed: Set<number>, now: number, light?: { newAfter: number; known: boolean; youngAfter: number },
  ): void {
    const probe = this.probe!;
    const first = previous.size === 0;
    for (const pid of pids) {
      const old = previous.get(pid);
      if (light !== undefined && old !== undefined && pid <= light.newAfter && old.seenAt <= light.youngAfter) {
        if (light.known || this.files.exists(pid)) {
          next.set(pid, old);
          processes.set(pid, old.info);
        }
        continue;
      }
      if (first) {
        // A first scan reads stat alone, keeping its descriptor (as many as may be kept). The first rescan then
        // opens each process's probe and, having no earlier probe text to compare, reads stat once more through
        // that descriptor and closes it (unless stat is the probe); every later rescan costs one probe read.
        const statText = this.files.readKept(pid, 'stat', -1);
        const keptFd = this.files.keptFd;
        const read = statText === undefined ? undefined : this.update(pid, statText, undefined, processes, added, changed, listed);
        if (read === undefined) {
          this.files.close(keptFd);
          continue;
        }
        const probeText = probe === 'stat' ? statText! : '';
        next.set(pid, { info: read.info, image: read.image, statText: statText!, probeText, fd: keptFd, statFd: probe !== 'stat', seenAt: now });
        processes.set(pid, read.info);
        continue;
      }
      // The descriptor passes to readKept, which closes it if its process ended; keptFd is the one to keep.
      const statFd = old?.statFd === true ? old.fd : -1;
      const fd = old !== undefined && !old.statFd ? old.fd : -1;
      if (old !== undefined) old.fd = -1;
      const probeText = this.files.readKept(pid, probe, fd);
      if (probeText === undefined) {
        this.files.close(statFd);
        continue;
      }
      const keptFd = this.files.keptFd;
      if (old !== undefined && probeText === old.probeText) {
        this.files.close(statFd);
        old.fd = keptFd;
        old.statFd = false;
        next.set(pid, old);
        processes.set(pid, old.info);
        continue;
      }
      let statText: string | undefined;
      if (probe === 'stat') {
        statText = probeText;
      } else if (statFd >= 0) {
        statText = this.files.readKept(pid, 'stat', statFd); // after the probe, as below: no change falls between
        this.files.close(this.files.keptFd);
      } else {
        statText = this.files.readText(`${pid}/stat`, 'latin1');
      }
      const read = statText === undefined ? undefined : this.update(pid, statText, old, processes, added, changed, listed);
      if (read === undefined) {
        this.files.close(keptFd); // ended meanwhile, or not a process we can model
        continue;
      }
      // A PID reused by another process (another start time) starts a new life.
      const seenAt = old !== undefined && old.info.startTime === read.info.startTime ? old.seenAt : now;
      next.set(pid, { info: read.info, image: read.image, statText: statText!, probeText, fd: keptFd, statFd: false, seenAt });
      processes.set(pid, read.info);
    }
  }

  /**
   * The record of `pid` from its stat text: the old one, updated, or a new read for a new process or an exec.
   * `listed`: `pid` comes from listing /proc, so it is a process, not a thread.
   */
  private update(
    pid: number, statText: string, old: Entry | undefined, processes: Map<number, ProcessInfo>,
    added: Set<number>, changed: Set<number>, listed = true,
  ): { info: ProcessInfo; image: string } | undefined {
    if (old !== undefined && statText === old.statText) return { info: old.info, image: old.image };
    const stat = parseStat(statText);
    if (stat === undefined || stat.pid !== pid) return undefined;
    const comm = latin1ToUtf8(stat.comm);
    let info: ProcessInfo | undefined;
    // An exec keeps PID and start time, and the comm too when the new program has the same name (a container's
    // PID 1 goes from the helper's sh to the rootfs's /bin/sh): only the new mappings tell it.
    if (old !== undefined && old.info.startTime === stat.startTime && old.info.comm === comm && old.image === stat.image) {
      info = this.withStat(old.info, stat);
    } else {
      info = this.readProcess(stat, comm, processes, listed || old !== undefined);
      if (info === undefined) return undefined;
      if (old === undefined) added.add(pid);
    }
    if (old !== undefined && info !== old.info && !added.has(pid)) changed.add(pid);
    return { info, image: stat.image };
  }

  /**
   * A process that did not run kept its schedstat, but its parent may have ended and the kernel moved it to
   * a reaper: re-read the stat of every process whose parent is no longer listed, or is a zombie.
   */
  private rereadOrphans(
    next: Map<number, Entry>, processes: Map<number, ProcessInfo>, added: Set<number>, changed: Set<number>,
  ): void {
    for (const [pid, entry] of next) {
      const { ppid, startTime } = entry.info;
      const parent = processes.get(ppid);
      if (ppid === 0 || (parent !== undefined && parent.startTime <= startTime && parent.state !== 'Z')) continue;
      const statText = this.files.readText(`${pid}/stat`, 'latin1');
      const read = statText === undefined ? undefined : this.update(pid, statText, entry, processes, added, changed);
      if (read === undefined) continue; // ending right now: the next scan drops it
      entry.info = read.info;
      entry.image = read.image;
      entry.statText = statText!;
      processes.set(pid, read.info);
    }
  }

  /** The Docker or Podman container a process is in, from /proc/PID/cgroup; undefined for none or unreadable. */
  engineOf(pid: number): EngineRef | undefined {
    const text = this.files.readText(`${pid}/cgroup`, 'latin1');
    return text === undefined ? undefined : parseEngineCgroup(text);
  }

  /** Where a process's root directory is, as seen from here (readlink /proc/PID/root); null if unreadable. */
  rootOf(pid: number): string | null {
    return this.files.readLink(`${pid}/root`) ?? null;
  }

  /**
   * Closes the kept-open descriptors but remembers the processes: the next scan reopens one small file per
   * process and reads in full only what is new or changed, instead of everything (a fifth of the cost). It probes
   * every process, however soon it comes.
   */
  releaseDescriptors(): void {
    for (const entry of this.entries.values()) {
      this.files.close(entry.fd);
      entry.fd = -1;
      entry.statFd = false;
    }
    this.last = undefined;
  }

  /** Closes the kept-open descriptors and forgets the previous scan. */
  dispose(): void {
    for (const entry of this.entries.values()) this.files.close(entry.fd);
    this.entries = new Map();
    this.complete = false;
    this.last = undefined;
  }

  // --- reading

  /**
   * A new process (or one that exec'd) beyond its stat. One of the scanned mount's own namespace costs one
   * readlink of its ns/pid (a syscall, no file: measured at 0.4 to 0.9 of a stat read), unless that link is denied
   * (another user's process, when we are not root) or `isProcess` is false (a PID not listed may be a thread:
   * status's Tgid tells); a process of another namespace gets status (NSpid, UID) and cmdline.
   */
  private readProcess(
    stat: StatFields, comm: string, seen: ReadonlyMap<number, ProcessInfo>, isProcess: boolean,
  ): ProcessInfo | undefined {
    const pid = stat.pid;
    const kthreadd = pid === KTHREADD ? comm === 'kthreadd' : seen.get(KTHREADD)?.comm === 'kthreadd';
    const kernelThread = (stat.flags & PF_KTHREAD) !== 0 || (kthreadd && (pid === KTHREADD || stat.ppid === KTHREADD));
    if (kernelThread) {
      // Kernel threads live in the initial namespace, run as root and have no command line: skip 3 reads.
      return this.info(stat, comm, [pid], 0, `[${comm}]`, this.hostNsInode, true);
    }
    // Not root, we may not read the link of another user's process (a denial costs Node an Error): once most
    // links failed, status comes first, as it would after the failure anyway.
    const linkFirst = isProcess && this.hostNsInode !== null && !(this.linkFailures > 8 && this.linkFailures * 2 > this.linkTries);
    let nsInode = linkFirst ? this.files.readNsInode(String(pid)) ?? null : null;
    if (linkFirst) {
      this.linkTries++;
      if (nsInode === null) this.linkFailures++;
    }
    if (nsInode !== null && nsInode === this.hostNsInode) return this.info(stat, comm, [pid], null, null, nsInode, false);
    let nsPids: readonly number[] | null = null;
    let uid: number | null = null;
    const status = this.files.readText(`${pid}/status`, 'latin1');
    if (status !== undefined) {
      const fields = parseStatus(status);
      if (fields.tgid !== null && fields.tgid !== pid) return undefined; // a thread, probed as a new PID
      ({ nsPids, uid } = fields);
    }
    // NSpid with one entry means the scanned mount's own namespace: its inode is known without a readlink.
    if (nsPids?.length === 1 && this.hostNsInode !== null) return this.info(stat, comm, nsPids, uid, null, this.hostNsInode, false);
    const command = this.readCommand(pid, comm);
    if (nsInode === null && nsPids !== null && nsPids.length > 1 && nsPids[nsPids.length - 1] !== 1) {
      // A parent at the same depth is in the same namespace (a child's namespace is its parent's or one
      // nested in it, and reparenting only moves outwards), so most container processes skip the readlink.
      const parent = seen.get(stat.ppid) ?? this.entries.get(stat.ppid)?.info;
      if (parent?.nsPids?.length === nsPids.length && parent.startTime <= stat.startTime) nsInode = parent.nsInode;
    }
    if (nsInode === null && !linkFirst) nsInode = this.files.readNsInode(String(pid)) ?? null;
    if (nsInode === null && nsPids?.length === 1) nsInode = this.hostNsInode;
    return this.info(stat, comm, nsPids, uid, command, nsInode, false);
  }

  /** /proc/PID/cmdline as `ProcessInfo.command`. */
  private readCommand(pid: number, comm: string): string {
    return parseCmdline(this.files.readText(`${pid}/cmdline`, 'utf8') ?? '', comm);
  }

  /**
   * `info` with its command line and UID, read now when the scan did not (a process of the scanned mount's own
   * namespace); the scanner keeps them for the next scans while the process does not exec. Undefined when `info`
   * is not this scanner's current record of its PID (it ended, or a newer scan replaced it); `info` itself when
   * nothing is missing or the process ended meanwhile.
   */
  details(info: ProcessInfo): ProcessInfo | undefined {
    const entry = this.entries.get(info.hostPid);
    if (entry === undefined || entry.info.startTime !== info.startTime) return undefined;
    if (entry.info.command === null) entry.info = this.withDetails(entry.info);
    return entry.info;
  }

  private withDetails(info: ProcessInfo): ProcessInfo {
    const pid = info.hostPid;
    const status = info.uid === null ? this.files.readText(`${pid}/status`, 'latin1') : undefined;
    const uid = status === undefined ? info.uid : parseStatus(status).uid;
    return { ...info, uid, user: this.userName(uid), command: this.readCommand(pid, info.comm) };
  }

  /**
   * Reads the details of the host-side ancestors of every container's PID 1 (as far as hostChain looks), which
   * the Containers view and Show Namespaces name by their command line and user: a few processes per container.
   */
  private readHolders(
    next: Map<number, Entry>, processes: Map<number, ProcessInfo>, added: ReadonlySet<number>, changed: Set<number>,
  ): void {
    for (const p of processes.values()) {
      const chain = p.nsPids;
      if (p.kernelThread || chain === null || chain.length < 2 || chain[chain.length - 1] !== 1) continue;
      let pid = p.ppid;
      for (let steps = 0; pid > 1 && steps < HOLDER_DEPTH; steps++) {
        const entry = next.get(pid);
        if (entry === undefined || entry.info.nsPids?.length !== 1) break;
        if (entry.info.command === null) {
          const info = this.withDetails(entry.info);
          if (!added.has(pid)) changed.add(pid);
          entry.info = info;
          processes.set(pid, info);
        }
        pid = entry.info.ppid;
      }
    }
  }

  private info(
    stat: StatFields, comm: string, nsPids: readonly number[] | null, uid: number | null, command: string | null,
    nsInode: number | null, kernelThread: boolean,
  ): ProcessInfo {
    return {
      hostPid: stat.pid, ppid: stat.ppid, nsPids, nsPid: nsPids ? nsPids[nsPids.length - 1] : null,
      state: stat.state, uid, user: this.userName(uid), command, comm, startTime: stat.startTime,
      rssBytes: stat.rssPages * this.pageSize, cpuTicks: stat.cpuTicks, nsInode, kernelThread,
    };
  }

  /** The same process with stat's changing fields updated; the same object when none changed. */
  private withStat(info: ProcessInfo, stat: StatFields): ProcessInfo {
    const rssBytes = stat.rssPages * this.pageSize;
    if (info.ppid === stat.ppid && info.state === stat.state && info.rssBytes === rssBytes && info.cpuTicks === stat.cpuTicks) {
      return info;
    }
    return { ...info, ppid: stat.ppid, state: stat.state, rssBytes, cpuTicks: stat.cpuTicks };
  }

  /** The namespace of the mount's PID 1, or of this process when PID 1's link is denied and we are at top level. */
  private findHostNsInode(): number | null {
    const init = this.files.readNsInode('1');
    if (init !== undefined) return init;
    const status = this.files.readText('self/status', 'latin1');
    if (status === undefined || parseStatus(status).nsPids?.length !== 1) return null;
    return this.files.readNsInode('self') ?? null;
  }

  private userName(uid: number | null): string | null {
    if (uid === null) return null;
    if (this.users === undefined) this.users = this.loadUsers();
    let name = this.users.get(uid);
    if (name === undefined && !this.usersReloaded) {
      // A user added since we last read passwd; read it again, at most once per scan.
      this.usersReloaded = true;
      this.users = this.loadUsers();
      name = this.users.get(uid);
    }
    return name ?? String(uid);
  }

  private loadUsers(): Map<number, string> {
    try {
      return parsePasswd(this.fs.readFileSync(this.passwdPath).toString('utf8'));
    } catch (e) {
      if (isGone(e) || isDenied(e)) return new Map();
      throw e;
    }
  }
}
