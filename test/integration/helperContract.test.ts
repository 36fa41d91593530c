// The helper's contract from its header: exit codes, and refusals that create nothing.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  helperPath, makeRootfs, makeTempDir, mountTable, readStarted, recordsOfHelper, registryRecords, requireRoot, runHelper, spawnHelper,
  stopAllHelpers, waitFor,
} from './harness';

describe('container-helper.sh start: exit codes', () => {
  let tmp: string;
  let rootfs: string;

  before(async () => {
    requireRoot();
    tmp = makeTempDir('contract');
    rootfs = await makeRootfs(tmp);
    fs.writeFileSync(path.join(rootfs, 'not-executable'), 'data\n', { mode: 0o644 });
    fs.writeFileSync(path.join(rootfs, 'usr', 'bin', 'data-only'), 'data\n', { mode: 0o644 });
  });
  after(async () => {
    await stopAllHelpers();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  const cases: Array<[string, string[], number, RegExp?]> = [
    ['the command succeeds', ['/bin/true'], 0],
    ["the command's own code", ['/bin/sh', '-c', 'exit 7'], 7],
    ['the command is not executable', ['/not-executable'], 126, /not an executable file/],
    ['the command is a folder', ['/etc'], 126, /not an executable file/],
    ['the command is missing', ['/bin/no-such-program'], 127, /command not found/],
    ['the command is missing from PATH', ['no-such-program'], 127, /command not found in the rootfs's PATH/],
    ['the command is a file followed by /', ['/bin/sh/'], 127, /command not found in the rootfs: \/bin\/sh\/$/m],
    ['the command is a file followed by /.', ['/bin/true/.'], 127, /command not found in the rootfs: \/bin\/true\/\.$/m],
    ['a bare name found on PATH but not executable (execvp: EACCES)', ['data-only'], 126,
      /not an executable file in the rootfs: \/usr\/bin\/data-only$/m],
    ['a link to a missing target', ['/dangling'], 127, /command not found/],
  ];
  for (const [title, command, code, message] of cases) {
    it(`${title}: ${code}`, async () => {
      if (title.startsWith('a link')) fs.symlinkSync('/nowhere/at/all', path.join(rootfs, 'dangling'));
      const result = await runHelper(['start', '--rootfs', rootfs, '--', ...command]);
      assert.equal(result.code, code, result.stderr);
      if (message) {
        assert.match(result.stderr, message);
        // bubblewrap says why its exec failed, in the container's own terms; then the helper's one line.
        assert.match(result.stderr, /^(bwrap: execvp [^\n]+\n)?container-helper: [^\n]+\n$/, 'bwrap\'s line, then the helper\'s one line');
      }
    });
  }

  it('a command that cannot run: its status file names the helper and the exit, 127, and never a started container', async () => {
    const status = path.join(tmp, 'not-found.jsonl');
    const result = await runHelper(['start', '--rootfs', rootfs, '--status-file', status, '--', '/bin/no-such-program']);
    assert.equal(result.code, 127, result.stderr);
    assert.match(fs.readFileSync(status, 'utf8'), /^\{"event":"helper","pid":\d+\}\n\{"event":"exited","code":127\}\n$/);
    assert.deepEqual(recordsOfHelper(result.pid), [], 'no record left');
  });

  it('PID 1 killed by a signal from the host: 128+N', async () => {
    const status = path.join(tmp, 'signal.jsonl');
    const child = spawnHelper(['start', '--rootfs', rootfs, '--status-file', status, '--', '/bin/sleep', '1000']);
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const started = await waitFor(() => readStarted(status));
    process.kill(started.initPid, 'SIGKILL');
    assert.equal(await exited, 137);
    assert.match(fs.readFileSync(status, 'utf8'), /\{"event":"exited","code":137\}\n$/);
  });

  // Every file of a filesystem mounted noexec fails the -x test, whatever its mode: the error must say it is the
  // mount, not the file. The tmpfs lives in a private mount namespace made for the run, so it leaves nothing.
  for (const command of ['/bin/true', 'true']) {
    it(`a rootfs on a filesystem mounted noexec, command ${command}: 126, naming the mount`, () => {
      const mountPoint = path.join(tmp, `noexec-${command.length}`);
      fs.mkdirSync(mountPoint);
      const before = mountTable();
      const script = 'mount -t tmpfs -o noexec,size=16m none "$1" && cp -a "$2" "$1/r" && exec sh "$3" start --rootfs "$1/r" -- "$4"';
      const run = spawnSync('unshare', ['--mount', '--propagation', 'private', '--', 'sh', '-c', script, 'sh', mountPoint, rootfs, helperPath, command],
        { encoding: 'utf8', timeout: 30_000 });
      assert.equal(run.status, 126, run.stderr);
      assert.equal(run.stderr, `bwrap: execvp ${command}: Permission denied\n` +
        "container-helper: command '/bin/true' cannot run: the filesystem holding the rootfs is mounted noexec; " +
        'move the rootfs to one that allows programs\n');
      assert.equal(mountTable(), before, 'the host mount table changed');
    });
  }

  it('a bare name found on the rootfs PATH runs', async () => {
    const result = await runHelper(['start', '--rootfs', rootfs, '--', 'echo', 'found']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, 'found\n');
  });

  // COMMAND is looked up by the container's own kernel (bwrap's execvp in the sandbox, and the check that says why
  // it failed runs in a sandbox on the rootfs too): a link in a folder component never names the host's files.
  describe('links anywhere in the path resolve inside the rootfs', () => {
    before(() => {
      fs.mkdirSync(path.join(rootfs, 'inside', 'deep'), { recursive: true });
      fs.writeFileSync(path.join(rootfs, 'inside', 'hello.sh'), '#!/bin/sh\necho hello from inside\n', { mode: 0o755 });
      fs.symlinkSync('/inside', path.join(rootfs, 'apps'));
      fs.symlinkSync('/inside/deep', path.join(rootfs, 'deep-link'));
      const hostOnly = path.join(tmp, 'host-only');
      fs.mkdirSync(hostOnly);
      fs.writeFileSync(path.join(hostOnly, 'prog'), '#!/bin/sh\necho host\n', { mode: 0o755 });
      fs.symlinkSync(hostOnly, path.join(rootfs, 'host-folder'));
    });

    it('a command under an absolute link to a folder the host does not have runs', async () => {
      const result = await runHelper(['start', '--rootfs', rootfs, '--', '/apps/hello.sh']);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, 'hello from inside\n');
    });

    it('.. after a link goes up from the link target, not from the link', async () => {
      const result = await runHelper(['start', '--rootfs', rootfs, '--', '/deep-link/../hello.sh']);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, 'hello from inside\n');
    });

    it('a command under a link to a folder only the host has: 127, said by bwrap and the helper, nothing run', async () => {
      const result = await runHelper(['start', '--rootfs', rootfs, '--', '/host-folder/prog']);
      assert.equal(result.code, 127, result.stderr);
      assert.equal(result.stderr, 'bwrap: execvp /host-folder/prog: No such file or directory\n' +
        'container-helper: command not found in the rootfs: /host-folder/prog\n');
      assert.equal(result.stdout, '');
    });
  });
});

describe('container-helper.sh: refusals are 125, say what to fix, and create nothing', () => {
  let tmp: string;
  let rootfs: string;
  let bare: string;

  before(async () => {
    requireRoot();
    tmp = makeTempDir('refusals');
    rootfs = await makeRootfs(tmp);
    bare = path.join(tmp, 'bare');
    fs.mkdirSync(bare);
    fs.writeFileSync(path.join(tmp, 'a-file'), '');
    fs.symlinkSync('/', path.join(tmp, 'link-to-root'));
    fs.writeFileSync(path.join(tmp, 'existing.jsonl'), 'keep me\n');
  });
  after(async () => {
    await stopAllHelpers();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  const long = 'a'.repeat(64);
  const cases: Array<[string, () => string[], RegExp]> = [
    ['no subcommand', () => [], /usage/],
    ['an unknown subcommand', () => ['run'], /unknown subcommand/],
    ['no --rootfs', () => ['start'], /--rootfs DIR is required/],
    ['an empty --rootfs', () => ['start', '--rootfs', ''], /--rootfs is empty/],
    ['a relative --rootfs', () => ['start', '--rootfs', 'rootfs'], /absolute path/],
    ['a missing --rootfs', () => ['start', '--rootfs', path.join(tmp, 'missing')], /does not exist/],
    ['a file as --rootfs', () => ['start', '--rootfs', path.join(tmp, 'a-file')], /not a directory/],
    ['/ as --rootfs', () => ['start', '--rootfs', '/'], /host's \//],
    ['a link to / as --rootfs', () => ['start', '--rootfs', path.join(tmp, 'link-to-root')], /host's \//],
    ['.. leading to /', () => ['start', '--rootfs', `${tmp}/../../../../../../..`], /host's \//],
    ['a rootfs without proc/', () => ['start', '--rootfs', bare], /no proc\/ folder/],
    ['a --rootfs with a newline', () => ['start', '--rootfs', `${rootfs}\nx`], /control characters/],
    ['a --rootfs given twice', () => ['start', '--rootfs', rootfs, '--rootfs', rootfs], /given twice/],
    ['an unknown flag', () => ['start', '--rootfs', rootfs, '--volume'], /unknown flag: --volume/],
    ['a flag without value', () => ['start', '--rootfs'], /needs a value/],
    ['a name with a space', () => ['start', '--rootfs', rootfs, '--name', 'a b'], /--name must match/],
    ['a name of 64 characters', () => ['start', '--rootfs', rootfs, '--name', long], /--name must match/],
    ['a name starting with -', () => ['start', '--rootfs', rootfs, '--name', '-x'], /--name must match/],
    ['a name with $(…)', () => ['start', '--rootfs', rootfs, '--name', '$(id)'], /--name must match/],
    ['a hostname with a dot first', () => ['start', '--rootfs', rootfs, '--hostname', '.h'], /--hostname must match/],
    ['a relative status file', () => ['start', '--rootfs', rootfs, '--status-file', 's.jsonl'], /absolute path/],
    ['an existing status file', () => ['start', '--rootfs', rootfs, '--status-file', path.join(tmp, 'existing.jsonl')],
      /already exists/],
    ['a status file in a missing folder', () => ['start', '--rootfs', rootfs, '--status-file', path.join(tmp, 'x', 's')],
      /folder does not exist/],
  ];

  for (const [title, args, message] of cases) {
    it(`refuses ${title}`, async () => {
      const mounts = mountTable();
      const records = registryRecords();
      const entries = fs.readdirSync(tmp).sort();
      const result = await runHelper(args());
      assert.equal(result.code, 125, `${result.stdout}${result.stderr}`);
      assert.match(result.stderr, message);
      assert.match(result.stderr, /container-helper: /);
      assert.equal(result.stdout, '');
      assert.equal(mountTable(), mounts, 'nothing mounted');
      assert.deepEqual(registryRecords(), records, 'no record written');
      assert.deepEqual(fs.readdirSync(tmp).sort(), entries, 'no file created');
      assert.equal(fs.readFileSync(path.join(tmp, 'existing.jsonl'), 'utf8'), 'keep me\n', 'nothing overwritten');
    });
  }

  // The old helper's internal stages are gone with bubblewrap: they are unknown subcommands now, and run nothing.
  for (const stage of ['__supervise', '__init', '__serve']) {
    it(`refuses the former internal stage ${stage} as an unknown subcommand`, async () => {
      const mounts = mountTable();
      const result = await runHelper([stage, rootfs, 'h', '--', '/bin/sh']);
      assert.equal(result.code, 125);
      assert.match(result.stderr, new RegExp(`container-helper: unknown subcommand: ${stage}\n$`));
      assert.equal(mountTable(), mounts, 'nothing mounted');
    });
  }
});
