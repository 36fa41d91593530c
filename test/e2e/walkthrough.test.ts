// End to end: the walkthrough "Process isolation, step by step" in a real VS Code (code-server + chromium), on a
// fresh install: it opens by itself the first time the extension is used (here, the Containers view shown), and
// each step's button does the step in a real isolated shell and checks the
// step when the shell (or the host) shows that it happened. Needs root. Run with `npm run test:e2e`.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { isRunning, processesRootedIn } from './hostProcesses';
import * as wb from './workbench';
import {
  childrenOf, cmdline, containersViewSettings, extensionLog, lastIndex, lastPsTable, stat, waitForTerminatedSleep, waitUntil,
} from './steps';
import { WorkbenchSession } from './workbenchSession';
import { containerNamePattern, waitFor } from '../vscode/hostState';

const WALKTHROUGH = 'Process isolation, step by step';

/** A step of the walkthrough page, by the id it has in package.json. */
const step = (page: Page, id: string) => page.locator(`.gettingStartedContainer button.getting-started-step[data-step-id$="#${id}"]`);

/** Opens the step and clicks the button its description's command link became. */
async function clickStepButton(page: Page, id: string, label: string): Promise<void> {
  await step(page, id).click();
  const button = step(page, id).locator('.step-description-container .button-container button, .step-description-container a', { hasText: label });
  await button.first().waitFor({ state: 'visible', timeout: 5000 });
  await button.first().click();
}

/**
 * Waits until the page shows the step as done — its check icon (`.codicon.complete`, a checked checkbox for screen
 * readers) — which it does when the step's completion event has come.
 */
async function waitForDone(page: Page, id: string, timeoutMs = 10_000): Promise<void> {
  const check = step(page, id).locator('.codicon.complete[role="checkbox"][aria-checked="true"]');
  await check.waitFor({ state: 'attached', timeout: timeoutMs });
  assert.equal(await step(page, id).getAttribute('aria-checked'), 'true');
}

