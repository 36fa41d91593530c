// Reads the records the privileged helper keeps for the containers it started:
// /run/mini-containers/containers/<initHostPid>-<startTime>.json, one JSON object each, removed at exit.
// The files are written by root but their content is still parsed defensively: a half-written or foreign
// file must never break the tree, so anything unexpected is skipped and retried on the next read.

import { statSync } from 'node:fs';
import { parseStartedRecord, type StartedEvent } from './helperProtocol';
import { ProcFs, errorCode, nodeFs } from '../proc/procReader';

/** Where the helper writes its records when it runs as root. */
export const DEFAULT_REGISTRY_DIR = '/run/mini-containers/containers';

/**
 * Where the helper, run rootless by user `uid`, writes its records: `$XDG_RUNTIME_DIR/mini-containers/containers`
 * when that is an absolute path to a folder of that user's, else `/tmp/mini-containers-UID/containers` (the
 * helper's own rule, `[ -d ] && [ -O ]`). `ownerOf` gives the owner of a folder (following links), or undefined.
 */
export function userRegistryDir(env: NodeJS.ProcessEnv, uid: number, ownerOf: (dir: string) => number | undefined = folderOwner): string {
  const base = env.XDG_RUNTIME_DIR;
  return base && base.startsWith('/') && !/[\x00-\x1f\x7f]/.test(base) && ownerOf(base) === uid
    ? `${base}/mini-containers/containers`
    : `/tmp/mini-containers-${uid}/containers`;
}

function folderOwner(dir: string): number | undefined {
  try {
    const stat = statSync(dir);
    return stat.isDirectory() ? stat.uid : undefined;
  } catch {
    return undefined;
  }
}

/** What the helper recorded about a container it started: its "started" record. */
export type ContainerRecord = StartedEvent;

/** The key of a container: its init's host PID and start time, because the kernel reuses both PIDs and namespace inodes. */
export function containerKey(initHostPid: number, startTime: number): string {
  return `${initHostPid}:${startTime}`;
}

/** Parses one record file's text with the status file's parser; undefined for anything that is not a complete record. */
export function parseRecord(text: string): ContainerRecord | undefined {
  try {
    return parseStartedRecord(JSON.parse(text));
  } catch {
    return undefined; // half-written (the helper is still writing it) or not ours
  }
}

/**
 * The helper's records, re-listed on every `read()`. A file is parsed once: records never change while their
 * container runs, and the file name (PID and start time) changes with the container.
 */
export class ContainerRegistry {
  private cache = new Map<string, ContainerRecord>();
  /** Why the last `read()` found no directory listing, other than the directory not existing; else undefined. */
  lastError: Error | undefined;

  constructor(
    readonly dir: string = DEFAULT_REGISTRY_DIR,
    private readonly fs: ProcFs = nodeFs,
  ) {}

  /** Every valid record, by `containerKey`. A missing directory means no records. */
  read(): Map<string, ContainerRecord> {
    this.lastError = undefined;
    let names: string[];
    try {
      names = this.fs.readdirSync(this.dir);
    } catch (e) {
      const code = errorCode(e);
      if (code !== 'ENOENT' && code !== 'ENOTDIR') this.lastError = e as Error;
      this.cache.clear();
      return new Map();
    }
    const fresh = new Map<string, ContainerRecord>();
    const records = new Map<string, ContainerRecord>();
    for (const name of names) {
      const record = this.cache.get(name) ?? this.load(name);
      if (record === undefined) continue;
      fresh.set(name, record);
      records.set(containerKey(record.initPid, record.startTime), record);
    }
    this.cache = fresh;
    return records;
  }

  private load(name: string): ContainerRecord | undefined {
    if (!name.endsWith('.json')) return undefined;
    let text: string;
    try {
      text = this.fs.readFileSync(`${this.dir}/${name}`).toString('utf8');
    } catch {
      return undefined; // removed between listing and reading: the container just ended
    }
    const record = parseRecord(text);
    // The name must agree with the content, or a copied file could name the wrong container.
    if (record === undefined || name !== `${record.initPid}-${record.startTime}.json`) return undefined;
    return record;
  }
}
