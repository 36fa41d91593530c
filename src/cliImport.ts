// `mini-containers rootfs import FILE|DIR [--name NAME] [--system]`: see imageImport.ts for what it reads.
import * as os from 'node:os';
import { defaultRootfsName, importImage, ImportCancelled } from './core/rootfs/imageImport';
import { SYSTEM_STORE, userStoreDir } from './core/rootfs/rootfsStore';

export const IMPORT_USAGE = `rootfs import FILE|DIR [--name NAME] [--system]
             import a root filesystem: a tar (plain, gzip, xz, zstd) of one, an OCI image layout (folder or
             tar) or a docker save tar, into your store (~/.local/share/mini-containers/rootfs/NAME); --system,
             as root: into the system store ${SYSTEM_STORE}, for shells run through sudo or pkexec. NAME: the
             file's name by default. Entries that could write outside it (.., absolute names, links) and device
             nodes are skipped and listed`;

/** Runs the import; exit status 0 done, 1 failed or cancelled (Ctrl-C), 2 usage. */
export async function rootfsImport(args: string[], usage: () => void): Promise<number> {
  let source: string | undefined;
  let name: string | undefined;
  let system = false;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--name' && args[i + 1]) name = args[++i];
    else if (args[i] === '--system') system = true;
    else if (!args[i].startsWith('-') && source === undefined) source = args[i];
    else return (usage(), 2);
  }
  if (!source) return (usage(), 2);
  if (system && process.getuid?.() !== 0) {
    process.stderr.write('mini-containers: --system needs root (sudo mini-containers rootfs import ... --system)\n');
    return 1;
  }
  const store = system ? SYSTEM_STORE : userStoreDir(process.env, os.homedir());
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
