// PLACEHOLDER FOR IMPORT'S MODULE, written by PULL so that pulling can be built and tested before IMPORT's work is
// merged: the lead keeps IMPORT's file (same signature) and drops this one. It only knows an OCI image layout folder
// (what `skopeo copy … oci:DIR` writes), applies its layers in order with GNU tar, honours whiteouts (`.wh.NAME`,
// `.wh..wh..opq`) and records the image config. It does NOT do what IMPORT's must for untrusted archives (a link
// then a file through it, hard links out, device nodes, control characters): GNU tar's own defaults only (leading
// "/" stripped, ".." members refused).
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { commitBuildDir, makeBuildDir, type ImageConfig, type RootfsMeta, type RootfsOrigin } from './rootfsStore';

export interface ImportOptions {
  onProgress?: (p: { phase: string; done: number; total?: number }) => void;
  signal?: AbortSignal;
  origin?: RootfsOrigin;
}

interface Descriptor { mediaType?: string; digest: string; size?: number; platform?: { architecture?: string; os?: string } }

function blobPath(layout: string, digest: string): string {
  const m = /^([a-z0-9]+):([a-f0-9]{32,128})$/.exec(digest);
  if (!m) throw new Error(`invalid digest ${digest}`);
  return path.join(layout, 'blobs', m[1], m[2]);
}

function readJson<T>(file: string): T {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
}

/** The first image manifest of the layout (an index inside is followed, to its first amd64/host entry). */
function findManifest(layout: string): { layers: Descriptor[]; config: Descriptor } {
  let index = readJson<{ manifests?: Descriptor[] }>(path.join(layout, 'index.json'));
  for (let depth = 0; depth < 4; depth++) {
    const entries = index.manifests ?? [];
    const arch = process.arch === 'x64' ? 'amd64' : process.arch;
    const entry = entries.find((d) => d.platform?.architecture === arch) ?? entries[0];
    if (!entry) throw new Error('the OCI layout names no manifest');
    const doc = readJson<{ manifests?: Descriptor[]; layers?: Descriptor[]; config?: Descriptor }>(blobPath(layout, entry.digest));
    if (doc.manifests) {
      index = doc;
      continue;
    }
    if (!doc.config || !doc.layers) throw new Error(`${entry.digest} is not an image manifest`);
    return { layers: doc.layers, config: doc.config };
  }
  throw new Error('the OCI layout nests indexes too deeply');
}

function run(args: string[], signal: AbortSignal | undefined): Promise<string> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new Error('cancelled'));
    const child = spawn('tar', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    const abort = () => child.kill('SIGTERM');
    signal?.addEventListener('abort', abort, { once: true });
    child.on('error', reject);
    child.on('close', (code) => {
      signal?.removeEventListener('abort', abort);
      if (signal?.aborted) reject(new Error('cancelled'));
      else if (code === 0) resolve(out);
      else reject(new Error(`tar ${args[0]} failed (exit ${code}): ${err.trim()}`));
    });
  });
}

/** Applies one layer: whiteouts first (they delete what lower layers made), then every other entry. */
async function applyLayer(blob: string, target: string, signal: AbortSignal | undefined): Promise<void> {
  const names = (await run(['-tf', blob], signal)).split('\n').filter(Boolean);
  for (const name of names) {
    const clean = path.normalize(name.replace(/^\/+/, ''));
    if (clean.startsWith('..')) continue;
    const base = path.basename(clean);
    const dir = path.join(target, path.dirname(clean));
    if (base === '.wh..wh..opq') {
      for (const child of fs.existsSync(dir) ? fs.readdirSync(dir) : []) fs.rmSync(path.join(dir, child), { recursive: true, force: true });
    } else if (base.startsWith('.wh.')) {
      fs.rmSync(path.join(dir, base.slice(4)), { recursive: true, force: true });
    }
  }
  await run(['-xf', blob, '-C', target, '--exclude=.wh.*', '--no-same-owner'], signal);
}

/** IMPORT's signature; see the header: a placeholder that knows OCI layout folders only. */
export async function importImage(source: string, store: string, name: string, options: ImportOptions = {}): Promise<{ path: string; meta: RootfsMeta; skipped: string[] }> {
  const { layers, config } = findManifest(source);
  const raw = readJson<{ config?: { Env?: string[]; WorkingDir?: string; User?: string; Entrypoint?: string[]; Cmd?: string[] } }>(blobPath(source, config.digest)).config ?? {};
  const build = makeBuildDir(store, name);
  try {
    for (const [i, layer] of layers.entries()) {
      options.onProgress?.({ phase: 'layer', done: i, total: layers.length });
      await applyLayer(blobPath(source, layer.digest), build, options.signal);
    }
    options.onProgress?.({ phase: 'layer', done: layers.length, total: layers.length });
    fs.chmodSync(build, 0o755);
    const imageConfig: ImageConfig = {
      ...(raw.Env ? { env: raw.Env } : {}),
      ...(raw.WorkingDir ? { workingDir: raw.WorkingDir } : {}),
      ...(raw.User ? { user: raw.User } : {}),
      ...(raw.Entrypoint ? { entrypoint: raw.Entrypoint } : {}),
      ...(raw.Cmd ? { cmd: raw.Cmd } : {}),
    };
    const meta: RootfsMeta = { version: 1, name, origin: options.origin ?? { kind: 'import', file: source, format: 'oci-layout' }, created: new Date().toISOString(), config: imageConfig };
    return { path: commitBuildDir(store, build, meta), meta, skipped: [] };
  } catch (error) {
    fs.rmSync(build, { recursive: true, force: true });
    throw error;
  }
}
