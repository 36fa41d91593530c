// Reading and driving the VS Code web workbench (code-server) from playwright, by the DOM classes VS Code 1.100 uses.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { projectRoot } from './codeServerInstall';
import type { ReadmeScreenshot } from './readmeScreenshots';

export const outputDir = join(projectRoot, 'test-output', 'e2e');

/** The workbench has loaded: its shell and status bar are on screen. */
export async function waitForWorkbench(page: Page, timeoutMs = 60_000): Promise<void> {
  await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: timeoutMs });
  await page.locator('.monaco-workbench .part.statusbar').waitFor({ state: 'visible', timeout: timeoutMs });
}

/**
 * Opens the command palette with F1 and types `>title`; returns the row showing `title` (not yet chosen).
 * Extensions' commands appear only once the remote extension host has scanned them, a few seconds after the
 * workbench shows, and an open palette does not refresh: so close and reopen it until the row is there.
 */
export async function showInPalette(page: Page, title: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  const input = page.locator('.quick-input-widget input[type="text"]');
  for (;;) {
    await page.keyboard.press('F1');
    // A view still taking the keyboard (a terminal starting, a panel being focused) closes the palette it opened
    // in: then press F1 again.
    try {
      await input.waitFor({ state: 'visible', timeout: Math.min(5000, Math.max(deadline - Date.now(), 1)) });
      await input.fill(`>${title}`, { timeout: 2000 });
      return await waitForQuickPickRow(page, title, Math.min(2000, Math.max(deadline - Date.now(), 1)));
    } catch (err) {
      if (Date.now() >= deadline) throw err;
      await page.keyboard.press('Escape');
      await input.waitFor({ state: 'hidden', timeout: 5000 }).catch(() => undefined);
    }
  }
}

/** The visible quick-pick row whose label is exactly `label` (rows may show a title without its category). */
async function waitForQuickPickRow(page: Page, label: string, timeoutMs = 15_000) {
  const row = page
    .locator('.quick-input-widget .quick-input-list .monaco-list-row')
    .filter({ has: page.locator('.label-name', { hasText: new RegExp(`^(\\w+: )?${escapeRegExp(label)}$`) }) })
    .first();
  await row.waitFor({ state: 'visible', timeout: timeoutMs });
  return row;
}

/** Runs a command by its palette title: F1, type, click its row. */
export async function runCommand(page: Page, title: string): Promise<void> {
  const row = await showInPalette(page, title);
  await row.click();
}

/** Opens a file of the workspace folder by its name through Quick Open (Ctrl+P), and waits for its tab. */
export async function openFile(page: Page, name: string, timeoutMs = 15_000): Promise<void> {
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget input[type="text"]');
  await input.waitFor({ state: 'visible', timeout: timeoutMs });
  await input.fill(name);
  await waitForQuickPickRow(page, name, timeoutMs);
  await page.keyboard.press('Enter');
  await page.locator('.part.editor .tabs-container .tab.active', { hasText: name }).waitFor({ state: 'visible', timeout: timeoutMs });
}

/** The active terminal's rows as text (DOM renderer), non-breaking spaces made plain, trailing blanks cut. */
export async function terminalLines(page: Page): Promise<string[]> {
  const rows = await page.locator('.terminal-wrapper.active .xterm-rows > div').allTextContents();
  return rows.map((row) => row.replace(/\u00a0/g, ' ').trimEnd());
}

/** The non-empty rows of the active terminal, joined with newlines. */
export async function terminalText(page: Page): Promise<string> {
  return (await terminalLines(page)).filter((l) => l.length > 0).join('\n');
}

