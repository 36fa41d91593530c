// `mini-containers rootfs import FILE|DIR [--name NAME] [--store DIR]`: see imageImport.ts for what it reads.
import * as path from 'node:path';
import { defaultRootfsName, importImage } from './core/rootfs/imageImport';
import { makeRootfsFromCli } from './cliRootfs';
import { SYSTEM_STORE, defaultStore } from './core/rootfs/rootfsStore';

export const IMPORT_USAGE = `rootfs import FILE|DIR [--name NAME] [--store DIR]
             import a root filesystem: a tar (plain, gzip, xz, zstd) of one, an OCI image layout (folder or
             tar) or a docker save tar, into the store as NAME (the file's name by default); the store is
             yours (~/.local/share/mini-containers/rootfs), root's is the system store ${SYSTEM_STORE}
             (for shells run through sudo or pkexec; as root the archive is read in a sandbox). Entries that could write outside it (.., absolute names, links) and device
             nodes are skipped and listed`;

/** Runs the import; exit status 0 done, 1 failed, 130 cancelled (Ctrl-C), 2 usage. */
export async function rootfsImport(args: string[], usage: () => void): Promise<number> {
  let source: string | undefined;
  let name: string | undefined;
  let store = defaultStore(process.env);
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--name' && args[i + 1]) name = args[++i];
    else if (args[i] === '--store' && args[i + 1]) store = path.resolve(args[++i]);
    else if (!args[i].startsWith('-') && source === undefined) source = args[i];
    else return (usage(), 2);
  }
  if (!source) return (usage(), 2);
  return makeRootfsFromCli(
    (signal, say) => importImage(source!, store, name ?? defaultRootfsName(source!), {
      signal, onProgress: ({ phase, done, total }) => say(`${phase}: ${mb(done)}${total ? ` of ${mb(total)}` : ''}`),
    }),
    (result) => result.skipped.forEach((line) => process.stderr.write(`skipped ${line}\n`)),
  );
}

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}
