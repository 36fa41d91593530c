// End to end as an unprivileged user: code-server (so the extension host and every terminal) runs as a fresh
// user who may run only the system-wide helper with sudo, and must type the password for it. The scenario shows
// that the password is asked exactly once: the kill from the Containers view goes through the container's
// control channel (a FIFO the helper gave that user), not through a second sudo. Under sudo the helper starts only
// a rootfs of root's system store (ROOTFS_STORE), so the test makes one there with the helper's `make-rootfs`, and
// `auto` picks sudo for it because it is not the user's. Run by `npm run test:e2e`; the test itself runs as root,
// to set up and take back the user, the sudoers drop-in, the store rootfs and the system helper.
import assert from 'node:assert/strict';
import { existsSync, lstatSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { PRIVILEGED_RUN_DIR, privilegedStatusFile } from '../../src/core/helper/helperProtocol';
import { SYSTEM_HELPER_PATH } from '../../src/core/helper/systemHelper';
import type { CodeServer } from './codeServer';
import { isRunning, processesRootedIn } from './hostProcesses';
import { createStoreRootfs, type TestRootfs } from './rootfs';
import * as steps from './steps';
import { createSudoUser, installedHelper, installSystemHelper, type SudoUser, type SystemHelper } from './sudoUser';
import * as wb from './workbench';
import { WorkbenchSession } from './workbenchSession';
import { containerNamePattern, REGISTRY, registryRecord } from '../vscode/hostState';
/**
 * What the terminal says before sudo asks (src/core/helper/helperProtocol.ts, planLaunch): the mode, and why auto
 * chose it.
 */
const BANNER =
  'Mini Containers runs its helper as root through sudo to create PID, mount, UTS and IPC namespaces without a user ' +
  'namespace (the root filesystem belongs to another user): sudo';

const squeeze = (text: string) => text.replace(/\s+/g, '');

describe('An unprivileged user: one sudo password, then everything through the control channel', { timeout: 180_000 }, () => {
  let session: WorkbenchSession | undefined;
  let store: TestRootfs | undefined;
  /** The store rootfs the containers run on (the session's own temp rootfs is not used). */
  let rootfs = '';
  let user: SudoUser | undefined;
  let helper: SystemHelper | undefined;
  let server: CodeServer | undefined;
  let page: Page;
  let name = '';
  /** The container: its PID 1, and the host processes that hold it (helper, bwrap, sudo and sudo's monitor). */
  let init: steps.Pinned = { pid: 0, startTime: 0, what: 'PID 1' };
  let hostChain: steps.Pinned[] = [];
  let sleeper = { hostPid: 0, nsPid: 0 };

  before(async () => {
    assert.equal(process.getuid?.(), 0, 'this test sets up a user and a sudoers rule: run it as root');
    const sudoUser = (user = createSudoUser());
    console.log(`test user ${user.name} (uid ${user.uid}), sudoers drop-in ${user.sudoersFile}`);
    store = createStoreRootfs('u-rootfs-');
    rootfs = store.rootfs;
    console.log(`store rootfs ${rootfs}`);
    session = await WorkbenchSession.open({
      rootfsPrefix: 'mini-containers-e2e-u-',
      rootfsName: 'u-rootfs',
      user: { name: sudoUser.name, uid: sudoUser.uid, gid: sudoUser.gid },
      settings: () => ({ ...steps.containersViewSettings(rootfs), 'miniContainers.privilege': 'auto' }),
      // Installed from the extension's own copy, as the command does: the extension uses it only when identical.
      beforeStart: (s) => {
        helper = installSystemHelper(installedHelper(s.extensionsDir));
      },
    });
    ({ page, server } = session);
    await wb.screenshot(page, 'u-01-workbench-as-user');
  });

  after(async () => {
    // The server first: the user cannot be deleted while its processes run.
    await session?.close('u-extension.log');
    await store?.dispose();
    // The helper keeps the user's status and control files in a folder of root's: this user's goes with the user.
    if (user) rmSync(join(PRIVILEGED_RUN_DIR, String(user.uid)), { recursive: true, force: true });
    user?.dispose();
    helper?.dispose();
  });

  it('"Start Isolated Shell" on a store rootfs says sudo runs and why, asks the password once, then the shell is PID 1', async () => {
    assert.ok(user);
    const namePattern = containerNamePattern(rootfs);
    await wb.runCommand(page, 'Start Isolated Shell');
    const passwordLine = `[sudo] password for ${user.name}:`;
    let lines: string[] = [];
    const deadline = Date.now() + 30_000;
    for (;;) {
      const active = await wb.activeTerminalName(page);
      lines = (await wb.terminalLines(page)).filter(Boolean);
      if (active && namePattern.test(active) && lines.some((l) => l.startsWith(passwordLine))) {
        name = active;
        break;
      }
      if (Date.now() > deadline) {
        const notices = await page.locator('.notification-toast').allTextContents();
        assert.fail(`no password prompt; active terminal ${active}, showing:\n${lines.join('\n')}\nnotifications: ${notices.join(' | ')}`);
      }
      await page.waitForTimeout(50);
    }
    await wb.screenshot(page, 'u-02-sudo-password-prompt');
    // The banner (one line, wrapped by the terminal's width) is all that comes before sudo's prompt: why sudo, and
    // what runs as root (the system copy, with no --status-file: under sudo the helper chooses where it writes).
    const prompt = lines.findIndex((l) => l.startsWith(passwordLine));
    const before = squeeze(lines.slice(0, prompt).join(''));
    const expected = `${BANNER} ${SYSTEM_HELPER_PATH} start --rootfs ${rootfs} --name ${name}`;
    assert.ok(before.startsWith(squeeze(expected)), `the terminal does not start with the banner "${expected}":\n${lines.join('\n')}`);
    // Then the workspace, bound read-only (every delegated bind is), and the network: none, never the host's.
    assert.match(before.slice(squeeze(expected).length),
      /^--bind(\/\S+\/workspace):ro--workdir\1--networknoneMountedread-only\(undersudoorpkexeceverymountis\):\1\(ro\)\.Arootlessshellcanwritethere\.Network:none\(onlylo\)\..*"host"isnotused;choose"private"foranetworkofitsown\.$/,
      `the banner does not go on with the read-only workspace and the network:\n${lines.join('\n')}`);
    // Nothing runs as root yet: sudo waits for the password.
    assert.deepEqual(processesRootedIn(rootfs), [], 'a container started before the password was typed');

    await page.keyboard.type(user.password);
    await page.keyboard.press('Enter');
    lines = await wb.waitForTerminal(page, wb.endsWithPrompt, 'the BusyBox prompt after the password', 20_000);
    await wb.screenshot(page, 'u-03-shell-after-password');
    assert.equal(lines.filter((l) => l.includes('[sudo] password')).length, 1, `one password prompt:\n${lines.join('\n')}`);
    assert.ok(!lines.some((l) => /Sorry, try again|incorrect password/.test(l)), `sudo refused the password:\n${lines.join('\n')}`);

    lines = await steps.runInTerminal(page, 'ps', (l) => l.some((x) => /^\s*PID\s+USER/.test(x)));
    await wb.screenshot(page, 'u-04-ps-in-container');
    const table = steps.lastPsTable(lines);
    assert.match(table.find((r) => r.pid === 1)?.command ?? '', /^(\/bin\/)?-?sh\b/, `PID 1 is not the shell:\n${lines.join('\n')}`);
    // bubblewrap runs the shell itself as PID 1 (--as-pid-1): the container holds the shell and ps, nothing else.
    assert.equal(table.length, 2, `the container sees more than sh and ps:\n${lines.join('\n')}`);
    // BusyBox's sh forks, and ps runs in that child without an exec: ps shows it as "{ps} /bin/sh".
    assert.match(table.find((r) => r.pid !== 1)?.command ?? '', /^(ps\b|\{ps\} )/, `the second process is not ps:\n${lines.join('\n')}`);

    // The host's side: PID 1 ← bwrap ← helper (the system copy, root) ← sudo … ← the user's extension host.
    const inits = processesRootedIn(rootfs).filter((p) => p.nsPids.length === 2 && p.nsPids[1] === 1);
    assert.equal(inits.length, 1, `one PID 1 in ${rootfs}: ${JSON.stringify(inits)}`);
    init = steps.pin(inits[0].pid, 'PID 1');
    hostChain = steps.hostSideOf(init.pid);
    const helperPid = hostChain[0].pid;
    const helperArgs = steps.cmdline(helperPid);
    assert.deepEqual(helperArgs.slice(0, 3), ['/bin/sh', SYSTEM_HELPER_PATH, 'start'], `host PID ${helperPid} is not the system helper`);
    assert.equal(steps.uidsOf(helperPid)?.effective, 0, 'the helper runs as root');
    // sudo (and, with use_pty, its monitor) up to the process that spawned it: the extension host, as the user.
    let pid = steps.stat(helperPid)?.ppid ?? 0;
    for (let s = steps.stat(pid); s?.comm === 'sudo'; s = steps.stat(pid)) {
      hostChain.push({ pid, startTime: s.startTime, what: 'sudo' });
      pid = s.ppid;
    }
    const sudos = hostChain.filter((p) => p.what === 'sudo');
    assert.ok(sudos.length, `the helper was not started by sudo: ${JSON.stringify(hostChain)}`);
    for (const sudo of sudos) assert.equal(steps.uidsOf(sudo.pid)?.real, user.uid, `sudo ${sudo.pid} keeps ${user.name} as its real UID`);
    assert.equal(steps.uidsOf(pid)?.effective, user.uid, `sudo's parent (host PID ${pid}, ${steps.cmdline(pid).join(' ')}) runs as ${user.name}`);
    console.log(`host side: ${hostChain.map((p) => `${p.what} ${p.pid}`).join(', ')}; spawned by ${steps.stat(pid)?.comm} ${pid}`);

    // Root never writes in a folder the user can write: the status file is the helper's choice, in root's folder
    // for this user, then given to the user, and the extension read from it where this container's PID 1 is.
    assert.ok(!helperArgs.includes('--status-file'), `the helper was given a --status-file: ${helperArgs.join(' ')}`);
    const statusFile = privilegedStatusFile(user.uid, name);
    const folder = statSync(dirname(statusFile));
    assert.equal(folder.uid, 0, `${dirname(statusFile)} belongs to root`);
    assert.equal(folder.mode & 0o022, 0, `${dirname(statusFile)} is writable by root only`);
    const status = lstatSync(statusFile);
    assert.ok(status.isFile(), `${statusFile} is a regular file`);
    assert.equal(status.uid, user.uid, `${statusFile} was given to ${user.name}`);
    // Its lines: the helper's PID first, then the container's start.
    const events = readFileSync(statusFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { event: string; pid?: number; initPid?: number });
    assert.deepEqual(events.map((e) => e.event), ['helper', 'started'], `the lines of ${statusFile}: ${JSON.stringify(events)}`);
    assert.equal(events[0].pid, helperPid, `${statusFile} names the helper`);
    assert.equal(events[1].initPid, init.pid, `${statusFile} names PID 1`);
    // The helper's record names the control FIFO, in the same folder: the user's, 0600.
    const record = registryRecord(name);
    assert.ok(record?.control, `no control FIFO in the record: ${JSON.stringify(record)}`);
    assert.equal(record.control, join(PRIVILEGED_RUN_DIR, String(user.uid), `${name}.control`), 'the control FIFO\'s path');
    const fifo = lstatSync(record.control);
    assert.ok(fifo.isFIFO(), `${record.control} is a FIFO`);
    assert.equal(fifo.uid, user.uid, `${record.control} belongs to ${user.name}`);
    assert.equal(fifo.mode & 0o777, 0o600, `${record.control} has mode 0600`);
  });

  it('Kill (SIGTERM) from the Containers view ends the sleep without asking for the password again', async () => {
    assert.ok(server && init.pid);
    await steps.startBackgroundSleep(page);
    const sleeps = processesRootedIn(rootfs).filter((p) => p.command === 'sleep 1000');
    assert.equal(sleeps.length, 1, `one "sleep 1000" in the container: ${JSON.stringify(sleeps)}`);
    sleeper = { hostPid: sleeps[0].pid, nsPid: sleeps[0].nsPids[sleeps[0].nsPids.length - 1] };

    await wb.openSideBarView(page, 'Containers');
    await steps.widenSideBar(page, 560);
    const rows = await wb.waitForSideBarTree(
      page,
      (r) => steps.rowsOf(r, name).some((x) => x.label === 'sleep 1000'),
      `the container ${name} with its sleep`,
      steps.POLL_WAIT_MS,
    );
    assert.match(rows.find((r) => r.level === 1 && r.label === name)?.description ?? '', new RegExp(`^PID 1 = host PID ${init.pid} · `));
    const mine = steps.rowsOf(rows, name);
    assert.equal(wb.withoutUsage(mine.find((r) => r.label === '/bin/sh')?.description ?? ''), `PID 1 · host ${init.pid} · root`);
    assert.equal(wb.withoutUsage(mine.find((r) => r.label === 'sleep 1000')?.description ?? ''), `PID ${sleeper.nsPid} · host ${sleeper.hostPid} · root`);
    await wb.screenshot(page, 'u-05-containers-view');

    // Only what comes after the kill is left on screen, so a second prompt could not hide in the scrollback.
    await steps.focusActiveTerminal(page);
    await page.keyboard.type('clear');
    await page.keyboard.press('Enter');
    await wb.waitForTerminal(page, (l) => l.length === 1 && wb.endsWithPrompt(l), 'the cleared terminal');
    const terminalsBefore = await wb.terminalTabNames(page);
    const logBefore = steps.extensionLog(server.root).length;

    await wb.clickTreeRowAction(page, 'sleep 1000', new RegExp(`^PID ${sleeper.nsPid} · host ${sleeper.hostPid} · `), 'Kill (SIGTERM)');
    const endedMs = await steps.waitUntil(`the sleep (host PID ${sleeper.hostPid}) to end`, () => !isRunning(sleeper.hostPid), 5000);
    console.log(`sleep ended ${endedMs} ms after the click`);
    assert.ok(isRunning(init.pid), 'the shell still runs');

    // It went through the control channel: the log says so, and no sudo (terminal, dialog) was involved.
    await steps.waitUntil(
      'the log line of the kill',
      () => steps.extensionLog(server!.root).slice(logBefore).includes(`SIGTERM to host PID ${sleeper.hostPid} in ${name} through the container's control channel`),
      5000,
    );
    const after = await steps.waitForTerminatedSleep(page);
    await wb.screenshot(page, 'u-06-after-kill-no-password');
    assert.deepEqual(after.filter((l) => /\[sudo\] password|password for/i.test(l)), [], 'a password prompt after the kill');
    assert.deepEqual(await wb.terminalTabNames(page), terminalsBefore, 'a terminal was opened for the kill');
    assert.equal(await page.locator('.monaco-dialog-box').isVisible(), false, 'a dialog asked to run the kill with sudo');
    // And no other sudo of the user's runs (sudo keeps the caller's UID as its real one).
    const sudos = readdirSync('/proc').filter((e) => /^\d+$/.test(e) && steps.stat(Number(e))?.comm === 'sudo').map(Number);
    const extra = sudos.filter((p) => !hostChain.some((h) => h.pid === p) && steps.uidsOf(p)?.real === user?.uid);
    assert.deepEqual(extra, [], `another sudo of ${user?.name} runs`);
  });

  it('closing the terminal ends the container and its host processes within 2 s', async () => {
    assert.ok(init.pid);
    const container = processesRootedIn(rootfs).map((p) => steps.pin(p.pid, p.command));
    const all = [...container, ...hostChain];
    const record = join(REGISTRY, `${init.pid}-${init.startTime}.json`);
    const control = registryRecord(name)?.control ?? '';
    assert.ok(control, `no control FIFO in the record of ${name}`);

    const row = await wb.showInPalette(page, 'Kill the Active Terminal Instance');
    const closed = Date.now();
    await row.click();
    await steps.waitUntil(
      `all of ${all.map((p) => `${p.what} ${p.pid}`).join(', ')} to end`,
      () => all.every((p) => !steps.living(p)),
      2000,
    );
    console.log(`the container and its ${hostChain.length} host processes ended ${Date.now() - closed} ms after "Kill the Active Terminal"`);
    await steps.waitUntil('the record and the control FIFO to go', () => !existsSync(record) && !existsSync(control), 2000);
    await wb.screenshot(page, 'u-07-terminal-closed');
    assert.deepEqual(processesRootedIn(rootfs), [], 'nothing runs in the rootfs');
  });
});
