// `mini-containers rootfs pull REFERENCE [--name NAME] [--store DIR]`: an image from a registry (skopeo), imported as
// a root filesystem of a store (imagePull.ts).
import * as path from 'node:path';
import { pullImage, type PullProgress } from './core/rootfs/imagePull';
import { defaultStore } from './core/rootfs/rootfsStore';
import { makeRootfsFromCli } from './cliRootfs';

export const PULL_USAGE = `rootfs pull REFERENCE [--name NAME] [--store DIR]
             pull an image (docker.io/library/debian:bookworm, alpine:3.20, ghcr.io/OWNER/IMAGE:TAG,
             NAME@sha256:…) with skopeo, for this host's architecture, with your docker/podman login, into
             the store as NAME (default: from the reference); the store is yours (~/.local/share/
             mini-containers/rootfs), root's is the system store /var/lib/mini-containers/rootfs;
             a registry on localhost or 127.0.0.1 is spoken to over plain HTTP; prints the rootfs path`;

export async function rootfsPull(args: string[], usage: () => void): Promise<number> {
  let reference: string | undefined;
  let name: string | undefined;
  let store = defaultStore(process.env);
  let bad = false;
  for (let i = 0; i < args.length; i++) {
    const value = args[i + 1];
    if (args[i] === '--name' && value) name = args[++i];
    else if (args[i] === '--store' && value) store = path.resolve(args[++i]);
    else if (!args[i].startsWith('-') && reference === undefined) reference = args[i];
    else bad = true;
  }
  if (!reference || bad) return (usage(), 2);
  const line = (p: PullProgress) => p.phase === 'download'
    ? `downloading: ${(p.done / 1e6).toFixed(1)} MB, ${p.layersDone ?? 0} of ${p.layers ?? 0} blobs stored`
    : `${p.phase}: ${p.done}${p.total === undefined ? '' : ` of ${p.total}`}`;
  return makeRootfsFromCli(
    (signal, say) => pullImage(reference!, store, name, { signal, onProgress: (p) => say(line(p)) }),
    (result) => {
      process.stderr.write(`pulled ${result.meta.origin.kind === 'pull' ? result.meta.origin.reference : reference} (${result.digest})\n`);
      for (const s of result.skipped) process.stderr.write(`skipped: ${s}\n`);
    },
  );
}
