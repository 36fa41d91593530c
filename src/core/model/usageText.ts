// What a container and a process cost, in words and tables: the Containers view's descriptions and tooltips,
// the picture's frames, and `mini-containers stats` (a `docker stats`-like table). The figures come from
// UsageMeter (src/core/proc/cgroupUsage.ts).

import type { ContainerModel } from './containerModel';
import type { ContainerUsage, MeteredContainer, ProcessUsage } from '../proc/cgroupUsage';
import type { ProcessInfo } from '../proc/processScanner';
import { english, type Localize } from '../localize';
import { containerLabel, formatBytes } from './treeText';

/**
 * The model's containers as a meter reads them: each with its own processes and those of every container
 * nested in it (a container's cgroup holds those too, so the RSS sum that stands in for it must).
 */
export function meteredContainers(model: ContainerModel): MeteredContainer[] {
  const all = new Map<string, ProcessInfo[]>(model.containers.map((c) => [c.key, [...c.processes]]));
  // Tree order puts each container before those nested in it: backwards, a nested one is complete when it is added.
  for (let i = model.containers.length - 1; i >= 0; i--) {
    const c = model.containers[i];
    const parent = c.parentKey !== null ? all.get(c.parentKey) : undefined;
    if (parent !== undefined) parent.push(...all.get(c.key)!);
  }
  return model.containers.map((c) => ({ key: c.key, initHostPid: c.initHostPid, startTime: c.startTime, processes: all.get(c.key)! }));
}

/** "3.2%": one decimal, as docker stats shows two. */
export function percentText(percent: number): string {
  return `${percent.toFixed(1)}%`;
}

/** "12 MiB", or "≈12 MiB (RSS)" when it is the sum of the processes' RSS rather than the cgroup's count. */
export function memoryText(u: ContainerUsage, t: Localize = english): string | undefined {
  if (u.memoryBytes === null) return undefined;
  return u.memorySource === 'rss' ? t('≈{0} (RSS)', formatBytes(u.memoryBytes)) : formatBytes(u.memoryBytes);
}

/** For a container's description: "12 MiB · 3.2% CPU"; empty when nothing is known. */
export function containerUsageWords(u: ContainerUsage, t: Localize = english): string {
  const memory = memoryText(u, t);
  const cpu = u.cpuPercent !== null ? t('{0} CPU', percentText(u.cpuPercent)) : undefined;
  return [memory, cpu].filter(Boolean).join(' · ');
}

/** For a container's tooltip: memory, processes and CPU against their limits, and OOM kills. */
export function containerUsageLines(u: ContainerUsage, t: Localize = english): string[] {
  const lines: string[] = [];
  if (u.memoryBytes !== null) {
    const used = formatBytes(u.memoryBytes);
    if (u.memorySource === 'rss') lines.push(t("Memory: ≈{0}, the sum of its processes' RSS (it has no cgroup of its own)", used));
    else if (u.memoryLimitBytes !== null) {
      lines.push(t('Memory: {0} of {1} ({2})', used, formatBytes(u.memoryLimitBytes), percentText((100 * u.memoryBytes) / u.memoryLimitBytes)));
    } else lines.push(t('Memory: {0} (no limit)', used));
  }
  if (u.pids !== null) {
    lines.push(u.pidsLimit !== null ? t('Processes: {0} of at most {1}', u.pids, u.pidsLimit) : t('Processes: {0} (no limit)', u.pids));
  }
  const cpu = u.cpuPercent !== null ? percentText(u.cpuPercent) : '?';
  lines.push(u.cpusLimit !== null
    ? t('CPU: {0} (100% = one core) · quota: {1} CPUs', cpu, Number(u.cpusLimit.toFixed(2)))
    : t('CPU: {0} (100% = one core) · no quota', cpu));
  if (u.oomKills) lines.push(t('Processes killed for lack of memory (OOM): {0}', u.oomKills));
  return lines;
}

/** For a process's description: "0.5% · 3.1 MiB". */
export function processUsageWords(u: ProcessUsage): string {
  return [u.cpuPercent !== null ? percentText(u.cpuPercent) : undefined, formatBytes(u.rssBytes)].filter(Boolean).join(' · ');
}

const STATS_HEADERS = ['NAME', 'PID', 'CPU %', 'MEM USAGE / LIMIT', 'MEM %', 'PIDS'];
const STATS_RIGHT = [false, true, true, true, true, true];

/**
 * `mini-containers stats`: one row per container, as `docker stats` prints it. A container without a memory limit
 * shows the host's memory as its limit (docker stats does the same); "≈" marks a sum of RSS. English only, as the
 * rest of the CLI.
 */
export function formatStatsTable(model: ContainerModel, usage: ReadonlyMap<string, ContainerUsage>, hostMemoryBytes: number): string {
  const rows = model.containers.map((c) => {
    const u = usage.get(c.key);
    const limit = u?.memoryLimitBytes ?? hostMemoryBytes;
    const mem = u?.memoryBytes ?? null;
    return [
      printable(containerLabel(c)),
      String(c.initHostPid),
      u?.cpuPercent != null ? percentText(u.cpuPercent) : '--',
      mem !== null ? `${u!.memorySource === 'rss' ? '≈' : ''}${formatBytes(mem)} / ${formatBytes(limit)}` : `-- / ${formatBytes(limit)}`,
      mem !== null && limit > 0 ? percentText((100 * mem) / limit) : '--',
      u?.pids != null ? String(u.pids) : '--',
    ];
  });
  const all = [STATS_HEADERS, ...rows];
  const widths = STATS_HEADERS.map((_, i) => Math.max(...all.map((r) => [...r[i]].length)));
  return all.map((r) => r.map((cell, i) => {
    const pad = ' '.repeat(widths[i] - [...cell].length);
    if (i === r.length - 1) return STATS_RIGHT[i] ? pad + cell : cell;
    return STATS_RIGHT[i] ? pad + cell : cell + pad;
  }).join('   ')).join('\n') + '\n';
}

/** Control characters would move the terminal's cursor: shown as `?`, as ps does. */
function printable(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}
