// "Pull Image…" in the extension host, against a real registry on 127.0.0.1 (test/integration/localRegistry.ts)
// holding a BusyBox image pushed with skopeo, into a temp store (the command's test-only third argument): the
// notification's progress, the result offered as the default, a missing tag said as an error, and Cancel (the
// notification's token) leaving nothing. window.withProgress and the messages are replaced for the test only.
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { buildBusyboxRootfs } from '../../src/core/rootfs/busyboxRootfs';
import { ociArch } from '../../src/core/rootfs/imageImport';
import { readMeta } from '../../src/core/rootfs/rootfsStore';
import { startLocalRegistry, throttledProxy, type LocalRegistry } from '../integration/localRegistry';
import { buildOciLayout } from '../integration/ociLayout';
import { capture } from './messages';

const PULL = 'miniContainers.pullImage';
type WithProgress = typeof vscode.window.withProgress;

/** Replaces window.withProgress: records each report, and cancels the token when `cancelWhen` says so. */
function recordProgress(cancelWhen: (message: string) => boolean = () => false) {
  const ui = vscode.window as unknown as { withProgress: WithProgress };
  const original = ui.withProgress;
  const reports: string[] = [];
  const titles: string[] = [];
  const cancel = new vscode.EventEmitter<void>();
  let cancelled = false;
  ui.withProgress = ((options, task) => {
    titles.push(options.title ?? '');
    const token: vscode.CancellationToken = {
      get isCancellationRequested() {
        return cancelled;
      },
      onCancellationRequested: cancel.event,
    };
    return task({
      report: ({ message }) => {
        reports.push(message ?? '');
        if (!cancelled && message && cancelWhen(message)) {
          cancelled = true;
          cancel.fire();
        }
      },
    }, token);
  }) as WithProgress;
  return { reports, titles, restore: () => ((ui.withProgress = original), cancel.dispose()) };
}

describe('Pull Image…', function () {
  this.timeout(60_000);
  let dir: string;
  let registry: LocalRegistry | undefined;
  const stops: (() => Promise<void>)[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mc-pull-vscode-'));
    const rootfs = await buildBusyboxRootfs(join(dir, 'rootfs'));
    registry = await startLocalRegistry();
    stops.push(() => registry!.stop());
    buildOciLayout(join(dir, 'oci'), '1', [{ arch: ociArch(), rootfs, files: { 'etc/pulled': 'yes\n' } }], dir);
    await registry.push(join(dir, 'oci'), 'test/bb:1');
  });
  after(async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it('pulls with its progress in the notification and offers the result as the default', async () => {
    const store = join(dir, 'store-ok');
    const progress = recordProgress();
    const messages = capture(['showInformationMessage', 'showErrorMessage']);
    try {
      const result = await vscode.commands.executeCommand<string | undefined>(PULL, `${registry!.host}/test/bb:1`, 'bb', store);
      assert.equal(result, join(store, 'bb'));
      assert.deepEqual(progress.titles, [`Pulling ${registry!.host}/test/bb:1`]);
      assert.ok(progress.reports.some((m) => /MB downloaded, \d of \d layers stored/.test(m)), progress.reports.join('\n'));
      assert.ok(progress.reports.some((m) => /^Unpacking/.test(m)), progress.reports.join('\n'));
      assert.equal(readMeta(store, 'bb')?.origin.kind, 'pull');
      assert.deepEqual(messages.messages, [`Pulled ${registry!.host}/test/bb:1 as ${join(store, 'bb')}.`]);
    } finally {
      progress.restore();
      messages.restore();
    }
  });

  it('says a missing tag is not found, and leaves nothing', async () => {
    const store = join(dir, 'store-missing');
    const progress = recordProgress();
    const messages = capture(['showInformationMessage', 'showErrorMessage']);
    try {
      const result = await vscode.commands.executeCommand<string | undefined>(PULL, `${registry!.host}/test/bb:nope`, 'nope', store);
      assert.equal(result, undefined);
      assert.equal(messages.messages.length, 1, messages.messages.join('\n'));
      assert.match(messages.messages[0], /^The image .*test\/bb:nope was not found/);
      assert.deepEqual(readdirSync(store), []);
    } finally {
      progress.restore();
      messages.restore();
    }
  });

  it('Cancel ends the pull half-way and leaves nothing in the store', async () => {
    // 16 MB gzip cannot shrink, through a proxy passing 4 MB/s: the cancel lands inside the copy.
    buildOciLayout(join(dir, 'oci-big'), '1', [{ arch: ociArch(), rootfs: join(dir, 'rootfs'), files: { 'big.bin': randomBytes(16 << 20) } }], join(dir, 'big'));
    await registry!.push(join(dir, 'oci-big'), 'test/big:1');
    const proxy = await throttledProxy(registry!.host, 4 << 20);
    stops.push(() => proxy.stop());
    const store = join(dir, 'store-cancel');
    let cancelledAt = 0;
    const progress = recordProgress((m) => {
      const mb = /^([\d.]+) MB downloaded/.exec(m);
      if (!mb || Number(mb[1]) < 1) return false;
      cancelledAt = Date.now();
      return true;
    });
    const messages = capture(['showInformationMessage', 'showErrorMessage']);
    try {
      const result = await vscode.commands.executeCommand<string | undefined>(PULL, `${proxy.host}/test/big:1`, 'big', store);
      assert.equal(result, undefined);
      assert.ok(cancelledAt > 0, `cancelled: ${progress.reports.join('\n')}`);
      assert.ok(Date.now() - cancelledAt < 1_500, `ended ${Date.now() - cancelledAt} ms after Cancel (the rest of the copy takes seconds)`);
      assert.deepEqual(messages.messages, [], 'a cancel is not an error');
      assert.deepEqual(readdirSync(store), []);
    } finally {
      progress.restore();
      messages.restore();
    }
  });
});
