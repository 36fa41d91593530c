// End to end: "Show Namespaces" in a real VS Code (code-server + chromium). Every number the picture shows is
// checked against NSpid in the host's /proc, read by the test itself. Needs root (a nested PID namespace is made
// with unshare from the host side). Run with `npm run test:e2e`.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, afterEach, before, describe, it } from 'node:test';
import type { FrameLocator, Page } from 'playwright-core';
import { onInterrupt } from './cleanup';
import { isRunning, processesRootedIn } from './hostProcesses';
import * as wb from './workbench';
import {
  childrenOf, cmdline, containersViewSettings, focusActiveTerminal, hostSideOf, pin, POLL_WAIT_MS, startBackgroundSleep,
  stat, waitForTerminatedSleep, waitUntil,
} from './steps';
import { WorkbenchSession } from './workbenchSession';
import { containerNamePattern, nsPids, waitFor } from '../vscode/hostState';

/** A row of the picture: its kind, the PIDs it shows (host first) and its text. */
interface PictureRow {
  readonly kind: 'process' | 'holder';
  readonly pids: number[];
  readonly text: string;
  readonly frameDepth: number;
  readonly parentFrameDepth: number | null;
  readonly role: string | null;
}

async function pictureRows(frame: FrameLocator): Promise<PictureRow[]> {
  return frame.locator('.row.process, .row.holder').evaluateAll((rows) =>
    rows.map((row) => {
      const frameEl = row.closest('.frame');
      const parentFrame = frameEl?.parentElement?.closest('.frame');
      return {
        kind: row.classList.contains('process') ? 'process' as const : 'holder' as const,
        pids: (row.getAttribute('data-pids') ?? row.getAttribute('data-host-pid') ?? '').split(' ').map(Number),
        text: row.textContent ?? '',
        frameDepth: Number(frameEl?.getAttribute('data-depth') ?? 0),
        parentFrameDepth: parentFrame ? Number(parentFrame.getAttribute('data-depth')) : null,
        role: row.getAttribute('data-role'),
      };
    }),
  );
}

