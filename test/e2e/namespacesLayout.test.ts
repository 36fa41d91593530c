// End to end: "Show Namespaces" draws whenever it is shown, whatever the workbench's layout — opened with the
// primary side bar hidden, after the side bar comes back, moved to another editor group, restored by Reload
// Window — and closing it never makes the extension host repaint a disposed webview. What it draws is checked
// against PID namespaces this test makes from the host with unshare (needs root). Run with `npm run test:e2e`.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { onInterrupt } from './cleanup';
import * as wb from './workbench';
import { childrenOf, cmdline, containersViewSettings, POLL_WAIT_MS } from './steps';
import { WorkbenchSession } from './workbenchSession';
import { PidNamespaces } from '../bench/pidNamespaces';
import { nsPids, waitFor } from '../vscode/hostState';

const TITLE = 'Two views of the same processes';
/** A file of the workspace folder, open in the editor when the picture opens beside it. */
const NOTES = 'notes.txt';
/**
 * How long a picture may take to draw: a poll, and a webview page loading (about 2 s here, each time it opens or
 * moves; more on a busy machine). A picture that stays blank stays so for good.
 */
const LOAD_WAIT_MS = POLL_WAIT_MS + 15_000;
const CROWD_NAMESPACES = 10;
const CROWD_PER_NAMESPACE = 200;

/** The little of the page's globals that watchNewGroups uses (the tsconfig has no DOM library). */
interface GroupWatch {
  readonly document: {
    querySelectorAll(selector: string): ArrayLike<unknown>;
    querySelector(selector: string): unknown;
    readonly activeElement: { readonly tagName: string; closest(selector: string): unknown } | null;
  };
  readonly MutationObserver: new (callback: () => void) => { observe(target: unknown, options: { childList: boolean; subtree: boolean }): void };
  __newGroups?: Set<unknown>;
}

