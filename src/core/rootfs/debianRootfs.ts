// Debian and Ubuntu root filesystems made by mmdebstrap (Debian's own bootstrapper, the one apt's developers keep):
// a minbase system of the suite from the mirror, written by mmdebstrap as a tar, then imported into the store by the
// one importer (imageImport.ts: streamed into a build folder renamed into place only when complete, entries that
// could write outside it left out, rootless owners recorded rather than given away). As root mmdebstrap runs in its
// root mode; an ordinary user needs subordinate ids (/etc/subuid, /etc/subgid, Debian's uidmap), as for Podman:
// mmdebstrap's unshare mode maps them so that dpkg and apt can chown to their own users. Progress comes from
// mmdebstrap's own "I: …" lines; Cancel ends its process group and leaves nothing.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ImportCancelled, importImage } from './imageImport';
import type { RootfsMeta } from './rootfsStore';

export type Distribution = 'debian' | 'ubuntu';

/** A suite one can ask for, and the archive it comes from. */
export interface SuiteChoice {
  distribution: Distribution;
  suite: string;
}

/** The suites offered besides the host's own: Debian's stable and testing, Ubuntu's two latest LTS. */
export const SUITES: readonly SuiteChoice[] = [
  { distribution: 'debian', suite: 'bookworm' },
  { distribution: 'debian', suite: 'trixie' },
  { distribution: 'ubuntu', suite: 'noble' },
  { distribution: 'ubuntu', suite: 'jammy' },
];

const SUITE_NAME = /^[a-z][a-z0-9-]{1,30}$/;

/** "ubuntu:noble", "debian:sid" or "bookworm" → a choice; a listed suite knows its distribution, others are Debian's. Pure. */
export function parseSuite(text: string): SuiteChoice {
  const [first, second] = text.split(':');
  if (second !== undefined) return { distribution: first === 'ubuntu' ? 'ubuntu' : 'debian', suite: second };
  return SUITES.find((s) => s.suite === first) ?? { distribution: 'debian', suite: first };
}

export function readTextOrEmpty(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** The host's apt sources, one-line and deb822, as one text. */
export function hostAptSources(): string {
  const dir = '/etc/apt/sources.list.d';
  let files: string[] = [];
  try {
    files = fs.readdirSync(dir).filter((f) => /\.(list|sources)$/.test(f)).map((f) => path.join(dir, f));
  } catch {
    // none
  }
  return ['/etc/apt/sources.list', ...files].map(readTextOrEmpty).join('\n');
}

/** The host's distribution and suite from /etc/os-release's text, when it is Debian or Ubuntu. Pure. */
export function hostSuite(osRelease: string): SuiteChoice | undefined {
  const field = (key: string) => new RegExp(`^${key}="?([^"\\n]*)"?$`, 'm').exec(osRelease)?.[1];
  const id = field('ID');
  const suite = field('VERSION_CODENAME');
  if ((id !== 'debian' && id !== 'ubuntu') || !suite || !SUITE_NAME.test(suite)) return undefined;
  return { distribution: id, suite };
}

/**
 * The mirror to use: the first http(s) archive of that distribution among the host's apt sources (one-line and
 * deb822 formats), else the distribution's own. Pure.
 */
export function defaultMirror(distribution: Distribution, aptSources: string): string {
  const wanted = distribution === 'ubuntu' ? /\/ubuntu\/?$/ : /\/debian\/?$/;
  const uris = [...aptSources.matchAll(/^\s*(?:deb\s+(?:\[[^\]]*\]\s+)?|URIs:\s*)(https?:\/\/\S+)/gm)].flatMap((m) => m[1].split(/\s+/));
  const found = uris.find((u) => wanted.test(u) && !/security/.test(u));
  if (found) return found.replace(/\/+$/, '');
  return distribution === 'ubuntu' ? 'http://archive.ubuntu.com/ubuntu' : 'http://deb.debian.org/debian';
}

/** Checks a mirror given by a setting: an http(s) URL without spaces or control characters. Pure. */
export function validMirror(mirror: string): boolean {
  return /^https?:\/\/[^\s\x00-\x1f\x7f]+$/.test(mirror);
}