describe('The walkthrough "Process isolation, step by step" (code-server + chromium)', { timeout: 240_000 }, () => {
  let session: WorkbenchSession | undefined;
  let page: Page;
  let rootfs = '';
  let initPid = 0;

  before(async () => {
    session = await WorkbenchSession.open({
      rootfsPrefix: 'mini-containers-e2e-walk-',
      rootfsName: 'walk-rootfs',
      // A fresh install opens its walkthrough unless this is off (the other suites turn it off).
      settings: (r) => ({ ...containersViewSettings(r), 'workbench.welcomePage.walkthroughs.openOnInstall': true }),
    });
    ({ rootfs, page } = session);
  });

  afterEach(async (t) => {
    if ((t as { passed?: boolean }).passed !== false || !page) return;
    await wb.screenshot(page, `walkthrough-failed-${t.name.slice(0, 40).replace(/[^A-Za-z0-9]+/g, '-')}`).catch(() => undefined);
  });

  after(async () => {
    await session?.close('walkthrough-extension.log');
  });

  it('opens by itself on first use (the Containers view shown), and the root filesystem step is done (the setting names a usable one)', async () => {
    // Nothing activates the extension at start-up: a window that never uses it does not pay for it.
    await wb.openSideBarView(page, 'Containers');
    const title = page.locator('.gettingStartedContainer .getting-started-category .category-title, .gettingStartedContainer h2', { hasText: WALKTHROUGH });
    await title.first().waitFor({ state: 'visible', timeout: 30_000 });
    for (const id of ['shell', 'ps', 'kill', 'picture', 'hostKill']) {
      assert.equal(await step(page, id).getAttribute('aria-checked'), 'false', `step ${id} is not done before it is done`);
    }
    await waitForDone(page, 'rootfs');
    await wb.screenshot(page, 'walkthrough-opened');
  });

  it('"Start Isolated Shell" opens a shell that is PID 1, and checks the step', async () => {
    await clickStepButton(page, 'shell', 'Start Isolated Shell');
    await wb.waitForPromptInNewTerminal(page, [], containerNamePattern(rootfs));
    const inits = processesRootedIn(rootfs).filter((p) => p.nsPids.length === 2 && p.nsPids[1] === 1);
    assert.equal(inits.length, 1, `expected one PID 1 in ${rootfs}`);
    initPid = inits[0].pid;
    await waitForDone(page, 'shell');
  });

  it('"Type ps aux" types it into the shell, which lists itself as PID 1, and checks the step', async () => {
    await clickStepButton(page, 'ps', 'Type ps aux');
    const lines = await wb.waitForTerminal(page, (l) => l.some((x) => /^\s*PID\s+USER/.test(x)) && wb.endsWithPrompt(l), 'the ps table');
    assert.ok(lines.some((l) => /# ps aux$/.test(l)), `the shell shows the typed command:\n${lines.join('\n')}`);
    const table = lastPsTable(lines);
    assert.match(table.find((r) => r.pid === 1)?.command ?? '', /^(\/bin\/)?-?sh\b/);
    await waitForDone(page, 'ps');
  });

  it('"Type kill <a host PID>" types a PID that runs on the host; the shell answers "No such process", and the step is checked', async () => {
    await clickStepButton(page, 'kill', 'Type kill');
    const lines = await wb.waitForTerminal(page, (l) => l.some((x) => /No such process/.test(x)) && wb.endsWithPrompt(l), '"No such process"');
    const typed = lines[lastIndex(lines, (l) => /# kill \d+$/.test(l))];
    const pid = Number(/kill (\d+)$/.exec(typed ?? '')?.[1]);
    assert.ok(pid > 1, `no "kill <PID>" in the terminal:\n${lines.join('\n')}`);
    assert.ok(isRunning(pid), `host PID ${pid} runs on the host`);
    assert.match(cmdline(pid).join(' '), /extensionHost|bootstrap-fork|node/, `host PID ${pid} is the extension host`);
    await waitForDone(page, 'kill');
  });

  it('"Show Namespaces" opens the picture with the shell as PID 1 joined to its host PID, and checks the step', async () => {
    await clickStepButton(page, 'picture', 'Show Namespaces');
    const row = wb.webviewFrame(page).locator(`.row.process[data-pids="${initPid} 1"]`);
    await row.waitFor({ state: 'visible', timeout: 10_000 });
    await waitForDone(page, 'picture');
    await wb.screenshot(page, 'walkthrough-picture');
  });

  it('"Type sleep 1000 &", then Kill (SIGTERM) from the picture, ends the sleep from the host and checks the last step', async () => {
    await clickStepButton(page, 'hostKill', 'Type sleep 1000');
    const sleeper = await waitFor('the sleep in the shell', () => childrenOf(initPid).find((pid) => cmdline(pid).join(' ') === 'sleep 1000'));
    const startTime = stat(sleeper)?.startTime;
    const frame = wb.webviewFrame(page);
    const row = frame.locator(`.row.process[data-host-pid="${sleeper}"]`);
    await row.waitFor({ state: 'visible', timeout: 10_000 });
    await row.click({ button: 'right' });
    await frame.locator('#menu [role="menuitem"]', { hasText: /^Kill \(SIGTERM\)$/ }).click();
    await waitUntil(`host PID ${sleeper} to end`, () => !isRunning(sleeper) || stat(sleeper)?.startTime !== startTime, 5000);
    await waitForDone(page, 'hostKill');
    await waitForTerminatedSleep(page);
    await wb.screenshot(page, 'walkthrough-done');
  });

  it('is offered only once: after a reload the new extension host does not open it again', async () => {
    const log = () => extensionLog(session!.server.root);
    assert.match(log(), /\[walkthrough\] first run: opening it/);
    await wb.runCommand(page, 'View: Close All Editors');
    await page.locator('.gettingStartedContainer').waitFor({ state: 'detached', timeout: 10_000 });
    const loaded = page.waitForEvent('load', { timeout: 30_000 });
    await wb.runCommand(page, 'Reload Window');
    await loaded;
    await wb.waitForWorkbench(page);
    // Used again in the new window: the new extension host activates and says what it decided, where it would have
    // opened it.
    await wb.openSideBarView(page, 'Containers');
    await waitFor('the new extension host to decide', () => /not opened again/.test(log()), 30_000);
    assert.equal(await page.locator('.gettingStartedContainer').count(), 0, 'the walkthrough opened again');
  });
});
