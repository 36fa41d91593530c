// End to end: the Containers view of the packaged extension in a real VS Code (code-server) driven through
// Debian's chromium. Every PID the tree shows is checked against the host's /proc. Run with `npm run test:e2e`.
// Needs root.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { after, afterEach, before, describe, it, type TestContext } from 'node:test';
import type { Page } from 'playwright-core';
import { sleep } from './codeServer';
import { isRunning, processesRootedIn, type HostProcess } from './hostProcesses';
import * as wb from './workbench';
import {
  containersViewSettings, focusActiveTerminal, hostSideOf, POLL_WAIT_MS, render, rowsOf, startBackgroundSleep, stat,
  waitForTerminatedSleep, waitUntil, widenSideBar,
} from './steps';
import { WorkbenchSession } from './workbenchSession';
import { commandLine, containerNamePattern, nsPids } from '../vscode/hostState';

// --- the host's side of the story, from /proc

/** The process's command line, arguments joined by spaces, as the tree shows it. */
const commandOf = (pid: number): string => commandLine(pid) ?? '';
/** A container's cost in its description: memory ("≈… (RSS)" when summed from its processes) and CPU %. */
const USAGE = '(?:≈[\\d.]+ (?:B|KiB|MiB|GiB) \\(RSS\\)|[\\d.]+ (?:B|KiB|MiB|GiB)) · [\\d.]+% CPU';
/** A process's: CPU % and RSS. */
const PROCESS_USAGE = '[\\d.]+% · [\\d.]+ (?:B|KiB|MiB|GiB)';

/** Host PIDs of every running container's PID 1 on this machine: the last NSpid entry is 1, below the host. */
function containerInitsOnHost(): number[] {
  return readdirSync('/proc').filter((e) => /^\d+$/.test(e)).map(Number).filter((pid) => {
    try {
      const chain = nsPids(pid);
      return chain.length > 1 && chain[chain.length - 1] === 1 && isRunning(pid);
    } catch {
      return false; // ended while read
    }
  });
}

/** The processes of one container, as the host sees them (same rootfs, same PID namespace as its PID 1). */
function containerProcesses(rootfs: string, initPid: number): HostProcess[] {
  const all = processesRootedIn(rootfs);
  const init = all.find((p) => p.pid === initPid);
  assert.ok(init, `host PID ${initPid} is not running in ${rootfs}`);
  return all.filter((p) => p.pidNamespace === init.pidNamespace);
}

// --- the tree

