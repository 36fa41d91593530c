// `mini-containers rootfs rm NAME` against real containers on a real BusyBox rootfs (as root, in root's own store
// under a temporary XDG_DATA_HOME): refused while a container started by the helper, or a process chrooted by hand,
// runs on it; after, it removes the rootfs and its NAME.json and never follows a link planted inside to a canary.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { writeMeta } from '../../src/core/rootfs/rootfsStore';
import { makeRootfs, makeTempDir, readStarted, requireRoot, spawnHelper, stopAllHelpers, waitFor } from './harness';

const cli = path.resolve(__dirname, '..', '..', 'cli.js');

describe('rootfs rm: refused while in use, never follows a link out', () => {
  let temp = '';
  let store = '';
  let env: NodeJS.ProcessEnv = {};
  const children = new Set<ChildProcess>();

  const rm = (name: string) => spawnSync(process.execPath, [cli, 'rootfs', 'rm', name], { env, encoding: 'utf8' });
  const list = () => JSON.parse(spawnSync(process.execPath, [cli, 'rootfs', 'list', '--json'], { env, encoding: 'utf8' }).stdout) as {
    rootfs: { name: string; place: string; sizeBytes: number | null; origin: { kind: string } }[];
  };

  before(async () => {
    requireRoot();
    temp = makeTempDir('rootfs-rm');
    env = { ...process.env, XDG_DATA_HOME: path.join(temp, 'data'), XDG_STATE_HOME: path.join(temp, 'state') };
    store = path.join(temp, 'data', 'mini-containers', 'rootfs');
    fs.mkdirSync(store, { recursive: true, mode: 0o700 });
    await makeRootfs(store, 'victim');
    writeMeta(store, { version: 1, name: 'victim', origin: { kind: 'busybox' }, created: new Date().toISOString() });
  });

  after(async () => {
    for (const child of children) child.kill('SIGKILL');
    await stopAllHelpers();
    if (temp) fs.rmSync(temp, { recursive: true, force: true });
  });

  it('lists it with its size and origin', () => {
    const row = list().rootfs.find((r) => r.name === 'victim' && r.place === 'user');
    assert.ok(row, 'listed');
    assert.equal(row.origin.kind, 'busybox');
    assert.ok((row.sizeBytes ?? 0) > 500_000, `the static busybox alone is over 500 kB (${row.sizeBytes})`);
  });

  it('is refused while a container started by the helper runs on it', async () => {
    const status = path.join(temp, 'status');
    const helper = spawnHelper(['start', '--rootfs', path.join(store, 'victim'), '--name', 'victim-rmtest', '--status-file', status, '--', '/bin/sleep', '1000']);
    const started = await waitFor(() => readStarted(status), 10_000);
    assert.equal(started.rootfs, path.join(store, 'victim'));
    const refused = rm('victim');
    assert.equal(refused.status, 1, refused.stderr);
    assert.match(refused.stderr, /in use by victim-rmtest/);
    assert.ok(fs.existsSync(path.join(store, 'victim', 'bin', 'busybox')) && fs.existsSync(path.join(store, 'victim.json')));
    helper.kill('SIGTERM');
    await waitFor(() => helper.exitCode !== null || helper.signalCode !== null, 10_000);
  });

  it('is refused while a process chrooted by hand (no record) runs in it', async () => {
    const chrooted = spawn('chroot', [path.join(store, 'victim'), '/bin/sleep', '1000'], { stdio: 'ignore' });
    children.add(chrooted);
    await waitFor(() => {
      try {
        return fs.readlinkSync(`/proc/${chrooted.pid}/root`) === path.join(store, 'victim');
      } catch {
        return false;
      }
    });
    const refused = rm('victim');
    assert.equal(refused.status, 1, refused.stderr);
    assert.match(refused.stderr, new RegExp(`in use by PID ${chrooted.pid}`));
    chrooted.kill('SIGKILL');
    await waitFor(() => chrooted.exitCode !== null || chrooted.signalCode !== null);
    children.delete(chrooted);
  });

  it('removes the rootfs and its metadata, and only the links planted inside, not what they point at', () => {
    const canary = path.join(temp, 'canary');
    fs.mkdirSync(path.join(canary, 'sub'), { recursive: true });
    fs.writeFileSync(path.join(canary, 'sub', 'keep'), 'canary');
    fs.symlinkSync(canary, path.join(store, 'victim', 'escape'));
    fs.symlinkSync(path.join(canary, 'sub', 'keep'), path.join(store, 'victim', 'etc', 'keep-link'));
    fs.symlinkSync('../../..', path.join(store, 'victim', 'etc', 'up'));
    const done = rm('victim');
    assert.equal(done.status, 0, done.stderr);
    assert.deepEqual(fs.readdirSync(store), [], 'no rootfs, no NAME.json, no hidden folder left');
    assert.equal(fs.readFileSync(path.join(canary, 'sub', 'keep'), 'utf8'), 'canary');
    assert.ok(!list().rootfs.some((r) => r.name === 'victim'));
    const again = rm('victim');
    assert.equal(again.status, 1);
    assert.match(again.stderr, /no root filesystem/);
  });
});
