// Parsers for the text of /proc files: each takes text (or bytes) and returns a typed value or `undefined`. Pure:
// they never touch the file system, so unit tests feed them strings; procReader.ts reads the files. They avoid
// regular expressions because they run once per process per refresh.

/** Flag of /proc/PID/stat field 9 marking a kernel thread (include/linux/sched.h). */
export const PF_KTHREAD = 0x00200000;

/** The fields of /proc/PID/stat the model uses (field numbers as in proc(5)). */
export interface StatFields {
  /** Field 1: the PID in the PID namespace of the /proc mount that was read. */
  readonly pid: number;
  /** Field 2 without its parentheses, as bytes decoded latin1: may contain spaces and parentheses. */
  readonly comm: string;
  /** Field 3: one letter, R S D Z T t X I … */
  readonly state: string;
  /** Field 4: parent PID in the same PID namespace as `pid`; 0 when the parent is not visible there. */
  readonly ppid: number;
  /** Field 9: kernel PF_* flags. */
  readonly flags: number;
  /** Fields 14 + 15: user plus system CPU time, in clock ticks. */
  readonly cpuTicks: number;
  /** Field 22: start time in clock ticks after boot; with the PID it identifies a process. */
  readonly startTime: number;
  /** Field 24: resident set size in pages. */
  readonly rssPages: number;
  /**
   * Fields 26–28 (startcode, endcode, startstack) as text, '' when the line stops before them: where the program
   * is mapped. An exec changes them (address-space randomisation) even when the comm stays the same, as when sh
   * execs sh. "1 1 0" when we may not see them, "0 0 0" for a zombie.
   */
  readonly image: string;
}

/** Reads a non-negative or negative decimal integer at `i`; NaN when there is no digit. */
function intAt(s: string, i: number): number {
  let neg = false;
  if (s.charCodeAt(i) === 45 /* - */) {
    neg = true;
    i++;
  }
  let n = 0;
  let digits = 0;
  for (;;) {
    const d = s.charCodeAt(i) - 48;
    if (!(d >= 0 && d <= 9)) break;
    n = n * 10 + d;
    i++;
    digits++;
  }
  if (digits === 0) return NaN;
  return neg ? -n : n;
}

/**
 * Parses one /proc/PID/stat line. Fields after comm are located from the LAST `)`, because comm is
 * chosen by the process (prctl PR_SET_NAME) and may itself contain `) ` and spaces.
 */
export function parseStat(text: string): StatFields | undefined {
  const open = text.indexOf(' (');
  const close = text.lastIndexOf(')');
  if (open <= 0 || close < open) return undefined;
  const pid = intAt(text, 0);
  let i = close + 2;
  const state = text.charAt(i);
  if (!(pid > 0) || state === '' || state === ' ') return undefined;
  let ppid = NaN;
  let flags = NaN;
  let utime = NaN;
  let stime = NaN;
  let startTime = NaN;
  let rssPages = NaN;
  let image = '';
  // Walk the space-separated fields 4..28 and read only the ones we keep.
  for (let field = 4, imageAt = 0; field <= 28; field++) {
    const space = text.indexOf(' ', i);
    if (space < 0) {
      if (field <= 24) return undefined;
      break;
    }
    i = space + 1;
    switch (field) {
      case 4: ppid = intAt(text, i); break;
      case 9: flags = intAt(text, i); break;
      case 14: utime = intAt(text, i); break;
      case 15: stime = intAt(text, i); break;
      case 22: startTime = intAt(text, i); break;
      case 24: rssPages = intAt(text, i); break;
      case 26: imageAt = i; break;
      case 28: {
        const end = text.indexOf(' ', i);
        image = text.slice(imageAt, end < 0 ? undefined : end).trimEnd();
        break;
      }
    }
  }
  if (Number.isNaN(ppid + flags + utime + stime + startTime + rssPages)) return undefined;
  return { pid, comm: text.slice(open + 2, close), state, ppid, flags, cpuTicks: utime + stime, startTime, rssPages, image };
}

/** The fields of /proc/PID/status the model uses. */
export interface StatusFields {
  /** `NSpid:` outermost namespace first; the last entry is the PID inside the process's own namespace. */
  readonly nsPids: number[] | null;
  /** Effective UID (second number of `Uid:`), which is what ps shows as USER. */
  readonly uid: number | null;
  /** Thread group ID: the PID of the process; a thread's own ID differs from it. */
  readonly tgid: number | null;
}

