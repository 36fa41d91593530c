// End to end: a user whose shells run with sudo (miniContainers.privilege "sudo") creates their BusyBox root
// filesystem from the palette. Under sudo the helper starts only a rootfs of root's system store, so "Create
// BusyBox Root Filesystem" says so, runs the helper's `make-rootfs` with sudo in a terminal (the password is
// typed there), selects the store rootfs it made, and the next shell starts on it. The test runs as root only to
// set up and take back the user, its sudoers drop-in, the system helper and the store rootfs.
import assert from 'node:assert/strict';
import { existsSync, lstatSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { PRIVILEGED_RUN_DIR, ROOTFS_STORE } from '../../src/core/helper/helperProtocol';
import type { CodeServer } from './codeServer';
import { processesRootedIn } from './hostProcesses';
import * as steps from './steps';
import { createSudoUser, installedHelper, installSystemHelper, type SudoUser, type SystemHelper } from './sudoUser';
import * as wb from './workbench';
import { WorkbenchSession } from './workbenchSession';
import { containerNamePattern } from '../vscode/hostState';

describe('A user whose shells run with sudo creates a BusyBox rootfs in the system store from the palette', { timeout: 180_000 }, () => {
  let session: WorkbenchSession | undefined;
  let user: SudoUser | undefined;
  let helper: SystemHelper | undefined;
  let server: CodeServer | undefined;
  let page: Page;
  let target = '';
  let storeExisted = true;

  /** Waits for the active terminal to show sudo's password prompt, then types the password. */
  async function typePasswordWhenAsked(what: string): Promise<void> {
    assert.ok(user);
    const prompt = `[sudo] password for ${user.name}:`;
    await wb.waitForTerminal(page, (lines) => lines.some((l) => l.startsWith(prompt)), `sudo's password prompt for ${what}`, 30_000);
    await page.keyboard.type(user.password);
    await page.keyboard.press('Enter');
  }

  before(async () => {
    assert.equal(process.getuid?.(), 0, 'this test sets up a user and a sudoers rule: run it as root');
    const sudoUser = (user = createSudoUser());
    target = `${ROOTFS_STORE}/busybox-u${sudoUser.uid}`;
    storeExisted = existsSync('/var/lib/mini-containers');
    assert.equal(existsSync(target), false, `${target} exists before the test`);
    session = await WorkbenchSession.open({
      rootfsPrefix: 'mini-containers-e2e-store-',
      rootfsName: 'unused',
      user: { name: sudoUser.name, uid: sudoUser.uid, gid: sudoUser.gid },
      // No rootfs chosen yet; shells of this user run with sudo.
      settings: () => ({ ...steps.containersViewSettings(''), 'miniContainers.privilege': 'sudo' }),
      beforeStart: (s) => {
        helper = installSystemHelper(installedHelper(s.extensionsDir));
      },
    });
    ({ page, server } = session);
  });

  after(async () => {
    await session?.close('store-extension.log');
    if (target) rmSync(target, { recursive: true, force: true });
    if (!storeExisted) rmSync('/var/lib/mini-containers', { recursive: true, force: true });
    if (user) rmSync(join(PRIVILEGED_RUN_DIR, String(user.uid)), { recursive: true, force: true });
    user?.dispose();
    helper?.dispose();
  });

  it('says why the store, runs make-rootfs with sudo after the password, and selects the root-owned rootfs it made', async () => {
    assert.ok(server);
    await wb.runCommand(page, 'Create BusyBox Root Filesystem');
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor({ state: 'visible', timeout: 20_000 });
    const text = (await dialog.innerText()).replace(/\s+/g, ' ');
    assert.match(text, new RegExp(`run with sudo, so their root filesystem must be in the system store ${ROOTFS_STORE}`), text);
    assert.match(text, /make-rootfs --name busybox-u\d+/, text);
    await wb.screenshot(page, 's-01-store-dialog');
    assert.equal(existsSync(target), false, 'made before the user agreed');
    await dialog.getByRole('button', { name: 'Create in the System Store' }).click();

    await typePasswordWhenAsked('make-rootfs');
    await steps.waitUntil(`${target} to be made`, () => existsSync(`${target}/bin/busybox`), 20_000);
    // A machine-overridable setting: code-server keeps it with the remote ("Machine") settings.
    const settingsFiles = ['User', 'Machine'].map((scope) => join(server!.userDataDir, scope, 'settings.json'));
    const rootfsSetting = (file: string): unknown => {
      try {
        return (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>)['miniContainers.rootfs'];
      } catch {
        return undefined; // not there yet, or read while VS Code rewrites it (seen: empty): ask again
      }
    };
    const selected = () => settingsFiles.some((file) => rootfsSetting(file) === target);
    await steps.waitUntil('miniContainers.rootfs to name it', selected, 10_000);
    await wb.screenshot(page, 's-02-store-rootfs-selected');
    // Root's, writable by nobody else, its applets hard links of one busybox.
    for (const p of [target, `${target}/bin`, `${target}/bin/busybox`, `${target}/etc/passwd`]) {
      const st = lstatSync(p);
      assert.deepEqual([st.uid, st.mode & 0o022], [0, 0], p);
    }
    assert.equal(statSync(`${target}/bin/sh`).ino, statSync(`${target}/bin/busybox`).ino);
    assert.deepEqual(readdirSync(ROOTFS_STORE).filter((f) => f.startsWith('.new-')), [], 'a work folder was left in the store');
  });

  it('the next shell starts on the store rootfs through sudo, as PID 1', async () => {
    const known = await wb.terminalTabNames(page);
    await wb.runCommand(page, 'Start Isolated Shell');
    await typePasswordWhenAsked('the shell');
    const name = await wb.waitForPromptInNewTerminal(page, known, containerNamePattern(target));
    const lines = await steps.runInTerminal(page, 'cat /etc/hostname; echo "pid=$$"', (l) => l.some((x) => x.startsWith('pid=')));
    assert.ok(lines.some((l) => /^busybox-u\d+$/.test(l.trim())), `the rootfs's /etc/hostname is not shown:\n${lines.join('\n')}`);
    assert.ok(lines.some((l) => l.trim() === 'pid=1'), `the shell is not PID 1:\n${lines.join('\n')}`);
    assert.ok(processesRootedIn(target).length >= 1, `nothing runs in ${target}`);
    await wb.screenshot(page, 's-03-shell-on-store-rootfs');
    const row = await wb.showInPalette(page, 'Kill the Active Terminal Instance');
    await row.click();
    await steps.waitUntil(`the container ${name} to end`, () => processesRootedIn(target).length === 0, 3000);
  });
});