/** mmdebstrap's stages, in order, by the start of its "I: …" line; the share of the whole each begins at. */
const STAGES: readonly [RegExp, number, string][] = [
  [/^I: chroot architecture/, 0.02, 'preparing'],
  [/^I: (running apt-get update|downloading packages with apt)/, 0.05, 'downloading'],
  [/^I: extracting archives/, 0.45, 'extracting'],
  [/^I: installing essential packages/, 0.55, 'installing essential packages'],
  [/^I: installing remaining packages/, 0.75, 'installing the rest'],
  [/^I: cleaning package lists/, 0.85, 'cleaning up'],
  [/^I: creating tarball/, 0.88, 'writing the tarball'],
  [/^I: done/, 0.9, 'done'],
];

/** The stage an mmdebstrap line starts, if any: its share of the whole and its name. Pure. */
export function stageOf(line: string): { fraction: number; stage: string } | undefined {
  const found = STAGES.find(([re]) => re.test(line));
  return found && { fraction: found[1], stage: found[2] };
}

/**
 * The customize hook every rootfs gets: apt downloads as root instead of its _apt user, which a rootless container
 * (one uid mapped) cannot switch to, and which owns nothing once the files are imported as the user's or root's.
 */
const APT_SANDBOX_HOOK = 'echo \'APT::Sandbox::User "root";\' > "$1/etc/apt/apt.conf.d/99mini-containers"';

/** mmdebstrap's argv for a minbase `suite` from `mirror` into the tar `tarball`. Pure. */
export function mmdebstrapArgs(choice: SuiteChoice, mirror: string, tarball: string, asRoot: boolean): string[] {
  if (!SUITE_NAME.test(choice.suite)) throw new Error(`invalid suite name "${choice.suite}"`);
  if (!validMirror(mirror)) throw new Error(`invalid mirror "${mirror}": an http:// or https:// URL`);
  const args = ['--variant=minbase', `--mode=${asRoot ? 'root' : 'unshare'}`, '--format=tar', `--customize-hook=${APT_SANDBOX_HOOK}`];
  if (choice.distribution === 'ubuntu') {
    args.push('--keyring=/usr/share/keyrings/ubuntu-archive-keyring.gpg', '--components=main,universe');
  }
  return [...args, choice.suite, tarball, mirror];
}

/** Whether `user` has subordinate ids in the text of /etc/subuid (or /etc/subgid). Pure. */
export function hasSubordinateIds(text: string, user: string, uid: number): boolean {
  return text.split('\n').some((line) => {
    const [who, , count] = line.split(':');
    return (who === user || who === String(uid)) && Number(count) >= 65536;
  });
}

export interface DebianProgress {
  /** 0 to 1. */
  fraction: number;
  /** What it does now: an mmdebstrap stage, then "importing". */
  stage: string;
}

export interface DebianOptions {
  onProgress?: (p: DebianProgress) => void;
  /** Every line mmdebstrap writes (its log). */
  onLog?: (line: string) => void;
  signal?: AbortSignal;
  /** Tests: another program than mmdebstrap (same argv). */
  program?: string;
}

/** Raised when mmdebstrap cannot run here as asked, with what to do. */
export class DebianSetupError extends Error {}

/** What must be true before mmdebstrap can run here; the reason and the fix when not. */
export function debianPrerequisites(choice: SuiteChoice, asRoot: boolean, user: string, uid: number): string | undefined {
  if (spawnSync('sh', ['-c', 'command -v mmdebstrap'], { encoding: 'utf8' }).status !== 0) {
    return 'mmdebstrap is not installed: apt-get install mmdebstrap';
  }
  if (choice.distribution === 'ubuntu' && !fs.existsSync('/usr/share/keyrings/ubuntu-archive-keyring.gpg')) {
    // Debian 12 has no package of it (Debian 13 and Ubuntu do); an unverified archive is never used instead.
    return 'Ubuntu\'s archive key (/usr/share/keyrings/ubuntu-archive-keyring.gpg) is not installed: apt-get install ubuntu-keyring (Debian 13 or later, Ubuntu)';
  }
  if (!asRoot) {
    if (!hasSubordinateIds(readTextOrEmpty('/etc/subuid'), user, uid) || !hasSubordinateIds(readTextOrEmpty('/etc/subgid'), user, uid)) {
      return `${user} has no subordinate ids (65536 or more in /etc/subuid and /etc/subgid), which mmdebstrap needs without root: ` +
        `sudo usermod --add-subuids 100000-165535 --add-subgids 100000-165535 ${user}`;
    }
    if (spawnSync('sh', ['-c', 'command -v newuidmap'], { encoding: 'utf8' }).status !== 0) {
      return 'newuidmap is not installed: apt-get install uidmap';
    }
  }
  return undefined;
}

