// End to end: the Root Filesystems view in a real VS Code (code-server + chromium). A BusyBox rootfs made by the test
// in the extension's user store is listed with its origin and size; Start Shell Here opens a shell whose PID 1 runs
// on it; Delete is refused while that shell runs, then, once it ended, removes it (modal accepted). Pull Image… from
// a real registry on 127.0.0.1 shows its progress, and the pulled rootfs is listed, started and deleted the same way.
// Start Throw-away Shell Here runs a shell whose changes to / never reach the rootfs, marked so in the Containers view;
// Save Changes on its node writes them as a new rootfs, which the view lists.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { ociArch } from '../../src/core/rootfs/imageImport';
import { SYSTEM_STORE, writeMeta } from '../../src/core/rootfs/rootfsStore';
import { startLocalRegistry, throttledProxy } from '../integration/localRegistry';
import { buildOciLayout } from '../integration/ociLayout';
import { killProcessesRootedIn, processesRootedIn } from './hostProcesses';
import { makeRootfs } from './rootfs';
import { focusActiveTerminal, lastPsTable, runInTerminal, waitUntil } from './steps';
import * as wb from './workbench';
import { WorkbenchSession } from './workbenchSession';

const NAME = 'e2e-view';
const PULLED = 'e2e-pulled';
const SAVED = 'e2e-saved';

/** The Root Filesystems pane of the side bar, expanded. */
async function rootfsPane(page: Page): Promise<Locator> {
  await wb.openSideBarView(page, 'Containers');
  const pane = page.locator('.part.sidebar .pane').filter({ has: page.locator('.pane-header', { hasText: /Root Filesystems/i }) });
  const header = pane.locator('.pane-header');
  await header.waitFor({ state: 'visible', timeout: 20_000 });
  if ((await header.getAttribute('aria-expanded')) !== 'true') await header.click();
  await pane.locator('.monaco-list[role="tree"]').waitFor({ state: 'visible', timeout: 20_000 });
  return pane;
}

/** The row of `label` once its description matches (the size comes a moment after the list). */
async function waitForRow(pane: Locator, label: string, description: RegExp, timeoutMs = 20_000): Promise<Locator> {
  const row = pane.locator('.monaco-list-row')
    .filter({ has: pane.page().locator('.label-name', { hasText: new RegExp(`^${label}$`) }) })
    .filter({ has: pane.page().locator('.label-description', { hasText: description }) });
  try {
    await row.first().waitFor({ state: 'visible', timeout: timeoutMs });
  } catch (error) {
    const shown = await pane.locator('.monaco-list-row').allTextContents();
    throw new Error(`no row "${label}" matching ${description}; the view shows: ${shown.join(' | ')}`, { cause: error });
  }
  return row.first();
}

/** Right-click → Delete → the modal's own Delete button. */
async function deleteFromContextMenu(page: Page, row: Locator, name = NAME): Promise<void> {
  await row.click({ button: 'right' });
  const entry = page.locator('.monaco-menu .action-item', { hasText: /^Delete$/ });
  await entry.waitFor({ state: 'visible', timeout: 5000 });
  await entry.hover();
  await entry.click();
  const dialog = page.locator('.monaco-dialog-box');
  await dialog.waitFor({ state: 'visible', timeout: 5000 });
  assert.match(await dialog.innerText(), new RegExp(`Delete the root filesystem ${name}\\?`));
  await dialog.locator('.monaco-button', { hasText: /^Delete$/ }).click();
  await dialog.waitFor({ state: 'hidden', timeout: 5000 });
}

