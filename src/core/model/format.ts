// Output of `mini-containers ps`: the JSON document and a `podman top`-like table.

import type { ContainerModel } from './containerModel';
import { type ContainerUsage, type ProcessUsage, processKey } from '../proc/cgroupUsage';
import { commandText } from './treeText';

/** One process in `ps --json`. */
export interface PsProcessJson {
  /** PID in the host's namespace. */
  hostPid: number;
  /** PID inside the container's namespace; null when it could not be read. */
  nsPid: number | null;
  /** Host PID of the parent. */
  ppid: number;
  /** User name (or UID); null when it could not be read. */
  user: string | null;
  /** One-letter state, as ps's STAT. */
  state: string;
  /** Command line, or `[comm]`. */
  command: string;
  /** Stat field 22: clock ticks after boot. */
  startTime: number;
  /** Resident memory, in bytes. */
  rssBytes: number;
  /** CPU in use, 100 = one core: on average since it started (ps reads once), or since the previous reading. */
  cpuPercent: number | null;
}

/** One container in `ps --json`. */
export interface PsContainerJson {
  /** Host PID of the container's PID 1. */
  initHostPid: number;
  /** Start time of that init. */
  startTime: number;
  /** Name from the helper's record, or null. */
  name: string | null;
  /** Root filesystem, or null. */
  rootfs: string | null;
  /** Who started it. */
  startedBy: 'mini-containers' | 'other';
  /** The Docker or Podman container it is (kind, full id, the engine's name and image when known), or null. */
  engine: { kind: 'docker' | 'podman'; id: string; name: string | null; image: string | null } | null;
  /** Its network (host, none, private) from the helper's record; null when not known. */
  network: string | null;
  /** What it publishes, "HOSTPORT:PORT" each: the host's 127.0.0.1:HOSTPORT reaches PORT inside. */
  publish: string[];
  /** Started with `--ephemeral`: its changes vanish when it ends. */
  ephemeral: boolean;
  /** Init host PID of the container it is nested in; null for a container of the host. */
  parentInitHostPid: number | null;
  /** What it costs, as `mini-containers stats` shows it (see ContainerUsage); null when not measured. */
  usage: ContainerUsage | null;
  /** Its processes, by host PID. */
  processes: PsProcessJson[];
}

/** The document `ps --json` prints. */
export interface PsJson {
  /** Containers, each followed by those nested in it. */
  containers: PsContainerJson[];
}

/** What a meter read of the model's containers and processes (UsageMeter.measure). */
export interface ModelUsage {
  readonly containers: ReadonlyMap<string, ContainerUsage>;
  readonly processes: ReadonlyMap<string, ProcessUsage>;
}

/** The model as `ps --json` prints it (field order fixed, extra model fields left out). */
export function toPsJson(model: ContainerModel, usage?: ModelUsage): PsJson {
  return {
    containers: model.containers.map((c) => ({
      initHostPid: c.initHostPid,
      startTime: c.startTime,
      name: c.name,
      rootfs: c.rootfs,
      startedBy: c.startedBy,
      engine: c.engine && { kind: c.engine.kind, id: c.engine.id, name: c.engine.name, image: c.engine.image },
      network: c.network,
      publish: [...c.publish],
      ephemeral: c.ephemeral,
      parentInitHostPid: c.parentInitHostPid,
      usage: usage?.containers.get(c.key) ?? null,
      processes: c.processes.map((p) => ({
        hostPid: p.hostPid, nsPid: p.nsPid, ppid: p.ppid, user: p.user, state: p.state, command: commandText(p),
        startTime: p.startTime, rssBytes: p.rssBytes, cpuPercent: usage?.processes.get(processKey(p))?.cpuPercent ?? null,
      })),
    })),
  };
}

const HEADERS = ['PID', 'HPID', 'PPID', 'USER', 'STAT', 'COMMAND'];
/** Numeric columns are right-aligned, like ps. */
const RIGHT = [true, true, true, false, false, false];

/** The model as an aligned text table: a header line per container, then its processes. */
export function formatPsTable(model: ContainerModel): string {
  if (model.containers.length === 0) return 'No containers.\n';
  const blocks = model.containers.map((c) => {
    const count = `${c.processes.length} ${c.processes.length === 1 ? 'process' : 'processes'}`;
    const parent = c.parentInitHostPid !== null ? `  inside ${c.parentInitHostPid}` : '';
    const where = c.engine !== null
      ? `${c.engine.kind} ${c.engine.id.slice(0, 12)}  image ${printable(c.engine.image ?? '-')}`
      : `rootfs ${printable(c.rootfs ?? '-')}`;
    const name = c.engine !== null ? c.engine.name ?? c.engine.id.slice(0, 12) : c.name ?? '-';
    const network = c.network !== null ? `  network ${c.network}${c.publish.length ? ` publish ${c.publish.join(',')}` : ''}` : '';
    const header = `${printable(name)}  init ${c.initHostPid}  ${where}${network}  ${count}${parent}`;
    const rows = c.processes.map((p) => [
      String(p.nsPid ?? '?'), String(p.hostPid), String(p.ppid), printable(p.user ?? '?'), p.state, printable(commandText(p)),
    ]);
    return [header, ...alignColumns([HEADERS, ...rows]).map((line) => `  ${line}`)].join('\n');
  });
  return blocks.join('\n\n') + '\n';
}

function alignColumns(rows: string[][]): string[] {
  const widths = HEADERS.map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const last = HEADERS.length - 1;
  return rows.map((r) => r.map((cell, i) => {
    if (i === last) return cell; // no trailing padding after the command
    return RIGHT[i] ? cell.padStart(widths[i]) : cell.padEnd(widths[i]);
  }).join('  '));
}

/** Control characters in names and command lines would move the terminal's cursor; ps shows them as `?`. */
function printable(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    out += c < 0x20 || c === 0x7f || (c >= 0x80 && c < 0xa0) ? '?' : ch;
  }
  return out;
}
