// End to end: "Open Shell in Container" from the Containers view of the packaged extension in a real VS Code
// (code-server) driven through Debian's chromium. What the terminal and the tree show is checked against the
// host's /proc. Run with `npm run package && node esbuild.mjs && node --test dist/test/e2e/openShell.test.js`. Needs root.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { isRunning, processesRootedIn } from './hostProcesses';
import * as wb from './workbench';
import { containersViewSettings, focusActiveTerminal, lastPsTable, POLL_WAIT_MS, render, rowsOf, runInTerminal, waitUntil, widenSideBar } from './steps';
import { WorkbenchSession } from './workbenchSession';
import { commandLine, containerNamePattern } from '../vscode/hostState';

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('Open Shell in Container in a real VS Code (code-server + chromium)', { timeout: 240_000 }, () => {
  let session: WorkbenchSession | undefined;
  let rootfs = '';
  let page: Page;

  before(async () => {
    session = await WorkbenchSession.open({ rootfsPrefix: 'mini-containers-e2e-exec-', rootfsName: 'exec-rootfs', settings: containersViewSettings });
    ({ rootfs, page } = session);
  });
  after(async () => {
    // Stopping the server ends its extension host, whose terminals end their shells and containers.
    await session?.close('open-shell-extension.log');
  });

  it('opens "<name> (2)" from the tree, whose ps shows both shells; the tree shows the new one; closing it ends only it', async () => {
    await wb.openSideBarView(page, 'Containers');
    await widenSideBar(page, 560);
    await wb.runCommand(page, 'Start Isolated Shell');
    const name = await wb.waitForPromptInNewTerminal(page, [], containerNamePattern(rootfs));
    const inits = processesRootedIn(rootfs).filter((p) => p.nsPids.length === 2 && p.nsPids[1] === 1);
    assert.equal(inits.length, 1, `expected one PID 1 in ${rootfs}: ${JSON.stringify(inits)}`);
    const init = inits[0];
    await wb.waitForSideBarTree(page, (r) => rowsOf(r, name).some((x) => x.label === '/bin/sh'), `the container ${name}`, POLL_WAIT_MS);

    const known = await wb.terminalTabNames(page);
    await wb.clickTreeRowAction(page, name, new RegExp(`^PID 1 = host PID ${init.pid} `), 'Open Shell in Container');
    const execName = await wb.waitForPromptInNewTerminal(page, known, new RegExp(`^${escapeRegExp(name)} \\(2\\)$`));
    assert.equal(execName, `${name} (2)`);
    await focusActiveTerminal(page);
    const lines = await runInTerminal(page, 'ps', (l) => l.some((x) => /^\s*PID\s+USER/.test(x)));
    await wb.screenshot(page, 'open-shell-ps');
    const table = lastPsTable(lines);
    const shells = table.filter((r) => r.command === '/bin/sh');
    assert.deepEqual(shells.map((r) => r.pid === 1), [true, false], `ps shows both shells:\n${lines.join('\n')}`);
    const innerPid = shells[1].pid;

    // From the host: a process of the container's PID namespace, its root the rootfs, whose PID there is not 1.
    const execd = processesRootedIn(rootfs).filter((p) => p.pidNamespace === init.pidNamespace && p.nsPids[1] === innerPid);
    assert.equal(execd.length, 1, `the exec'd shell from the host: ${JSON.stringify(execd)}`);
    const hostPid = execd[0].pid;
    assert.equal(commandLine(hostPid), '/bin/sh');

    const rows = await wb.waitForSideBarTree(
      page,
      (r) => rowsOf(r, name).some((x) => wb.withoutUsage(x.description) === `PID ${innerPid} · host ${hostPid} · root`),
      'the exec\'d shell under its container',
      POLL_WAIT_MS,
    );
    const row = rowsOf(rows, name).find((x) => x.description.startsWith(`PID ${innerPid} `));
    assert.deepEqual(row && { ...row, description: wb.withoutUsage(row.description) },
      { label: '/bin/sh', description: `PID ${innerPid} · host ${hostPid} · root`, level: 2, expanded: undefined }, render(rows));
    await wb.screenshot(page, 'open-shell-tree');

    await wb.runCommand(page, 'Kill the Active Terminal Instance');
    await waitUntil(`the exec'd shell (host PID ${hostPid}) to end`, () => !isRunning(hostPid), 5000);
    assert.ok(isRunning(init.pid), 'the container\'s PID 1 still runs');
    // The panel turns its tabs list back into a single tab a moment after the kill (and shows neither in between).
    let tabs: string[] = [];
    const deadline = Date.now() + 5000;
    while (JSON.stringify(tabs = await wb.terminalTabNames(page)) !== JSON.stringify(known) && Date.now() < deadline) await page.waitForTimeout(50);
    assert.deepEqual(tabs, known);
  });
});
