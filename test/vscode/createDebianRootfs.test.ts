// "Create Debian Root Filesystem…" in the extension host: what it refuses before mmdebstrap starts, said as one error
// a user can act on, with nothing made in the store (the build itself, with its progress and Cancel, is proven by
// test/integration/debianRootfs.test.ts against the real mmdebstrap and mirror).
import * as assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { capture } from './messages';

const CREATE = 'miniContainers.createDebianRootfs';

describe('Create Debian Root Filesystem…', function () {
  this.timeout(30_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mc-debian-vscode-'));
  });
  after(async () => {
    await vscode.workspace.getConfiguration('miniContainers').update('debianMirror', undefined, vscode.ConfigurationTarget.Global);
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a mirror setting that is not an http(s) URL, naming the setting', async () => {
    await vscode.workspace.getConfiguration('miniContainers').update('debianMirror', 'ftp://mirror.example/debian', vscode.ConfigurationTarget.Global);
    const messages = capture(['showErrorMessage', 'showInformationMessage']);
    try {
      const result = await vscode.commands.executeCommand<string | undefined>(CREATE, 'bookworm', 'bad-mirror', join(dir, 'store'));
      assert.equal(result, undefined);
      assert.deepEqual(messages.messages, ['miniContainers.debianMirror: "ftp://mirror.example/debian" is not an http:// or https:// URL.']);
      assert.ok(!existsSync(join(dir, 'store')), 'nothing was made');
    } finally {
      messages.restore();
      await vscode.workspace.getConfiguration('miniContainers').update('debianMirror', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it('refuses an Ubuntu suite without Ubuntu\'s archive key, saying which package gives it', async function () {
    if (existsSync('/usr/share/keyrings/ubuntu-archive-keyring.gpg')) this.skip(); // the key is here: it would build
    const messages = capture(['showErrorMessage', 'showInformationMessage']);
    try {
      const result = await vscode.commands.executeCommand<string | undefined>(CREATE, 'ubuntu:noble', 'noble', join(dir, 'store'));
      assert.equal(result, undefined);
      assert.equal(messages.messages.length, 1, messages.messages.join('\n'));
      assert.match(messages.messages[0], /^Cannot create the Ubuntu noble root filesystem: .*apt-get install ubuntu-keyring/);
      assert.ok(!existsSync(join(dir, 'store')) || readdirSync(join(dir, 'store')).length === 0, 'nothing was made');
    } finally {
      messages.restore();
    }
  });
});