/** Removes what mmdebstrap left in `dir`; rootless, files of subordinate ids are removed from their user namespace. */
function removeAll(dir: string, asRoot: boolean): void {
  try {
    fs.rmSync(dir, { recursive: true, force: true });
  } catch {
    if (!asRoot) spawnSync('unshare', ['--map-auto', '--map-root-user', '--', 'rm', '-rf', '--', dir], { stdio: 'ignore' });
  }
}

/**
 * Makes a minbase Debian or Ubuntu rootfs `name` in `store`. The tarball is written beside the build, in a scratch
 * folder of the store (so a disk that holds the store holds it), and removed whatever happens.
 */
export async function createDebianRootfs(
  choice: SuiteChoice, mirror: string, store: string, name: string, options: DebianOptions = {},
): Promise<{ path: string; meta: RootfsMeta }> {
  const asRoot = process.getuid?.() === 0;
  fs.mkdirSync(store, { recursive: true, mode: 0o700 });
  if (fs.existsSync(path.join(store, name))) throw new Error(`${path.join(store, name)} already exists`);
  const scratch = fs.mkdtempSync(path.join(store, `.debian-${name}-`));
  const tarball = path.join(scratch, 'rootfs.tar');
  try {
    // As root its work folder is in the scratch folder too (removed with it, even after a SIGKILL of mmdebstrap);
    // rootless it must stay in /tmp, where its subordinate root can enter (the user's store is 0700), and
    // mmdebstrap removes it itself, also when ended by Cancel's SIGTERM.
    await runMmdebstrap(mmdebstrapArgs(choice, mirror, tarball, asRoot), { ...options, env: asRoot ? { ...process.env, TMPDIR: scratch } : process.env });
    options.onProgress?.({ fraction: 0.9, stage: 'importing' });
    const result = await importImage(tarball, store, name, {
      signal: options.signal,
      origin: { kind: 'debian', distribution: choice.distribution, suite: choice.suite, mirror, tool: 'mmdebstrap' },
      onProgress: (p) => p.total && options.onProgress?.({ fraction: 0.9 + 0.1 * (p.done / p.total), stage: 'importing' }),
    });
    return { path: result.path, meta: result.meta };
  } finally {
    removeAll(scratch, asRoot);
  }
}

async function runMmdebstrap(args: string[], options: DebianOptions & { env: NodeJS.ProcessEnv }): Promise<void> {
  if (options.signal?.aborted) throw new ImportCancelled();
  // Its own process group: Cancel ends mmdebstrap, its apt and dpkg together.
  const child = spawn(options.program ?? 'mmdebstrap', args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: options.env });
  const tail: string[] = [];
  let buffered = '';
  const onData = (d: Buffer) => {
    buffered += d.toString();
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl).replace(/\r$/, '');
      buffered = buffered.slice(nl + 1);
      options.onLog?.(line);
      tail.push(line);
      if (tail.length > 20) tail.shift();
      const stage = stageOf(line);
      if (stage) options.onProgress?.(stage);
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  let killer: NodeJS.Timeout | undefined;
  const abort = () => {
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      // already gone
    }
    killer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }, 5000);
  };
  options.signal?.addEventListener('abort', abort, { once: true });
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on('error', (e) => reject((e as NodeJS.ErrnoException).code === 'ENOENT' ? new DebianSetupError('mmdebstrap is not installed: apt-get install mmdebstrap') : e));
      child.on('close', (c) => resolve(c));
    });
    if (options.signal?.aborted) throw new ImportCancelled();
    if (code !== 0) {
      const reason = tail.filter((l) => /^E: /.test(l)).join(' ') || tail.slice(-3).join(' ');
      throw new Error(`mmdebstrap failed (exit ${code}): ${reason}`);
    }
  } finally {
    clearTimeout(killer);
    options.signal?.removeEventListener('abort', abort);
    // After a Cancel nothing of its group outlives it (SIGTERM may leave apt's children a moment). Only then: after
    // a normal end the group is empty, and its number could name someone else's group.
    if (options.signal?.aborted) {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // the group is gone
      }
    }
  }
}
