// A BusyBox root filesystem for the tests, made by the project's own CLI, and its safe removal.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, realpathSync, rmdirSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ROOTFS_STORE } from '../../src/core/helper/helperProtocol';
import { onInterrupt } from './cleanup';
import { projectRoot } from './codeServerInstall';
import { killProcessesRootedIn } from './hostProcesses';

const cliPath = join(projectRoot, 'dist', 'cli.js');

/** `node dist/cli.js make-rootfs DIR`, or an error saying what is missing. */
export function makeRootfs(dir: string): void {
  if (!existsSync(cliPath)) throw new Error(`${cliPath} is missing: run \`npm run build\` first.`);
  const result = spawnSync(process.execPath, [cliPath, 'make-rootfs', dir], { encoding: 'utf8', timeout: 120_000 });
  if (result.error) throw new Error(`node dist/cli.js make-rootfs ${dir} could not run: ${result.error.message}`);
  if (result.status !== 0) {
    throw new Error(
      `node dist/cli.js make-rootfs ${dir} failed (${result.signal ?? `exit ${result.status}`}). dist/cli.js must ` +
        `provide \`make-rootfs DIR\` (built from src/cli.ts).\n${result.stdout}${result.stderr}`,
    );
  }
  if (!existsSync(join(dir, 'bin', 'sh'))) throw new Error(`make-rootfs reported success but ${dir}/bin/sh is missing`);
}

/** Mount points at or below `dir` in our mount namespace (the helper's proc and /dev should never show here). */
export function mountsUnder(dir: string): string[] {
  const real = realpathSync(dir);
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((point): point is string => point !== undefined)
    .map((point) => point.replace(/\\(\d{3})/g, (_m, octal: string) => String.fromCharCode(parseInt(octal, 8))))
    .filter((point) => point === real || point.startsWith(`${real}/`));
}

/** Throws unless nothing is mounted at or below `dir`. */
function assertNothingMounted(dir: string): void {
  const mounts = mountsUnder(dir);
  if (mounts.length) throw new Error(`not removing ${dir}: still mounted there: ${mounts.join(', ')}`);
}

/**
 * Removes a test folder holding a rootfs. Refuses while anything is mounted inside it: a recursive delete would
 * walk into a leaked proc or a bind-mounted /dev and delete the host's files.
 */
async function removeRootfsFolder(dir: string): Promise<void> {
  if (!existsSync(dir)) return;
  assertNothingMounted(dir);
  await rm(dir, { recursive: true, force: true });
}

export interface TestRootfs {
  /** The temp folder holding the rootfs; removed by dispose(). */
  readonly dir: string;
  readonly rootfs: string;
  /** Kills what still runs chrooted in the rootfs (saying so: it means a container outlived its test), removes it all. */
  dispose(): Promise<void>;
}

/** A fresh BusyBox rootfs in a temp folder, cleaned up by dispose() or, if interrupted, on exit. */
export async function createTestRootfs(prefix: string, name: string): Promise<TestRootfs> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const rootfs = join(dir, name);
  const unregister = onInterrupt(() => {
    killProcessesRootedIn(rootfs);
    assertNothingMounted(dir);
    rmSync(dir, { recursive: true, force: true });
  });
  const dispose = async () => {
    unregister();
    const leftovers = killProcessesRootedIn(rootfs);
    if (leftovers.length) console.error(`killed processes still running in ${rootfs}: ${leftovers.join(', ')}`);
    await removeRootfsFolder(dir);
  };
  try {
    makeRootfs(rootfs);
  } catch (err) {
    await dispose();
    throw err;
  }
  return { dir, rootfs, dispose };
}

/** The project's helper, which makes the system store's root filesystems. */
const helperPath = join(projectRoot, 'src', 'helper', 'container-helper.sh');

/**
 * A BusyBox rootfs `ROOTFS_STORE/<prefix><random>` in the system store, root's, made as root with the helper's
 * `make-rootfs` (the only kind of rootfs a user may start through sudo). dispose() kills what still runs in it and
 * removes it, and the store's folders when this call created them and they are empty again.
 */
export function createStoreRootfs(prefix: string): TestRootfs {
  const name = `${prefix}${randomBytes(3).toString('hex')}`;
  const made = [ROOTFS_STORE, dirname(ROOTFS_STORE)].filter((dir) => !existsSync(dir));
  const rootfs = join(ROOTFS_STORE, name);
  const removeNow = () => {
    const leftovers = killProcessesRootedIn(rootfs);
    if (leftovers.length) console.error(`killed processes still running in ${rootfs}: ${leftovers.join(', ')}`);
    if (existsSync(rootfs)) {
      assertNothingMounted(rootfs);
      rmSync(rootfs, { recursive: true, force: true });
    }
    for (const dir of made) {
      try {
        rmdirSync(dir);
      } catch {
        // another test's rootfs is there now, or it is gone already
      }
    }
  };
  const unregister = onInterrupt(removeNow);
  const dispose = async () => {
    unregister();
    removeNow();
  };
  const result = spawnSync('/bin/sh', [helperPath, 'make-rootfs', '--name', name], { encoding: 'utf8', timeout: 60_000 });
  if (result.status !== 0 || result.stdout.trim() !== rootfs) {
    removeNow();
    unregister();
    throw new Error(`sh ${helperPath} make-rootfs --name ${name} failed (${result.error?.message ?? result.signal ?? `exit ${result.status}`}):\n${result.stdout}${result.stderr}`);
  }
  return { dir: rootfs, rootfs, dispose };
}