describe('Show Namespaces draws in every layout, and closes cleanly', { timeout: 300_000 }, () => {
  let session: WorkbenchSession | undefined;
  let page: Page;
  /**
   * What this test started, by PID: each unshare, and the sleep it forked as PID 1 of its namespace. SIGKILL to
   * the sleep ends the namespace; `--kill-child` ends it too should only unshare be killed (an interrupt).
   */
  const holders: number[] = [];
  const forget = onInterrupt(() => killHolders());
  /** 2,000 sleeps in 10 more namespaces, as on the machine of the issue. */
  const crowd = new PidNamespaces();
  /** What the workbench and the extension host reported as errors, as the page's console shows them. */
  const errors: string[] = [];
  /** NSpid of the first namespace's sleep, which runs all along. */
  let first: number[] = [];

  function killHolders(): void {
    for (const pid of holders.splice(0)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }

  /** A new PID namespace made from the host; returns its sleep's NSpid (host PID first, then 1). */
  async function startNamespace(): Promise<number[]> {
    const child = spawn('unshare', ['-pf', '--kill-child', '--mount-proc', 'sleep', '1000'], { stdio: 'ignore', detached: true });
    child.unref();
    assert.ok(child.pid, 'unshare started');
    holders.push(child.pid);
    const sleep = await waitFor('the namespace\'s sleep', () => childrenOf(child.pid!).find((pid) => cmdline(pid)[0] === 'sleep'), 5000);
    // First in line: the namespace's PID 1 ends before its holder.
    holders.unshift(sleep);
    const pids = nsPids(sleep);
    assert.deepEqual(pids.slice(1), [1], `the sleep is PID 1 of its namespace: NSpid ${pids.join(' ')}`);
    return pids;
  }

  /** Waits until the visible picture shows its title and the row of `pids`. */
  async function waitForRow(pids: number[], what: string, timeoutMs = LOAD_WAIT_MS): Promise<void> {
    const frame = wb.webviewFrame(page);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const title = await frame.locator('h1').textContent({ timeout: 200 }).catch(() => null);
      const rows = await frame.locator(`.row.process[data-pids="${pids.join(' ')}"]`).count().catch(() => 0);
      if (title === TITLE && rows === 1) return;
      if (Date.now() > deadline) {
        const body = await frame.locator('body').innerText({ timeout: 500 }).catch((e: Error) => `(no webview: ${e.message.split('\n')[0]})`);
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (title ${JSON.stringify(title)}, ${rows} row(s) [${pids.join(' ')}]); the picture shows:\n${body.slice(0, 2000)}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** From now on, counts the editor groups the workbench makes (see newGroups). */
  async function watchNewGroups(): Promise<void> {
    await page.evaluate(() => {
      const w = globalThis as unknown as GroupWatch;
      const seen = new Set<unknown>();
      w.__newGroups = seen;
      const known = new Set(Array.from(w.document.querySelectorAll('.part.editor .editor-group-container')));
      new w.MutationObserver(() => {
        for (const group of Array.from(w.document.querySelectorAll('.part.editor .editor-group-container'))) if (!known.has(group)) seen.add(group);
      }).observe(w.document.querySelector('.part.editor'), { childList: true, subtree: true });
    });
  }

  /** How many editor groups were made since watchNewGroups, whether or not they are still there. */
  function newGroups(): Promise<number> {
    return page.evaluate(() => (globalThis as unknown as GroupWatch).__newGroups?.size ?? -1);
  }

  /** Un-maximises the panel if it hides the editor area. */
  async function restoreEditorArea(): Promise<void> {
    if (await page.locator('.part.editor').isVisible()) return;
    await wb.runCommand(page, 'View: Toggle Maximized Panel');
    await page.locator('.part.editor').waitFor({ state: 'visible', timeout: 5000 });
  }

  /**
   * Makes the picture the active editor, and waits until its webview has the keyboard: it takes it a moment after
   * the click, and taking it from an open palette would close the palette.
   */
  async function activatePicture(): Promise<void> {
    await namespacesTab().click();
    await page.waitForFunction(() => (globalThis as unknown as GroupWatch).document.activeElement?.tagName === 'IFRAME', undefined, { timeout: 5000 });
  }

  const namespacesTab = () => page.locator('.part.editor .tabs-container .tab', { hasText: /^Namespaces/ });
  const sideBar = () => page.locator('.part.sidebar');

  before(async () => {
    session = await WorkbenchSession.open({
      rootfsPrefix: 'mini-containers-e2e-nsl-', rootfsName: 'nsl-rootfs', settings: containersViewSettings,
      beforeStart: (server) => writeFileSync(join(server.folder, NOTES), 'A file being edited when the picture opens beside it.\n'),
    });
    page = session.page;
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(`${e.message}\n${e.stack ?? ''}`));
  });

  afterEach(async (t) => {
    if ((t as { passed?: boolean }).passed !== false || !page) return;
    await wb.screenshot(page, `namespaces-layout-failed-${t.name.slice(0, 40).replace(/[^A-Za-z0-9]+/g, '-')}`).catch(() => undefined);
  });

  after(async () => {
    await crowd.stop();
    killHolders();
    forget();
    await session?.close('namespaces-layout-extension.log');
  });

  it('opened beside a file with the primary side bar hidden, among 2,000 processes, it draws its title and rows', async () => {
    // The machine of the issue ran 2,083 processes: scanning them takes long enough to change what happens
    // while the webview loads.
    await crowd.start(CROWD_NAMESPACES, CROWD_PER_NAMESPACE);
    const pids = (first = await startNamespace());
    await wb.openFile(page, NOTES);
    if (await sideBar().isVisible()) await wb.runCommand(page, 'View: Toggle Primary Side Bar Visibility');
    await sideBar().waitFor({ state: 'hidden', timeout: 5000 });
    await watchNewGroups();
    await wb.runCommand(page, 'Show Namespaces');
    await waitForRow(pids, 'the first picture, side bar hidden');
    assert.equal(await namespacesTab().count(), 1, 'one Namespaces tab');
    // Moving a webview while it loads is what could leave it blank: it opens in one new group, and stays there.
    assert.equal(await newGroups(), 1, 'editor groups made while the picture opened');
  });

  it('stays drawn when the side bar is shown again, and goes on following the processes', async () => {
    await wb.openSideBarView(page, 'Containers');
    const pids = await startNamespace();
    await waitForRow(pids, 'a namespace started after the side bar came back');
  });

  it('moved to another editor group, it draws there and goes on following the processes', async () => {
    await activatePicture();
    const groups = await page.locator('.part.editor .editor-group-container').count();
    const x = async () => (await namespacesTab().boundingBox())?.x;
    const from = await x();
    await wb.runCommand(page, groups > 1 ? 'View: Move Editor into Previous Group' : 'View: Move Editor into Next Group');
    for (const deadline = Date.now() + 5000; (await x()) === from; await new Promise((r) => setTimeout(r, 50))) {
      if (Date.now() > deadline) throw new Error('the Namespaces tab did not move to another group');
    }
    const pids = await startNamespace();
    await waitForRow(pids, 'a namespace started after the picture moved to another group');
  });

  it('opened while the panel is maximised, it draws', async () => {
    await activatePicture();
    await wb.runCommand(page, 'View: Close Editor');
    await namespacesTab().waitFor({ state: 'detached', timeout: 5000 });
    // The Output view in the panel: a terminal there would take the keyboard from the palette once it starts.
    await wb.runCommand(page, 'Output: Focus on Output View');
    // Once the Output view has the keyboard: taking it after the palette opened would close the palette.
    await page.waitForFunction(() => !!(globalThis as unknown as GroupWatch).document.activeElement?.closest('.part.panel'), undefined, { timeout: 5000 });
    await wb.runCommand(page, 'View: Toggle Maximized Panel');
    await page.locator('.part.editor').waitFor({ state: 'hidden', timeout: 5000 });
    try {
      await wb.runCommand(page, 'Show Namespaces');
      const pids = await startNamespace();
      await waitForRow(pids, 'the picture opened while the panel was maximised');
    } finally {
      await restoreEditorArea();
    }
  });

  it('restored by Reload Window, it draws', async () => {
    await restoreEditorArea();
    const pids = await startNamespace();
    const loaded = page.waitForEvent('load', { timeout: 30_000 });
    await wb.runCommand(page, 'Developer: Reload Window');
    await loaded;
    await wb.waitForWorkbench(page);
    await namespacesTab().waitFor({ state: 'visible', timeout: 20_000 });
    await waitForRow(pids, 'the restored picture');
  });

  it('closed while the Containers view scans, it logs no error', async () => {
    await wb.openSideBarView(page, 'Containers');
    const before = errors.length;
    for (let i = 0; i < 2; i++) {
      if (!(await namespacesTab().isVisible())) await wb.runCommand(page, 'Show Namespaces');
      await activatePicture();
      await waitForRow(first, 'the picture before it is closed');
      await wb.runCommand(page, 'View: Close Editor');
      await namespacesTab().waitFor({ state: 'detached', timeout: 5000 });
    }
    // The extension host handles the close before the next command: once the picture opened again has drawn,
    // an error raised while closing would have reached the page.
    await wb.runCommand(page, 'Show Namespaces');
    await waitForRow(first, 'the picture opened again');
    const found = errors.slice(before).filter((e) => /Webview is disposed/.test(e));
    assert.deepEqual(found, [], 'no repaint of a disposed webview');
  });
});
