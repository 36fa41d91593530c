// End to end, rootless: code-server (so the extension host and every terminal) runs as a fresh ordinary user with
// no sudo rule at all, on a BusyBox rootfs that user owns. "Start Isolated Shell" must then run the helper as that
// user in a user namespace: no password, yet the shell is PID 1, root inside, sees nothing of the host; the
// Containers view lists it and kills a process of it through its control channel; closing the terminal ends it.
// Run by `npm run test:e2e`; the test itself runs as root, to set up and take back the user.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import type { CodeServer } from './codeServer';
import { isRunning, processesRootedIn } from './hostProcesses';
import * as steps from './steps';
import { createPlainUser, processesOfUid, type PlainUser } from './sudoUser';
import * as wb from './workbench';
import { WorkbenchSession } from './workbenchSession';
import { containerNamePattern, type HelperRecord } from '../vscode/hostState';

/** The terminal's first line when auto picks rootless (src/core/helper/helperProtocol.ts, planLaunch). */
const BANNER =
  'Mini Containers: rootless container in a user namespace, no password (user namespaces work here and the root filesystem is yours).';

const squeeze = (text: string) => text.replace(/\s+/g, '');

/** The lines that show a password prompt or an elevation of any kind (the banner's "no password" is none). */
const asksPassword = (lines: string[]) => lines.filter((l) => /\[sudo\]|password for |password:|pkexec|authenticat/i.test(l));

