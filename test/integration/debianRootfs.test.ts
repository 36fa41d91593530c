// Debian root filesystems made by the real mmdebstrap from the Debian mirror of this machine's apt sources, then
// used by the real helper: as root (mmdebstrap's root mode, into a store of the test's) and as an ordinary user with
// subordinate ids (its unshare mode, into that user's own store, through the CLI), `apt-get install -y hello`
// works inside and `hello` runs; progress arrives in mmdebstrap's order; a Cancel while it downloads leaves no
// folder, no tarball and no process; a user without subordinate ids is told what to do and nothing starts.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  createDebianRootfs, debianPrerequisites, defaultMirror, hostAptSources, type DebianProgress,
} from '../../src/core/rootfs/debianRootfs';
import { ImportCancelled } from '../../src/core/rootfs/imageImport';
import { readMeta } from '../../src/core/rootfs/rootfsStore';
import { helperPath, makeTempDir, requireRoot, runHelper, stopAllHelpers } from './harness';
import { isAlive } from './hostProcs';

const cli = path.resolve(__dirname, '..', '..', 'cli.js');
const BOOKWORM = { distribution: 'debian' as const, suite: 'bookworm' };
const INSTALL_HELLO = 'apt-get update -q >/dev/null 2>&1 && apt-get install -y -q hello >/dev/null 2>&1; hello';

/** Every PID whose command line names `text`. */
function processesNaming(text: string): number[] {
  return fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)).map(Number).filter((pid) => {
    try {
      return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text);
    } catch {
      return false;
    }
  });
}

describe('Debian root filesystems from mmdebstrap', { timeout: 600_000 }, () => {
  let tmp = '';
  const mirror = defaultMirror('debian', hostAptSources());
  const user = `mc-deb${process.pid % 100000}`;
  const bare = `mc-debnosub${process.pid % 100000}`;

  before(() => {
    requireRoot();
    tmp = makeTempDir('debian');
    fs.chmodSync(tmp, 0o755);
  });
  after(async () => {
    await stopAllHelpers();
    for (const name of [user, bare]) spawnSync('userdel', ['--remove', name], { stdio: 'ignore' });
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('as root: builds bookworm with its stages in order, records its origin, and apt-get install hello works inside', async () => {
    const store = path.join(tmp, 'root-store');
    const seen: DebianProgress[] = [];
    const result = await createDebianRootfs(BOOKWORM, mirror, store, 'bookworm', { onProgress: (p) => seen.push(p) });
    assert.equal(result.path, path.join(store, 'bookworm'));
    const stages = [...new Set(seen.map((p) => p.stage))];
    for (const stage of ['downloading', 'extracting', 'installing essential packages', 'writing the tarball', 'importing']) {
      assert.ok(stages.includes(stage), `no "${stage}" among ${stages.join(', ')}`);
    }
    assert.deepEqual(seen.map((p) => p.fraction), [...seen.map((p) => p.fraction)].sort((a, b) => a - b), 'progress only moves forward');
    assert.deepEqual(readMeta(store, 'bookworm')?.origin, { kind: 'debian', distribution: 'debian', suite: 'bookworm', mirror, tool: 'mmdebstrap' });
    assert.match(fs.readFileSync(path.join(result.path, 'etc', 'os-release'), 'utf8'), /VERSION_CODENAME=bookworm/);
    assert.deepEqual(fs.readdirSync(store), ['bookworm', 'bookworm.json'], 'no tarball or build folder is left');
    const run = await runHelper(['start', '--rootfs', result.path, '--', '/bin/sh', '-c', INSTALL_HELLO], { timeoutMs: 240_000 });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, 'Hello, world!\n');
  });

  it('rootless, as a user with subordinate ids: `rootfs debian` builds into their store, and apt-get install hello works inside', async () => {
    assert.equal(spawnSync('useradd', ['--create-home', '--user-group', '--shell', '/bin/sh', user]).status, 0, 'useradd');
    assert.equal(spawnSync('usermod', ['--add-subuids', '300000-365535', '--add-subgids', '300000-365535', user]).status, 0, 'usermod');
    const home = `/home/${user}`;
    // The checkout may lie where the user cannot read: the CLI (one bundled file) and the helper are copied.
    for (const file of [cli, helperPath, path.join(path.dirname(helperPath), 'seccomp.bpf')]) {
      fs.copyFileSync(file, path.join(home, path.basename(file)));
    }
    spawnSync('chown', ['-R', `${user}:${user}`, home]);
    const asUser = (args: string[], timeout: number) => spawnSync('setpriv', ['--reuid', user, '--regid', user, '--init-groups', ...args], {
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', HOME: home }, cwd: home, encoding: 'utf8', timeout,
    });
    const built = asUser([process.execPath, path.join(home, 'cli.js'), 'rootfs', 'debian', 'bookworm', '--mirror', mirror], 400_000);
    assert.equal(built.status, 0, built.stderr);
    const rootfs = path.join(home, '.local', 'share', 'mini-containers', 'rootfs', 'debian-bookworm');
    assert.equal(built.stdout, `${rootfs}\n`);
    assert.match(built.stderr, /downloading[\s\S]*extracting[\s\S]*importing/, 'the stages, in order');
    assert.equal(fs.statSync(path.join(rootfs, 'usr', 'bin', 'apt-get')).uid, Number(spawnSync('id', ['-u', user], { encoding: 'utf8' }).stdout), 'the user\'s files');
    const run = asUser(['sh', path.join(home, 'container-helper.sh'), 'start', '--rootfs', rootfs, '--', '/bin/sh', '-c', INSTALL_HELLO], 240_000);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout, 'Hello, world!\n');
  });

  it('a Cancel while it downloads ends mmdebstrap and leaves nothing in the store', async () => {
    const store = path.join(tmp, 'cancel-store');
    const controller = new AbortController();
    let cancelledAt = '';
    const made = createDebianRootfs(BOOKWORM, mirror, store, 'cancelled', {
      signal: controller.signal,
      onProgress: (p) => {
        if (p.stage === 'downloading' && !cancelledAt) {
          cancelledAt = p.stage;
          controller.abort();
        }
      },
    });
    await assert.rejects(made, ImportCancelled);
    assert.equal(cancelledAt, 'downloading');
    assert.deepEqual(fs.readdirSync(store), [], 'no rootfs, build folder or tarball');
    const left = processesNaming(store).filter(isAlive);
    assert.deepEqual(left, [], 'no mmdebstrap, apt or dpkg process of it is left');
  });

  it('a user without subordinate ids is told how to get them, before anything starts', () => {
    assert.equal(spawnSync('useradd', ['--no-create-home', '--shell', '/bin/sh', bare]).status, 0, 'useradd');
    spawnSync('usermod', ['--del-subuids', '0-4294967295', '--del-subgids', '0-4294967295', bare], { stdio: 'ignore' });
    const uid = Number(spawnSync('id', ['-u', bare], { encoding: 'utf8' }).stdout);
    assert.match(debianPrerequisites(BOOKWORM, false, bare, uid) ?? '', new RegExp(`${bare} has no subordinate ids .*usermod --add-subuids`));
    assert.equal(debianPrerequisites(BOOKWORM, true, 'root', 0), undefined, 'root needs none');
  });
});
