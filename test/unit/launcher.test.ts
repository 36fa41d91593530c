import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  binFolder, COMMAND_NAME, CommandLineError, hostRuntime, installLauncher, isOnPath, isOurLauncher, launcherText,
  repointLauncher, uninstallLauncher,
} from '../../src/core/commandLine/launcher';

describe('binFolder', () => {
  it('is /usr/local/bin for root', () => assert.equal(binFolder(0, '/root'), '/usr/local/bin'));
  it('is ~/.local/bin for anyone else', () => assert.equal(binFolder(1000, '/home/ann'), '/home/ann/.local/bin'));
});

describe('hostRuntime', () => {
  it('is Electron, to be run as Node.js, in desktop VS Code', () => {
    assert.deepEqual(hostRuntime('/usr/share/code/code', { node: '20.0.0', electron: '35.0.0' }), { path: '/usr/share/code/code', electron: true });
  });
  it('is plain Node.js under code-server or a VS Code server', () => {
    assert.deepEqual(hostRuntime('/srv/vscode-server/node', { node: '20.0.0' }), { path: '/srv/vscode-server/node', electron: false });
  });
});

describe('isOnPath', () => {
  const cases: Array<[string, string | undefined, boolean]> = [
    ['/home/ann/.local/bin:/usr/bin', undefined, false],
    ['/usr/bin:/home/ann/.local/bin', '/usr/bin:/home/ann/.local/bin', true],
    ['a trailing slash', '/home/ann/.local/bin/:/usr/bin', true],
    ['a parent only', '/home/ann/.local:/usr/bin', false],
    ['an empty entry (the current folder)', ':/usr/bin', false],
  ];
  for (const [title, value, expected] of cases) {
    it(`${expected ? 'finds' : 'does not find'} ~/.local/bin in ${value === undefined ? 'no PATH' : title}`, () => {
      assert.equal(isOnPath('/home/ann/.local/bin', value), expected);
    });
  }
});

describe('the launcher', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mc-launcher-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** A fake runtime that prints its arguments and ELECTRON_RUN_AS_NODE, one per line. */
  function fakeRuntime(name: string): string {
    const file = join(dir, name);
    writeFileSync(file, '#!/bin/sh\necho "ELECTRON_RUN_AS_NODE=${ELECTRON_RUN_AS_NODE-unset}"\nfor a in "$@"; do echo "$a"; done\n');
    chmodSync(file, 0o755);
    return file;
  }
  function run(text: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
    const file = join(dir, `launcher-${Math.random().toString(36).slice(2)}`);
    writeFileSync(file, text, { mode: 0o755 });
    const env = { ...process.env };
    delete env.ELECTRON_RUN_AS_NODE;
    return spawnSync(file, args, { encoding: 'utf8', env });
  }

  it('is recognised as ours, and a file without its mark is not', () => {
    assert.equal(isOurLauncher(launcherText('/x/cli.js', { path: '/x/node', electron: false })), true);
    assert.equal(isOurLauncher('#!/bin/sh\nexec node /x/cli.js "$@"\n'), false);
  });

  it('runs the CLI with Electron as Node.js, passing every argument unchanged, even in folders with spaces and quotes', () => {
    const runtime = fakeRuntime("VS Code's runtime");
    const cli = join(dir, 'ext $HOME `x`', 'cli.js');
    mkdirSync(join(dir, 'ext $HOME `x`'));
    writeFileSync(cli, '');
    const out = run(launcherText(cli, { path: runtime, electron: true }), ['ps', '--json', 'a b', '*']);
    assert.equal(out.status, 0, out.stderr);
    assert.deepEqual(out.stdout.split('\n'), ['ELECTRON_RUN_AS_NODE=1', cli, 'ps', '--json', 'a b', '*', '']);
  });

  it('runs the CLI with plain Node.js without setting ELECTRON_RUN_AS_NODE', () => {
    const cli = join(dir, 'cli.js');
    writeFileSync(cli, '');
    const out = run(launcherText(cli, { path: fakeRuntime('node'), electron: false }), ['--help']);
    assert.deepEqual(out.stdout.split('\n'), ['ELECTRON_RUN_AS_NODE=unset', cli, '--help', '']);
  });

  it('says what to do, and fails, when the extension folder it points to is gone', () => {
    const out = run(launcherText(join(dir, 'gone', 'cli.js'), { path: fakeRuntime('node2'), electron: false }), ['--help']);
    assert.equal(out.status, 1);
    assert.equal(out.stdout, '');
    assert.match(out.stderr, /gone\/cli\.js .*updated, moved or removed/);
    assert.match(out.stderr, /Install 'mini-containers' Command in PATH/);
  });
});

describe('installLauncher, uninstallLauncher and repointLauncher', () => {
  let dir: string;
  const v1 = launcherText('/ext/mini-containers-0.1.0/dist/cli.js', { path: '/usr/share/code/code', electron: true });
  const v2 = launcherText('/ext/mini-containers-0.2.0/dist/cli.js', { path: '/usr/share/code/code', electron: true });
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mc-bin-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const folder = (name: string) => join(dir, name, 'bin');
  const command = (name: string) => join(folder(name), COMMAND_NAME);

  it('makes the missing folder and an executable launcher in it', () => {
    assert.deepEqual(installLauncher(folder('new'), v1), { file: command('new'), replaced: false });
    assert.equal(readFileSync(command('new'), 'utf8'), v1);
    assert.equal(lstatSync(command('new')).mode & 0o777, 0o755);
  });

  it('replaces its own launcher', () => {
    installLauncher(folder('own'), v1);
    assert.deepEqual(installLauncher(folder('own'), v2), { file: command('own'), replaced: true });
    assert.equal(readFileSync(command('own'), 'utf8'), v2);
  });

  for (const [title, make] of [
    ['a file of someone else', (file: string) => writeFileSync(file, '#!/bin/sh\necho theirs\n')],
    ['a symbolic link', (file: string) => symlinkSync('/bin/true', file)],
  ] as const) {
    it(`refuses ${title}, leaves it as it was, and says so`, () => {
      mkdirSync(folder(title), { recursive: true });
      make(command(title));
      const before = lstatSync(command(title));
      assert.throws(() => installLauncher(folder(title), v1), (e: Error) =>
        e instanceof CommandLineError && e.message.includes(command(title)) && /not installed by Mini Containers/.test(e.message));
      assert.throws(() => uninstallLauncher(folder(title)), CommandLineError);
      assert.equal(repointLauncher(folder(title), v2), 'foreign');
      const after = lstatSync(command(title));
      assert.deepEqual([after.ino, after.mtimeMs, after.size], [before.ino, before.mtimeMs, before.size]);
    });
  }

  it('re-points its own launcher at another copy of the extension, and says when it already points there', () => {
    installLauncher(folder('update'), v1);
    assert.equal(repointLauncher(folder('update'), v2), 'repointed');
    assert.equal(readFileSync(command('update'), 'utf8'), v2);
    assert.equal(repointLauncher(folder('update'), v2), 'current');
  });

  it('does not make a launcher when re-pointing where there is none', () => {
    assert.equal(repointLauncher(folder('none'), v2), 'absent');
    assert.equal(existsSync(folder('none')), false);
  });

  it('uninstalls its own launcher, and says when there is none', () => {
    installLauncher(folder('gone'), v1);
    assert.equal(uninstallLauncher(folder('gone')), 'removed');
    assert.equal(existsSync(command('gone')), false);
    assert.equal(uninstallLauncher(folder('gone')), 'absent');
  });
});
