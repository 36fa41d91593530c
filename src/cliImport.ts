// `mini-containers rootfs import FILE|DIR [--name NAME] [--store DIR]`: see imageImport.ts for what it reads.
import * as path from 'node:path';
import { defaultRootfsName, importImage, ImportCancelled } from './core/rootfs/imageImport';
import { SYSTEM_STORE, defaultStore } from './core/rootfs/rootfsStore';

export const IMPORT_USAGE = `rootfs import FILE|DIR [--name NAME] [--store DIR]
             import a root filesystem: a tar (plain, gzip, xz, zstd) of one, an OCI image layout (folder or
             tar) or a docker save tar, into the store as NAME (the file's name by default); the store is
             yours (~/.local/share/mini-containers/rootfs), root's is the system store ${SYSTEM_STORE}
             (for shells run through sudo or pkexec; as root the archive is read in a sandbox). Entries that could write outside it (.., absolute names, links) and device
             nodes are skipped and listed`;

/** Runs the import; exit status 0 done, 1 failed or cancelled (Ctrl-C), 2 usage. */
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
  const controller = new AbortController();
  const onSignal = (): void => controller.abort();
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
  let last = '';
  try {
    const result = await importImage(source, store, name ?? defaultRootfsName(source), {
      signal: controller.signal,
      onProgress: ({ phase, done, total }) => {
        const line = `${phase}: ${mb(done)}${total ? ` of ${mb(total)}` : ''}`;
        if (line !== last) process.stderr.write(`${line}\n`);
        last = line;
      },
    });
    for (const line of result.skipped) process.stderr.write(`skipped ${line}\n`);
    process.stdout.write(`${result.path}\n`);
    return 0;
  } catch (e) {
    process.stderr.write(`mini-containers: ${e instanceof ImportCancelled ? 'cancelled: nothing was left' : (e as Error).message}\n`);
    return 1;
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
  }
}

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}