/** The whitespace-separated numbers after `KEY:` at a line start, up to the end of that line; null if absent. */
function numbersAfter(text: string, key: string): number[] | null {
  let i = text.startsWith(key) ? 0 : text.indexOf('\n' + key);
  if (i < 0) return null;
  i += i === 0 ? key.length : key.length + 1;
  const out: number[] = [];
  for (;;) {
    const c = text.charCodeAt(i);
    if (c === 9 || c === 32) {
      i++;
    } else if (c >= 48 && c <= 57) {
      let n = 0;
      for (let d = c - 48; d >= 0 && d <= 9; d = text.charCodeAt(++i) - 48) n = n * 10 + d;
      out.push(n);
    } else {
      // End of line or of text; anything else is not a list of numbers.
      return c === 10 || Number.isNaN(c) ? out : null;
    }
  }
}

/** Parses /proc/PID/status; missing lines (old kernels have no NSpid) become null. */
export function parseStatus(text: string): StatusFields {
  const nsPids = numbersAfter(text, 'NSpid:');
  const uids = numbersAfter(text, 'Uid:');
  const tgid = numbersAfter(text, 'Tgid:');
  return {
    nsPids: nsPids && nsPids.length > 0 ? nsPids : null,
    uid: uids && uids.length >= 2 ? uids[1] : null,
    tgid: tgid && tgid.length === 1 ? tgid[0] : null,
  };
}

/**
 * The command line as ps shows it: /proc/PID/cmdline's NUL-separated arguments joined with spaces, or
 * `[comm]` when it is empty (kernel threads, zombies, processes that are exiting).
 */
export function parseCmdline(text: string, comm: string): string {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 0) end--;
  if (end === 0) return `[${comm}]`;
  return text.slice(0, end).replaceAll('\0', ' ');
}

/** When the machine booted, in ms since the epoch, from the text of /proc/stat (its `btime` line, in seconds). */
export function parseBootTimeMs(text: string): number | undefined {
  const seconds = numbersAfter(text, 'btime');
  return seconds && seconds.length === 1 ? seconds[0] * 1000 : undefined;
}

/** The inode of a namespace link target such as `pid:[4026531836]`. */
export function parseNsLink(link: string): number | undefined {
  const open = link.indexOf(':[');
  if (open < 0 || !link.endsWith(']')) return undefined;
  const n = intAt(link, open + 2);
  return n > 0 && open + 2 + String(n).length === link.length - 1 ? n : undefined;
}

/** One account of /etc/passwd: name, UID and primary GID (-1 when that field is no number). */
export interface PasswdEntry {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

/** The accounts of the text of /etc/passwd, in order; lines without a name or a numeric UID are skipped. */
export function parsePasswdEntries(text: string): PasswdEntry[] {
  const entries: PasswdEntry[] = [];
  for (const line of text.split('\n')) {
    const parts = line.split(':');
    if (parts.length < 3 || parts[0] === '' || parts[0].startsWith('#')) continue;
    const uid = intAt(parts[2], 0);
    if (uid < 0 || String(uid) !== parts[2]) continue;
    const gid = parts.length > 3 && String(intAt(parts[3], 0)) === parts[3] ? intAt(parts[3], 0) : -1;
    entries.push({ name: parts[0], uid, gid });
  }
  return entries;
}

/** UID → user name from the text of /etc/passwd; the first entry of a UID wins, as in getpwuid. */
export function parsePasswd(text: string): Map<number, string> {
  const users = new Map<number, string>();
  for (const { name, uid } of parsePasswdEntries(text)) if (!users.has(uid)) users.set(uid, name);
  return users;
}

/** The page size from /proc/self/auxv (AT_PAGESZ = 6), read as 64-bit little-endian pairs. */
export function parseAuxvPageSize(auxv: Uint8Array): number | undefined {
  const view = new DataView(auxv.buffer, auxv.byteOffset, auxv.byteLength);
  for (let i = 0; i + 16 <= auxv.byteLength; i += 16) {
    const type = view.getBigUint64(i, true);
    if (type === 0n) break;
    if (type === 6n) return Number(view.getBigUint64(i + 8, true));
  }
  return undefined;
}

/** The soft limit of open files from /proc/self/limits; undefined when unlimited or unreadable. */
export function parseOpenFilesLimit(limits: string): number | undefined {
  const at = limits.indexOf('Max open files');
  if (at < 0) return undefined;
  const n = intAt(limits.slice(at + 'Max open files'.length).trimStart(), 0);
  return Number.isNaN(n) ? undefined : n;
}

/** Decodes a string read as latin1 (one char per byte) as UTF-8 when it has non-ASCII bytes. */
export function latin1ToUtf8(s: string): string {
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) > 0x7f) return Buffer.from(s, 'latin1').toString('utf8');
  }
  return s;
}
