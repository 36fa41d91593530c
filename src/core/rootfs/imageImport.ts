// Import of a root filesystem from a file or folder, whatever it is: a tar of a root filesystem (plain, gzip, xz,
// zstd, bzip2: `docker export`, distribution tarballs), an OCI image layout (folder or tar; in an index, the
// manifest for this host's architecture), or a `docker save` tar. Image layers are applied in order with their
// whiteouts; the image config (Env, WorkingDir, User, Entrypoint, Cmd) is recorded in the metadata. Everything
// streams into a build folder of the store (rootfsStore.ts), renamed into place only when complete; a failure or a
// Cancel removes it. The archive is untrusted: tarApply.ts decides what of it is written.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import * as zlib from 'node:zlib';
import { commitBuildDir, makeBuildDir, type ImageConfig, type RootfsMeta, type RootfsOrigin } from './rootfsStore';
import { TarParser } from './tarParse';
import { entryPath, finishDirs, newApplyState, TarApplier, type ApplyState } from './tarApply';

export interface ImportProgress {
  /** "read" (finding the image's parts), "layer N/M" or "unpack". */
  phase: string;
  /** Bytes of the source (compressed) read so far in this phase. */
  done: number;
  total?: number;
}

export interface ImportOptions {
  onProgress?: (p: ImportProgress) => void;
  signal?: AbortSignal;
  /** Where it came from, for the metadata; an import of `source` by default. */
  origin?: RootfsOrigin;
  /** Run by root, the unpack runs in a bwrap sandbox unless this is false (only the tests compare both). */
  sandbox?: boolean;
}

export interface ImportResult {
  path: string;
  meta: RootfsMeta;
  /** One line per entry left out of the archive: its name and why. */
  skipped: string[];
}

export type Compression = 'gzip' | 'xz' | 'zstd' | 'bzip2' | 'none';

/** The compression of a stream from its first bytes. Pure. */
export function sniffCompression(head: Buffer): Compression {
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
  if (head.subarray(0, 4).equals(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]))) return 'zstd';
  if (head.toString('latin1', 0, 3) === 'BZh') return 'bzip2';
  return 'none';
}

/** Whether a tar's first entry name says it holds an image (OCI layout or docker save) rather than a rootfs. Pure. */
export function looksLikeImageTar(firstName: string): boolean {
  const name = firstName.replace(/^\.\//, '');
  return /^(blobs(\/|$)|oci-layout$|index\.json$|manifest\.json$|repositories$|[0-9a-f]{64}(\/|\.json$))/.test(name);
}

/** A rootfs name from the file or folder imported: its base name less archive extensions, in the name alphabet. Pure. */
export function defaultRootfsName(source: string): string {
  const base = path.basename(source.replace(/\/+$/, '')).replace(/(\.(tar|tgz|txz|tzst|tbz2?|gz|xz|zst|zstd|bz2|oci))+$/i, '');
  const name = base.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 63);
  return name || 'imported';
}

