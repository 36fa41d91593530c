// Pulling an image from a registry into a rootfs of a store: the field's own tool, skopeo, copies docker://REF into
// a temporary OCI layout in the store (the image for this host's architecture when REF names a multi-arch index),
// with the credentials the user already has (skopeo itself reads `docker login`'s ~/.docker/config.json or
// $DOCKER_CONFIG/config.json, `podman login`'s $XDG_RUNTIME_DIR/containers/auth.json and
// ~/.config/containers/auth.json, $REGISTRY_AUTH_FILE: measured with skopeo 1.9, so no --authfile is passed); then
// IMPORT's importImage applies it. A registry on localhost or 127.0.0.0/8 is spoken to over plain HTTP, as Docker
// allows, and no other. The temporary layout is removed whatever happens; a cancel kills skopeo by its PID.
import { spawn as nodeSpawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { english, type Localize } from '../localize';
import { importImage, ociArch } from './imageImport';
import { ROOTFS_NAME, type RootfsMeta } from './rootfsStore';

/** An image reference, normalised as Docker does (`alpine:3.20` is docker.io/library/alpine:3.20). */
export interface ImageReference {
  /** host[:port]; docker.io for Docker Hub. */
  registry: string;
  /** e.g. library/debian */
  repository: string;
  tag?: string;
  /** algorithm:hex, when the reference pins one. */
  digest?: string;
}

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-f0-9]{32,128}$/;
const REGISTRY = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$/;

/** The reference `text` means, or undefined when it is not one. */
export function parseReference(text: string): ImageReference | undefined {
  let rest = text.trim().replace(/^docker:\/\//, '');
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) return undefined;
  }
  const slash = rest.indexOf('/');
  let registry = 'docker.io';
  const first = slash >= 0 ? rest.slice(0, slash) : '';
  // Docker's rule: the first component is a registry when it has a dot or a port, or is localhost.
  if (slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost' || first.startsWith('['))) {
    registry = first === 'index.docker.io' || first === 'registry-1.docker.io' ? 'docker.io' : first;
    rest = rest.slice(slash + 1);
  }
  if (!REGISTRY.test(registry)) return undefined;
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) return undefined;
  }
  if (!rest || rest.length > 255 || !rest.split('/').every((c) => COMPONENT.test(c))) return undefined;
  if (registry === 'docker.io' && !rest.includes('/')) rest = `library/${rest}`;
  if (!tag && !digest) tag = 'latest';
  return { registry, repository: rest, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) };
}

/** registry/repository[:tag][@digest]: what the metadata records and the user reads. */
export function formatReference(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}

/** What skopeo is given: a digest alone when there is one (containers/image refuses a tag beside a digest). */
export function skopeoSource(ref: ImageReference): string {
  return `docker://${ref.registry}/${ref.repository}${ref.digest ? `@${ref.digest}` : `:${ref.tag ?? 'latest'}`}`;
}

/** The rootfs name a reference gets by default: the image's last component and its tag (or 12 digits of its digest). */
export function defaultRootfsName(ref: ImageReference): string {
  const image = ref.repository.split('/').pop()!;
  const suffix = ref.digest ? ref.digest.split(':')[1].slice(0, 12) : ref.tag ?? 'latest';
  const name = `${image}-${suffix}`.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 63);
  return ROOTFS_NAME.test(name) ? name : `image-${suffix}`.slice(0, 63);
}

/** A registry on this machine's loopback, reached over plain HTTP as Docker allows (`insecure-registries` default). */
export function isLoopbackRegistry(registry: string): boolean {
  const host = registry.startsWith('[') ? registry.slice(0, registry.indexOf(']') + 1) : registry.replace(/:[0-9]+$/, '');
  return host === 'localhost' || host === '[::1]' || /^127(?:\.[0-9]{1,3}){3}$/.test(host);
}

/** Why a pull failed, as a user can act on it. */
export type PullErrorCode = 'invalid' | 'exists' | 'no-skopeo' | 'not-found' | 'denied' | 'no-network' | 'no-platform' | 'cancelled' | 'failed';

export class PullError extends Error {
  constructor(message: string, readonly code: PullErrorCode, readonly stderr = '') {
    super(message);
  }
}

