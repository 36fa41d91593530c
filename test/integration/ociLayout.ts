// OCI image layouts the pull tests push to their local registry: built here from a BusyBox rootfs, one image per
// platform (a multi-arch index when there are several), each with a second layer of files of its own, so that a
// test can tell which platform's image it got and that every layer was applied.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface TestImage {
  /** The OCI architecture (amd64, arm64…). */
  arch: string;
  /** A folder whose whole tree is the first layer (a BusyBox rootfs). */
  rootfs: string;
  /** Files of the second layer: path inside → content. */
  files: Record<string, string | Buffer>;
  env?: string[];
  cmd?: string[];
  workingDir?: string;
}

interface Descriptor { mediaType: string; digest: string; size: number; platform?: { architecture: string; os: string }; annotations?: Record<string, string> }

/** Writes `content` as a blob of the layout; its descriptor. */
function putBlob(layout: string, mediaType: string, content: Buffer | string): Descriptor {
  const data = Buffer.isBuffer(content) ? content : Buffer.from(content);
  const hex = createHash('sha256').update(data).digest('hex');
  fs.writeFileSync(path.join(layout, 'blobs', 'sha256', hex), data);
  return { mediaType, digest: `sha256:${hex}`, size: data.length };
}

/** A plain tar of `dir`'s tree, numeric owners root. */
function tarOf(dir: string): Buffer {
  return execFileSync('tar', ['-C', dir, '--numeric-owner', '--owner=0', '--group=0', '-cf', '-', '.'], { maxBuffer: 1 << 30 });
}

function imageManifest(layout: string, image: TestImage, scratch: string): Descriptor {
  const extra = path.join(scratch, `layer-${image.arch}`);
  fs.mkdirSync(extra, { recursive: true });
  for (const [file, content] of Object.entries(image.files)) {
    fs.mkdirSync(path.dirname(path.join(extra, file)), { recursive: true });
    fs.writeFileSync(path.join(extra, file), content);
  }
  const tars = [tarOf(image.rootfs), tarOf(extra)];
  const layers = tars.map((t) => putBlob(layout, 'application/vnd.oci.image.layer.v1.tar', t));
  const config = putBlob(layout, 'application/vnd.oci.image.config.v1+json', JSON.stringify({
    architecture: image.arch,
    os: 'linux',
    config: { Env: image.env ?? ['PATH=/bin'], Cmd: image.cmd ?? ['/bin/sh'], ...(image.workingDir ? { WorkingDir: image.workingDir } : {}) },
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) },
  }));
  const manifest = putBlob(layout, 'application/vnd.oci.image.manifest.v1+json', JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config, layers,
  }));
  return { ...manifest, platform: { architecture: image.arch, os: 'linux' } };
}

/**
 * An OCI layout at `layout` (made, must not exist) whose tag `tag` is the one image, or an index of all of them.
 * `scratch` is a folder for the layers' files (kept by the caller's temp folder).
 */
export function buildOciLayout(layout: string, tag: string, images: TestImage[], scratch: string): void {
  fs.mkdirSync(path.join(layout, 'blobs', 'sha256'), { recursive: true });
  fs.writeFileSync(path.join(layout, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  const manifests = images.map((image) => imageManifest(layout, image, scratch));
  const top = manifests.length === 1
    ? { mediaType: manifests[0].mediaType, digest: manifests[0].digest, size: manifests[0].size }
    : putBlob(layout, 'application/vnd.oci.image.index.v1+json', JSON.stringify({
      schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests,
    }));
  fs.writeFileSync(path.join(layout, 'index.json'), JSON.stringify({
    schemaVersion: 2, manifests: [{ ...top, annotations: { 'org.opencontainers.image.ref.name': tag } }],
  }));
}
