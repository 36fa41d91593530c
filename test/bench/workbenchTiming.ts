// Timing the workbench from inside the page: the clock starts at the keydown (Enter) or mousedown that runs the
// palette's command, as the user's own key press, and stops in the first animation frame whose active terminal
// ends with a shell prompt. Playwright's round trips fall outside the measurement, alike for every side.

import type { Page } from 'playwright-core';
import * as wb from '../e2e/workbench';

/** The little of the page's globals that the functions run in it use (the tsconfig has no DOM library). */
interface PageGlobals {
  readonly document: {
    querySelectorAll(selector: string): ArrayLike<{ textContent: string | null }>;
    querySelector(selector: string): { textContent: string | null } | null;
  };
  addEventListener(type: string, listener: (e: { type: string; key?: string }) => void, capture: boolean): void;
  removeEventListener(type: string, listener: (e: { type: string; key?: string }) => void, capture: boolean): void;
  /** The key press's time from the epoch (performance.timeOrigin-based), comparable with a webview's clock. */
  __benchKeyAt?: number;
  __benchDisarm?: () => void;
}

/** Number of terminals in the panel (their DOM goes with them when killed). */
function terminalCount(page: Page): Promise<number> {
  return page.evaluate(() => (globalThis as unknown as PageGlobals).document.querySelectorAll('.terminal-wrapper').length);
}

/** Waits until the panel holds no terminal. */
async function waitForNoTerminal(page: Page, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await terminalCount(page)) > 0) {
    if (Date.now() > deadline) throw new Error(`a terminal is still open after ${timeoutMs} ms`);
    await page.waitForTimeout(25);
  }
}

/** Kills every terminal, through the palette, one at a time. */
export async function killAllTerminals(page: Page): Promise<void> {
  for (let n = await terminalCount(page); n > 0; n = await terminalCount(page)) {
    await wb.runCommand(page, 'Kill the Active Terminal Instance');
    const deadline = Date.now() + 10_000;
    while ((await terminalCount(page)) >= n && Date.now() < deadline) await page.waitForTimeout(25);
  }
}

/**
 * Shows the palette command `title`, arms the clock on the page's next Enter keydown or mousedown (the user's own
 * key press: its time from the epoch, comparable with a webview's clock), and runs the command: Enter on the focused
 * row, or a click when recently used commands sort above it. One arming for every measurement of this file.
 */
async function pressPaletteRow(page: Page, title: string): Promise<void> {
  const row = await wb.showInPalette(page, title);
  await page.evaluate(() => {
    const w = globalThis as unknown as PageGlobals;
    w.__benchKeyAt = undefined;
    const arm = (e: { type: string; key?: string }) => {
      if (w.__benchKeyAt === undefined && (e.type === 'mousedown' || e.key === 'Enter')) w.__benchKeyAt = performance.timeOrigin + performance.now();
    };
    w.addEventListener('keydown', arm, true);
    w.addEventListener('mousedown', arm, true);
    w.__benchDisarm = () => {
      w.removeEventListener('keydown', arm, true);
      w.removeEventListener('mousedown', arm, true);
    };
  });
  if (await row.evaluate((el) => el.classList.contains('focused'))) await page.keyboard.press('Enter');
  else await row.click();
}

/**
 * Run in the page each frame: once armed, whether the active terminal, named by `pattern`, ends with a prompt;
 * then the ms since the key press.
 */