/** What skopeo's error text (its `msg="…"`) says went wrong. */
export function classifySkopeoError(stderr: string): PullErrorCode {
  if (/manifest unknown|name unknown|not found|no such image|repository .* does not exist/i.test(stderr)) return 'not-found';
  if (/unauthorized|authentication required|denied|status 40[13]|invalid username\/password|forbidden/i.test(stderr)) return 'denied';
  if (/no such host|connection refused|network is unreachable|i\/o timeout|no route to host|TLS handshake timeout|server misbehaving|temporary failure in name resolution/i.test(stderr)) return 'no-network';
  if (/no image found in (?:manifest list|image index) for architecture|choosing an image from manifest list/i.test(stderr)) return 'no-platform';
  return 'failed';
}

/** skopeo's own message: the last `msg="…"` of its log line, or its last line. */
export function skopeoMessage(stderr: string): string {
  const msgs = [...stderr.matchAll(/msg="((?:[^"\\]|\\.)*)"/g)].map((m) => m[1].replace(/\\"/g, '"'));
  return (msgs.pop() ?? stderr.trim().split('\n').pop() ?? '').trim();
}

/** Progress of a pull: phase "download" (done: bytes so far; layers: started, layersDone: stored), then IMPORT's phases. */
export interface PullProgress {
  phase: string;
  done: number;
  total?: number;
  layers?: number;
  layersDone?: number;
}

export interface PullOptions {
  onProgress?: (p: PullProgress) => void;
  signal?: AbortSignal;
  /** skopeo's environment (its credentials are found from HOME, DOCKER_CONFIG, XDG_RUNTIME_DIR, REGISTRY_AUTH_FILE). */
  env?: NodeJS.ProcessEnv;
  /** The spawner (tests count what it starts). */
  spawn?: typeof nodeSpawn;
  /** The skopeo program; `skopeo` on PATH by default. */
  skopeo?: string;
  /** The architecture picked from a multi-arch index, as OCI names it; the host's by default. */
  arch?: string;
  t?: Localize;
  /** How often the layout's size is read for progress, in ms. */
  pollMs?: number;
}

export interface PullResult {
  path: string;
  meta: RootfsMeta;
  skipped: string[];
  /** The manifest digest of what was pulled (the platform's manifest when the reference named an index). */
  digest: string;
}

/** Bytes and stored layers under the layout folder so far (skopeo writes each blob to a temporary file, then renames it). */
function layoutProgress(layout: string, started: Set<string>): { bytes: number; stored: number } {
  let bytes = 0;
  let stored = 0;
  const walk = (dir: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return; // not made yet, or being renamed
    }
    for (const e of entries) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) walk(full);
      else if (e.isFile()) {
        try {
          bytes += fs.statSync(full).size;
        } catch {
          continue; // renamed meanwhile
        }
        if (started.has(e.name)) stored++;
      }
    }
  };
  walk(layout);
  return { bytes, stored };
}

/**
 * Pulls `reference` into `store` as rootfs `name` (default: defaultRootfsName). Throws a PullError; a cancel
 * through `signal` kills skopeo and leaves nothing in the store (IMPORT's build folder is removed by importImage).
 */
export async function pullImage(reference: string, store: string, name: string | undefined, options: PullOptions = {}): Promise<PullResult> {
  const t = options.t ?? english;
  const ref = parseReference(reference);
  if (!ref) {
    throw new PullError(t('"{0}" is not an image reference (examples: docker.io/library/debian:bookworm, alpine:3.20, ghcr.io/OWNER/IMAGE:TAG, NAME@sha256:…).', reference), 'invalid');
  }
  const rootfsName = name ?? defaultRootfsName(ref);
  if (!ROOTFS_NAME.test(rootfsName)) throw new PullError(t('"{0}" is not a root filesystem name: use letters, digits, _ . - (at most 63).', rootfsName), 'invalid');
  if (fs.existsSync(path.join(store, rootfsName))) throw new PullError(t('A root filesystem named {0} already exists in {1}.', rootfsName, store), 'exists');
  const cancelled = () => new PullError(t('The pull of {0} was cancelled.', formatReference(ref)), 'cancelled');
  if (options.signal?.aborted) throw cancelled();

  fs.mkdirSync(store, { recursive: true, mode: 0o700 });
  const temp = fs.mkdtempSync(path.join(store, `.pull-${rootfsName}-${process.pid}-`));
  const layout = path.join(temp, 'layout');
  const digestFile = path.join(temp, 'digest');
  try {
    await copyWithSkopeo(ref, layout, digestFile, options, t, cancelled);
    const digest = fs.readFileSync(digestFile, 'utf8').trim();
    if (options.signal?.aborted) throw cancelled();
    const origin = { kind: 'pull' as const, reference: formatReference(ref), digest };
    let result;
    try {
      result = await importImage(layout, store, rootfsName, { origin, onProgress: options.onProgress, signal: options.signal });
    } catch (error) {
      if (options.signal?.aborted) throw cancelled();
      throw error;
    }
    return { ...result, digest };
  } finally {
    fs.rmSync(temp, { recursive: true, force: true });
  }
}

