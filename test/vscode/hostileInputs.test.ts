// Hostile values given to the extension's commands and settings: each is refused with one clear error, and
// nothing runs — no terminal, no container, no file written, no process signalled.
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { registryRecords, sleep } from './hostState';
import { capture } from './messages';

const config = () => vscode.workspace.getConfiguration('miniContainers');

/** Runs `action` while error (and warning) messages are answered as dismissed, and returns them. */
async function collectMessages(action: () => Thenable<unknown> | Promise<unknown>): Promise<string[]> {
  const { messages, restore } = capture(['showErrorMessage', 'showWarningMessage']);
  try {
    await action();
    await sleep(300);
  } finally {
    restore();
  }
  return messages;
}

describe('hostile inputs to the extension', () => {
  let tmp: string;
  let canary: string;
  let previous: string | undefined;

  before(async () => {
    await vscode.extensions.getExtension('mini-containers.mini-containers')!.activate();
    tmp = mkdtempSync(join(tmpdir(), 'mc-hostile-'));
    canary = join(tmp, 'pwned');
    writeFileSync(join(tmp, 'a-file'), '');
    symlinkSync('/', join(tmp, 'link-to-root'));
    mkdirSync(join(tmp, 'no-shell', 'proc'), { recursive: true });
    mkdirSync(join(tmp, 'no-shell', 'dev'));
    previous = config().inspect<string>('rootfs')?.globalValue;
  });

  after(async () => {
    await config().update('rootfs', previous, vscode.ConfigurationTarget.Global);
    rmSync(tmp, { recursive: true, force: true });
  });

  const rootfsValues = (): Array<[string, string, RegExp]> => [
    ['a relative path', 'rootfs', /not an absolute path/],
    ['the host root', '/', /host's own root/],
    ['a link to /', join(tmp, 'link-to-root'), /host's own root/],
    ['.. up to /', `${tmp}/../../../../..`, /host's own root/],
    ['a command substitution', `${tmp}/$(touch ${canary})`, /does not exist/],
    ['backticks', `${tmp}/\`touch ${canary}\``, /does not exist/],
    ['a glob', `${tmp}/*`, /does not exist/],
    ['a newline', `${tmp}/x\nrm -rf /`, /does not exist/],
    ['a file', join(tmp, 'a-file'), /not a folder/],
    ['a folder without bin/sh', join(tmp, 'no-shell'), /no executable \/bin\/sh/],
    ['a missing folder', join(tmp, 'missing'), /does not exist/],
    ['quotes and a semicolon', `${tmp}/'; touch ${canary}; '`, /does not exist/],
  ];

  it('refuses every hostile miniContainers.rootfs with one error, and starts nothing', async () => {
    for (const [title, value, reason] of rootfsValues()) {
      await config().update('rootfs', value, vscode.ConfigurationTarget.Global);
      const terminals = vscode.window.terminals.length;
      const messages = await collectMessages(() => vscode.commands.executeCommand('miniContainers.startIsolatedShell'));
      assert.equal(messages.length, 1, `${title}: expected one error, got ${JSON.stringify(messages)}`);
      assert.match(messages[0], reason, title);
      assert.equal(vscode.window.terminals.length, terminals, `${title}: a terminal was opened`);
      const resolved = [value, '/', join(tmp, 'no-shell'), join(tmp, 'a-file')];
      assert.deepEqual(registryRecords().map((r) => r.rootfs).filter((r) => resolved.includes(r)), [], `${title}: a container was started`);
      assert.equal(existsSync(canary), false, `${title}: something ran the input`);
    }
  });

  it('refuses kill requests with malformed PIDs or start times, and signals nothing', async () => {
    const victim = spawn('sleep', ['600'], { stdio: 'ignore' });
    try {
      // Shaped as a tree node's container (the PIDs are what is malformed here).
      const container = { key: '1:1', initHostPid: victim.pid!, startTime: 1, name: 'x', hostname: null, rootfs: null, engine: null, processes: [] };
      const malformed: Array<Record<string, number>> = [
        { hostPid: NaN, startTime: 1 }, { hostPid: -1, startTime: 1 }, { hostPid: victim.pid!, startTime: 1.5 },
        { hostPid: victim.pid!, startTime: -3 }, { hostPid: 2 ** 60, startTime: 1 },
      ];
      for (const target of malformed) {
        for (const command of ['miniContainers.killProcess', 'miniContainers.killProcessForce']) {
          const messages = await collectMessages(() => vscode.commands.executeCommand(command, { container, process: target }));
          assert.equal(messages.length, 1, `${command} ${JSON.stringify(target)}: ${JSON.stringify(messages)}`);
          assert.match(messages[0], /Could not send SIG(TERM|KILL)/);
        }
      }
      // A well-formed request naming a host process as if it were a container's: the helper refuses it.
      const messages = await collectMessages(() => vscode.commands.executeCommand('miniContainers.killProcessForce', {
        container, process: { hostPid: victim.pid!, startTime: 1 },
      }));
      assert.equal(messages.length, 1, JSON.stringify(messages));
      assert.match(messages[0], /not running|has ended|not the PID 1 of a container/);
      assert.equal(victim.exitCode, null, 'the host process was not signalled');
      assert.equal(victim.signalCode, null, 'the host process was not signalled');
    } finally {
      victim.kill('SIGKILL');
    }
  });
});
