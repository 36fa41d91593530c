// End to end: what "Developer: Reload Window" does to containers. Two run while the window reloads: an isolated
// shell of this window, and one started outside VS Code by the real helper (as a script or another tool would).
//
// Designed behaviour, asserted here:
// - A container is found from the host (/proc and the helper's records), not from the window's memory: the new
//   extension host lists the outside container again, by the name in its record, and can still signal it
//   (through the helper's `kill`, since this window did not start it).
// - A terminal's container lives exactly as long as its terminal: the shell is PID 1 of its namespace, and the
//   helper ends the container when the terminal's pty is hung up. A reload ends the old extension host and so
//   closes the extension's terminals; the container of the old window's terminal must then be gone entirely — no
//   process, no zombie, no mount, no record or FIFO in /run/mini-containers — not left running with nobody to
//   type into it or close it.
// Needs root, like isolatedShell.test.ts. Run by `npm run test:e2e`.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { onInterrupt } from './cleanup';
import { sleep } from './codeServer';
import { projectRoot } from './codeServerInstall';
import { isRunning, processesRootedIn } from './hostProcesses';
import { mountsUnder } from './rootfs';
import * as steps from './steps';
import { pin, POLL_WAIT_MS, type Pinned } from './steps';
import * as wb from './workbench';
import { WorkbenchSession } from './workbenchSession';
import { containerNamePattern, REGISTRY, registryRecord } from '../vscode/hostState';

const helperScript = join(projectRoot, 'src', 'helper', 'container-helper.sh');
/** PID 1 of the outside container. */
const OUTSIDE_SCRIPT = 'sleep 1000 & sleep 2000 & wait';

/**
 * Right-clicks the tree row and picks `item` from its context menu; returns the modal dialog that opens. Now and
 * then (about one run in twenty, while other containers on the machine change the tree) the pick opens nothing:
 * then the menu is opened again. The caller checks the dialog's text before confirming anything.
 */
async function chooseFromContextMenu(page: Page, label: string, description: RegExp, item: string) {
  const dialog = page.locator('.monaco-dialog-box');
  for (let attempt = 1; ; attempt++) {
    const row = await wb.sideBarTreeRow(page, label, description);
    await row.click({ button: 'right' });
    const entry = page.locator('.monaco-menu .action-item', { hasText: new RegExp(`^${item}$`) });
    await entry.waitFor({ state: 'visible', timeout: 5000 });
    // The menu takes clicks once it follows the mouse: hovering an entry focuses it.
    await entry.hover();
    await page.locator('.monaco-menu .action-item.focused', { hasText: new RegExp(`^${item}$`) }).waitFor({ state: 'visible', timeout: 5000 });
    await entry.click();
    try {
      await dialog.waitFor({ state: 'visible', timeout: 2000 });
      return dialog;
    } catch (err) {
      if (attempt === 3) throw err;
      console.log(`"${item}" chosen from the context menu of ${label} opened no dialog; again (attempt ${attempt + 1})`);
      await page.keyboard.press('Escape');
    }
  }
}