describe('Root Filesystems view in a real VS Code', { timeout: 300_000 }, () => {
  let session: WorkbenchSession | undefined;
  let page: Page;
  let store = '';
  const state = mkdtempSync(join(tmpdir(), 'mc-e2e-view-state-'));
  /** What a test made outside the session's folder (registry, proxy, the pulled rootfs), undone last first. */
  const cleanups: (() => void | Promise<void>)[] = [];

  before(async () => {
    session = await WorkbenchSession.open({
      rootfsPrefix: 'mini-containers-e2e-view-', rootfsName: 'e2e-default', settings: (r) => ({ 'miniContainers.rootfs': r }),
      // The last-used record goes to a folder of the test's, not root's ~/.local/state.
      env: { XDG_STATE_HOME: state },
      // code-server's XDG_DATA_HOME is a folder of its own: the extension's user store lies there.
      beforeStart: (server) => {
        store = join(server.root, 'xdg-data', 'mini-containers', 'rootfs');
        mkdirSync(store, { recursive: true, mode: 0o700 });
        makeRootfs(join(store, NAME));
        writeMeta(store, { version: 1, name: NAME, origin: { kind: 'busybox' }, created: new Date().toISOString() });
      },
    });
    page = session.page;
  });

  after(async () => {
    await session?.close('rootfs-view-extension.log', () => {
      if (store) {
        const killed = killProcessesRootedIn(join(store, NAME));
        if (killed.length) console.log(`killed ${killed.join(', ')}, still running in ${NAME}`);
      }
      const killed = killProcessesRootedIn(join(SYSTEM_STORE, PULLED));
      if (killed.length) console.log(`killed ${killed.join(', ')}, still running in ${PULLED}`);
    });
    for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch((e: Error) => console.error(`cleanup: ${e.message}`));
    rmSync(state, { recursive: true, force: true });
  });

  it('lists the store\'s rootfs with its origin and size, and the configured folder as the default', async () => {
    const pane = await rootfsPane(page);
    await waitForRow(pane, NAME, /^BusyBox · [\d.]+ (KiB|MiB) · never used$/);
    await waitForRow(pane, 'e2e-default', /^default · folder · [\d.]+ (KiB|MiB)/);
    await wb.screenshot(page, 'rootfs-view-01-listed');
  });

  it('Start Shell Here opens a shell that is PID 1 on that rootfs, and the row says it was used', async () => {
    const pane = await rootfsPane(page);
    const known = await wb.terminalTabNames(page);
    const row = await waitForRow(pane, NAME, /BusyBox/);
    await row.hover();
    await row.locator('.actions .action-label[aria-label="Start Shell Here"]').click();
    await wb.waitForPromptInNewTerminal(page, known, new RegExp(`^${NAME}-[0-9a-f]{4}$`));
    const lines = await runInTerminal(page, 'ps aux', (l) => l.some((x) => /^\s*PID\s+USER/.test(x)));
    const init = lastPsTable(lines).find((r) => r.pid === 1);
    assert.ok(init && /^(\/bin\/)?-?sh\b/.test(init.command), `PID 1 is not the shell:\n${lines.join('\n')}`);
    const onHost = processesRootedIn(join(store, NAME));
    assert.ok(onHost.some((p) => p.nsPids.length === 2 && p.nsPids[1] === 1), `no PID 1 of a new PID namespace in ${store}/${NAME}`);
    await waitForRow(pane, NAME, /· used /);
  });

  it('Delete is refused while the shell runs, then removes the rootfs and its metadata once it ended', async () => {
    const pane = await rootfsPane(page);
    await deleteFromContextMenu(page, await waitForRow(pane, NAME, /BusyBox/));
    const toast = page.locator('.notifications-toasts .notification-toast', { hasText: new RegExp(`in use by ${NAME}-[0-9a-f]{4}`) });
    await toast.waitFor({ state: 'visible', timeout: 10_000 });
    assert.ok(existsSync(join(store, NAME, 'bin', 'busybox')), 'the refused delete removed nothing');
    await wb.screenshot(page, 'rootfs-view-02-delete-refused');

    await focusActiveTerminal(page);
    await page.keyboard.type('exit');
    await page.keyboard.press('Enter');
    await waitUntil('the shell\'s container to end', () => processesRootedIn(join(store, NAME)).length === 0, 15_000);
    await deleteFromContextMenu(page, await waitForRow(pane, NAME, /BusyBox/));
    await waitUntil('the rootfs and its NAME.json to be gone', () => !existsSync(join(store, NAME)) && !existsSync(join(store, `${NAME}.json`)), 15_000);
    await pane.locator('.monaco-list-row', { hasText: new RegExp(`^${NAME}`) }).waitFor({ state: 'detached', timeout: 10_000 });
    await wb.screenshot(page, 'rootfs-view-03-deleted');
  });

  it('Pull Image… from the local registry shows its progress; the view lists the pulled rootfs, Start Shell Here runs it, Delete removes it', async () => {
    // A real registry on 127.0.0.1 holding an image built from a BusyBox rootfs, reached through a proxy that lets
    // ~300 KB/s through, so that the pull lasts long enough for its progress to be seen.
    const work = mkdtempSync(join(tmpdir(), 'mc-e2e-pull-'));
    cleanups.push(() => rmSync(work, { recursive: true, force: true }));
    makeRootfs(join(work, 'rootfs'));
    buildOciLayout(join(work, 'oci'), '1', [{ arch: ociArch(), rootfs: join(work, 'rootfs'), files: { 'etc/e2e-image': 'pulled in e2e\n' } }], work);
    const registry = await startLocalRegistry();
    cleanups.push(() => registry.stop());
    await registry.push(join(work, 'oci'), 'test/e2e:1');
    const proxy = await throttledProxy(registry.host, 300_000);
    cleanups.push(() => proxy.stop());
    // VS Code runs as root here: a pull goes to the system store (what shells through sudo or pkexec start on).
    const pulled = join(SYSTEM_STORE, PULLED);
    assert.ok(!existsSync(pulled), `${pulled} exists before the test`);
    const hadSystemStore = existsSync('/var/lib/mini-containers');
    cleanups.push(() => {
      rmSync(pulled, { recursive: true, force: true });
      rmSync(`${pulled}.json`, { force: true });
      if (!hadSystemStore) rmSync('/var/lib/mini-containers', { recursive: true, force: true });
    });

    await wb.runCommand(page, 'Pull Image…');
    const input = page.locator('.quick-input-widget input[type="text"]');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill(`${proxy.host}/test/e2e:1`);
    await page.keyboard.press('Enter');
    await page.locator('.quick-input-widget .quick-input-message', { hasText: /Name of the root filesystem/ }).waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill(PULLED);
    await page.keyboard.press('Enter');
    const progress = page.locator('.notifications-toasts .notification-toast', { hasText: /Pulling 127\.0\.0\.1:\d+\/test\/e2e:1.*MB downloaded/ });
    await progress.waitFor({ state: 'visible', timeout: 15_000 });
    await wb.screenshot(page, 'rootfs-view-04-pull-progress');
    await page.locator('.notifications-toasts .notification-toast', { hasText: `Pulled ${proxy.host}/test/e2e:1 as ${pulled}.` })
      .waitFor({ state: 'visible', timeout: 60_000 });
    assert.ok(existsSync(join(pulled, 'etc', 'e2e-image')), 'the image\'s second layer is not in the pulled rootfs');

    const pane = await rootfsPane(page);
    const digest = registry.manifestDigest('test/e2e:1');
    await waitForRow(pane, PULLED, new RegExp(`^${proxy.host.replace(/\./g, '\\.')}/test/e2e:1@${digest} · [\\d.]+ (KiB|MiB) · never used$`));
    await wb.screenshot(page, 'rootfs-view-05-pulled');

    const known = await wb.terminalTabNames(page);
    const row = await waitForRow(pane, PULLED, /test\/e2e:1/);
    await row.hover();
    await row.locator('.actions .action-label[aria-label="Start Shell Here"]').click();
    await wb.waitForPromptInNewTerminal(page, known, new RegExp(`^${PULLED}-[0-9a-f]{4}$`));
    const lines = await runInTerminal(page, 'cat /etc/e2e-image', (l) => l.some((x) => x.includes('pulled in e2e')));
    assert.ok(lines.some((x) => x.trim() === 'pulled in e2e'), lines.join('\n'));
    assert.ok(processesRootedIn(pulled).some((p) => p.nsPids.length === 2 && p.nsPids[1] === 1), `no PID 1 of a new PID namespace in ${pulled}`);
    await focusActiveTerminal(page);
    await page.keyboard.type('exit');
    await page.keyboard.press('Enter');
    await waitUntil('the shell\'s container to end', () => processesRootedIn(pulled).length === 0, 15_000);

    await deleteFromContextMenu(page, await waitForRow(pane, PULLED, /test\/e2e:1/), PULLED);
    await waitUntil('the pulled rootfs and its metadata to be gone', () => !existsSync(pulled) && !existsSync(`${pulled}.json`), 15_000);
    await pane.locator('.monaco-list-row', { hasText: new RegExp(`^${PULLED}`) }).waitFor({ state: 'detached', timeout: 10_000 });
  });

  it('Start Throw-away Shell Here: the shell says so, sees its own changes, Save Changes keeps them as a new rootfs, and the rootfs has none of them after', async () => {
    const pane = await rootfsPane(page);
    const rootfs = session!.rootfs;
    const known = await wb.terminalTabNames(page);
    const row = await waitForRow(pane, 'e2e-default', /^default · folder/);
    await row.click({ button: 'right' });
    const entry = page.locator('.monaco-menu .action-item', { hasText: /^Start Throw-away Shell Here$/ });
    await entry.waitFor({ state: 'visible', timeout: 5000 });
    await entry.hover();
    // The menu takes a click only once the entry is its focused one (a click while it still settles closes it).
    await page.locator('.monaco-menu .action-item.focused', { hasText: /^Start Throw-away Shell Here$/ }).waitFor({ state: 'visible', timeout: 5000 });
    await entry.click();
    await wb.waitForPromptInNewTerminal(page, known, /^e2e-default-[0-9a-f]{4}$/);
    const banner = await wb.terminalLines(page);
    assert.ok(banner.some((l) => l.startsWith('Throw-away: changes to the root filesystem vanish when this shell ends')), banner.join('\n'));
    const lines = await runInTerminal(page, 'echo made-inside > /etc/e2e-throwaway; rm /etc/hostname; cat /etc/e2e-throwaway; ls /etc/hostname', (l) => l.some((x) => /No such file/.test(x)));
    assert.ok(lines.some((x) => x.trim() === 'made-inside'), lines.join('\n'));
    assert.ok(existsSync(join(rootfs, 'etc', 'hostname')), 'the delete inside reached the rootfs');
    assert.ok(!existsSync(join(rootfs, 'etc', 'e2e-throwaway')), 'the write inside reached the rootfs');
    // The Containers view marks it.
    await page.locator('.part.sidebar .monaco-list-row')
      .filter({ has: page.locator('.label-name', { hasText: /^e2e-default-[0-9a-f]{4}$/ }) })
      .filter({ has: page.locator('.label-description', { hasText: /^throw-away · PID 1 = host PID \d+/ }) })
      .first().waitFor({ state: 'visible', timeout: 10_000 });
    await wb.screenshot(page, 'rootfs-view-06-throwaway');

    // Save Changes as Root Filesystem… on its node: a new rootfs (the system store: VS Code runs as root) with the
    // shell's changes, listed by the view as saved from that container.
    const saved = join(SYSTEM_STORE, SAVED);
    const hadSystemStore = existsSync('/var/lib/mini-containers');
    cleanups.push(() => {
      rmSync(saved, { recursive: true, force: true });
      rmSync(`${saved}.json`, { force: true });
      if (!hadSystemStore) rmSync('/var/lib/mini-containers', { recursive: true, force: true });
    });
    const node = page.locator('.part.sidebar .monaco-list-row').filter({ has: page.locator('.label-name', { hasText: /^e2e-default-[0-9a-f]{4}$/ }) }).first();
    const container = (await node.locator('.label-name').innerText()).trim();
    await node.click({ button: 'right' });
    const save = page.locator('.monaco-menu .action-item', { hasText: /^Save Changes as Root Filesystem…$/ });
    await save.waitFor({ state: 'visible', timeout: 5000 });
    await save.hover();
    await page.locator('.monaco-menu .action-item.focused', { hasText: /^Save Changes as Root Filesystem…$/ }).waitFor({ state: 'visible', timeout: 5000 });
    await save.click();
    const input = page.locator('.quick-input-widget input[type="text"]');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill(SAVED);
    await page.keyboard.press('Enter');
    await page.locator('.notifications-toasts .notification-toast', { hasText: `Saved ${container} as ${saved}.` }).waitFor({ state: 'visible', timeout: 30_000 });
    assert.equal(readFileSync(join(saved, 'etc', 'e2e-throwaway'), 'utf8'), 'made-inside\n');
    assert.ok(!existsSync(join(saved, 'etc', 'hostname')), 'the delete made inside is in the saved rootfs');
    await waitForRow(pane, SAVED, new RegExp(`^saved from ${container} · [\\d.]+ (KiB|MiB)`));
    await focusActiveTerminal(page);
    await page.keyboard.type('exit');
    await page.keyboard.press('Enter');
    await waitUntil('the throw-away container to end', () => processesRootedIn(rootfs).length === 0, 15_000);
    assert.ok(!existsSync(join(rootfs, 'etc', 'e2e-throwaway')) && existsSync(join(rootfs, 'etc', 'hostname')), 'the rootfs changed after the end');
  });
});
