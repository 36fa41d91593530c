// "Import Root Filesystem…" in the extension host, into a temp store (the command's test-only third argument): an xz
// tar of a real BusyBox rootfs with its progress in the notification and the result offered as the default; a hostile
// archive whose escaping entry is left out, said in a warning, and named in the log; a file that is no archive said
// as an error, leaving nothing. window.withProgress and the messages are replaced for the test only.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { buildBusyboxRootfs } from '../../src/core/rootfs/busyboxRootfs';
import { readMeta } from '../../src/core/rootfs/rootfsStore';
import { tarArchive } from '../fixtures/tarWriter';
import { capture } from './messages';

const IMPORT = 'miniContainers.importRootfs';
type WithProgress = typeof vscode.window.withProgress;

/** Replaces window.withProgress: records its title and each report. */
function recordProgress() {
  const ui = vscode.window as unknown as { withProgress: WithProgress };
  const original = ui.withProgress;
  const reports: string[] = [];
  const titles: string[] = [];
  ui.withProgress = ((options, task) => {
    titles.push(options.title ?? '');
    const token: vscode.CancellationToken = { isCancellationRequested: false, onCancellationRequested: new vscode.EventEmitter<void>().event };
    return task({ report: ({ message }) => reports.push(message ?? '') }, token);
  }) as WithProgress;
  return { reports, titles, restore: () => (ui.withProgress = original) };
}

describe('Import Root Filesystem…', function () {
  this.timeout(60_000);
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mc-import-vscode-'));
    await buildBusyboxRootfs(join(dir, 'rootfs'));
    execFileSync('tar', ['-C', join(dir, 'rootfs'), '-cJf', join(dir, 'busybox.tar.xz'), '.']);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('imports an xz tar with its progress in the notification, and offers the result as the default', async () => {
    const store = join(dir, 'store-ok');
    const progress = recordProgress();
    const messages = capture(['showInformationMessage', 'showWarningMessage', 'showErrorMessage']);
    try {
      const result = await vscode.commands.executeCommand<string | undefined>(IMPORT, join(dir, 'busybox.tar.xz'), 'bb', store);
      assert.equal(result, join(store, 'bb'));
      assert.deepEqual(progress.titles, ['Importing busybox.tar.xz']);
      assert.ok(progress.reports.some((m) => /^Unpacking: [\d.]+ of [\d.]+ MB$/.test(m)), progress.reports.join('\n'));
      assert.deepEqual(readMeta(store, 'bb')?.origin, { kind: 'import', file: join(dir, 'busybox.tar.xz'), format: 'tar+xz' });
      assert.deepEqual(readFileSync(join(store, 'bb', 'bin', 'busybox')), readFileSync(join(dir, 'rootfs', 'bin', 'busybox')));
      assert.deepEqual(messages.messages, [`Imported busybox.tar.xz as ${join(store, 'bb')}.`]);
    } finally {
      progress.restore();
      messages.restore();
    }
  });

  it('leaves out an entry that climbs out of the rootfs, and says so in a warning', async () => {
    const store = join(dir, 'store-hostile');
    const archive = join(dir, 'hostile.tar');
    writeFileSync(archive, tarArchive([
      { name: 'etc/', type: 'dir' },
      { name: 'etc/ok', content: 'inside\n' },
      { name: '../../escaped', content: 'outside\n' },
    ]));
    const progress = recordProgress();
    const messages = capture(['showInformationMessage', 'showWarningMessage', 'showErrorMessage']);
    try {
      const result = await vscode.commands.executeCommand<string | undefined>(IMPORT, archive, 'hostile', store);
      assert.equal(result, join(store, 'hostile'));
      assert.equal(readFileSync(join(store, 'hostile', 'etc', 'ok'), 'utf8'), 'inside\n');
      assert.ok(!existsSync(join(dir, 'escaped')) && !existsSync(join(store, 'escaped')), 'the escaping entry was written');
      assert.deepEqual(messages.messages, [
        `Imported hostile.tar as ${join(store, 'hostile')}; 1 entries that could write outside it were left out (listed in the log).`,
      ]);
      assert.equal(readMeta(store, 'hostile')?.skipped?.length, 1);
    } finally {
      progress.restore();
      messages.restore();
    }
  });

  it('says a file that is no archive cannot be imported, and leaves nothing', async () => {
    const store = join(dir, 'store-bad');
    mkdirSync(store);
    const notATar = join(dir, 'notes.txt');
    writeFileSync(notATar, 'just some text, not an archive\n'.repeat(40));
    const progress = recordProgress();
    const messages = capture(['showInformationMessage', 'showWarningMessage', 'showErrorMessage']);
    try {
      const result = await vscode.commands.executeCommand<string | undefined>(IMPORT, notATar, 'notes', store);
      assert.equal(result, undefined);
      assert.equal(messages.messages.length, 1, messages.messages.join('\n'));
      assert.match(messages.messages[0], /^Could not import .*notes\.txt: .*not a tar archive/);
      assert.deepEqual(readdirSync(store), []);
    } finally {
      progress.restore();
      messages.restore();
    }
  });
});