describe('Reload Window: containers are rediscovered, and a terminal\'s container ends with it', { timeout: 180_000 }, () => {
  let session: WorkbenchSession | undefined;
  let rootfs = '';
  let page: Page;
  let outside: ChildProcess | undefined;
  let outsideExit: Promise<number | string> | undefined;
  let unregisterOutside: () => void = () => undefined;
  const outsideName = `outside-${randomBytes(3).toString('hex')}`;
  let outsideInit: Pinned | undefined;
  let outsideSleep: Pinned | undefined;
  /** The isolated shell of the window before the reload: its terminal (= container) name and what holds it. */
  let shellName = '';
  let shell: { init: Pinned; hostSide: Pinned[]; files: string[] } | undefined;

  before(async () => {
    session = await WorkbenchSession.open({
      rootfsPrefix: 'mini-containers-e2e-r-',
      rootfsName: 'r-rootfs',
      settings: steps.containersViewSettings,
    });
    ({ rootfs, page } = session);
  });

  after(async () => {
    // The outside container, if a failure left it running: TERM to its helper ends it, by PID.
    const endOutside = async () => {
      if (outside?.pid !== undefined && outside.exitCode === null && outside.signalCode === null) {
        outside.kill('SIGTERM');
        await Promise.race([outsideExit, sleep(3000)]);
        if (outside.exitCode === null && outside.signalCode === null) outside.kill('SIGKILL');
      }
      unregisterOutside();
    };
    if (session) await session.close('r-extension.log', endOutside);
    else await endOutside();
  });

  it('before the reload, the view lists the window\'s isolated shell and a container started outside VS Code', async () => {
    await wb.runCommand(page, 'Start Isolated Shell');
    shellName = await wb.waitForPromptInNewTerminal(page, [], containerNamePattern(rootfs));
    const record = registryRecord(shellName);
    assert.ok(record?.control && record.helperPid, `no record with a control FIFO for ${shellName}`);
    const init = pin(record.initPid, 'PID 1 of the shell');
    const hostSide = steps.hostSideOf(init.pid);
    const [helper] = hostSide;
    assert.equal(helper.pid, record.helperPid, 'the record names the helper that holds the shell');
    shell = {
      init,
      hostSide,
      files: [join(REGISTRY, `${init.pid}-${init.startTime}.json`), record.control],
    };

    // A container started by hand with the real helper, its output going nowhere, not a child of VS Code. Two
    // sleeps: PID 1's `wait` returns only when both ended, so killing the first leaves the container running.
    outside = spawn('sh', [helperScript, 'start', '--rootfs', rootfs, '--name', outsideName, '--', '/bin/sh', '-c', OUTSIDE_SCRIPT], {
      detached: true,
      stdio: 'ignore',
    });
    const child = outside;
    unregisterOutside = onInterrupt(() => child.kill('SIGKILL'));
    outsideExit = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
    await steps.waitUntil(`the record of ${outsideName}`, () => registryRecord(outsideName) !== undefined, 10_000);
    outsideInit = pin(registryRecord(outsideName)!.initPid, `PID 1 of ${outsideName}`);
    const sleepOf = () => steps.childrenOf(outsideInit!.pid).find((p) => steps.cmdline(p).join(' ') === 'sleep 1000');
    await steps.waitUntil(`the sleeps of ${outsideName}`, () => steps.childrenOf(outsideInit!.pid).length === 2 && sleepOf() !== undefined, 5000);
    outsideSleep = pin(sleepOf()!, `sleep 1000 of ${outsideName}`);

    await wb.openSideBarView(page, 'Containers');
    await steps.widenSideBar(page, 560);
    const rows = await wb.waitForSideBarTree(
      page,
      (r) => steps.rowsOf(r, shellName).some((x) => x.label === '/bin/sh') && steps.rowsOf(r, outsideName).some((x) => x.label === 'sleep 1000'),
      `both containers, ${shellName} and ${outsideName}`,
      POLL_WAIT_MS,
    );
    assert.match(rows.find((r) => r.level === 1 && r.label === shellName)?.description ?? '', new RegExp(`^PID 1 = host PID ${init.pid} · `));
    assert.match(rows.find((r) => r.level === 1 && r.label === outsideName)?.description ?? '', new RegExp(`^PID 1 = host PID ${outsideInit.pid} · 3 processes · `));
    await wb.screenshot(page, 'r-01-before-reload');
  });

  it('after "Reload Window" the new extension host lists the outside container again, by name and host PID', async () => {
    assert.ok(outsideInit && outsideSleep);
    const loaded = page.waitForEvent('load', { timeout: 30_000 });
    const started = Date.now();
    await wb.runCommand(page, 'Reload Window');
    await loaded;
    await wb.waitForWorkbench(page);
    await wb.openSideBarView(page, 'Containers');
    const rows = await wb.waitForSideBarTree(
      page,
      (r) => steps.rowsOf(r, outsideName).some((x) => x.label === 'sleep 1000'),
      `${outsideName} after the reload`,
      30_000,
    );
    console.log(`the Containers view listed ${outsideName} again ${Date.now() - started} ms after "Reload Window"`);
    // Away from the activity bar, whose tooltip would cover the tree in the screenshot.
    await page.mouse.move(900, 300);
    await wb.screenshot(page, 'r-02-after-reload');
    assert.match(rows.find((r) => r.level === 1 && r.label === outsideName)?.description ?? '', new RegExp(`^PID 1 = host PID ${outsideInit.pid} · `));
    const mine = steps.rowsOf(rows, outsideName);
    assert.equal(wb.withoutUsage(mine.find((r) => r.label === `/bin/sh -c ${OUTSIDE_SCRIPT}`)?.description ?? ''), `PID 1 · host ${outsideInit.pid} · root`);
    assert.match(wb.withoutUsage(mine.find((r) => r.label === 'sleep 1000')?.description ?? ''), new RegExp(`^PID \\d+ · host ${outsideSleep.pid} · root$`));
  });

  it('the container of the old window\'s terminal ended with the reload and left nothing behind', async () => {
    assert.ok(shell);
    const all = [shell.init, ...shell.hostSide];
    const endedMs = await steps.waitUntil(
      `${all.map((p) => `${p.what} ${p.pid}`).join(', ')} to be gone (not even zombies)`,
      () => all.every((p) => !steps.stillThere(p)),
      10_000,
    );
    console.log(`${shellName}: its ${all.length} processes were gone ${endedMs} ms after the workbench came back`);
    const rooted = processesRootedIn(rootfs);
    const outsideNs = rooted.find((p) => p.pid === outsideInit?.pid)?.pidNamespace;
    const inRootfs = rooted.filter((p) => p.pidNamespace !== outsideNs);
    assert.deepEqual(inRootfs, [], `processes of ${shellName} still run in the rootfs`);
    assert.deepEqual(mountsUnder(rootfs), [], 'a mount of the container reached the host');
    await steps.waitUntil(`${shell.files.join(', ')} to be removed`, () => shell!.files.every((f) => !existsSync(f)), 2000);
    assert.ok(!(await wb.terminalTabNames(page)).includes(shellName), `the terminal ${shellName} is still shown`);
    const rows = await wb.waitForSideBarTree(page, (r) => !r.some((x) => x.label === shellName), `${shellName} to leave the view`, POLL_WAIT_MS);
    assert.ok(rows.some((r) => r.label === outsideName));
  });

  it('the outside container is still killable: Kill (SIGTERM) on its sleep, then "Kill Container"', async () => {
    assert.ok(outsideInit && outsideSleep && outsideExit);
    await wb.clickTreeRowAction(page, 'sleep 1000', new RegExp(`^PID \\d+ · host ${outsideSleep.pid} · `), 'Kill (SIGTERM)');
    const sleepMs = await steps.waitUntil(`the sleep (host PID ${outsideSleep.pid}) to end`, () => !isRunning(outsideSleep!.pid), 5000);
    console.log(`${outsideName}: sleep ended ${sleepMs} ms after Kill (SIGTERM)`);
    assert.ok(isRunning(outsideInit.pid), 'the container still runs');
    await wb.waitForSideBarTree(
      page,
      (r) => !steps.rowsOf(r, outsideName).some((x) => x.description.includes(` host ${outsideSleep!.pid} `)),
      'the sleep row to go',
      POLL_WAIT_MS,
    );
    await wb.screenshot(page, 'r-03-outside-sleep-killed');

    // The context menu's "Kill Container" asks first, in a modal dialog.
    const dialog = await chooseFromContextMenu(page, outsideName, new RegExp(`^PID 1 = host PID ${outsideInit.pid} · `), 'Kill Container');
    assert.match(await dialog.innerText(), new RegExp(`Kill container ${outsideName}\\?`));
    await wb.screenshot(page, 'r-04-kill-container-confirm');
    await dialog.locator('.monaco-button', { hasText: /^Kill$/ }).click();
    const initMs = await steps.waitUntil(`${outsideName} (PID 1 = host PID ${outsideInit.pid}) to end`, () => !isRunning(outsideInit!.pid), 5000);
    console.log(`${outsideName}: ended ${initMs} ms after "Kill"`);
    // Its helper saw PID 1 die of SIGKILL, removed its record and exited with 128 + 9.
    assert.equal(await Promise.race([outsideExit, sleep(5000).then(() => 'still running')]), 137);
    assert.equal(registryRecord(outsideName), undefined, `the record of ${outsideName} is still there`);
    await wb.waitForSideBarTree(page, (r) => !r.some((x) => x.label === outsideName), `${outsideName} to leave the view`, POLL_WAIT_MS);
    await wb.screenshot(page, 'r-05-outside-container-killed');
    assert.deepEqual(processesRootedIn(rootfs), [], 'nothing runs in the rootfs');
  });
});
