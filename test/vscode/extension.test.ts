// Extension-host suite: runs inside a real VS Code (code-server offline, or desktop via @vscode/test-electron).
// MINI_CONTAINERS_TEST_ROOTFS names a BusyBox root filesystem; both runners make one and set it.
import * as assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { alive, containerNamePattern, nsPids, registryRecord, sleep, waitFor } from './hostState';
import { capture } from './messages';

const EXTENSION_ID = 'mini-containers.mini-containers';
const config = () => vscode.workspace.getConfiguration('miniContainers');

describe('Mini Containers extension', () => {
  it('activates', async () => {
    const extension = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(extension, `${EXTENSION_ID} is not loaded`);
    await extension.activate();
    assert.equal(extension.isActive, true);
  });

  it('registers every command its package.json contributes', async () => {
    const contributed = (vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as { contributes: { commands: { command: string }[] } }).contributes.commands;
    assert.ok(contributed.length >= 3, `package.json contributes ${contributed.length} commands`);
    const commands = new Set(await vscode.commands.getCommands(true));
    const missing = contributed.map((c) => c.command).filter((c) => !commands.has(c));
    assert.deepEqual(missing, [], 'contributed but not registered');
  });

  it('defaults miniContainers.privilege to "auto" and miniContainers.rootfs to empty', () => {
    assert.equal(config().inspect<string>('privilege')?.defaultValue, 'auto');
    assert.equal(config().inspect<string>('rootfs')?.defaultValue, '');
  });

  describe('Start Isolated Shell', () => {
    const rootfs = process.env.MINI_CONTAINERS_TEST_ROOTFS ?? '';
    const created: vscode.Terminal[] = [];
    let previousRootfs: string | undefined;

    before(async () => {
      assert.ok(rootfs, 'MINI_CONTAINERS_TEST_ROOTFS must name a BusyBox rootfs (the test runners set it)');
      assert.ok(
        existsSync(join(rootfs, 'bin', 'sh')),
        `MINI_CONTAINERS_TEST_ROOTFS=${rootfs} has no bin/sh: make it with \`node dist/cli.js make-rootfs ${rootfs}\``,
      );
      previousRootfs = config().inspect<string>('rootfs')?.globalValue;
      await config().update('rootfs', rootfs, vscode.ConfigurationTarget.Global);
    });

    after(async () => {
      for (const terminal of created) terminal.dispose();
      await config().update('rootfs', previousRootfs, vscode.ConfigurationTarget.Global);
    });

    /** Runs `open`, then checks the new terminal's container from the host and that disposing it ends it. */
    async function checkNewIsolatedTerminal(open: () => Thenable<unknown>): Promise<void> {
      const before = new Set(vscode.window.terminals);
      await open();
      const terminal = await waitFor('a new terminal', () => vscode.window.terminals.find((t) => !before.has(t)));
      created.push(terminal);
      // A terminal from a profile shows up before its provider has answered, still without a name.
      const pattern = containerNamePattern(rootfs);
      await waitFor(`a name like ${pattern} (it is "${terminal.name}")`, () => pattern.test(terminal.name) || undefined);
      const record = await waitFor(`the helper's record of ${terminal.name}`, () => registryRecord(terminal.name));
      assert.ok(alive(record.initPid), `PID 1 of ${terminal.name} (host PID ${record.initPid}) is not alive`);
      // bubblewrap pivots into the rootfs: PID 1's root directory is the rootfs itself (same device and inode).
      const same = (a: string, b: string) => { try { const x = statSync(a), y = statSync(b); return x.dev === y.dev && x.ino === y.ino; } catch { return false; } };
      await waitFor(`PID 1 of ${terminal.name} to be in ${rootfs}`, () => same(`/proc/${record.initPid}/root`, rootfs) || undefined, 3000);
      assert.deepEqual(nsPids(record.initPid), [record.initPid, 1]);

      terminal.dispose();
      await waitFor(`host PID ${record.initPid} to end after the terminal closed`, () => !alive(record.initPid) || undefined, 3000);
    }

    it('the command opens a terminal named after the container, whose shell is PID 1 in the rootfs; dispose ends it', () =>
      checkNewIsolatedTerminal(() => vscode.commands.executeCommand('miniContainers.startIsolatedShell')));

    it('the "Isolated Shell" terminal profile does the same', () =>
      checkNewIsolatedTerminal(() =>
        // What picking the profile in the terminal dropdown does: VS Code asks our profile provider.
        vscode.commands.executeCommand('workbench.action.terminal.newWithProfile', {
          config: { extensionIdentifier: EXTENSION_ID, id: 'miniContainers.isolatedShell', title: 'Isolated Shell' },
        }),
      ));

    it('refuses an unusable rootfs with an error naming the setting, and opens no terminal', async () => {
      const missing = '/nonexistent/mini-containers-test-rootfs';
      await config().update('rootfs', missing, vscode.ConfigurationTarget.Global);
      // The error offers buttons: answer it as dismissed.
      const { messages: errors, restore } = capture('showErrorMessage');
      try {
        const before = vscode.window.terminals.length;
        await vscode.commands.executeCommand('miniContainers.startIsolatedShell');
        await sleep(1000);
        assert.equal(vscode.window.terminals.length, before, 'a terminal was opened for an unusable rootfs');
        assert.equal(errors.length, 1, `expected one error message, got: ${JSON.stringify(errors)}`);
        assert.match(errors[0], /miniContainers\.rootfs/);
        assert.ok(errors[0].includes(missing), `the error does not name ${missing}: ${errors[0]}`);
      } finally {
        restore();
        await config().update('rootfs', rootfs, vscode.ConfigurationTarget.Global);
      }
    });
  });
});
