// The stores of root filesystems: where each is, its metadata beside it, and builds that appear whole or not at all.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { commitBuildDir, listStore, makeBuildDir, metaPath, readMeta, userStoreDir, writeMeta, type RootfsMeta } from '../../src/core/rootfs/rootfsStore';

const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'mc-store-'));
after(() => fs.rmSync(temp, { recursive: true, force: true }));

describe('rootfs stores', () => {
  it('puts the user store under XDG_DATA_HOME when absolute, else ~/.local/share', () => {
    assert.equal(userStoreDir({ XDG_DATA_HOME: '/d' }, '/home/u'), '/d/mini-containers/rootfs');
    assert.equal(userStoreDir({ XDG_DATA_HOME: 'rel' }, '/home/u'), '/home/u/.local/share/mini-containers/rootfs');
    assert.equal(userStoreDir({}, '/home/u'), '/home/u/.local/share/mini-containers/rootfs');
  });

  it('builds in a hidden folder and renames it into place with its metadata beside it', () => {
    const store = path.join(temp, 'a');
    const build = makeBuildDir(store, 'deb');
    assert.deepEqual(listStore(store), [], 'a build in progress is not listed');
    fs.writeFileSync(path.join(build, 'marker'), 'x');
    const meta: RootfsMeta = { version: 1, name: 'deb', origin: { kind: 'busybox' }, created: '2026-12-07T00:00:00.000Z' };
    assert.equal(commitBuildDir(store, build, meta), path.join(store, 'deb'));
    assert.deepEqual(listStore(store), ['deb']);
    assert.equal(fs.readFileSync(path.join(store, 'deb', 'marker'), 'utf8'), 'x');
    assert.deepEqual(readMeta(store, 'deb'), meta);
    assert.ok(fs.existsSync(metaPath(store, 'deb')) && !fs.existsSync(path.join(store, 'deb', 'deb.json')));
  });

  it('never replaces a rootfs, nor a link, of the same name', () => {
    const store = path.join(temp, 'b');
    const build = makeBuildDir(store, 'x');
    fs.symlinkSync('/etc', path.join(store, 'x'));
    assert.throws(() => commitBuildDir(store, build, { version: 1, name: 'x', origin: { kind: 'busybox' }, created: '' }), /already exists/);
    assert.throws(() => makeBuildDir(store, 'x'), /already exists/);
    assert.throws(() => makeBuildDir(store, '../x'), /invalid root filesystem name/);
  });

  it('ignores metadata that is not for that name', () => {
    const store = path.join(temp, 'c');
    fs.mkdirSync(store, { recursive: true });
    writeMeta(store, { version: 1, name: 'other', origin: { kind: 'busybox' }, created: '' });
    fs.renameSync(metaPath(store, 'other'), metaPath(store, 'y'));
    assert.equal(readMeta(store, 'y'), undefined);
    fs.writeFileSync(metaPath(store, 'z'), '{not json');
    assert.equal(readMeta(store, 'z'), undefined);
  });
});
