// Steps and host-side checks shared by the scenario tests (unprivileged.test.ts, reload.test.ts): reading one
// process from /proc, typing into the active terminal, reading the Containers view's rows.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Page } from 'playwright-core';
import * as wb from './workbench';
import { childrenOf, living, type Pinned as HostPinned, readStat as stat, stillThere, waitFor } from '../vscode/hostState';

// --- one process, from the host's /proc

// Every suite reads these the same way; one copy each, independent of the parsers under test.
export { childrenOf, living, stat, stillThere };

export function cmdline(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

/** Real and effective UID from /proc/PID/status. */
export function uidsOf(pid: number): { real: number; effective: number } | undefined {
  try {
    const uids = /^Uid:\s+(\d+)\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return uids ? { real: Number(uids[1]), effective: Number(uids[2]) } : undefined;
  } catch {
    return undefined;
  }
}

/** A host process pinned by its start time (a reused PID is not it), with what it is, for messages. */
export interface Pinned extends HostPinned {
  readonly what: string;
}

export function pin(pid: number, what: string): Pinned {
  const now = stat(pid);
  if (!now) throw new Error(`host PID ${pid} (${what}) is not running`);
  return { pid, startTime: now.startTime, what };
}

/**
 * The host processes that hold the container whose PID 1 is `initPid`, pinned, outermost first: the helper (sh)
 * and bubblewrap, its monitor (PID 1's parent, into which capsh execs as root). Throws when the chain is not that.
 */
export function hostSideOf(initPid: number): Pinned[] {
  const monitor = pin(stat(initPid)?.ppid ?? 0, 'bwrap');
  if (stat(monitor.pid)?.comm !== 'bwrap') {
    throw new Error(`PID 1's parent (host PID ${monitor.pid}: ${cmdline(monitor.pid).join(' ')}) is not bubblewrap`);
  }
  const helper = pin(stat(monitor.pid)?.ppid ?? 0, 'helper');
  if (!/container-helper\.sh$/.test(cmdline(helper.pid)[1] ?? '') || cmdline(helper.pid)[2] !== 'start') {
    throw new Error(`bubblewrap's parent (host PID ${helper.pid}: ${cmdline(helper.pid).join(' ')}) is not the helper's start`);
  }
  return [helper, monitor];
}

/** Waits until `probe` holds, as waitFor does; returns how long that took, in ms. */
export async function waitUntil(what: string, probe: () => boolean, timeoutMs: number): Promise<number> {
  const started = Date.now();
  await waitFor(what, probe, timeoutMs, 25);
  return Date.now() - started;
}

// --- the terminal

/** Gives the active terminal the keyboard (a click in the side bar took it). */
export async function focusActiveTerminal(page: Page): Promise<void> {
  const active = page.locator('.terminal-wrapper.active');
  await active.locator('.xterm-screen').click();
  await active.locator('.xterm.focus').waitFor({ state: 'attached', timeout: 10_000 });
}

/** Types a command line into the active terminal and waits for the prompt after its output. */
export async function runInTerminal(page: Page, command: string, until: (lines: string[]) => boolean): Promise<string[]> {
  await page.keyboard.type(command);
  await page.keyboard.press('Enter');
  return wb.waitForTerminal(page, (l) => until(l) && wb.endsWithPrompt(l), `output of "${command}"`);
}

/** Starts `sleep 1000 &` in the active terminal's BusyBox shell, which prints no job number: the prompt comes back at once. */
export function startBackgroundSleep(page: Page): Promise<string[]> {
  return runInTerminal(page, 'sleep 1000 &', (l) => l.length >= 2 && l[l.length - 2].endsWith('# sleep 1000 &'));
}

/** Presses Enter in the active terminal, where BusyBox ash reports (and reaps) the killed sleep before its next prompt. */
export async function waitForTerminatedSleep(page: Page): Promise<string[]> {
  await focusActiveTerminal(page);
  await page.keyboard.press('Enter');
  return wb.waitForTerminal(
    page,
    (l) => l.some((x) => /^\[1\]\+?\s+Terminated\s+sleep 1000$/.test(x)) && wb.endsWithPrompt(l),
    'the shell\'s "Terminated" job notice',
  );
}

/** Array.prototype.findLastIndex, which our ES2022 lib does not declare. */
export function lastIndex(lines: string[], test: (line: string) => boolean): number {
  for (let i = lines.length - 1; i >= 0; i--) if (test(lines[i])) return i;
  return -1;
}

/** The PIDs and commands of the last `ps` table in the terminal ("PID USER [TIME] COMMAND", one row a process). */
export function lastPsTable(lines: string[]): { pid: number; command: string }[] {
  const header = lastIndex(lines, (l) => /^\s*PID\s+USER\b/.test(l));
  if (header < 0) throw new Error(`no ps header in the terminal:\n${lines.join('\n')}`);
  const rows: { pid: number; command: string }[] = [];
  for (const line of lines.slice(header + 1)) {
    const match = /^\s*(\d+)\s+\S+\s+(?:\d+:\d+\s+)?(.+)$/.exec(line);
    if (!match) break;
    rows.push({ pid: Number(match[1]), command: match[2].trim() });
  }
  return rows;
}

// --- the Containers view

/** The view polls this often while visible in the scenarios (the setting's default, written out so the waits follow it). */
export const REFRESH_SECONDS = 2;
/** Long enough for one poll, and the scan and repaint after it. */
export const POLL_WAIT_MS = REFRESH_SECONDS * 1000 + 3000;

/** User settings of a scenario that reads the Containers view of `rootfs`'s containers. */
export function containersViewSettings(rootfs: string): Record<string, unknown> {
  return {
    'miniContainers.rootfs': rootfs,
    'miniContainers.refreshInterval': REFRESH_SECONDS,
    // Rows pinned at the top of a scrolled tree would cover the rows under them.
    'workbench.tree.enableStickyScroll': false,
  };
}

/** The rows below the top-level row labelled `name` (its processes, host side and nested containers). */
export function rowsOf(rows: wb.TreeRow[], name: string): wb.TreeRow[] {
  const start = rows.findIndex((r) => r.level === 1 && r.label === name);
  if (start < 0) return [];
  const end = rows.findIndex((r, i) => i > start && r.level === 1);
  return rows.slice(start + 1, end < 0 ? undefined : end);
}

export function render(rows: wb.TreeRow[]): string {
  return rows.map((r) => `${'  '.repeat(r.level - 1)}${r.label}  ${r.description}`).join('\n');
}

/** Drags the sash between side bar and editor so that the tree's descriptions show in full in screenshots. */
export async function widenSideBar(page: Page, width: number): Promise<void> {
  const sidebar = await page.locator('.part.sidebar').boundingBox();
  if (!sidebar || sidebar.width >= width) return;
  const edge = sidebar.x + sidebar.width;
  const y = sidebar.y + sidebar.height / 2;
  await page.mouse.move(edge - 1, y);
  await page.mouse.down();
  await page.mouse.move(edge + (width - sidebar.width) / 2, y, { steps: 5 });
  await page.mouse.move(sidebar.x + width, y, { steps: 5 });
  await page.mouse.up();
}

/**
 * The extension's "Mini Containers" logs of a code-server profile, concatenated ('' when none yet). Only the logs
 * folder is listed, not the whole profile with its extensions: tests poll this.
 */
export function extensionLog(root: string): string {
  const dir = join(root, 'user-data', 'logs');
  let files: string[];
  try {
    files = readdirSync(dir, { recursive: true, encoding: 'utf8' });
  } catch {
    return ''; // no log written yet
  }
  return files.filter((f) => basename(f) === 'Mini Containers.log').map((f) => readFileSync(join(dir, f), 'utf8')).join('');
}

/** Keeps the extension's log (it says why a start or a kill failed) as test-output/e2e/`name`. */
export function saveExtensionLog(root: string, name: string): void {
  const text = extensionLog(root);
  if (!text) return;
  mkdirSync(wb.outputDir, { recursive: true });
  const file = join(wb.outputDir, name);
  writeFileSync(file, text);
  console.log(`extension log: ${file}`);
}
