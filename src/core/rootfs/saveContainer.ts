// Save Changes: the current tree of a running throw-away container written as a new root filesystem (what `docker
// commit` does). GNU tar reads the container's root through /proc/PID1/root — the overlay as the container sees it,
// its own changes included — staying on that one filesystem (--one-file-system: /proc, /dev, tmpfs and folders
// bound in, such as the workspace, are left out, as `docker commit` leaves out volumes) and never following a link
// (tar walks with openat and O_NOFOLLOW, so a container that swaps a folder for a link mid-walk cannot make it read
// the host). The tarball is then imported by the one importer (imageImport.ts), which treats it as hostile. It runs
// with the caller's own rights: a rootless container's user reads their container; a container of root's needs root.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ImportCancelled, importImage } from './imageImport';
import type { RootfsMeta } from './rootfsStore';
import { parseStat } from '../proc/procParse';

export interface SaveOptions {
  /** The container's name, for the metadata (origin "saved from NAME"). */
  from: string;
  onProgress?: (p: { phase: 'reading' | 'importing'; done: number; total?: number }) => void;
  signal?: AbortSignal;
}

/** Field 22 of /proc/PID/stat, or undefined when PID is gone. */
function startTimeOf(pid: number): number | undefined {
  try {
    return parseStat(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'))?.startTime;
  } catch {
    return undefined;
  }
}

/** Saves the tree of the container whose PID 1 is `initPid` (started at `startTime`) as `name` in `store`. */
export async function saveContainer(
  initPid: number, startTime: number, store: string, name: string, options: SaveOptions,
): Promise<{ path: string; meta: RootfsMeta }> {
  if (!Number.isSafeInteger(initPid) || initPid < 2 || startTimeOf(initPid) !== startTime) {
    throw new Error(`the container (PID 1 = host PID ${initPid}) is no longer running`);
  }
  fs.mkdirSync(store, { recursive: true, mode: 0o700 });
  if (fs.existsSync(path.join(store, name))) throw new Error(`${path.join(store, name)} already exists`);
  const scratch = fs.mkdtempSync(path.join(store, `.save-${name}-`));
  const tarball = path.join(scratch, 'tree.tar');
  try {
    await runTar(['--one-file-system', '--numeric-owner', '-C', `/proc/${initPid}/root`, '-cf', tarball, '.'], tarball, options);
    // The same process all along: a PID reused during the read would have been another tree.
    if (startTimeOf(initPid) !== startTime) throw new Error(`the container (PID 1 = host PID ${initPid}) ended while it was read`);
    options.onProgress?.({ phase: 'importing', done: 0 });
    const result = await importImage(tarball, store, name, {
      signal: options.signal,
      origin: { kind: 'saved', from: options.from },
      onProgress: (p) => options.onProgress?.({ phase: 'importing', done: p.done, total: p.total }),
    });
    return { path: result.path, meta: result.meta };
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

function runTar(args: string[], tarball: string, options: SaveOptions): Promise<void> {
  if (options.signal?.aborted) return Promise.reject(new ImportCancelled());
  const child = spawn('tar', args, { stdio: ['ignore', 'ignore', 'pipe'], signal: options.signal });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const timer = setInterval(() => {
    try {
      options.onProgress?.({ phase: 'reading', done: fs.statSync(tarball).size });
    } catch {
      // not made yet
    }
  }, 250);
  return new Promise<void>((resolve, reject) => {
    child.on('error', (e) => reject(options.signal?.aborted ? new ImportCancelled() : e));
    child.on('close', (code) => {
      clearInterval(timer);
      if (options.signal?.aborted) return reject(new ImportCancelled());
      // 1: "some files differ" (changed while read): the tree is still whole enough to save, as docker commit does.
      if (code === 0 || code === 1) return resolve();
      reject(new Error(`tar could not read the container's tree (exit ${code}): ${stderr.trim().split('\n').slice(-3).join(' ')}`));
    });
  });
}
