// `mini-containers rootfs list [--json]` and `mini-containers rootfs rm NAME`: the Root Filesystems view's list and
// Delete in a terminal, with the same refusals. The CLI knows no VS Code setting, so it lists the two stores only.
import { parsePasswd } from './core/proc/procParse';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { diskUsage, formatSize, lastUsedFile, listRootfs, forgetLastUsed, originText, readLastUsed, toListJson } from './core/rootfs/rootfsInventory';
import { removeRootfs, runningRootfsUsers } from './core/rootfs/rootfsRemove';
import { ROOTFS_NAME, SYSTEM_STORE, listStore, userStoreDir } from './core/rootfs/rootfsStore';

function userStore(): string {
  return userStoreDir(process.env, os.homedir());
}

function systemStore(): string {
  return SYSTEM_STORE;
}

function userNames(): Map<number, string> {
  try {
    return parsePasswd(fs.readFileSync('/etc/passwd', 'utf8'));
  } catch {
    return new Map();
  }
}

export async function rootfsList(json: boolean): Promise<number> {
  const entries = listRootfs({
    userStore: userStore(), systemStore: systemStore(), configured: '', lastUsed: readLastUsed(lastUsedFile(process.env, os.homedir())),
  });
  const sizes = new Map<string, number | undefined>();
  await Promise.all(entries.map(async (e) => sizes.set(e.path, await diskUsage(e.path).catch(() => undefined))));
  const names = userNames();
  if (json) {
    process.stdout.write(`${JSON.stringify(toListJson(entries, sizes, (uid) => names.get(uid)))}\n`);
    return 0;
  }
  const rows = [['NAME', 'STORE', 'SIZE', 'LAST USED', 'OWNER', 'ORIGIN', 'PATH']];
  for (const e of entries) {
    const size = sizes.get(e.path);
    rows.push([e.name, e.place, size === undefined ? '?' : formatSize(size), e.lastUsed?.replace(/\.\d+Z$/, 'Z') ?? '-',
      names.get(e.uid) ?? String(e.uid), originText(e.origin), e.path]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const r of rows) process.stdout.write(`${r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ')}\n`);
  return 0;
}

/**
 * Removes NAME: as root from the system store (else root's own store); as a user from their store. A user naming a
 * rootfs of the system store is told the sudo command line that removes it.
 */
export async function rootfsRm(name: string): Promise<number> {
  if (!ROOTFS_NAME.test(name)) {
    process.stderr.write(`mini-containers: "${name}" is no root filesystem name\n`);
    return 2;
  }
  const uid = process.getuid?.() ?? 0;
  const stores = uid === 0 ? [systemStore(), userStore()] : [userStore()];
  const store = stores.find((s) => listStore(s).includes(name) || isLinkAt(s, name)) ?? stores[0];
  if (uid !== 0 && !listStore(store).includes(name) && fs.existsSync(`${systemStore()}/${name}`)) {
    process.stderr.write(`mini-containers: ${systemStore()}/${name} is in the system store, which only root can change: run\n  sudo "$(command -v mini-containers)" rootfs rm ${name}\n`);
    return 1;
  }
  try {
    await removeRootfs(store, name, { users: () => runningRootfsUsers(process.env, uid) });
    forgetLastUsed(lastUsedFile(process.env, os.homedir()), `${store}/${name}`);
    process.stderr.write(`removed ${store}/${name}\n`);
    return 0;
  } catch (e) {
    process.stderr.write(`mini-containers: ${(e as Error).message}\n`);
    return 1;
  }
}

function isLinkAt(store: string, name: string): boolean {
  try {
    return fs.lstatSync(`${store}/${name}`).isSymbolicLink();
  } catch {
    return false;
  }
}

/**
 * Runs what makes a rootfs from the command line: Ctrl-C (SIGINT) or SIGTERM aborts its signal; `say` prints each
 * progress line once; the new rootfs's path goes to stdout. Exit status 0 made, 1 failed (why on stderr), 130
 * cancelled (nothing left).
 */
export async function makeRootfsFromCli<R extends { path: string }>(
  make: (signal: AbortSignal, say: (line: string) => void) => Promise<R>, report: (result: R) => void = () => undefined,
): Promise<number> {
  const controller = new AbortController();
  const onSignal = (): void => controller.abort();
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
  let said = '';
  try {
    const result = await make(controller.signal, (line) => line !== said && process.stderr.write(`${(said = line)}\n`));
    report(result);
    process.stdout.write(`${result.path}\n`);
    return 0;
  } catch (e) {
    process.stderr.write(`mini-containers: ${controller.signal.aborted ? 'cancelled: nothing was left' : (e as Error).message}\n`);
    return controller.signal.aborted ? 130 : 1;
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
  }
}