/** Polls the active terminal until `done(lines)` holds; returns those lines. */
export async function waitForTerminal(
  page: Page,
  done: (lines: string[]) => boolean,
  what: string,
  timeoutMs = 20_000,
  pollMs = 25,
): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const lines = (await terminalLines(page)).filter((l) => l.length > 0);
    if (done(lines)) return lines;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; terminal shows:\n${lines.join('\n')}`);
    }
    await page.waitForTimeout(pollMs);
  }
}

/** A shell prompt ("/ # ") is the last thing the terminal shows. */
export function endsWithPrompt(lines: string[]): boolean {
  const last = lines[lines.length - 1];
  return last !== undefined && /[#$]$/.test(last);
}

/** Terminal names as the panel shows them: the tabs list when there are several, else the single tab. */
export async function terminalTabNames(page: Page): Promise<string[]> {
  const rows = page.locator('.part.panel .tabs-list .monaco-list-row .label-name');
  const names = (await rows.count()) > 0 ? await rows.allTextContents() : await page.locator('.part.panel .single-terminal-tab').allTextContents();
  return names.map((n) => n.trim()).filter(Boolean);
}

/** The terminal tab (tabs list row) named `name`; the list shows once there are two terminals. */
function terminalTab(page: Page, name: string) {
  return page.locator('.part.panel .tabs-list .monaco-list-row').filter({ hasText: name });
}

/** Selects the terminal named `name` in the tabs list and gives it the keyboard. */
export async function focusTerminal(page: Page, name: string): Promise<void> {
  await terminalTab(page, name).click();
  const active = page.locator('.terminal-wrapper.active');
  await active.waitFor({ state: 'visible', timeout: 10_000 });
  await active.locator('.xterm-screen').click();
  await active.locator('.xterm.focus').waitFor({ state: 'attached', timeout: 10_000 });
}

/** Waits until a terminal named by `pattern` exists, beside the ones already known; returns its name. */
export async function waitForNewTerminal(page: Page, known: string[], pattern: RegExp, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const names = await terminalTabNames(page);
    const fresh = names.find((n) => pattern.test(n) && !known.includes(n));
    if (fresh) return fresh;
    if (Date.now() > deadline) throw new Error(`no new terminal matching ${pattern} after ${timeoutMs} ms; tabs: ${names.join(', ')}`);
    await page.waitForTimeout(50);
  }
}

/** The name of the terminal the panel shows, or undefined when there is none. */
export async function activeTerminalName(page: Page): Promise<string | undefined> {
  const rows = page.locator('.part.panel .tabs-list .monaco-list-row');
  const name =
    (await rows.count()) > 0
      ? await rows.locator('.terminal-tabs-entry.is-active .label-name').allTextContents()
      : await page.locator('.part.panel .single-terminal-tab').allTextContents();
  return name[0]?.trim() || undefined;
}

/**
 * Waits until a terminal not in `known`, named by `pattern`, is the active one and shows a shell prompt;
 * returns its name. (Until then the active terminal may be an older one that already shows a prompt.)
 */
export async function waitForPromptInNewTerminal(page: Page, known: string[], pattern: RegExp, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const name = await activeTerminalName(page);
    if (name && pattern.test(name) && !known.includes(name) && endsWithPrompt((await terminalLines(page)).filter(Boolean))) {
      return name;
    }
    if (Date.now() > deadline) {
      throw new Error(`no new terminal with a prompt after ${timeoutMs} ms; active: ${name}; shows:\n${await terminalText(page)}`);
    }
    await page.waitForTimeout(20);
  }
}

/**
 * Shows a view container of the side bar by its activity-bar tab (e.g. "Containers"). Clicking the tab of the
 * container already shown would hide the side bar, so the tab is clicked only when it is not the selected one.
 * While the workbench still restores its layout (after a load or a reload), the restore may select another tab a
 * moment after the click and hide the side bar again: then it tries again, until `timeoutMs`.
 */
export async function openSideBarView(page: Page, title: string, timeoutMs = 20_000): Promise<void> {
  const tab = page.locator('.part.activitybar').getByRole('tab', { name: new RegExp(`^${escapeRegExp(title)}\\b`) });
  const shown = page.locator('.part.sidebar .composite.title', { hasText: title });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = Math.max(1, deadline - Date.now());
    try {
      await tab.waitFor({ state: 'visible', timeout: left });
      if ((await tab.getAttribute('aria-selected')) !== 'true' || !(await page.locator('.part.sidebar').isVisible())) await tab.click();
      await shown.waitFor({ state: 'visible', timeout: Math.min(2000, left) });
      return;
    } catch (err) {
      if (Date.now() >= deadline) throw err;
    }
  }
}

/**
 * A process row's description without what the process costs (" · 0.5% · 1.6 MiB", which changes from one refresh
 * to the next): PIDs and user, for exact comparisons.
 */
export function withoutUsage(description: string): string {
  return description.replace(/ · [\d.]+% · [\d.]+ (?:B|KiB|MiB|GiB)$/, '');
}

/** One row of the side bar's tree as shown: `level` 1 for the top, `expanded` undefined for a leaf. */
export interface TreeRow {
  readonly label: string;
  readonly description: string;
  readonly level: number;
  readonly expanded: boolean | undefined;
}

const SIDE_BAR_TREE = '.part.sidebar .monaco-list[role="tree"]';
// Rows of the list itself, not the copies that sticky scroll pins above them.

/** The rows the tree has rendered, by their index in the whole tree. */
async function renderedTreeRows(page: Page): Promise<Map<number, TreeRow>> {
  const rows = await page.locator(`${SIDE_BAR_TREE} .monaco-list-rows > .monaco-list-row`).evaluateAll((elements) =>
    elements.map((row) => ({
      index: Number(row.getAttribute('data-index') ?? 0),
      label: row.querySelector('.label-name')?.textContent ?? '',
      description: row.querySelector('.label-description')?.textContent ?? '',
      level: Number(row.getAttribute('aria-level') ?? 0),
      expanded: row.hasAttribute('aria-expanded') ? row.getAttribute('aria-expanded') === 'true' : undefined,
    })),
  );
  return new Map(rows.map(({ index, ...row }) => [index, row]));
}

/** The tree's scrolling: how many rows it holds, how many fit in sight, its height in pixels. */
function treeGeometry(page: Page): Promise<{ count: number; perPage: number; height: number }> {
  return page.locator(SIDE_BAR_TREE).evaluate((list) => {
    const rowHeight = list.querySelector('.monaco-list-rows > .monaco-list-row')?.getBoundingClientRect().height || 22;
    // The rows' container is as high as all rows together.
    const style = list.querySelector('.monaco-list-rows')?.getAttribute('style') ?? '';
    const total = Number(/(?:^|;)\s*height:\s*([\d.]+)px/.exec(style)?.[1] ?? 0);
    const height = list.getBoundingClientRect().height;
    return { count: Math.round(total / rowHeight), perPage: Math.max(1, Math.floor(height / rowHeight) - 1), height };
  });
}

/**
 * Scrolls the side bar's tree (with the mouse wheel, which changes neither focus nor selection) from the top,
 * a page at a time, until `found(rendered rows)` holds or its end is reached; returns whether it held.
 */
async function scrollTreeUntil(page: Page, found: (rows: Map<number, TreeRow>) => boolean): Promise<boolean> {
  if (found(await renderedTreeRows(page))) return true;
  const { count, perPage, height } = await treeGeometry(page);
  if (count <= perPage) return false;
  await page.locator(SIDE_BAR_TREE).hover({ position: { x: 5, y: 5 } });
  await page.mouse.wheel(0, -count * 100);
  for (let step = 0; step <= count / perPage + 1; step++) {
    await page.waitForTimeout(30);
    if (found(await renderedTreeRows(page))) return true;
    await page.mouse.wheel(0, (height * perPage) / (perPage + 1));
  }
  return false;
}

/**
 * Every row of the side bar's tree, top to bottom; empty when it shows its welcome content. A list renders only
 * the rows in sight, so a long tree is scrolled through, then back to the top.
 */
export async function sideBarTreeRows(page: Page): Promise<TreeRow[]> {
  if (!(await page.locator(SIDE_BAR_TREE).isVisible())) return [];
  const { count } = await treeGeometry(page);
  const all = new Map<number, TreeRow>();
  const collect = (rows: Map<number, TreeRow>) => {
    for (const [index, row] of rows) all.set(index, row);
    return all.size >= count;
  };
  if (!(await scrollTreeUntil(page, collect))) throw new Error(`read ${all.size} of the tree's ${count} rows`);
  if (!(await renderedTreeRows(page)).has(0)) await scrollTreeUntil(page, (rows) => rows.has(0));
  return [...all.keys()].sort((a, b) => a - b).map((i) => all.get(i) as TreeRow);
}

