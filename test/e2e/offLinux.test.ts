// End to end, off Linux — simulated, since this machine is Linux: code-server and the packaged extension are
// real, but a --require preload makes only the extension hosts report process.platform 'darwin' (macOS). The
// platform decision itself is unit tested (test/unit/platform.test.ts); this checks what the user then sees:
// activation without error, the view's welcome content saying where to go, and commands that explain.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { projectRoot } from './codeServerInstall';
import { processesRootedIn } from './hostProcesses';
import { extensionLog } from './steps';
import * as wb from './workbench';
import { WorkbenchSession } from './workbenchSession';

/** Only the extension host process (VS Code names its entry point in this variable) is told it runs on macOS. */
const PRELOAD = `if (process.env.VSCODE_ESM_ENTRYPOINT === 'vs/workbench/api/node/extensionHostProcess') {
  Object.defineProperty(process, 'platform', { value: 'darwin' });
}
`;

const nls = JSON.parse(readFileSync(join(projectRoot, 'package.nls.json'), 'utf8')) as Record<string, string>;

describe('Off Linux (simulated: the extension host reports darwin)', { timeout: 300_000 }, () => {
  let session: WorkbenchSession | undefined;
  let page: Page;
  const preloadDir = mkdtempSync(join(tmpdir(), 'mini-containers-e2e-darwin-'));

  before(async () => {
    const preload = join(preloadDir, 'darwin.js');
    writeFileSync(preload, PRELOAD);
    session = await WorkbenchSession.open({
      rootfsPrefix: 'mini-containers-e2e-darwin-', rootfsName: 'darwin-rootfs',
      settings: (r) => ({ 'miniContainers.rootfs': r }),
      nodeArgs: ['--require', preload],
    });
    page = session.page;
  });

  after(async () => {
    await session?.close('off-linux-extension.log');
    rmSync(preloadDir, { recursive: true, force: true });
  });

  it('(i) the Containers view says to open a Linux machine through Remote-SSH, WSL 2 or a Dev Container', async () => {
    await wb.openSideBarView(page, 'Containers');
    const [first, second] = nls['viewsWelcome.containers.notLinux'].split('\n');
    const welcome = page.locator('.part.sidebar .welcome-view-content');
    // The view shows its Linux welcome until the extension has activated and set its context key.
    const deadline = Date.now() + 30_000;
    let text = '';
    while (!(text = await welcome.innerText().catch(() => '')).includes(first)) {
      assert.ok(Date.now() < deadline, `no off-Linux welcome content after 30 s; the view shows:\n${text}`);
      await page.waitForTimeout(100);
    }
    assert.ok(text.includes(second), `the welcome content does not say where to go:\n${text}`);
    assert.ok(!text.includes('No container is running'), `the Linux welcome content shows too:\n${text}`);
    assert.equal(await welcome.locator('.monaco-button', { hasText: 'Open a Remote Window' }).isVisible(), true);
    await wb.screenshot(page, 'darwin-01-containers-view');
  });

  it('(ii) "Start Isolated Shell" explains instead of failing, and starts nothing', async () => {
    await wb.runCommand(page, 'Start Isolated Shell');
    const toast = page.locator('.notifications-toasts .notification-toast', { hasText: 'Mini Containers makes containers with Linux namespaces' });
    await toast.waitFor({ state: 'visible', timeout: 15_000 });
    assert.match(await toast.innerText(), /which this machine \(darwin\) does not have\. Open a Linux machine through Remote-SSH, WSL or a Dev Container/);
    await wb.screenshot(page, 'darwin-02-start-isolated-shell');
    assert.deepEqual(await wb.terminalTabNames(page), [], 'a terminal was opened');
    assert.deepEqual(processesRootedIn(session!.rootfs), [], 'something runs in the rootfs');
  });

  it('(iii) the extension activated without an error, and its log says why it only explains', () => {
    const log = extensionLog(session!.server.root);
    assert.match(log, /\[warning\] \[platform\] darwin x64 has no Linux namespaces \(notLinux\)/);
    assert.doesNotMatch(log, /\[error\]/, `the extension logged an error:\n${log}`);
  });
});