/** `skopeo copy docker://REF oci:LAYOUT`, reporting progress, killed on abort. */
function copyWithSkopeo(
  ref: ImageReference, layout: string, digestFile: string, options: PullOptions, t: Localize, cancelled: () => PullError,
): Promise<void> {
  const spawn = options.spawn ?? nodeSpawn;
  const args = [
    'copy', '--override-os', 'linux', '--override-arch', options.arch ?? ociArch(),
    ...(isLoopbackRegistry(ref.registry) ? ['--src-tls-verify=false'] : []),
    '--digestfile', digestFile, skopeoSource(ref), `oci:${layout}:image`,
  ];
  const shown = formatReference(ref);
  return new Promise((resolve, reject) => {
    const child = spawn(options.skopeo ?? 'skopeo', args, { stdio: ['ignore', 'pipe', 'pipe'], env: options.env ?? process.env });
    let stderr = '';
    let stdout = '';
    const started = new Set<string>();
    let last = -1;
    const report = () => {
      const { bytes, stored } = layoutProgress(layout, started);
      if (bytes === last) return;
      last = bytes;
      options.onProgress?.({ phase: 'download', done: bytes, layers: started.size, layersDone: stored });
    };
    const timer = setInterval(report, options.pollMs ?? 200);
    child.stdout?.on('data', (d: Buffer) => {
      stdout += d;
      // "Copying blob sha256:HEX" when a layer starts (its file is blobs/sha256/HEX once complete).
      for (const m of stdout.matchAll(/^Copying blob (?:[a-z0-9]+:)?([a-f0-9]+)/gm)) started.add(m[1]);
    });
    child.stderr?.on('data', (d: Buffer) => (stderr += d));
    const abort = () => child.kill('SIGTERM');
    options.signal?.addEventListener('abort', abort, { once: true });
    child.on('error', (error: NodeJS.ErrnoException) => {
      clearInterval(timer);
      options.signal?.removeEventListener('abort', abort);
      reject(error.code === 'ENOENT' ? new PullError(t('Pulling images needs skopeo: sudo apt-get install skopeo'), 'no-skopeo') : error);
    });
    child.on('close', (code, signal) => {
      clearInterval(timer);
      options.signal?.removeEventListener('abort', abort);
      if (options.signal?.aborted) return reject(cancelled());
      if (code === 0) {
        report();
        return resolve();
      }
      const detail = skopeoMessage(stderr) || `exit ${code ?? signal}`;
      const kind = classifySkopeoError(stderr);
      const message = {
        'not-found': () => t('The image {0} was not found: its registry has no such repository, tag or digest ({1}).', shown, detail),
        denied: () => t('The registry {0} refused access to {1}: log in first (docker login {0}, or podman login {0}) or check the name ({2}).', ref.registry, shown, detail),
        'no-network': () => t('The registry {0} cannot be reached: check the network and the name ({1}).', ref.registry, detail),
        'no-platform': () => t('{0} has no image for linux/{1} ({2}).', shown, options.arch ?? ociArch(), detail),
        failed: () => t('skopeo could not pull {0}: {1}', shown, detail),
      } as Record<string, () => string>;
      reject(new PullError(message[kind](), kind, stderr));
    });
  });
}
