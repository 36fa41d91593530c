// End to end: the walkthrough remembers the lesson done before it was opened. In a first window the lesson is
// done by hand — a shell, `ps aux`, `kill <a host PID>`, Show Namespaces — without the walkthrough; in the next
// window (after Reload Window) a sleep is killed from the Containers view, and only then is the walkthrough opened:
// every step shows done, those of the earlier window and the one of this window alike. Needs root.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { isRunning, processesRootedIn } from './hostProcesses';
import * as wb from './workbench';
import {
  childrenOf, cmdline, containersViewSettings, extensionLog, runInTerminal, focusActiveTerminal, startBackgroundSleep, stat, waitForTerminatedSleep, waitUntil,
} from './steps';
import { WorkbenchSession } from './workbenchSession';
import { containerNamePattern, waitFor } from '../vscode/hostState';

const WALKTHROUGH = 'Process isolation, step by step';
const STEPS = ['rootfs', 'shell', 'ps', 'kill', 'picture', 'hostKill'];

const step = (page: Page, id: string) => page.locator(`.gettingStartedContainer button.getting-started-step[data-step-id$="#${id}"]`);

/** Starts an isolated shell from the palette; its PID 1 on the host. */
async function startShell(page: Page, rootfs: string, known: string[]): Promise<number> {
  await wb.runCommand(page, 'Start Isolated Shell');
  await wb.waitForPromptInNewTerminal(page, known, containerNamePattern(rootfs));
  const inits = processesRootedIn(rootfs).filter((p) => p.nsPids.length === 2 && p.nsPids[1] === 1);
  assert.equal(inits.length, 1, `expected one PID 1 in ${rootfs}`);
  return inits[0].pid;
}

describe('The walkthrough shows the steps done before it was opened, in this window and an earlier one', { timeout: 240_000 }, () => {
  let session: WorkbenchSession | undefined;
  let page: Page;
  let rootfs = '';
  const log = () => extensionLog(session!.server.root);

  before(async () => {
    // openOnInstall stays off (the suites' default): nothing opens the walkthrough before the test does.
    session = await WorkbenchSession.open({ rootfsPrefix: 'mini-containers-e2e-walkmem-', rootfsName: 'walkmem-rootfs', settings: containersViewSettings });
    ({ rootfs, page } = session);
  });

  afterEach(async (t) => {
    if ((t as { passed?: boolean }).passed !== false || !page) return;
    await wb.screenshot(page, `walkmem-failed-${t.name.slice(0, 40).replace(/[^A-Za-z0-9]+/g, '-')}`).catch(() => undefined);
  });

  after(async () => {
    await session?.close('walkthrough-memory-extension.log');
  });

  it('first window: the lesson by hand — shell, ps aux, kill of a host PID, Show Namespaces — with no walkthrough open', async () => {
    const initPid = await startShell(page, rootfs, []);
    await runInTerminal(page, 'ps aux', (l) => l.some((x) => /^\s*PID\s+USER/.test(x)));
    // This test's own PID: a host process the container cannot see.
    await runInTerminal(page, `kill ${process.pid}`, (l) => l.some((x) => /No such process/.test(x)));
    await wb.runCommand(page, 'Show Namespaces');
    await wb.webviewFrame(page).locator(`.row.process[data-pids="${initPid} 1"]`).waitFor({ state: 'visible', timeout: 15_000 });
    await waitFor('the extension to record the four events', () => ['shellStarted', 'psShown', 'noSuchProcess', 'pictureShown'].every((k) => log().includes(`[walkthrough] miniContainers.walkthrough.${k}`)), 10_000);
    assert.equal(await page.locator('.gettingStartedContainer').count(), 0, 'the walkthrough is not open');
  });

  it('next window: a sleep killed from the Containers view, then the walkthrough opened shows all six steps done', async () => {
    await wb.runCommand(page, 'Reload Window');
    await wb.waitForWorkbench(page);
    await waitUntil('the first window\'s container to end', () => processesRootedIn(rootfs).length === 0, 30_000);

    const initPid = await startShell(page, rootfs, []);
    // In this new window the terminal may not have the keyboard yet when its prompt shows: give it.
    await focusActiveTerminal(page);
    await startBackgroundSleep(page);
    const sleeper = await waitFor('the sleep in the shell', () => childrenOf(initPid).find((pid) => cmdline(pid).join(' ') === 'sleep 1000'));
    const startTime = stat(sleeper)?.startTime;
    await wb.openSideBarView(page, 'Containers');
    const sleepRow = new RegExp(`^PID \\d+ · host ${sleeper} · `);
    await wb.waitForSideBarTree(page, (rows) => rows.some((r) => r.label === 'sleep 1000' && sleepRow.test(r.description)), 'the sleep in the tree', 15_000);
    await wb.clickTreeRowAction(page, 'sleep 1000', sleepRow, 'Kill (SIGTERM)');
    await waitUntil(`host PID ${sleeper} to end`, () => !isRunning(sleeper) || stat(sleeper)?.state === 'Z' || stat(sleeper)?.startTime !== startTime, 10_000);
    await waitForTerminatedSleep(page);
    assert.equal(await page.locator('.gettingStartedContainer').count(), 0, 'the walkthrough is not open yet');

    await wb.runCommand(page, 'Open Walkthrough...');
    const pick = page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: WALKTHROUGH }).first();
    await pick.waitFor({ state: 'visible', timeout: 15_000 });
    await pick.click();
    await page.locator('.gettingStartedContainer h2, .gettingStartedContainer .category-title', { hasText: WALKTHROUGH }).first().waitFor({ state: 'visible', timeout: 30_000 });
    for (const id of STEPS) {
      await step(page, id).locator('.codicon.complete[role="checkbox"][aria-checked="true"]').waitFor({ state: 'attached', timeout: 10_000 });
      assert.equal(await step(page, id).getAttribute('aria-checked'), 'true', `step ${id}`);
    }
    assert.match(log(), /\[walkthrough\] shown \(tab "(Welcome|Walkthrough: Mini Containers)"\)/);
    await wb.screenshot(page, 'walkthrough-remembered');
  });
});
