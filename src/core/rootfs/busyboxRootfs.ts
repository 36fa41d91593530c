import { execFile } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { english, type Localize } from '../localize';

/** Runs a program and returns its stdout; injected so tests and callers choose how. */
export type RunFile = (file: string, args: readonly string[]) => Promise<string>;

export const runFile: RunFile = async (file, args) => (await promisify(execFile)(file, [...args])).stdout;

/** Where Debian's busybox and busybox-static packages put the binary. */
export const BUSYBOX_CANDIDATES = ['/bin/busybox', '/usr/bin/busybox'] as const;

export class RootfsError extends Error {}

/** How an ELF executable is linked; `undefined` for a file that is not a 64- or 32-bit ELF. */
export function elfLinkage(header: Buffer): 'static' | 'dynamic' | undefined {
  if (header.length < 52 || header.readUInt32BE(0) !== 0x7f454c46) return undefined;
  const is64 = header[4] === 2;
  const little = header[5] === 1;
  const u16 = (o: number) => (little ? header.readUInt16LE(o) : header.readUInt16BE(o));
  const u32 = (o: number) => (little ? header.readUInt32LE(o) : header.readUInt32BE(o));
  const phoff = is64 ? Number(little ? header.readBigUInt64LE(32) : header.readBigUInt64BE(32)) : u32(28);
  const phentsize = u16(is64 ? 54 : 42);
  const phnum = u16(is64 ? 56 : 44);
  const PT_INTERP = 3;
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    if (at + 4 > header.length) return undefined;
    if (u32(at) === PT_INTERP) return 'dynamic';
  }
  return 'static';
}

/** Finds a statically linked busybox, or throws saying which Debian package to install. */
export async function findStaticBusybox(
  candidates: readonly string[] = BUSYBOX_CANDIDATES,
  t: Localize = english,
): Promise<string> {
  const dynamic: string[] = [];
  for (const candidate of candidates) {
    let header: Buffer;
    try {
      const file = await fs.open(candidate, 'r');
      try {
        header = Buffer.alloc(4096);
        const { bytesRead } = await file.read(header, 0, header.length, 0);
        header = header.subarray(0, bytesRead);
      } finally {
        await file.close();
      }
    } catch {
      continue;
    }
    const linkage = elfLinkage(header);
    if (linkage === 'static') return candidate;
    if (linkage === 'dynamic') dynamic.push(candidate);
  }
  if (dynamic.length) {
    throw new RootfsError(
      t('{0} is dynamically linked and cannot run inside a chroot without its libraries. ' +
        'Install the static build: sudo apt-get install busybox-static', dynamic.join(', ')),
    );
  }
  throw new RootfsError(t('BusyBox was not found. Install it: sudo apt-get install busybox-static'));
}

export interface BuildOptions {
  /** Path of a static busybox; found with findStaticBusybox when omitted. */
  busybox?: string;
  run?: RunFile;
  /** Called with a short sentence per step, for a progress notification. */
  onProgress?: (step: string) => void;
  /** Localises the progress steps and errors; English by default (the CLI). */
  t?: Localize;
}

/**
 * The folders of the tree, with their modes: the same as the helper's make-rootfs (build_busybox_rootfs), so that a
 * rootfs made by either is the same (test/fixtures/helper-protocol.json describes it for both).
 */
export const ROOTFS_FOLDERS: Readonly<Record<string, number>> = {
  bin: 0o755, sbin: 0o755, usr: 0o755, 'usr/bin': 0o755, 'usr/sbin': 0o755, etc: 0o755, root: 0o700, tmp: 0o1777,
  proc: 0o755, dev: 0o755, sys: 0o755, run: 0o755, var: 0o755, home: 0o755,
};

/** The files of /etc, as the helper writes them; etc/hostname holds the rootfs folder's name. */
export function rootfsFiles(name: string): Record<string, string> {
  return {
    'etc/passwd': 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n',
    'etc/group': 'root:x:0:\nnogroup:x:65534:\n',
    'etc/hostname': `${name}\n`,
  };
}

/**
 * Builds a BusyBox root filesystem at `target`, which must not exist yet: the helper's make-rootfs tree (folders and
 * modes whatever the umask, bin/busybox copied, every applet a hard link of it in bin/ made by `bin/busybox
 * --install DIR/bin`, and /etc's files). It is assembled in a sibling folder and renamed into place at the end, so a
 * failure never leaves a half-built rootfs behind.
 */
export async function buildBusyboxRootfs(target: string, options: BuildOptions = {}): Promise<string> {
  const run = options.run ?? runFile;
  const progress = options.onProgress ?? (() => undefined);
  const t = options.t ?? english;
  target = path.resolve(target);
  if (await exists(target)) throw new RootfsError(t('{0} already exists; choose a new folder', target));
  const busybox = options.busybox ?? (await findStaticBusybox(BUSYBOX_CANDIDATES, t));

  await fs.mkdir(path.dirname(target), { recursive: true });
  const work = await fs.mkdtemp(`${target}.partial-`);
  try {
    progress(t('Creating folders'));
    await fs.chmod(work, 0o755);
    // Made in order (a parent before its children) and chmod-ed: the modes must not depend on the umask.
    for (const [dir, mode] of Object.entries(ROOTFS_FOLDERS)) {
      await fs.mkdir(path.join(work, dir), { recursive: true });
      await fs.chmod(path.join(work, dir), mode);
    }

    progress(t('Copying {0} and linking its applets', busybox));
    const copy = path.join(work, 'bin/busybox');
    await fs.copyFile(busybox, copy);
    await fs.chmod(copy, 0o755);
    // Hard links, as in Docker's busybox image and the helper's make-rootfs: the same file inside the chroot and
    // seen from the host, and a command the helper finds without following a link. busybox names them itself.
    await run(copy, ['--install', path.join(work, 'bin')]);
    if (!(await exists(path.join(work, 'bin/sh')))) throw new RootfsError(t('{0} has no sh applet', busybox));
    for (const [file, text] of Object.entries(rootfsFiles(path.basename(target)))) {
      await fs.writeFile(path.join(work, file), text);
      await fs.chmod(path.join(work, file), 0o644);
    }

    await fs.rename(work, target);
  } catch (error) {
    await fs.rm(work, { recursive: true, force: true });
    throw error;
  }
  progress(t('Root filesystem ready at {0}', target));
  return target;
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.lstat(p);
    return true;
  } catch {
    return false;
  }
}
