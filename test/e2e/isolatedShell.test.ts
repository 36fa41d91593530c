// End to end: the packaged extension in a real VS Code (code-server) driven through Debian's chromium.
// Run with `npm run test:e2e` (packages the VSIX, builds, then `node --test dist/test/e2e/`). Needs root.
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { isRunning, processesRootedIn } from './hostProcesses';
import * as wb from './workbench';
import { lastIndex, lastPsTable, runInTerminal } from './steps';
import { WorkbenchSession } from './workbenchSession';
import { containerNamePattern } from '../vscode/hostState';

describe('Isolated Shell in a real VS Code (code-server + chromium)', { timeout: 300_000 }, () => {
  let session: WorkbenchSession | undefined;
  let rootfs = '';
  let page: Page;
  /** Terminal names look like "<rootfs folder>-<4 hex digits>". */
  let namePattern = /^$/;
  const timings: Record<string, number> = {};

  before(async () => {
    session = await WorkbenchSession.open({
      rootfsPrefix: 'mini-containers-e2e-', rootfsName: 'e2e-rootfs', settings: (r) => ({ 'miniContainers.rootfs': r }),
    });
    ({ rootfs, page } = session);
    namePattern = containerNamePattern(rootfs);
    await wb.screenshot(page, '01-workbench-loaded');
  });

  after(async () => {
    await session?.close('isolated-shell-extension.log');
    if (Object.keys(timings).length) {
      await mkdir(wb.outputDir, { recursive: true });
      const file = join(wb.outputDir, 'timings.json');
      await writeFile(file, JSON.stringify({ ...timings, at: new Date().toISOString() }, null, 2) + '\n');
      console.log(`timings: ${file}`);
    }
  });

  it('(i) "Start Isolated Shell" from the palette opens a shell that is PID 1 and sees no host process', async () => {
    const row = await wb.showInPalette(page, 'Start Isolated Shell');
    await wb.screenshot(page, '02-palette-start-isolated-shell');
    const pressed = Date.now();
    await page.keyboard.press('Enter');
    const name = await wb.waitForPromptInNewTerminal(page, [], namePattern);
    // The first command in a fresh window also waits for the extension host to start and activate us.
    timings.paletteToPromptFirstMs = Date.now() - pressed;
    console.log(`palette→prompt: ${timings.paletteToPromptFirstMs} ms (first command in a fresh window)`);
    assert.equal(await row.isVisible(), false, 'the palette closed');
    await wb.screenshot(page, '03-isolated-shell-prompt');

    const lines = await runInTerminal(page, 'ps aux', (l) => l.some((x) => /^\s*PID\s+USER/.test(x)));
    await wb.screenshot(page, '04-ps-aux-in-container');
    await wb.readmeScreenshot(page, 'screenshot-isolated-shell');
    const table = lastPsTable(lines);
    const init = table.find((r) => r.pid === 1);
    assert.ok(init, `no PID 1 in ps output:\n${lines.join('\n')}`);
    assert.match(init.command, /^(\/bin\/)?-?sh\b/, `PID 1 is "${init.command}", not the shell`);
    // The host runs code-server, its extension hosts, chromium: dozens of processes. The container: sh and ps.
    assert.ok(table.length >= 2 && table.length <= 4, `expected only sh and ps, got ${table.length} rows:\n${lines.join('\n')}`);
    for (const hostName of ['node', 'code-server', 'chromium', 'unshare', 'bwrap', 'capsh', 'sudo', 'container-helper', 'bash']) {
      const seen = table.filter((r) => r.command.split(/[\s/]+/).includes(hostName));
      assert.deepEqual(seen, [], `host process "${hostName}" visible in the container`);
    }
    // And from the host, that shell is a process whose root is the rootfs and whose PID inside is 1.
    const fromHost = processesRootedIn(rootfs);
    assert.ok(fromHost.some((p) => p.nsPids.length === 2 && p.nsPids[1] === 1), `no PID 1 of a new PID namespace in ${rootfs}`);
    console.log(`terminal "${name}" runs ${fromHost.length} process(es) rooted in ${rootfs}`);

    // Once more, now that the extension host runs: what a user waits for every time after the first.
    const known = await wb.terminalTabNames(page);
    await wb.showInPalette(page, 'Start Isolated Shell');
    const again = Date.now();
    await page.keyboard.press('Enter');
    await wb.waitForPromptInNewTerminal(page, known, namePattern);
    timings.paletteToPromptMs = Date.now() - again;
    console.log(`palette→prompt: ${timings.paletteToPromptMs} ms`);
  });

  it('(ii) the "Isolated Shell" profile from the terminal dropdown opens another isolated shell', async () => {
    const before = await wb.terminalTabNames(page);
    const launchProfile = page.locator('.part.panel [aria-label^="Launch Profile"]');
    assert.ok(await launchProfile.isVisible(), 'the terminal panel with its "Launch Profile..." dropdown is not showing');
    const item = page.locator('.monaco-menu .action-label', { hasText: /^Isolated Shell$/ });
    // A fresh-clone run saw the menu shown, then gone before the click (the workbench closed it; why was not
    // found: a re-render of its anchor, or a focus change, are guesses). Open it again then; a menu that never
    // offers the profile, or an item that stays but cannot be clicked, still fails.
    let clicked = 0;
    for (let attempt = 1; !clicked; attempt++) {
      await launchProfile.click();
      await item.waitFor({ state: 'visible', timeout: 10_000 });
      if (attempt === 1) await wb.screenshot(page, '05-profile-dropdown');
      const at = Date.now();
      try {
        await item.click({ timeout: 5_000 });
        clicked = at;
      } catch (error) {
        if (attempt === 3 || await item.isVisible()) throw error;
        console.log(`the profile menu closed before the click (attempt ${attempt}): opening it again`);
      }
    }
    const name = await wb.waitForNewTerminal(page, before, namePattern);
    // A terminal created while another has focus is not made active: select its tab.
    await wb.focusTerminal(page, name);
    await wb.waitForTerminal(page, wb.endsWithPrompt, 'the shell prompt of the profile terminal');
    timings.profileToPromptMs = Date.now() - clicked;
    console.log(`profile→prompt: ${timings.profileToPromptMs} ms`);
    const lines = await runInTerminal(page, 'echo "pid=$$ host=$(hostname)"', (l) => l.some((x) => /^pid=\d+ host=/.test(x)));
    await wb.screenshot(page, '06-profile-shell');
    const echoed = lines[lastIndex(lines, (x) => /^pid=\d+ host=/.test(x))];
    assert.equal(echoed, `pid=1 host=${name}`, 'the profile shell is PID 1 with the container name as hostname');
  });

  it('(iii) killing the terminal leaves none of its processes behind', async () => {
    const names = await wb.terminalTabNames(page);
    assert.ok(names.length >= 2, `expected the two isolated terminals, have: ${names.join(', ')}`);
    // Inside, /proc/1/ns/pid names the container's PID namespace by the same inode the host sees.
    const lines = await runInTerminal(page, 'sleep 300 & readlink /proc/1/ns/pid', (l) => l.some((x) => /^pid:\[\d+\]$/.test(x)));
    const pidNs = lines[lastIndex(lines, (x) => /^pid:\[\d+\]$/.test(x))];
    const doomed = processesRootedIn(rootfs).filter((p) => p.pidNamespace === pidNs);
    assert.ok(doomed.some((p) => p.command === 'sleep 300'), `sleep 300 not found from the host: ${JSON.stringify(doomed)}`);
    assert.ok(doomed.some((p) => p.nsPids[1] === 1), 'PID 1 of the container not found from the host');
    const others = processesRootedIn(rootfs).filter((p) => !doomed.some((d) => d.pid === p.pid));
    assert.ok(others.length >= 1, 'the first container is running too');
    await wb.screenshot(page, '07-before-kill');

    const tab = page.locator('.part.panel .tabs-list .monaco-list-row').filter({ has: page.locator('.is-active') });
    await tab.hover();
    const closed = Date.now();
    await tab.locator('[aria-label^="Kill"]').click();
    const deadline = closed + 2000;
    let alive = doomed.filter((p) => isRunning(p.pid));
    while (alive.length && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      alive = alive.filter((p) => isRunning(p.pid));
    }
    await wb.screenshot(page, '08-after-kill');
    assert.deepEqual(alive, [], `still running ${Date.now() - closed} ms after the terminal was killed`);
    console.log(`all ${doomed.length} processes of the container gone ${Date.now() - closed} ms after the kill`);
    assert.ok(others.every((p) => isRunning(p.pid)), 'killing one terminal must not end the other container');
    assert.equal((await wb.terminalTabNames(page)).length, names.length - 1, 'the terminal closed');
  });

  it('(iv) a new isolated shell starts in the workspace folder, mounted: pwd prints it and ls lists its files', async () => {
    const folder = session!.server.folder;
    const file = `mounted-${Date.now()}.txt`;
    await writeFile(join(folder, file), 'from the host\n');
    const known = await wb.terminalTabNames(page);
    await wb.showInPalette(page, 'Start Isolated Shell');
    await page.keyboard.press('Enter');
    await wb.waitForPromptInNewTerminal(page, known, namePattern);
    const lines = await runInTerminal(page, 'pwd; ls; echo end-of-ls', (l) => l.includes('end-of-ls'));
    await wb.screenshot(page, '09-workspace-mounted');
    const at = lastIndex(lines, (x) => x.endsWith('pwd; ls; echo end-of-ls'));
    assert.equal(lines[at + 1], folder, `pwd:\n${lines.join('\n')}`);
    assert.ok(lines.slice(at + 2).some((x) => x.split(/\s+/).includes(file)), `ls does not list ${file}:\n${lines.join('\n')}`);
  });
});