function promptShown(pattern: string): false | { ms: number } {
  const w = globalThis as unknown as PageGlobals;
  if (w.__benchKeyAt === undefined) return false;
  let last = '';
  for (const row of Array.from(w.document.querySelectorAll('.terminal-wrapper.active .xterm-rows > div'))) {
    const text = (row.textContent ?? '').replace(/\u00a0/g, ' ').trimEnd();
    if (text) last = text;
  }
  if (!/[#$]$/.test(last)) return false;
  const tab =
    w.document.querySelector('.part.panel .tabs-list .terminal-tabs-entry.is-active .label-name') ??
    w.document.querySelector('.part.panel .single-terminal-tab');
  if (!new RegExp(pattern).test((tab?.textContent ?? '').trim())) return false;
  w.__benchDisarm?.();
  return { ms: performance.timeOrigin + performance.now() - w.__benchKeyAt };
}

/**
 * Runs the palette command `title` with no terminal open and returns the ms from its key press to the first
 * frame showing a prompt in a terminal whose name matches `name`.
 */
export async function paletteToPrompt(page: Page, title: string, name: RegExp, timeoutMs = 30_000): Promise<number> {
  await waitForNoTerminal(page);
  await pressPaletteRow(page, title);
  const done = await page.waitForFunction(promptShown, name.source, { polling: 'raf', timeout: timeoutMs }).catch(async (err: Error) => {
    const shown = `terminal "${await wb.activeTerminalName(page).catch(() => '?')}" shows:\n${await wb.terminalText(page).catch(() => '?')}`;
    throw new Error(`"${title}": no prompt in a terminal named ${name} within ${timeoutMs} ms (${err.message.split('\n')[0]}); ${shown}`);
  });
  return ((await done.jsonValue()) as { ms: number }).ms;
}

/**
 * The activation times the "Running Extensions" editor shows (code loading + activate() call, as VS Code measures
 * them in the extension host), in ms by extension display name, once `mustShow` has one; then closes the editor.
 */
export async function runningExtensions(page: Page, mustShow: string, timeoutMs = 15_000): Promise<Map<string, number>> {
  await wb.runCommand(page, 'Show Running Extensions');
  const rows = page.locator('.runtime-extensions-editor .monaco-list-row');
  await rows.filter({ hasText: mustShow }).filter({ hasText: /Activation: \d+/ }).first().waitFor({ state: 'visible', timeout: timeoutMs });
  const found = new Map<string, number>();
  const texts = await rows.evaluateAll((els) =>
    els.map((el) => [el.querySelector('.name')?.textContent ?? '', el.querySelector('.activation-time')?.textContent ?? '']),
  );
  for (const [name, time] of texts) {
    // "Activation: 12ms", or "Startup Activation: 12ms" for an extension activated on start-up.
    const m = /Activation: (\d+)\s*ms/.exec(time);
    if (m) found.set(name.trim(), Number(m[1]));
  }
  await wb.runCommand(page, 'Close All Editors');
  return found;
}

/** The document of a webview's own page, to the functions run in it. */
interface WebviewGlobals {
  readonly document: {
    querySelectorAll(selector: string): ArrayLike<unknown>;
    readonly body: { textContent: string | null } | null;
  };
}

/** Run in a webview's page: the epoch ms now, if `shown` holds, else false. */
export type WebviewProbe = { rowsAtLeast: number } | { text: string };

function probeWebview(probe: WebviewProbe): number | false {
  const d = (globalThis as unknown as WebviewGlobals).document;
  const shown = 'rowsAtLeast' in probe
    ? d.querySelectorAll('.row.process').length >= probe.rowsAtLeast
    : (d.body?.textContent ?? '').includes(probe.text);
  return shown ? performance.timeOrigin + performance.now() : false;
}

/**
 * Runs the palette command `title` and returns the ms from its key press (the page's clock) to the first check at
 * which the webview of `extensionId` shows what `probe` names (the webview's clock: both count from the epoch).
 * The webview's page is checked every few ms from here, as soon as it exists: alike for every extension measured.
 */
export async function paletteToWebview(page: Page, title: string, extensionId: string, probe: WebviewProbe, timeoutMs = 30_000): Promise<number> {
  await pressPaletteRow(page, title);
  const t0 = await page.evaluate(() => {
    const w = globalThis as unknown as PageGlobals;
    w.__benchDisarm?.();
    return w.__benchKeyAt;
  });
  if (t0 === undefined) throw new Error(`"${title}": the key press was not seen`);
  const outer = page.locator(`iframe.webview.ready:visible[src*="extensionId=${extensionId}&"]`);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // The webview's page is two frames deep (see wb.webviewFrame); it is replaced once while it loads.
    const shownAt = await outer
      .elementHandle({ timeout: 50 })
      .then((h) => h?.contentFrame())
      .then((f) => f?.locator('iframe#active-frame').elementHandle({ timeout: 50 }))
      .then((h) => h?.contentFrame())
      .then((f) => f?.evaluate(probeWebview, probe))
      .catch(() => false);
    if (typeof shownAt === 'number') return shownAt - t0;
    if (Date.now() > deadline) {
      const shot = await wb.screenshot(page, `bench-webview-not-shown-${extensionId}`).catch(() => 'none');
      throw new Error(`"${title}": the webview of ${extensionId} did not show ${JSON.stringify(probe)} within ${timeoutMs} ms (screenshot: ${shot})`);
    }
    await page.waitForTimeout(5);
  }
}