/** Polls the side bar's tree until `done(rows)` holds; returns those rows. */
export async function waitForSideBarTree(
  page: Page,
  done: (rows: TreeRow[]) => boolean,
  what: string,
  timeoutMs = 10_000,
): Promise<TreeRow[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // The tree may change while a long one is scrolled through: then read it again.
    const rows = await sideBarTreeRows(page).catch(() => undefined);
    if (rows && done(rows)) return rows;
    if (Date.now() > deadline) {
      const shown = (rows ?? []).map((r) => `${'  '.repeat(r.level - 1)}${r.label}  ${r.description}`).join('\n');
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; the tree shows:\n${shown}`);
    }
    await page.waitForTimeout(50);
  }
}

/** The side bar's tree row labelled exactly `label` whose description matches, scrolled into sight. */
export async function sideBarTreeRow(page: Page, label: string, description: RegExp) {
  const matches = (row: TreeRow) => row.label === label && description.test(row.description);
  if (!(await scrollTreeUntil(page, (rows) => [...rows.values()].some(matches)))) {
    throw new Error(`no tree row "${label}" with a description matching ${description}`);
  }
  const row = page
    .locator(`${SIDE_BAR_TREE} .monaco-list-rows > .monaco-list-row`)
    .filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${escapeRegExp(label)}$`) }) })
    .filter({ has: page.locator('.label-description', { hasText: description }) });
  // The last row rendered may be cut by the bottom edge, where a click would miss it.
  const [list, box] = [await page.locator(SIDE_BAR_TREE).boundingBox(), await row.first().boundingBox()];
  if (list && box && box.y + box.height > list.y + list.height) {
    await page.locator(SIDE_BAR_TREE).hover({ position: { x: 5, y: 5 } });
    await page.mouse.wheel(0, box.y + box.height - (list.y + list.height) + box.height);
    await page.waitForTimeout(30);
  }
  return row;
}

