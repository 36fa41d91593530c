// What a new shell on an imported or pulled image runs by default: the image's Entrypoint and Cmd, in its
// WorkingDir, with its Env, as `docker run IMAGE` does. Read from the rootfs's metadata (NAME.json beside it) when
// the rootfs lies in a store; nothing for any other folder. No vscode: the CLI and the tests use it too.
import * as os from 'node:os';
import * as path from 'node:path';
import { envArguments, insidePathProblem, type StartRequest } from '../core/helper/helperProtocol';
import { readMeta, SYSTEM_STORE, userStoreDir, type ImageConfig } from '../core/rootfs/rootfsStore';

export type ImageDefaults = Pick<StartRequest, 'command' | 'workdir' | 'env'>;

/** The start options an image config gives; what the helper would refuse (a relative WorkingDir…) is left out. Pure. */
export function defaultsFromConfig(config: ImageConfig | undefined): ImageDefaults | undefined {
  if (!config) return undefined;
  const out: { command?: string[]; workdir?: string; env?: string[] } = {};
  const command = [...(config.entrypoint ?? []), ...(config.cmd ?? [])];
  if (command.length) out.command = command;
  if (config.workingDir && config.workingDir !== '/' && !insidePathProblem(config.workingDir.replace(/\/+$/, ''))) {
    out.workdir = config.workingDir.replace(/\/+$/, '');
  }
  const env = (config.env ?? []).filter((kv) => {
    try {
      envArguments([kv]);
      return true;
    } catch {
      return false;
    }
  });
  // The first of a key twice wins, as the helper refuses a second.
  const seen = new Set<string>();
  const unique = env.filter((kv) => {
    const key = kv.slice(0, kv.indexOf('='));
    return seen.has(key) ? false : (seen.add(key), true);
  });
  if (unique.length) out.env = unique.slice(0, 128);
  return Object.keys(out).length ? out : undefined;
}

/** The defaults of `rootfs` when it is a rootfs of the user's store or the system store with an image config. */
export function imageDefaults(rootfs: string, env: NodeJS.ProcessEnv = process.env, home = os.homedir()): ImageDefaults | undefined {
  const store = path.dirname(rootfs);
  if (store !== SYSTEM_STORE && store !== userStoreDir(env, home)) return undefined;
  return defaultsFromConfig(readMeta(store, path.basename(rootfs))?.config);
}
