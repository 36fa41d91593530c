// Reading and driving the VS Code web workbench (code-server) from playwright. Selectors as in E2E-NOTES.md.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { projectRoot } from './codeServerInstall';

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
    await input.waitFor({ state: 'visible', timeout: timeoutMs });
    await input.fill(`>${title}`);
    try {
      return await waitForQuickPickRow(page, title, Math.min(2000, Math.max(deadline - Date.now(), 1)));
    } catch (err) {
      if (Date.now() >= deadline) throw err;
      await page.keyboard.press('Escape');
      await input.waitFor({ state: 'hidden', timeout: 5000 });
    }
  }
}

/** The visible quick-pick row whose label is exactly `label` (rows may show a title without its category). */
export async function waitForQuickPickRow(page: Page, label: string, timeoutMs = 15_000) {
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
export function terminalTab(page: Page, name: string) {
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

/** Saves a PNG under test-output/e2e/ and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(outputDir, { recursive: true });
  const path = join(outputDir, `${name}.png`);
  await page.screenshot({ path });
  console.log(`screenshot: ${path}`);
  return path;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