describe('An ordinary user with no sudo rule: a rootless shell with no password', { timeout: 180_000 }, () => {
  let session: WorkbenchSession | undefined;
  let user: PlainUser | undefined;
  let server: CodeServer | undefined;
  let page: Page;
  let rootfs = '';
  let name = '';
  /** The helper's registry when rootless: in the user's runtime folder (XDG_RUNTIME_DIR, which code-server gives it). */
  let registry = '';
  let init: steps.Pinned = { pid: 0, startTime: 0, what: 'PID 1' };
  /** The host processes that hold the container: the helper and bwrap, both the user's. */
  let hostChain: steps.Pinned[] = [];
  let sleeper: steps.Pinned & { nsPid: number } = { pid: 0, startTime: 0, what: 'sleep 1000', nsPid: 0 };

  /** The helper's record of this test's container, from the user's own registry. */
  const record = (): HelperRecord | undefined => {
    try {
      return readdirSync(registry)
        .map((f) => JSON.parse(readFileSync(join(registry, f), 'utf8')) as HelperRecord)
        .find((r) => r.name === name);
    } catch {
      return undefined;
    }
  };

  /** The sudo and pkexec processes the user runs (there must be none: the user has no rule, and needs none). */
  const elevations = () => (user ? processesOfUid(user.uid).filter((p) => ['sudo', 'pkexec'].includes(steps.stat(p)?.comm ?? '')) : []);

  before(async () => {
    assert.equal(process.getuid?.(), 0, 'this test sets up a user: run it as root');
    const plain = (user = createPlainUser());
    console.log(`test user ${plain.name} (uid ${plain.uid}), no sudo rule`);
    // No sudo rule at all: the point is that none is needed.
    const sudo = spawnSync('sudo', ['-n', '-l', '-U', plain.name], { encoding: 'utf8' });
    assert.match(`${sudo.stdout}${sudo.stderr}`, /not allowed to run sudo/, `sudo -l -U ${plain.name} lists a rule:\n${sudo.stdout}${sudo.stderr}`);
    session = await WorkbenchSession.open({
      rootfsPrefix: 'mini-containers-e2e-r-',
      rootfsName: 'r-rootfs',
      user: { name: plain.name, uid: plain.uid, gid: plain.gid },
      settings: (r) => ({ ...steps.containersViewSettings(r), 'miniContainers.privilege': 'auto' }),
      // The rootfs the user made, as "Create BusyBox Root Filesystem" makes it in their own folders.
      prepare: (t) => {
        const chown = spawnSync('chown', ['-R', `${plain.uid}:${plain.gid}`, t.dir], { encoding: 'utf8' });
        assert.equal(chown.status, 0, `chown -R ${t.dir}: ${chown.stderr}`);
      },
    });
    ({ rootfs, page, server } = session);
    registry = join(server.root, 'xdg-runtime', 'mini-containers', 'containers');
    assert.equal(lstatSync(rootfs).uid, plain.uid, `${rootfs} belongs to ${plain.name}`);
    await wb.screenshot(page, 'rl-01-workbench-as-user');
  });

  after(async () => {
    // The server first (its extension host ends the terminals' containers), then anything left of the user's.
    await session?.close('rootless-extension.log');
    user?.dispose();
  });

  it('"Start Isolated Shell" says rootless and why, asks no password, and the shell is PID 1 and root inside', async () => {
    assert.ok(user);
    const namePattern = containerNamePattern(rootfs);
    const pressed = Date.now();
    await wb.runCommand(page, 'Start Isolated Shell');
    name = await wb.waitForPromptInNewTerminal(page, [], namePattern);
    console.log(`palette→prompt: ${Date.now() - pressed} ms`);
    let lines = (await wb.terminalLines(page)).filter(Boolean);
    await wb.screenshot(page, 'rl-02-rootless-prompt');
    // The banner (one line, wrapped by the terminal's width), then at once the shell (its greeting, its prompt):
    // nothing asked in between.
    const shell = lines.findIndex((l) => /^BusyBox v/.test(l));
    const banner = lines.slice(0, shell >= 0 ? shell : -1).join('');
    assert.ok(squeeze(banner).startsWith(squeeze(BANNER)), `the terminal does not show the rootless banner, then the shell:\n${lines.join('\n')}`);
    // Then the workspace bound in (miniContainers.mountWorkspace): files made inside are the user's; then the helper's
    // note that this rootless container has no cgroup (no subtree is delegated to this user), so no limit applies.
    assert.match(squeeze(banner).slice(squeeze(BANNER).length),
      /^Mounted:\/\S+\/workspace\.Filesmadeinsideareyoursonthehost\.note:thiscontainerhasnocgroup\(uid\d+hasnodelegatedcgroupsubtree.*nomemory,processorCPUlimitapplies\..*mini-containersdelegate-cgroup<yourusername>\.$/,
      `the second line does not say the workspace is mounted and files made inside are the user's, then the note that the container has no cgroup:\n${lines.join('\n')}`);
    assert.deepEqual(asksPassword(lines), [], 'a password was asked');
    assert.deepEqual(elevations(), [], `${user.name} runs sudo or pkexec`);

    lines = await steps.runInTerminal(page, 'ps', (l) => l.some((x) => /^\s*PID\s+USER/.test(x)));
    await wb.screenshot(page, 'rl-03-ps-in-container');
    const table = steps.lastPsTable(lines);
    assert.match(table.find((r) => r.pid === 1)?.command ?? '', /^(\/bin\/)?-?sh\b/, `PID 1 is not the shell:\n${lines.join('\n')}`);
    assert.equal(table.length, 2, `the container sees more than sh and ps:\n${lines.join('\n')}`);
    // BusyBox's sh forks, and ps runs in that child without an exec: ps shows it as "{ps} /bin/sh".
    assert.match(table.find((r) => r.pid !== 1)?.command ?? '', /^(ps\b|\{ps\} )/, `the second process is not ps:\n${lines.join('\n')}`);

    lines = await steps.runInTerminal(page, 'id -u', (l) => l.length >= 3 && l[l.length - 3].endsWith('# id -u'));
    assert.equal(lines[lines.length - 2], '0', `id -u inside is not 0:\n${lines.join('\n')}`);

    // The host's side: PID 1 ← bwrap ← the helper, the extension's own copy, all run by the user, started by the
    // user's extension host: no sudo, no pkexec, nothing of root's.
    const inits = processesRootedIn(rootfs).filter((p) => p.nsPids.length === 2 && p.nsPids[1] === 1);
    assert.equal(inits.length, 1, `one PID 1 in ${rootfs}: ${JSON.stringify(inits)}`);
    init = steps.pin(inits[0].pid, 'PID 1');
    hostChain = steps.hostSideOf(init.pid);
    const [helper] = hostChain;
    const helperArgs = steps.cmdline(helper.pid);
    assert.ok(helperArgs[1]?.startsWith(join(server!.extensionsDir, 'mini-containers.mini-containers-')), `host PID ${helper.pid} is not the extension's helper: ${helperArgs.join(' ')}`);
    for (const p of [init, ...hostChain]) {
      assert.deepEqual(steps.uidsOf(p.pid), { real: user.uid, effective: user.uid }, `${p.what} (host PID ${p.pid}) runs as ${user.name}`);
    }
    const spawner = steps.stat(helper.pid)?.ppid ?? 0;
    assert.equal(steps.stat(spawner)?.comm, 'node', `the helper's parent (host PID ${spawner}) is not the extension host`);
    assert.equal(steps.uidsOf(spawner)?.effective, user.uid, `the extension host runs as ${user.name}`);
    console.log(`host side: ${hostChain.map((p) => `${p.what} ${p.pid}`).join(', ')}; spawned by ${steps.stat(spawner)?.comm} ${spawner}`);

    // The helper keeps its record and control FIFO in the user's runtime folder, the user's.
    const mine = record();
    assert.equal(mine?.initPid, init.pid, `the record of ${name} in ${registry}: ${JSON.stringify(mine)}`);
    assert.ok(mine.control, `no control FIFO in the record: ${JSON.stringify(mine)}`);
    const fifo = lstatSync(mine.control);
    assert.ok(fifo.isFIFO() && fifo.uid === user.uid && (fifo.mode & 0o777) === 0o600, `${mine.control} is not ${user.name}'s 0600 FIFO`);
  });

  it('the Containers view shows the container by name, its processes with namespace and host PIDs', async () => {
    assert.ok(init.pid, 'no container started');
    await steps.startBackgroundSleep(page);
    const sleeps = processesRootedIn(rootfs).filter((p) => p.command === 'sleep 1000');
    assert.equal(sleeps.length, 1, `one "sleep 1000" in the container: ${JSON.stringify(sleeps)}`);
    sleeper = { ...steps.pin(sleeps[0].pid, 'sleep 1000'), nsPid: sleeps[0].nsPids[sleeps[0].nsPids.length - 1] };

    await wb.openSideBarView(page, 'Containers');
    await steps.widenSideBar(page, 560);
    const rows = await wb.waitForSideBarTree(
      page,
      (r) => steps.rowsOf(r, name).some((x) => x.label === 'sleep 1000'),
      `the container ${name} with its sleep`,
      steps.POLL_WAIT_MS,
    ).finally(() => wb.screenshot(page, 'rl-04-containers-view'));
    assert.match(rows.find((r) => r.level === 1 && r.label === name)?.description ?? '', new RegExp(`^PID 1 = host PID ${init.pid} · `));
    const mine = steps.rowsOf(rows, name);
    // Root inside, the user outside: the host's view of who runs them.
    // Each process row then says what it costs (CPU %, RSS): left out here, the e2e of the Containers view checks it.
    assert.equal(wb.withoutUsage(mine.find((r) => r.label === '/bin/sh')?.description ?? ''), `PID 1 · host ${init.pid} · ${user?.name}`, steps.render(rows));
    assert.equal(wb.withoutUsage(mine.find((r) => r.label === 'sleep 1000')?.description ?? ''), `PID ${sleeper.nsPid} · host ${sleeper.pid} · ${user?.name}`, steps.render(rows));
  });

  it('Kill (SIGKILL) from the tree ends the sleep through the control channel, with no password', async () => {
    assert.ok(server && init.pid && sleeper.pid, 'no container or sleep');
    await wb.openSideBarView(page, 'Containers');
    const sleepRow = new RegExp(`^PID ${sleeper.nsPid} · host ${sleeper.pid} · `);
    // Found by its PIDs, so that this test stands whatever the container's row is called (checked above).
    const containerRow = new RegExp(`^PID 1 = host PID ${init.pid} · `);
    const rows = await wb.waitForSideBarTree(page, (r) => r.some((x) => x.level === 1 && containerRow.test(x.description)), `the row of PID 1 = host PID ${init.pid}`, steps.POLL_WAIT_MS);
    const header = rows.find((x) => x.level === 1 && containerRow.test(x.description))!;
    if (header.expanded === false) {
      // A container the view takes for one it discovered starts folded: open it.
      await (await wb.sideBarTreeRow(page, header.label, containerRow)).click();
    }
    await wb.waitForSideBarTree(page, (r) => r.some((x) => x.label === 'sleep 1000' && sleepRow.test(x.description)), 'the sleep\'s row', steps.POLL_WAIT_MS);
    const logBefore = steps.extensionLog(server.root).length;
    const row = await wb.sideBarTreeRow(page, 'sleep 1000', sleepRow);
    await row.click({ button: 'right' });
    const item = page.locator('.monaco-menu .action-label', { hasText: /^Kill \(SIGKILL\)$/ });
    await item.waitFor({ state: 'visible', timeout: 10_000 });
    await wb.screenshot(page, 'rl-05-kill-menu');
    await item.click();
    const endedMs = await steps.waitUntil(`the sleep (host PID ${sleeper.pid}) to end`, () => !steps.living(sleeper), 5000);
    console.log(`sleep ended ${endedMs} ms after the click`);
    assert.ok(isRunning(init.pid), 'the shell still runs');
    await steps.waitUntil(
      'the log line of the kill',
      () => new RegExp(`SIGKILL to host PID ${sleeper.pid} in .+ through the container's control channel`).test(steps.extensionLog(server!.root).slice(logBefore)),
      5000,
    );
    // The shell reaps it, and says so; then the host PID is gone from /proc.
    await steps.focusActiveTerminal(page);
    await page.keyboard.press('Enter');
    const lines = await wb.waitForTerminal(
      page,
      (l) => l.some((x) => /^\[1\]\+?\s+Killed\s+sleep 1000$/.test(x)) && wb.endsWithPrompt(l),
      'the shell\'s "Killed" job notice',
    );
    await steps.waitUntil(`/proc/${sleeper.pid} to go`, () => !steps.stillThere(sleeper), 2000);
    await wb.screenshot(page, 'rl-06-after-kill');
    assert.deepEqual(asksPassword(lines), [], 'a password was asked');
    assert.deepEqual(elevations(), [], `${user?.name} runs sudo or pkexec`);
    assert.equal(await page.locator('.monaco-dialog-box').isVisible(), false, 'a dialog asked to elevate the kill');
  });

  it('closing the terminal ends every process of the container within 3 s', async () => {
    assert.ok(init.pid, 'no container started');
    const container = processesRootedIn(rootfs).map((p) => steps.pin(p.pid, p.command));
    const all = [...container, ...hostChain];
    const control = record()?.control ?? '';
    assert.ok(control, `no control FIFO in the record of ${name}`);
    await steps.focusActiveTerminal(page);
    const row = await wb.showInPalette(page, 'Kill the Active Terminal Instance');
    const closed = Date.now();
    await row.click();
    await steps.waitUntil(
      `all of ${all.map((p) => `${p.what} ${p.pid}`).join(', ')} to go from /proc`,
      () => all.every((p) => !steps.stillThere(p)),
      3000,
    );
    console.log(`the container and its ${hostChain.length} host processes were gone ${Date.now() - closed} ms after "Kill the Active Terminal"`);
    await steps.waitUntil('the record and the control FIFO to go', () => record() === undefined && !existsSync(control), 2000);
    await wb.screenshot(page, 'rl-07-terminal-closed');
    assert.deepEqual(processesRootedIn(rootfs), [], 'nothing runs in the rootfs');
  });
});