async function waitForPicture(frame: FrameLocator, done: (rows: PictureRow[]) => boolean, what: string, timeoutMs = POLL_WAIT_MS) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = await pictureRows(frame).catch(() => [] as PictureRow[]);
    if (done(rows)) return rows;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; the picture shows:\n` +
        rows.map((r) => `${'  '.repeat(r.frameDepth)}${r.kind} [${r.pids.join(' ')}] ${r.text}`).join('\n'));
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

const samePids = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((x, i) => x === b[i]);

describe('Show Namespaces in a real VS Code (code-server + chromium)', { timeout: 240_000 }, () => {
  let session: WorkbenchSession | undefined;
  let page: Page;
  let rootfs = '';
  let initPid = 0;
  let sleeper = 0;
  /** The nested namespaces the test makes from the host: unshare → unshare (PID 1 of level 1) → sleep (PID 1 of level 2). */
  let nest: { outer: number; inner: number; sleep: number } | undefined;
  let forgetNest: () => void = () => undefined;

  /** Ends the nested namespaces by their PIDs: SIGKILL to level 1's PID 1 ends everything below it. */
  const killNest = () => {
    for (const pid of nest ? [nest.inner, nest.outer] : []) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  };

  before(async () => {
    session = await WorkbenchSession.open({ rootfsPrefix: 'mini-containers-e2e-ns-', rootfsName: 'ns-rootfs', settings: containersViewSettings });
    ({ rootfs, page } = session);
  });

  afterEach(async (t) => {
    if ((t as { passed?: boolean }).passed !== false || !page) return;
    await wb.screenshot(page, `namespaces-failed-${t.name.slice(0, 40).replace(/[^A-Za-z0-9]+/g, '-')}`).catch(() => undefined);
  });

  after(async () => {
    killNest();
    forgetNest();
    await session?.close('namespaces-extension.log');
  });

  it('shows the isolated shell as PID 1 of its namespace, joined to its host PID, and the sleep on both sides', async () => {
    await wb.runCommand(page, 'Start Isolated Shell');
    await wb.waitForPromptInNewTerminal(page, [], containerNamePattern(rootfs));
    const inits = processesRootedIn(rootfs).filter((p) => p.nsPids.length === 2 && p.nsPids[1] === 1);
    assert.equal(inits.length, 1, `expected one PID 1 in ${rootfs}: ${JSON.stringify(inits)}`);
    initPid = inits[0].pid;
    await focusActiveTerminal(page);
    await startBackgroundSleep(page);
    sleeper = childrenOf(initPid).find((pid) => cmdline(pid).join(' ') === 'sleep 1000') ?? 0;
    assert.ok(sleeper, 'the shell started sleep 1000');

    await wb.runCommand(page, 'Show Namespaces');
    const frame = wb.webviewFrame(page);
    const [shellPids, sleepPids] = [nsPids(initPid), nsPids(sleeper)];
    assert.deepEqual(shellPids, [initPid, 1], 'the host\'s /proc: the shell is PID 1 of a namespace one level down');
    const rows = await waitForPicture(
      frame,
      (r) => r.some((x) => samePids(x.pids, shellPids)) && r.some((x) => samePids(x.pids, sleepPids)),
      `rows [${shellPids.join(' ')}] and [${sleepPids.join(' ')}]`,
    );
    const shell = rows.find((r) => samePids(r.pids, shellPids));
    assert.match(shell?.text ?? '', /\/bin\/sh/);
    assert.match(shell?.text ?? '', /PID 1 of this namespace/);
    const sleepRow = rows.find((r) => samePids(r.pids, sleepPids));
    assert.match(sleepRow?.text ?? '', /sleep 1000/);
    assert.doesNotMatch(sleepRow?.text ?? '', /PID 1 of this namespace/);
    assert.notEqual(sleepPids[0], sleepPids[1], 'the sleep has another PID on the host than inside');
    // Each number has its own cell, and a line joins them.
    const cells = await frame.locator(`.row.process[data-pids="${sleepPids.join(' ')}"] .pid`).allTextContents();
    assert.deepEqual(cells.map(Number), sleepPids);
    assert.equal(await frame.locator(`.row.process[data-pids="${sleepPids.join(' ')}"] .join`).count(), 1);

    // The host chain above it, named in words, each with its host PID only: the helper, then PID 1's parent,
    // bubblewrap's monitor (hostSideOf checks that the host's /proc has them so).
    const [helper, monitor] = hostSideOf(initPid).map((p) => p.pid);
    const holders = rows.filter((r) => r.kind === 'holder' && (r.pids[0] === helper || r.pids[0] === monitor));
    assert.deepEqual(holders.map((h) => [h.pids[0], h.role]), [[helper, 'helper'], [monitor, 'bwrapMonitor']]);
    assert.match(holders[0].text, /the helper/);
    assert.match(holders[1].text, /bubblewrap's monitor/);
    assert.match(holders[1].text, /exists only on the host side/);
  });

  it('a nested PID namespace made from the host shows all three levels of NSpid, in a frame inside its parent\'s', async () => {
    const child = spawn('unshare', ['-pf', '--mount-proc', '--', 'unshare', '-pf', '--mount-proc', 'sleep', '1000'], { stdio: 'ignore', detached: true });
    child.unref();
    const outer = child.pid ?? 0;
    nest = { outer, inner: 0, sleep: 0 };
    forgetNest = onInterrupt(killNest);
    nest.inner = await waitFor('level 1\'s PID 1', () => childrenOf(outer).find((pid) => cmdline(pid)[0] === 'unshare'), 5000);
    nest.sleep = await waitFor('level 2\'s PID 1', () => childrenOf(nest!.inner).find((pid) => cmdline(pid)[0] === 'sleep'), 5000);
    const levels = nsPids(nest.sleep);
    assert.equal(levels.length, 3, `NSpid of the nested sleep: ${levels.join(' ')}`);
    assert.equal(levels[2], 1, 'the sleep is PID 1 of the innermost namespace');
    const innerPids = nsPids(nest.inner);
    assert.deepEqual(innerPids, [nest.inner, 1]);

    const frame = wb.webviewFrame(page);
    // Nothing tells the picture about a process started by hand: the poll finds it.
    const rows = await waitForPicture(frame, (r) => r.some((x) => samePids(x.pids, levels)), `the row [${levels.join(' ')}]`);
    const deepest = rows.find((r) => samePids(r.pids, levels));
    assert.equal(deepest?.frameDepth, 2, 'the sleep is drawn in a level-2 frame');
    assert.equal(deepest?.parentFrameDepth, 1, 'inside a level-1 frame');
    assert.match(deepest?.text ?? '', /PID 1 of this namespace/);
    const cells = await frame.locator(`.row.process[data-pids="${levels.join(' ')}"] .pid`).allTextContents();
    assert.deepEqual(cells.map(Number), levels, 'every level\'s number is shown');
    const parent = rows.find((r) => samePids(r.pids, innerPids));
    assert.equal(parent?.frameDepth, 1);
    assert.ok(rows.some((r) => r.kind === 'holder' && r.pids[0] === outer && r.role === 'unshare'), 'the outer unshare holds it on the host');
    await wb.screenshot(page, 'namespaces-picture');
    await wb.readmeScreenshot(page, 'screenshot-namespaces');
  });

  it('clicking a process selects it in the Containers view', async () => {
    const frame = wb.webviewFrame(page);
    await frame.locator(`.row.process[data-pids="${initPid} 1"]`).click();
    const selected = page.locator('.part.sidebar .monaco-list-row.selected .label-name');
    await selected.filter({ hasText: /^\/bin\/sh$/ }).waitFor({ state: 'visible', timeout: 10_000 });
    await wb.screenshot(page, 'namespaces-picture-and-tree');
  });

  it('works from the keyboard: one tab stop, arrows move between rows, Enter selects in the tree; rows are labelled', async () => {
    const frame = wb.webviewFrame(page);
    // The click of the previous test left the shell's row focused, as the tab stop.
    assert.equal(await frame.locator('.row[tabindex="0"]').count(), 1, 'one row is the tab stop');
    const shellRow = frame.locator(`.row.process[data-pids="${initPid} 1"]`);
    await shellRow.focus();
    await page.keyboard.press('ArrowDown');
    const sleepPids = nsPids(sleeper);
    const focused = await frame.locator(':focus').getAttribute('data-pids');
    assert.equal(focused, sleepPids.join(' '), 'ArrowDown moved to the sleep, the next row');
    const label = await frame.locator(':focus').getAttribute('aria-label');
    assert.match(label ?? '', new RegExp(`^Host PID ${sleepPids[0]}, namespace PID ${sleepPids[1]}: sleep 1000`));
    await page.keyboard.press('Enter');
    const selected = page.locator('.part.sidebar .monaco-list-row.selected .label-name');
    await selected.filter({ hasText: /^sleep 1000$/ }).waitFor({ state: 'visible', timeout: 10_000 });
    // The menu key's equivalent opens the kill menu on the focused row; Escape closes it and gives the row back.
    await frame.locator(':focus').press('Shift+F10');
    const item = frame.locator('#menu [role="menuitem"]').first();
    await item.waitFor({ state: 'visible', timeout: 5000 });
    assert.equal(await frame.locator('#menu [role="menuitem"]:focus').count(), 1, 'the menu has the keyboard');
    await page.keyboard.press('Escape');
    await item.waitFor({ state: 'hidden', timeout: 5000 });
    assert.equal(await frame.locator(':focus').getAttribute('data-pids'), sleepPids.join(' '), 'focus went back to the row');
  });

  it('folds the host\'s own processes into a count, and lists them only when opened, through a filter', async () => {
    const frame = wb.webviewFrame(page);
    const toggle = frame.locator('#host-toggle');
    assert.match(await toggle.innerText(), /^\d+ other host processes, in no container$/);
    assert.equal(await frame.locator('#host-list .row').count(), 0, 'nothing listed while folded');
    await toggle.click();
    // This test's own process runs on the host, in no container; the shell is in one, so it is not listed.
    await frame.locator('#host-filter').fill(String(process.pid));
    await frame.locator(`#host-list .row[data-host-pid="${process.pid}"]`).waitFor({ state: 'visible', timeout: 5000 });
    await frame.locator('#host-filter').fill(String(initPid));
    await frame.locator(`#host-list .row[data-host-pid="${process.pid}"]`).waitFor({ state: 'detached', timeout: 5000 });
    assert.equal(await frame.locator(`#host-list .row[data-host-pid="${initPid}"]`).count(), 0, 'a container\'s process is not a host-only one');
    await toggle.click();
  });

  it('"Kill (SIGTERM)" from a row\'s context menu ends the sleep, and only its frame is repainted', async () => {
    const frame = wb.webviewFrame(page);
    const sleepPids = nsPids(sleeper);
    const pinned = pin(sleeper, 'sleep 1000');
    const nestedFrames = frame.locator('.frame[data-depth="2"]');
    const paintsBefore = await nestedFrames.first().getAttribute('data-paints');
    await frame.locator(`.row.process[data-pids="${sleepPids.join(' ')}"]`).click({ button: 'right' });
    const item = frame.locator('#menu [role="menuitem"]', { hasText: /^Kill \(SIGTERM\)$/ });
    await item.waitFor({ state: 'visible', timeout: 5000 });
    await item.click();
    await waitUntil(`host PID ${sleeper} to end`, () => !isRunning(pinned.pid) || stat(pinned.pid)?.startTime !== pinned.startTime, 5000);
    assert.ok(isRunning(initPid), 'the shell still runs');
    // Not reaped until the shell's next prompt: its row says it is a zombie, whose parent must reap it, and why.
    const isZombie = () => stat(pinned.pid)?.state === 'Z' && stat(pinned.pid)?.startTime === pinned.startTime;
    assert.ok(isZombie(), `host PID ${sleeper} is a zombie: ${JSON.stringify(stat(pinned.pid))}`);
    const words = `exited, waiting for its parent (host PID ${initPid}) to reap it`;
    await waitForPicture(frame, (r) => r.some((x) => x.pids[0] === sleeper && x.text.endsWith(words)), `the row of host PID ${sleeper} to say "${words}"`);
    const zombieRow = frame.locator(`.row.process[data-pids="${sleepPids.join(' ')}"]`);
    assert.equal(await zombieRow.getAttribute('data-state'), 'Z');
    assert.match(await zombieRow.getAttribute('title') ?? '', /until its parent collects them with wait\(\)/);
    assert.ok(isZombie(), 'still not reaped when the picture said so');
    await waitForTerminatedSleep(page);
    await waitForPicture(frame, (r) => !r.some((x) => x.pids[0] === sleeper), `the row of host PID ${sleeper} to go`);
    assert.equal(await nestedFrames.first().getAttribute('data-paints'), paintsBefore, 'the nested container\'s frame was not drawn again');
    await wb.screenshot(page, 'namespaces-after-kill');
  });

  it('hidden behind another editor it lets go of its page; shown again, it draws what runs now', async () => {
    const frame = wb.webviewFrame(page);
    const paintsBefore = Number(await frame.locator('body').getAttribute('data-paints'));
    await wb.runCommand(page, 'New Untitled Text File');
    await page.locator('iframe.webview.ready:visible').waitFor({ state: 'detached', timeout: 10_000 }).catch(() => undefined);
    assert.equal(await page.locator(`iframe.webview.ready:visible[src*="extensionId=mini-containers.mini-containers&"]`).count(), 0, 'the picture is hidden');
    await focusActiveTerminal(page);
    await startBackgroundSleep(page);
    const fresh = await waitFor('the new sleep', () => childrenOf(initPid).find((pid) => cmdline(pid).join(' ') === 'sleep 1000'), 5000);
    await page.locator('.part.editor .tabs-container .tab', { hasText: 'Namespaces' }).click();
    await waitForPicture(frame, (r) => r.some((x) => samePids(x.pids, nsPids(fresh))), `the new sleep [${nsPids(fresh).join(' ')}]`);
    const paintsAfter = Number(await frame.locator('body').getAttribute('data-paints'));
    assert.ok(paintsAfter < paintsBefore, `a fresh page (${paintsAfter} paints, the old one had ${paintsBefore}) drew it from a full update`);
  });
});