/** The OCI/Go architecture name of a Node one. */
export function ociArch(arch: string = process.arch): string {
  return ({ x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' } as Record<string, string>)[arch] ?? arch;
}

interface Descriptor {
  mediaType?: string;
  digest: string;
  size?: number;
  platform?: { architecture?: string; os?: string; variant?: string };
  annotations?: Record<string, string>;
}

/** The manifest of an index to use here: linux and this architecture; the only one when none names a platform. Pure. */
export function pickManifest(manifests: readonly Descriptor[], arch = ociArch()): Descriptor | undefined {
  const real = manifests.filter((m) => m.annotations?.['vnd.docker.reference.type'] !== 'attestation-manifest');
  const matching = real.filter((m) => m.platform && (m.platform.os ?? 'linux') === 'linux' && m.platform.architecture === arch);
  if (matching.length) return matching[0];
  return real.length === 1 && !real[0].platform?.architecture ? real[0] : undefined;
}

/** The image config's run settings, as recorded in the metadata. Pure. */
export function imageConfigOf(config: unknown): ImageConfig {
  const c = ((config as { config?: Record<string, unknown> } | undefined)?.config ?? {}) as Record<string, unknown>;
  const strings = (v: unknown): string[] | undefined => (Array.isArray(v) && v.every((s) => typeof s === 'string') ? v as string[] : undefined);
  const out: ImageConfig = {};
  if (strings(c.Env)?.length) out.env = strings(c.Env);
  if (typeof c.WorkingDir === 'string' && c.WorkingDir) out.workingDir = c.WorkingDir;
  if (typeof c.User === 'string' && c.User) out.user = c.User;
  if (strings(c.Entrypoint)?.length) out.entrypoint = strings(c.Entrypoint);
  if (strings(c.Cmd)?.length) out.cmd = strings(c.Cmd);
  return out;
}

// --- the parts of an image: a folder, or a tar read by offsets -----------------------------------------------------

interface ImageFiles {
  has(name: string): boolean;
  read(name: string): Buffer;
  size(name: string): number;
  stream(name: string): Readable;
  /** The first bytes of `name`, enough to tell its compression. */
  head(name: string): Buffer;
}

const MAX_JSON = 16 << 20;

function folderFiles(dir: string): ImageFiles {
  const at = (name: string): string => {
    const checked = entryPath(name);
    if ('refused' in checked || !checked.parts.length) throw new Error(`the image names a file outside it: ${name}`);
    return path.join(dir, ...checked.parts);
  };
  return {
    has: (name) => fs.existsSync(at(name)),
    read: (name) => {
      if (fs.statSync(at(name)).size > MAX_JSON) throw new Error(`${name} is too large for an image's JSON`);
      return fs.readFileSync(at(name));
    },
    size: (name) => fs.statSync(at(name)).size,
    stream: (name) => fs.createReadStream(at(name), { highWaterMark: 1 << 20 }),
    head: (name) => readHead(at(name)),
  };
}

/** An uncompressed tar's regular files by normalised name, found by reading only its headers. */
function tarFiles(file: string): ImageFiles {
  const index = new Map<string, { offset: number; size: number }>();
  const fd = fs.openSync(file, 'r');
  try {
    let current: string | undefined;
    const parser = new TarParser({
      entry: (e) => {
        const checked = entryPath(e.name);
        current = e.type === 'file' && !('refused' in checked) ? checked.parts.join('/') : undefined;
        if (current !== undefined) index.set(current, { offset: parser.contentOffset, size: e.size });
      },
      data: () => undefined,
      endEntry: () => undefined,
    });
    const block = Buffer.alloc(512);
    let position = 0;
    while (!parser.done) {
      const n = fs.readSync(fd, block, 0, 512, position);
      if (n === 0) break;
      parser.write(block.subarray(0, n));
      position += n;
      const skip = parser.skippable;
      if (skip) {
        parser.skip();
        position += skip;
      }
    }
  } finally {
    fs.closeSync(fd);
  }
  const get = (name: string): { offset: number; size: number } => {
    const found = index.get(name.replace(/^\.?\//, ''));
    if (!found) throw new Error(`the image tar has no ${name}`);
    return found;
  };
  return {
    has: (name) => index.has(name.replace(/^\.?\//, '')),
    read: (name) => {
      const { offset, size } = get(name);
      if (size > MAX_JSON) throw new Error(`${name} is too large for an image's JSON`);
      const buffer = Buffer.alloc(size);
      const fd2 = fs.openSync(file, 'r');
      try {
        fs.readSync(fd2, buffer, 0, size, offset);
      } finally {
        fs.closeSync(fd2);
      }
      return buffer;
    },
    size: (name) => get(name).size,
    stream: (name) => {
      const { offset, size } = get(name);
      return size === 0 ? Readable.from([]) : fs.createReadStream(file, { start: offset, end: offset + size - 1, highWaterMark: 1 << 20 });
    },
    head: (name) => {
      const { offset, size } = get(name);
      return readHead(file, offset).subarray(0, size);
    },
  };
}

function json(files: ImageFiles, name: string): unknown {
  try {
    return JSON.parse(files.read(name).toString('utf8'));
  } catch (e) {
    throw new Error(`${name} of the image is not valid JSON: ${(e as Error).message}`);
  }
}

function blobName(digest: unknown): string {
  const m = typeof digest === 'string' ? /^(sha256|sha512):([a-f0-9]{64,128})$/.exec(digest) : null;
  if (!m) throw new Error(`the image names an invalid digest: ${String(digest)}`);
  return `blobs/${m[1]}/${m[2]}`;
}

/** The layers (in order) and the config of the image in `files`, and its format's name. */
export function imagePlan(files: ImageFiles): { format: string; layers: string[]; config: ImageConfig } {
  if (files.has('index.json') && files.has('oci-layout')) {
    let index = json(files, 'index.json') as { manifests?: Descriptor[] };
    for (let depth = 0; depth < 4; depth++) {
      const chosen = pickManifest(index.manifests ?? []);
      if (!chosen) throw new Error(`the OCI image has no manifest for linux/${ociArch()}`);
      const manifest = json(files, blobName(chosen.digest)) as { manifests?: Descriptor[]; layers?: Descriptor[]; config?: Descriptor };
      if (manifest.manifests) {
        index = manifest;
        continue;
      }
      if (!manifest.config || !Array.isArray(manifest.layers)) throw new Error('the OCI manifest has no config or no layers');
      return {
        format: 'oci',
        layers: manifest.layers.map((l) => blobName(l.digest)),
        config: imageConfigOf(json(files, blobName(manifest.config.digest))),
      };
    }
    throw new Error('the OCI index nests too deep');
  }
  if (files.has('manifest.json')) {
    const manifest = json(files, 'manifest.json') as Array<{ Config?: string; Layers?: string[] }>;
    const first = Array.isArray(manifest) ? manifest[0] : undefined;
    if (!first?.Config || !Array.isArray(first.Layers)) throw new Error('manifest.json of the docker save tar has no Config or Layers');
    return { format: 'docker-save', layers: first.Layers, config: imageConfigOf(json(files, first.Config)) };
  }
  throw new Error('neither an OCI image layout (oci-layout, index.json) nor a docker save tar (manifest.json)');
}

// --- streaming an archive through the applier ------------------------------------------------------------------------

/** Raised when the AbortSignal stops an import. */
export class ImportCancelled extends Error {
  constructor() {
    super('the import was cancelled');
  }
}

/** The decompressed bytes of `input` (whose first bytes say its compression). */
function decompressed(input: Readable, head: Buffer, signal: AbortSignal | undefined): { output: Readable; done: Promise<void> } {
  const kind = sniffCompression(head);
  if (kind === 'none') return { output: input, done: Promise.resolve() };
  if (kind === 'gzip') {
    const gunzip = zlib.createGunzip({ chunkSize: 1 << 20 });
    input.on('error', (e) => gunzip.destroy(e));
    return { output: input.pipe(gunzip), done: Promise.resolve() };
  }
  // xz, zstd and bzip2 by Debian's own programs (xz-utils, zstd, bzip2), reading stdin: no name of ours reaches them.
  const program = { xz: 'xz', zstd: 'zstd', bzip2: 'bzip2' }[kind];
  const child = spawn(program, ['-dc'], { stdio: ['pipe', 'pipe', 'pipe'], signal });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()).slice(-2000));
  input.pipe(child.stdin);
  child.stdin.on('error', () => undefined); // EPIPE when it stops early: its exit says why
  // A reader that stops early destroys the output (and its input, which does not end a pipe's destination): close
  // the program's stdin too, or it waits for more input forever and keeps this process alive.
  child.stdout.on('close', () => child.stdin.destroy());
  const done = new Promise<void>((resolve, reject) => {
    child.on('error', (e) => reject((e as NodeJS.ErrnoException).code === 'ENOENT' ? new Error(`${program} is needed to read this ${kind} archive (Debian package ${program === 'xz' ? 'xz-utils' : program})`) : e));
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${program} -dc failed (exit ${code}): ${stderr.trim()}`))));
  });
  return { output: child.stdout, done };
}

/** The first bytes of `file` from `offset`, enough to tell its compression. */
function readHead(file: string, offset = 0): Buffer {
  const head = Buffer.alloc(8);
  const fd = fs.openSync(file, 'r');
  try {
    return head.subarray(0, fs.readSync(fd, head, 0, 8, offset));
  } finally {
    fs.closeSync(fd);
  }
}

/** Streams one (possibly compressed) tar from `open()` into the applier. */
async function applyTar(
  open: () => Readable,
  head: Buffer,
  applier: TarApplier,
  options: ImportOptions,
  phase: string,
  total: number | undefined,
): Promise<void> {
  const input = open();
  let done = 0;
  let lastReport = 0;
  input.on('data', (chunk: Buffer) => {
    done += chunk.length;
    if (options.onProgress && (done - lastReport >= 4 << 20 || done === total)) {
      lastReport = done;
      options.onProgress({ phase, done, total });
    }
  });
  const { output, done: exited } = decompressed(input, head, options.signal);
  const parser = new TarParser(applier);
  try {
    for await (const chunk of output) {
      if (options.signal?.aborted) throw new ImportCancelled();
      parser.write(chunk as Buffer);
      if (parser.done) break;
    }
    if (options.signal?.aborted) throw new ImportCancelled();
    parser.end();
    if (!parser.done) output.destroy();
    await exited.catch((e) => {
      if (!parser.done) throw e; // a decompressor stopped because we stopped reading after the end is no error
    });
  } finally {
    applier.abort();
    input.destroy();
    output.destroy();
  }
  options.onProgress?.({ phase, done, total });
}

/** Reads the first tar entry name of a (possibly compressed) file, to tell a rootfs tar from an image tar. */
async function firstEntryName(file: string): Promise<string | undefined> {
  const input = fs.createReadStream(file, { highWaterMark: 1 << 16 });
  const { output, done } = decompressed(input, readHead(file), undefined);
  done.catch(() => undefined);
  let name: string | undefined;
  // The first entry other than the archive's own "./".
  const parser = new TarParser({
    entry: (e) => {
      if (name === undefined && e.name.replace(/^\.\/?/, '') !== '') name = e.name;
    },
    data: () => undefined,
    endEntry: () => undefined,
  });
  try {
    for await (const chunk of output) {
      parser.write(chunk as Buffer);
      if (name !== undefined || parser.done) break;
    }
  } finally {
    input.destroy();
    output.destroy();
  }
  return name;
}

/** Decompresses `file` to `to` (an image tar that was compressed: its parts are then read by offset). */
async function decompressTo(file: string, to: string, options: ImportOptions): Promise<void> {
  const input = fs.createReadStream(file, { highWaterMark: 1 << 20 });
  const { output, done } = decompressed(input, readHead(file), options.signal);
  const out = fs.createWriteStream(to, { mode: 0o600 });
  try {
    for await (const chunk of output) {
      if (options.signal?.aborted) throw new ImportCancelled();
      if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
    }
    await done;
  } finally {
    input.destroy();
    await new Promise<void>((r) => out.end(() => r()));
  }
}

// --- the import --------------------------------------------------------------------------------------------------------

/** What an unpack found: the format, the image config, the report and the owners other than root. */
export interface UnpackResult {
  format: string;
  config?: ImageConfig;
  skipped: string[];
  owners: Record<string, string>;
}

/**
 * Unpacks `source` into the existing, empty folder `target`, with `scratch` (an empty folder) for a compressed image
 * tar's decompressed copy. The part of an import that reads the untrusted archive: as root it runs in a sandbox
 * (unpackSandboxed) that can write only these two folders.
 */
export async function unpackInto(source: string, target: string, scratch: string, options: ImportOptions = {}): Promise<UnpackResult> {
  const stat = fs.statSync(source);
  const state = newApplyState();
  let format: string;
  let config: ImageConfig | undefined;
  let files: ImageFiles | undefined;
  if (stat.isDirectory()) {
    files = folderFiles(source);
  } else {
    const first = await firstEntryName(source);
    if (first === undefined) throw new Error(`${source} is not a tar archive (plain, gzip, xz, zstd or bzip2)`);
    if (looksLikeImageTar(first)) {
      if (sniffCompression(readHead(source)) === 'none') files = tarFiles(source);
      else {
        options.onProgress?.({ phase: 'read', done: 0 });
        const copy = path.join(scratch, 'image.tar');
        await decompressTo(source, copy, options);
        files = tarFiles(copy);
      }
    }
  }
  if (files) {
    const plan = imagePlan(files);
    format = plan.format;
    config = plan.config;
    for (const [i, layer] of plan.layers.entries()) {
      const applier = new TarApplier(target, state, true);
      await applyTar(() => files!.stream(layer), files.head(layer), applier, options, `layer ${i + 1}/${plan.layers.length}`, files.size(layer));
    }
  } else {
    const head = readHead(source);
    const compression = sniffCompression(head);
    format = compression === 'none' ? 'tar' : `tar+${compression}`;
    await applyTar(() => fs.createReadStream(source, { highWaterMark: 1 << 20 }), head, new TarApplier(target, state, false), options, 'unpack', stat.size);
  }
  if (options.signal?.aborted) throw new ImportCancelled();
  finishDirs(state);
  // A container needs these as mount points; images often leave them out.
  for (const dir of ['proc', 'dev', 'sys', 'tmp']) {
    try {
      fs.mkdirSync(path.join(target, dir), dir === 'tmp' ? 0o1777 : 0o755);
    } catch {
      // there already (or a file the image put there: the rootfs check says so at start)
    }
  }
  return { format, ...(config && Object.keys(config).length ? { config } : {}), skipped: state.skipped, owners: state.owners };
}

/**
 * Imports `source` (a file or folder, see the file's header) as rootfs `name` of `store`. The result's `skipped`
 * names each entry of the archive that was not written and why; the metadata records it, the image config and the
 * owners other than root. Run by root (the system store), the unpack runs in a sandbox (unpackSandboxed). Throws
 * ImportCancelled when `options.signal` aborts; then, as on any failure, nothing of the build is left.
 */
export async function importImage(source: string, store: string, name: string, options: ImportOptions = {}): Promise<ImportResult> {
  fs.statSync(source); // a missing source is said before anything is made
  const buildDir = makeBuildDir(store, name);
  const scratch = `${buildDir}.scratch`;
  try {
    fs.chmodSync(buildDir, 0o755);
    fs.mkdirSync(scratch, 0o700);
    const unpacked = process.getuid?.() === 0 && options.sandbox !== false
      ? await unpackSandboxed(path.resolve(source), buildDir, scratch, options)
      : await unpackInto(source, buildDir, scratch, options);
    if (options.signal?.aborted) throw new ImportCancelled();
    const meta: RootfsMeta = {
      version: 1,
      name,
      origin: options.origin ?? { kind: 'import', file: path.resolve(source), format: unpacked.format },
      created: new Date().toISOString(),
      ...(unpacked.config ? { config: unpacked.config } : {}),
      ...(unpacked.skipped.length ? { skipped: unpacked.skipped } : {}),
      ...(Object.keys(unpacked.owners).length ? { owners: unpacked.owners } : {}),
    };
    const where = commitBuildDir(store, buildDir, meta);
    return { path: where, meta, skipped: unpacked.skipped };
  } catch (error) {
    removeQuietly(buildDir);
    throw options.signal?.aborted ? new ImportCancelled() : error;
  } finally {
    removeQuietly(scratch);
  }
}

// --- root's import: the unpack in a sandbox --------------------------------------------------------------------------

/** The CLI (dist/cli.js), whose hidden `__unpack SOURCE TARGET SCRATCH` runs unpackInto in the sandbox. */
function workerScript(): string {
  for (const dir of [__dirname, path.join(__dirname, '..'), path.join(__dirname, '..', '..')]) {
    if (fs.existsSync(path.join(dir, 'cli.js'))) return path.join(dir, 'cli.js');
  }
  throw new Error(`the import worker (cli.js) is not beside ${__dirname}`);
}

/**
 * The bwrap command that unpacks as root without root's power: a user namespace of its own (uid 0 inside is root
 * outside only for files root owns; its mounts are locked read-only), every namespace unshared (no network), the
 * whole host read-only (the source is wherever the user has it), only `target` and `scratch` writable. No
 * capabilities. Pure.
 */
export function sandboxArgs(execPath: string, script: string, source: string, target: string, scratch: string): string[] {
  return [
    '--unshare-all', '--unshare-user', '--uid', '0', '--gid', '0', '--die-with-parent', '--new-session', '--cap-drop', 'ALL',
    '--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc',
    '--bind', target, target, '--bind', scratch, scratch,
    '--', execPath, script, '__unpack', source, target, scratch,
  ];
}

/** unpackInto run by `bwrap` (sandboxArgs): progress and the result come back as JSON lines on its stdout. */
function unpackSandboxed(source: string, target: string, scratch: string, options: ImportOptions): Promise<UnpackResult> {
  const child = spawn('bwrap', sandboxArgs(process.execPath, workerScript(), source, target, scratch), {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', ELECTRON_RUN_AS_NODE: '1' },
  });
  const abort = (): void => void child.kill('SIGKILL');
  options.signal?.addEventListener('abort', abort);
  let stderr = '';
  let result: UnpackResult | undefined;
  let buffered = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  child.stdout.on('data', (d: Buffer) => {
    buffered += d.toString();
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      try {
        const message = JSON.parse(line) as { progress?: ImportProgress; result?: UnpackResult };
        if (message.progress) options.onProgress?.(message.progress);
        if (message.result) result = message.result;
      } catch {
        // not ours: the worker writes only JSON lines
      }
    }
  });
  return new Promise((resolve, reject) => {
    child.on('error', (e) => reject((e as NodeJS.ErrnoException).code === 'ENOENT' ? new Error('bwrap (Debian package bubblewrap) is needed to import as root') : e));
    child.on('close', (code) => {
      options.signal?.removeEventListener('abort', abort);
      if (options.signal?.aborted) return reject(new ImportCancelled());
      if (code === 0 && result) return resolve(result);
      reject(new Error(stderr.trim().replace(/^mini-containers: /, '') || `the sandboxed unpack ended with exit code ${code}`));
    });
  });
}

/** The sandbox's side (cli.js __unpack): unpackInto, its progress and result as JSON lines on stdout. */
export async function unpackWorker(source: string, target: string, scratch: string): Promise<number> {
  try {
    const result = await unpackInto(source, target, scratch, {
      onProgress: (progress) => process.stdout.write(`${JSON.stringify({ progress })}\n`),
    });
    process.stdout.write(`${JSON.stringify({ result })}\n`);
    return 0;
  } catch (e) {
    process.stderr.write(`mini-containers: ${(e as Error).message}\n`);
    return 1;
  }
}

function removeQuietly(p: string): void {
  try {
    // Folders made read-only by the archive are made writable first: rm cannot empty them otherwise (rootless).
    fs.rmSync(p, { recursive: true, force: true, maxRetries: 0 });
  } catch {
    try {
      fs.chmodSync(p, 0o700);
      fs.rmSync(p, { recursive: true, force: true });
    } catch {
      // left for the user: the log says where
    }
  }
}

export type { ApplyState };