/** Clicks the inline action `action` (its label, e.g. "Kill (SIGTERM)") of a tree row found as sideBarTreeRow does. */
export async function clickTreeRowAction(page: Page, label: string, description: RegExp, action: string): Promise<void> {
  const row = await sideBarTreeRow(page, label, description);
  // Inline actions show only while the row is hovered.
  await row.hover();
  const button = row.locator(`.actions .action-label[aria-label="${action}"]`);
  await button.waitFor({ state: 'visible', timeout: 5000 });
  await button.click();
}

/**
 * Clicks a title action of a side-bar view by its label (e.g. "Refresh Containers"). Alone in its view container, a
 * view's actions sit in the container's title; beside another view (Containers and Root Filesystems), in its own
 * pane header, shown only while that header is hovered.
 */
export async function clickViewTitleAction(page: Page, label: string): Promise<void> {
  const action = page.locator(`.part.sidebar .composite.title [aria-label="${label}"], .part.sidebar .pane-header [aria-label="${label}"]`).first();
  const header = page.locator('.part.sidebar .pane-header').filter({ has: page.locator(`[aria-label="${label}"]`) });
  if (await header.count()) await header.first().hover();
  await action.click();
}

/** Saves a PNG under test-output/e2e/ and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(outputDir, { recursive: true });
  const path = join(outputDir, `${name}.png`);
  await page.screenshot({ path });
  console.log(`screenshot: ${path}`);
  return path;
}

/** Where README's pictures are taken to (test/e2e/readmeScreenshots.ts); `npm run screenshots` copies them to media/. */
export const readmeOutputDir = join(outputDir, 'readme');

/** Takes one of README's pictures, as it names it in media/ (also saved under its usual name beside the others). */
export async function readmeScreenshot(page: Page, name: ReadmeScreenshot): Promise<string> {
  mkdirSync(readmeOutputDir, { recursive: true });
  const path = join(readmeOutputDir, `${name}.png`);
  await page.screenshot({ path });
  console.log(`README screenshot: ${path}`);
  return path;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The document inside the visible webview of the extension `extensionId` (hidden ones stay in the DOM; the
 * walkthrough's markdown media is a webview of the workbench itself). A webview is two iframes deep: the
 * workbench's `iframe.webview` hosts VS Code's webview page, which holds the extension's HTML in `#active-frame`.
 */
export function webviewFrame(page: Page, extensionId = 'mini-containers.mini-containers') {
  return page
    .frameLocator(`iframe.webview.ready:visible[src*="extensionId=${extensionId}&"]`)
    .frameLocator('iframe#active-frame');
}
