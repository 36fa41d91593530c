// "Install 'mini-containers' Command in PATH" and its "Uninstall", run as the palette runs them but with a temp
// folder instead of ~/.local/bin or /usr/local/bin (the commands' test-only argument), and the installed command
// run by its name from a shell whose PATH holds that folder and no node.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { lstatSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { capture } from './messages';

const INSTALL = 'miniContainers.installCommandLine';
const UNINSTALL = 'miniContainers.uninstallCommandLine';

/** The real places the palette would use: the suite must leave them exactly as it found them. */
const REAL = ['/usr/local/bin/mini-containers', join(homedir(), '.local', 'bin', 'mini-containers')];
const identity = (file: string) => {
  const st = lstatSync(file, { throwIfNoEntry: false });
  return st ? `${st.ino}:${st.mtimeMs}:${st.size}` : 'absent';
};

/** `sh -c script` with PATH holding only `folder`: no node, no coreutils. */
function shWithPath(folder: string, script: string) {
  return spawnSync('/bin/sh', ['-c', script], { encoding: 'utf8', env: { PATH: folder, HOME: homedir() }, timeout: 20_000 });
}

describe("The 'mini-containers' command in PATH", () => {
  let dir: string;
  let folder: string;
  let realBefore: string[];
  let messages: ReturnType<typeof capture>;

  before(() => {
    realBefore = REAL.map(identity);
    dir = mkdtempSync(join(tmpdir(), 'mc-command-line-'));
    folder = join(dir, 'bin');
  });
  beforeEach(() => (messages = capture(['showErrorMessage', 'showWarningMessage', 'showInformationMessage'])));
  afterEach(() => messages.restore());
  after(() => {
    rmSync(dir, { recursive: true, force: true });
    assert.deepEqual(REAL.map(identity), realBefore, 'the real ~/.local/bin or /usr/local/bin changed');
  });

  it('installs a command that runs the CLI by its name, from a PATH without node, and says the folder is not on PATH', async () => {
    await vscode.extensions.getExtension('mini-containers.mini-containers')?.activate();
    const installed = await vscode.commands.executeCommand<{ file: string; onPath: boolean }>(INSTALL, { folder });
    assert.deepEqual(installed, { file: join(folder, 'mini-containers'), onPath: false });
    assert.equal(messages.messages.length, 1);
    assert.ok(messages.messages[0].includes(installed.file) && messages.messages[0].includes(`export PATH="${folder}:$PATH"`), messages.messages[0]);

    assert.notEqual(shWithPath(folder, 'command -v node').status, 0, 'node must not be on the PATH of this check');
    const help = shWithPath(folder, 'mini-containers --help');
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /^usage: mini-containers ps \[--json\]/);
    const ps = shWithPath(folder, 'mini-containers ps --json');
    assert.equal(ps.status, 0, ps.stderr);
    assert.ok(JSON.parse(ps.stdout), ps.stdout);
  });

  it('refuses a mini-containers it did not install, says where, and leaves it as it was', async () => {
    const other = join(dir, 'other');
    const theirs = '#!/bin/sh\necho theirs\n';
    await vscode.workspace.fs.createDirectory(vscode.Uri.file(other));
    writeFileSync(join(other, 'mini-containers'), theirs, { mode: 0o755 });
    assert.equal(await vscode.commands.executeCommand(INSTALL, { folder: other }), undefined);
    assert.equal(await vscode.commands.executeCommand(UNINSTALL, { folder: other }), undefined);
    assert.equal(messages.messages.length, 2);
    for (const message of messages.messages) assert.match(message, /mini-containers already exists and was not installed by Mini Containers/);
    assert.ok(messages.messages[0].includes(join(other, 'mini-containers')));
    assert.equal(readFileSync(join(other, 'mini-containers'), 'utf8'), theirs);
  });

  it('uninstalls its command, after which the name is not found', async () => {
    const gone = join(dir, 'uninstalled');
    await vscode.commands.executeCommand(INSTALL, { folder: gone });
    assert.equal(shWithPath(gone, 'mini-containers --help').status, 0);
    messages.messages.length = 0;
    assert.equal(await vscode.commands.executeCommand(UNINSTALL, { folder: gone }), 'removed');
    assert.deepEqual(messages.messages, [`The mini-containers command is uninstalled (${join(gone, 'mini-containers')} removed).`]);
    assert.equal(shWithPath(gone, 'mini-containers --help').status, 127);
  });
});
