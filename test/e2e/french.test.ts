// End to end, with the UI in French (./frenchUi.ts, FRENCH.md): the packaged extension in code-server shows its
// French command title, its French banner and tree, and its French end-of-container line. Needs root.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import type { Page } from 'playwright-core';
import { projectRoot } from './codeServerInstall';
import { extensionHostLanguages, FRENCH } from './frenchUi';
import * as wb from './workbench';
import { focusActiveTerminal } from './steps';
import { WorkbenchSession } from './workbenchSession';
import { containerNamePattern, waitFor } from '../vscode/hostState';

/** The French of an English message of the extension, from its bundle, with {0}, {1}… filled in. */
function french(english: string, ...args: string[]): string {
  const bundle = JSON.parse(readFileSync(join(projectRoot, 'media', 'l10n', 'bundle.l10n.fr.json'), 'utf8')) as Record<string, string>;
  const text = bundle[english];
  assert.ok(text && text !== english, `the French bundle has no French for "${english}"`);
  return text.replace(/\{(\d+)\}/g, (_, i: string) => args[Number(i)] ?? `{${i}}`);
}

function frenchNls(key: string): string {
  const nls = JSON.parse(readFileSync(join(projectRoot, 'package.nls.fr.json'), 'utf8')) as Record<string, string>;
  const english = JSON.parse(readFileSync(join(projectRoot, 'package.nls.json'), 'utf8')) as Record<string, string>;
  assert.ok(nls[key] && nls[key] !== english[key], `package.nls.fr.json has no French for ${key}`);
  return nls[key];
}

/** Whitespace is where a long line wraps in the terminal, and trailing blanks of a row are cut. */
const squeeze = (text: string) => text.replace(/\s+/g, '');

describe('The UI in French (code-server with a French language pack and --locale fr)', { timeout: 300_000 }, () => {
  let session: WorkbenchSession | undefined;
  let page: Page;
  let rootfs = '';
  let name = '';

  before(async () => {
    session = await WorkbenchSession.open({
      rootfsPrefix: 'mini-containers-e2e-fr-',
      rootfsName: 'fr-rootfs',
      // sudo, although we are root: the terminal then starts with the banner that says what runs as root.
      // No workspace bind and no network notice: the banner, with its sudo command line, then fits the terminal.
      settings: (r) => ({ 'miniContainers.rootfs': r, 'miniContainers.privilege': 'sudo', 'miniContainers.mountWorkspace': false, 'miniContainers.network': 'none' }),
      french: true,
    });
    ({ page, rootfs } = session);
  });

  after(async () => {
    await session?.close('french-extension.log');
  });

  it('(i) the palette shows the French title of "Start Isolated Shell", and the extension host runs in French', async () => {
    const title = frenchNls('command.startIsolatedShell.title');
    const row = await wb.showInPalette(page, title);
    const shown = (await row.textContent()) ?? '';
    assert.ok(shown.includes(frenchNls('command.category')), `the row "${shown}" lacks the French category`);
    await wb.screenshot(page, 'fr-01-palette-demarrer-un-shell-isole');
    // What VS Code resolved for the extension host that runs us: vscode.env.language.
    const server = session!.server;
    await waitFor('an extension host started in French', () => extensionHostLanguages(server).includes(FRENCH), 20_000, 100);
    await page.keyboard.press('Enter');
    name = await wb.waitForPromptInNewTerminal(page, [], containerNamePattern(rootfs));
    await wb.screenshot(page, 'fr-02-shell-isole-banniere');
  });

  it('(ii) the isolated shell starts with the French banner', async () => {
    assert.ok(name, 'no isolated shell was started');
    const lines = (await wb.terminalLines(page)).filter(Boolean);
    const prompt = lines.findIndex((l) => /[#$] ?$/.test(l));
    const before = squeeze(lines.slice(0, prompt).join(''));
    const english = 'Mini Containers runs its helper as root through sudo to create PID, mount, UTS and IPC namespaces without a user namespace ({0}): {1}';
    const expected = french(english, french('miniContainers.privilege is "{0}"', 'sudo'), 'sudo ');
    assert.ok(before.startsWith(squeeze(expected)), `the terminal does not start with "${expected}…":\n${lines.join('\n')}`);
    assert.ok(before.includes(squeeze(` start --rootfs ${rootfs} --name ${name} `)), `the banner does not name the command:\n${lines.join('\n')}`);
  });

  it('(iii) the Containers view is "Conteneurs", and its container says in French what PID 1 is on the host', async () => {
    await wb.openSideBarView(page, frenchNls('viewsContainers.miniContainers.title'));
    const described = new RegExp(`^${french('PID 1 = host PID {0} · {1} · up {2}', '\\d+', '\\d+ processus', '.+').replace(/[()]/g, '\\$&')}$`);
    const rows = await wb.waitForSideBarTree(page, (r) => r.some((row) => row.label === name && described.test(row.description)),
      `the row of ${name} described in French`, 20_000);
    await wb.screenshot(page, 'fr-03-vue-conteneurs');
    assert.ok(rows.some((r) => r.label === french('host side')), `no "${french('host side')}" row: ${JSON.stringify(rows)}`);
  });

  it('(iv) when the shell exits, the terminal says so in French', async () => {
    // The side bar took the keyboard; the isolated shell is the only terminal, so the active one.
    await focusActiveTerminal(page);
    await page.keyboard.type('exit');
    await page.keyboard.press('Enter');
    const ended = `${french('[Container {0} {1}]', name, french('exited with code {0}', '0'))} ${french('Press any key to close the terminal.')}`;
    await wb.waitForTerminal(page, (l) => squeeze(l.join('')).includes(squeeze(ended)), `"${ended}"`, 20_000);
    await wb.screenshot(page, 'fr-04-fin-du-conteneur');
  });

  it('(v) with no container left, the view shows its French welcome content', async (t: TestContext) => {
    const [first] = frenchNls('viewsWelcome.containers.noContainer').split('\n');
    const button = french('Choose Root Filesystem…');
    const welcome = page.locator('.part.sidebar .welcome-view-content');
    const deadline = Date.now() + 15_000;
    while (!(await welcome.isVisible())) {
      // Containers of other tests on this machine keep the tree from being empty.
      const rows = await wb.sideBarTreeRows(page).catch(() => []);
      if (Date.now() > deadline && rows.some((r) => r.level === 1 && r.label !== name)) {
        t.skip(`other containers run on this machine (${rows.filter((r) => r.level === 1).map((r) => r.label).join(', ')})`);
        return;
      }
      assert.ok(Date.now() <= deadline, `neither the welcome content nor another container shows: ${JSON.stringify(rows)}`);
      await page.waitForTimeout(100);
    }
    assert.ok((await welcome.innerText()).includes(first), `the welcome content is not "${first}…": ${await welcome.innerText()}`);
    assert.equal(await welcome.locator('.monaco-button', { hasText: button }).isVisible(), true, `no "${button}" button`);
  });
});