describe('The Containers view in a real VS Code (code-server + chromium)', { timeout: 180_000 }, () => {
  let session: WorkbenchSession | undefined;
  let rootfs = '';
  let page: Page;
  /** Terminal names look like "<rootfs folder>-<4 hex digits>"; the container has the same name. */
  let namePattern = /^$/;
  let name = '';
  /** Host PID of the shell, the container's PID 1. */
  let initPid = 0;
  /** The `sleep 1000` started in the shell: host PID and PID in the container. */
  let sleeper = { hostPid: 0, nsPid: 0 };

  before(async () => {
    session = await WorkbenchSession.open({
      rootfsPrefix: 'mini-containers-e2e-view-',
      rootfsName: 'view-rootfs',
      settings: containersViewSettings,
    });
    ({ rootfs, page } = session);
    namePattern = containerNamePattern(rootfs);
  });

  afterEach(async (t) => {
    // TestContext.passed (Node 20.12+) is not in @types/node 20 yet.
    if ((t as { passed?: boolean }).passed !== false || !page) return;
    // What the test saw, for the failure's report.
    await wb.screenshot(page, `containers-view-failed-${t.name.slice(0, 40).replace(/[^A-Za-z0-9]+/g, '-')}`).catch(() => undefined);
    const rows = await wb.sideBarTreeRows(page).catch((err: Error) => err.message);
    console.log(`the tree shows:\n${typeof rows === 'string' ? rows : render(rows)}`);
    console.log(`containers' PID 1 on the host: ${containerInitsOnHost().join(', ') || 'none'}`);
  });

  after(async () => {
    // Stopping the server ends its extension host, whose terminals end their containers; removing the rootfs kills
    // (and reports) anything still running in the rootfs.
    await session?.close('containers-view-extension.log');
  });

  it('with no container on the machine, the view shows its welcome content with "Start Isolated Shell"', async (t: TestContext) => {
    const opening = Date.now();
    await wb.openSideBarView(page, 'Containers');
    console.log(`the Containers view opened ${Date.now() - opening} ms after the workbench showed`);
    await widenSideBar(page, 560);
    // Its Refresh action activates the extension if the view has not yet, and rescans.
    await wb.clickViewTitleAction(page, 'Refresh Containers');
    const welcome = page.locator('.part.sidebar .welcome-view-content');
    // Containers of other tests may come and go: wait until the host and the view agree.
    const deadline = Date.now() + POLL_WAIT_MS;
    for (;;) {
      const others = containerInitsOnHost();
      const rows = await wb.sideBarTreeRows(page).catch(() => undefined);
      const welcomeShown = await welcome.isVisible();
      if (others.length === 0 && rows?.length === 0 && welcomeShown) break;
      if (others.length > 0 && rows?.some((r) => r.level === 1) && !welcomeShown) {
        t.skip(`containers already run on this machine (PID 1 = host PIDs ${others.join(', ')}): no empty tree to check`);
        return;
      }
      if (Date.now() > deadline) {
        assert.fail(`containers on the host: ${others.join(', ') || 'none'}; welcome content shown: ${welcomeShown}; ` +
          `the tree shows:\n${rows ? render(rows) : '(unreadable)'}`);
      }
      await sleep(100);
    }
    assert.match(await welcome.innerText(), /No container is running/);
    const button = welcome.locator('.monaco-button', { hasText: /^Start Isolated Shell$/ });
    assert.equal(await button.isVisible(), true, 'the welcome content has a "Start Isolated Shell" button');
  });

  it('an isolated shell appears as a container named like its terminal, PID 1 = the host PID of the shell', async () => {
    await wb.runCommand(page, 'Start Isolated Shell');
    name = await wb.waitForPromptInNewTerminal(page, [], namePattern);
    const inits = processesRootedIn(rootfs).filter((p) => p.nsPids.length === 2 && p.nsPids[1] === 1);
    assert.equal(inits.length, 1, `expected one PID 1 in ${rootfs}: ${JSON.stringify(inits)}`);
    initPid = inits[0].pid;
    assert.equal(commandOf(initPid), '/bin/sh');

    // A container of this window repaints the view at once, without waiting for the next poll.
    const rows = await wb.waitForSideBarTree(
      page,
      (r) => rowsOf(r, name).some((x) => x.label === '/bin/sh'),
      `the container ${name} and its shell`,
      POLL_WAIT_MS,
    );
    const container = rows.find((r) => r.level === 1 && r.label === name);
    assert.ok(container, `no container row "${name}":\n${render(rows)}`);
    // Then what it costs: memory (≈ and "(RSS)" when summed from its processes, without a cgroup of its own) and CPU %.
    assert.match(container.description, new RegExp(`^PID 1 = host PID ${initPid} · \\d+ process(es)? · up \\d+s · ${USAGE}$`));
    assert.equal(container.expanded, true, 'a container started here shows its processes');
    const shell = rowsOf(rows, name).find((r) => r.label === '/bin/sh');
    assert.match(shell?.description ?? '', new RegExp(`^PID 1 · host ${initPid} · root · ${PROCESS_USAGE}$`));
    assert.deepEqual({ ...shell, description: undefined }, { label: '/bin/sh', description: undefined, level: 2, expanded: undefined });
  });

  it('the terminal\'s first line names the mode as miniContainers.privilege does: as root, not "privileged"', async () => {
    // Root runs this suite, so VS Code runs as root and "auto" runs the helper as root, directly; the container is
    // not --privileged (miniContainers.privileged is off), so no warning line comes before it.
    assert.equal(process.getuid?.(), 0, 'this suite runs as root');
    const lines = (await wb.terminalLines(page)).filter(Boolean);
    const greeting = lines.findIndex((l) => l.startsWith('BusyBox v'));
    assert.ok(greeting > 0, `no line before BusyBox's greeting:\n${lines.join('\n')}`);
    // One line, wrapped by the terminal's width (where a space at a row's end is lost): compared without spaces.
    const squeeze = (text: string) => text.replace(/\s+/g, '');
    const banner = 'Mini Containers: container run as root, without a user namespace (VS Code runs as root).';
    const before = squeeze(lines.slice(0, greeting).join(''));
    assert.ok(before.startsWith(squeeze(banner)), `the first line is not "${banner}":\n${lines.join('\n')}`);
    // Then the workspace bound in (miniContainers.mountWorkspace), and whose its files made inside are.
    assert.match(before.slice(squeeze(banner).length), /^Mounted:\/\S+\/workspace\.Filesmadeinsidebyrootareroot'sonthehost\.$/,
      `the second line does not say the workspace is mounted and files made inside are root's:\n${lines.join('\n')}`);
  });

  it('a background "sleep 1000" shows under the shell, with its PID inside and its host PID', async () => {
    await focusActiveTerminal(page);
    await startBackgroundSleep(page);
    const sleeps = containerProcesses(rootfs, initPid).filter((p) => p.command === 'sleep 1000');
    assert.equal(sleeps.length, 1, `expected one "sleep 1000" in the container: ${JSON.stringify(sleeps)}`);
    const [sleepProcess] = sleeps;
    sleeper = { hostPid: sleepProcess.pid, nsPid: sleepProcess.nsPids[sleepProcess.nsPids.length - 1] };
    assert.equal(stat(sleeper.hostPid)?.ppid, initPid, 'the shell is the parent of the sleep');
    assert.notEqual(sleeper.nsPid, sleeper.hostPid, 'the PID inside differs from the host PID');

    // Nothing tells the view about this process: the poll (every 2 s while visible) must find it.
    const started = Date.now();
    const rows = await wb.waitForSideBarTree(
      page,
      (r) => rowsOf(r, name).some((x) => x.label === 'sleep 1000'),
      'the sleep row',
      POLL_WAIT_MS,
    );
    console.log(`the sleep row showed ${Date.now() - started} ms after the prompt returned`);
    const mine = rowsOf(rows, name);
    const sleepRow = mine.find((r) => r.label === 'sleep 1000');
    assert.ok(sleepRow, `no sleep row:\n${render(mine)}`);
    assert.match(sleepRow?.description ?? '', new RegExp(`^PID ${sleeper.nsPid} · host ${sleeper.hostPid} · root · ${PROCESS_USAGE}$`));
    assert.deepEqual({ ...sleepRow, description: undefined }, { label: 'sleep 1000', description: undefined, level: 3, expanded: undefined });
    // Nested under the shell, which opened to show it.
    const shell = mine.find((r) => r.label === '/bin/sh');
    assert.equal(shell?.expanded, true, `the shell row is not expanded:\n${render(mine)}`);
    assert.ok(mine.indexOf(shell) < mine.indexOf(sleepRow), 'the sleep row is below the shell');
    const container = rows.find((r) => r.level === 1 && r.label === name);
    assert.match(container?.description ?? '', / · 2 processes · /);
  });

  it('"host side" lists the helper chain holding the container, which are the shell\'s ancestors on the host', async () => {
    // The helper, and bubblewrap, its monitor: PID 1's parent.
    const [helper, monitor] = hostSideOf(initPid).map((p) => p.pid);
    assert.match(commandOf(monitor), /^\S*bwrap /, `host PID ${monitor} is not bubblewrap`);
    assert.match(commandOf(helper), /container-helper\.sh start /, `host PID ${helper} is not the helper`);
    const chain = [helper, monitor].map((pid) => `${stat(pid)?.comm} ${pid}`).join(' → ');

    await wb.waitForSideBarTree(page, (r) => rowsOf(r, name).some((x) => x.label === 'host side'), 'the host side row');
    const hostSide = await wb.sideBarTreeRow(page, 'host side', new RegExp(`^${chain}$`));
    await hostSide.click();
    const rows = await wb.waitForSideBarTree(
      page,
      (r) => rowsOf(r, name).some((x) => x.level === 3 && x.description.startsWith('host PID ')),
      'the host side to open',
    );
    const mine = rowsOf(rows, name);
    const start = mine.findIndex((r) => r.label === 'host side');
    assert.deepEqual(mine[start], { label: 'host side', description: chain, level: 2, expanded: true });
    const listed = mine.slice(start + 1).filter((r) => r.level === 3 && r.description.startsWith('host PID '));
    assert.deepEqual(
      listed.map((r) => r.description),
      [helper, monitor].map((pid) => `host PID ${pid} · root`),
      `host side rows:\n${render(mine)}`,
    );
    // Labels are the command lines, cut at 80 characters.
    assert.ok(listed[0].label.startsWith(commandOf(helper).slice(0, 79)), `"${listed[0].label}" is not the helper's command line`);
    assert.ok(listed[1].label.startsWith(commandOf(monitor).slice(0, 79)), `"${listed[1].label}" is not bubblewrap's`);
    await wb.screenshot(page, '09-containers-tree');
    await wb.readmeScreenshot(page, 'screenshot-containers-tree');
  });

  it('the inline "Kill (SIGTERM)" action ends the sleep: a zombie until the shell reaps it, then gone, and the shell says so', async () => {
    await wb.clickTreeRowAction(page, 'sleep 1000', new RegExp(`^PID ${sleeper.nsPid} · host ${sleeper.hostPid} · `), 'Kill (SIGTERM)');
    const endedMs = await waitUntil(`host PID ${sleeper.hostPid} to end`, () => !isRunning(sleeper.hostPid), 5000);
    console.log(`sleep (host PID ${sleeper.hostPid}) ended ${endedMs} ms after the click`);
    assert.ok(isRunning(initPid), 'the shell still runs');

    // Nothing was typed, so the shell has not reaped it (it waits for its jobs before a prompt): a zombie, whose
    // row says so, and which parent must reap it.
    const isZombie = () => stat(sleeper.hostPid)?.state === 'Z';
    assert.ok(isZombie(), `host PID ${sleeper.hostPid} is a zombie: ${JSON.stringify(stat(sleeper.hostPid))}`);
    const zombie = `PID ${sleeper.nsPid} · host ${sleeper.hostPid} · exited, waiting for its parent (host PID ${initPid}) to reap it`;
    const zombieRows = await wb.waitForSideBarTree(
      page,
      (r) => rowsOf(r, name).some((x) => x.description === zombie),
      'the sleep row to say it waits to be reaped',
      POLL_WAIT_MS,
    );
    assert.ok(isZombie(), 'still not reaped when the tree said so');
    assert.deepEqual(rowsOf(zombieRows, name).find((x) => x.description === zombie), { label: 'sleep', description: zombie, level: 3, expanded: undefined });
    // A signal does nothing to a zombie: its row offers no Kill (hovered, it shows no inline action).
    const zombieRow = await wb.sideBarTreeRow(page, 'sleep', new RegExp(`^${zombie.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
    await zombieRow.hover();
    await page.waitForTimeout(300);
    assert.equal(await zombieRow.locator('.actions .action-label[aria-label="Kill (SIGTERM)"]').count(), 0, 'the zombie offers Kill (SIGTERM)');
    await wb.screenshot(page, '10-containers-tree-zombie');

    await waitForTerminatedSleep(page);
    await waitUntil(`host PID ${sleeper.hostPid} to be reaped`, () => stat(sleeper.hostPid) === undefined, 5000);

    const rows = await wb.waitForSideBarTree(
      page,
      (r) => !rowsOf(r, name).some((x) => x.description.includes(` host ${sleeper.hostPid} `)),
      'the sleep row to go',
      POLL_WAIT_MS,
    );
    const mine = rowsOf(rows, name);
    assert.match(mine.find((r) => r.level === 2 && r.label === '/bin/sh')?.description ?? '', new RegExp(`^PID 1 · host ${initPid} · root · ${PROCESS_USAGE}$`));
    assert.match(rows.find((r) => r.level === 1 && r.label === name)?.description ?? '', / · 1 process · /);
    await wb.sideBarTreeRow(page, name, /^PID 1 = host PID /);
    await wb.screenshot(page, '10-containers-tree-after-kill');
  });

  it('closing the terminal ends the container and removes it from the view', async () => {
    await wb.runCommand(page, 'Kill the Active Terminal Instance');
    await waitUntil(`the shell (host PID ${initPid}) to end`, () => !isRunning(initPid), 5000);
    // A container of this window that ends repaints the view at once.
    await wb.waitForSideBarTree(page, (r) => !r.some((x) => x.level === 1 && x.label === name), `${name} to leave the tree`, 5000);
    assert.deepEqual(processesRootedIn(rootfs), [], 'nothing runs in the rootfs any more');
    // With no other container on the machine, the view is empty again and shows its welcome content.
    const welcome = page.locator('.part.sidebar .welcome-view-content');
    const deadline = Date.now() + POLL_WAIT_MS;
    while (containerInitsOnHost().length === 0 && !(await welcome.isVisible())) {
      assert.ok(Date.now() < deadline, `no container runs, yet no welcome content after ${POLL_WAIT_MS} ms`);
      await sleep(100);
    }
  });
});
