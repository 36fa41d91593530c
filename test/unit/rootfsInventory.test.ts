// The Root Filesystems view's and `rootfs list`'s facts: origin in words, size on disk (hard links once, links never
// followed, other filesystems left out), the list's JSON shape, the last-used record, and the safe delete's refusals.
import { parsePasswd } from '../../src/core/proc/procParse';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import {
  diskUsage, formatSize, lastUsedFile, listRootfs, originText, readLastUsed, recordLastUsed, toListJson, forgetLastUsed,
} from '../../src/core/rootfs/rootfsInventory';
import { mountsUnder, removeRootfs, RootfsRemoveError, usersOf } from '../../src/core/rootfs/rootfsRemove';
import { writeMeta, type RootfsOrigin } from '../../src/core/rootfs/rootfsStore';

const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'mc-inventory-'));
after(() => fs.rmSync(temp, { recursive: true, force: true }));

describe('origin text', () => {
  const cases: [RootfsOrigin, string][] = [
    [{ kind: 'busybox' }, 'BusyBox'],
    [{ kind: 'debian', distribution: 'debian', suite: 'bookworm', mirror: 'http://deb.debian.org/debian', tool: 'mmdebstrap' }, 'Debian bookworm (mmdebstrap)'],
    [{ kind: 'debian', distribution: 'ubuntu', suite: 'noble', mirror: 'm', tool: 'debootstrap' }, 'Ubuntu noble (debootstrap)'],
    [{ kind: 'import', file: '/tmp/a.tar.gz', format: 'tar+gzip' }, 'imported from /tmp/a.tar.gz (tar+gzip)'],
    [{ kind: 'pull', reference: 'localhost:5000/busybox:1', digest: 'sha256:abc' }, 'localhost:5000/busybox:1@sha256:abc'],
    [{ kind: 'saved', from: 'deb-1a2b' }, 'saved from deb-1a2b'],
    [{ kind: 'folder' }, 'folder'],
  ];
  for (const [origin, text] of cases) it(`${origin.kind} → ${text}`, () => assert.equal(originText(origin), text));

  it('formats sizes base 1024', () => {
    assert.deepEqual([0, 512, 1536, 23 * 1024 * 1024, 3 * 1024 ** 3].map(formatSize), ['0 B', '512 B', '1.5 KiB', '23 MiB', '3.0 GiB']);
  });
});

describe('size on disk', () => {
  it('counts a file with several hard links once and never follows a link', async () => {
    const dir = path.join(temp, 'sized');
    fs.mkdirSync(path.join(dir, 'sub'), { recursive: true });
    const big = Buffer.alloc(256 * 1024, 1);
    fs.writeFileSync(path.join(dir, 'a'), big);
    const alone = await diskUsage(dir);
    fs.linkSync(path.join(dir, 'a'), path.join(dir, 'sub', 'b'));
    fs.linkSync(path.join(dir, 'a'), path.join(dir, 'c'));
    assert.equal(await diskUsage(dir), alone, 'two more hard links add no bytes');
    // A link to a big folder outside counts as the link only.
    const outside = path.join(temp, 'outside');
    fs.mkdirSync(outside);
    fs.writeFileSync(path.join(outside, 'huge'), Buffer.alloc(1024 * 1024, 1));
    fs.symlinkSync(outside, path.join(dir, 'out'));
    const withLink = await diskUsage(dir);
    assert.ok(withLink - alone < 64 * 1024, `a link adds at most its own block, not the folder it names (${withLink - alone})`);
    assert.ok(alone >= big.length, `at least the file's bytes (${alone})`);
  });

  it('stops when aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(diskUsage(temp, controller.signal), { name: 'AbortError' });
  });
});

describe('the list', () => {
  const user = path.join(temp, 'user');
  const system = path.join(temp, 'system');
  const folder = path.join(temp, 'elsewhere');
  fs.mkdirSync(path.join(user, 'bb'), { recursive: true });
  fs.mkdirSync(path.join(user, '.new-x-1-abc'), { recursive: true });
  fs.mkdirSync(path.join(system, 'pulled'), { recursive: true });
  fs.mkdirSync(folder);
  writeMeta(user, { version: 1, name: 'bb', origin: { kind: 'busybox' }, created: '2026-12-07T07:00:00.000Z' });
  writeMeta(system, { version: 1, name: 'pulled', origin: { kind: 'pull', reference: 'alpine:3.20', digest: 'sha256:1' }, created: '2026-12-07T07:01:00.000Z' });

  it('lists both stores (never a build in progress) and the configured folder, the default marked', () => {
    const entries = listRootfs({ userStore: user, systemStore: system, configured: folder, lastUsed: { [path.join(user, 'bb')]: '2026-12-07T08:00:00.000Z' } });
    assert.deepEqual(entries.map((e) => [e.name, e.place, e.origin.kind, e.isDefault, e.lastUsed ?? null]), [
      ['bb', 'user', 'busybox', false, '2026-12-07T08:00:00.000Z'],
      ['pulled', 'system', 'pull', false, null],
      ['elsewhere', 'folder', 'folder', true, null],
    ]);
    const again = listRootfs({ userStore: user, systemStore: system, configured: `${path.join(user, 'bb')}/`, lastUsed: {} });
    assert.deepEqual(again.map((e) => [e.name, e.isDefault]), [['bb', true], ['pulled', false]], 'a store rootfs as the default is listed once');
  });

  it('has the JSON shape `rootfs list --json` prints', () => {
    const entries = listRootfs({ userStore: user, systemStore: system, configured: '', lastUsed: {} });
    const json = toListJson(entries, new Map([[path.join(user, 'bb'), 4096]]), (uid) => (uid === process.getuid?.() ? 'me' : undefined));
    assert.deepEqual(json.rootfs[0], {
      name: 'bb', path: path.join(user, 'bb'), place: 'user', origin: { kind: 'busybox' }, originText: 'BusyBox',
      created: '2026-12-07T07:00:00.000Z', lastUsed: null, sizeBytes: 4096, owner: { uid: process.getuid?.(), name: 'me' }, default: false,
    });
    assert.equal(json.rootfs[1].sizeBytes, null);
    assert.equal(json.rootfs[1].originText, 'alpine:3.20@sha256:1');
  });

  it('reads user names from passwd text', () => {
    assert.deepEqual([...parsePasswd('root:x:0:0:root:/root:/bin/bash\nbad line\nmc-a:x:1001:1001::/home/a:/bin/sh\n')], [[0, 'root'], [1001, 'mc-a']]);
  });
});

describe('last use', () => {
  it('lives in XDG_STATE_HOME when absolute, and records then forgets a rootfs', () => {
    assert.equal(lastUsedFile({ XDG_STATE_HOME: '/s' }, '/home/u'), '/s/mini-containers/last-used.json');
    assert.equal(lastUsedFile({}, '/home/u'), '/home/u/.local/state/mini-containers/last-used.json');
    const file = lastUsedFile({ XDG_STATE_HOME: path.join(temp, 'state') }, '/nowhere');
    assert.deepEqual(readLastUsed(file), {});
    recordLastUsed(file, '/r/a', new Date('2026-12-07T07:30:00Z'));
    recordLastUsed(file, '/r/b', new Date('2026-12-07T07:31:00Z'));
    assert.deepEqual(readLastUsed(file), { '/r/a': '2026-12-07T07:30:00.000Z', '/r/b': '2026-12-07T07:31:00.000Z' });
    forgetLastUsed(file, '/r/a');
    assert.deepEqual(readLastUsed(file), { '/r/b': '2026-12-07T07:31:00.000Z' });
    fs.writeFileSync(file, '[1,2]');
    assert.deepEqual(readLastUsed(file), {}, 'a file not ours reads as empty');
  });
});

describe('delete', () => {
  const store = path.join(temp, 'rm-store');
  const noMounts = () => '';

  it('finds the containers on a rootfs and the mounts under it', () => {
    assert.deepEqual(usersOf('/s/a', [{ name: 'a-1', rootfs: '/s/a' }, { name: 'b', rootfs: '/s/ab' }, { name: 'PID 7', rootfs: '/s/a/sub' }]), ['a-1', 'PID 7']);
    const info = '22 1 0:21 / / rw - ext4 /dev/sda rw\n90 22 0:50 / /s/a/proc rw - proc proc rw\n91 22 0:51 / /s/a\\040b rw - tmpfs t rw\n';
    assert.deepEqual(mountsUnder('/s/a', info), ['/s/a/proc']);
    assert.deepEqual(mountsUnder('/s/a b', info), ['/s/a b']);
  });

  it('refuses while in use or mounted, and a link in place of the folder; removes nothing then', async () => {
    fs.mkdirSync(path.join(store, 'busy'), { recursive: true });
    await assert.rejects(removeRootfs(store, 'busy', { users: () => [{ name: 'busy-1a2b', rootfs: path.join(store, 'busy') }], rootedIn: () => [], mountinfo: noMounts }),
      (e: RootfsRemoveError) => e.code === 'in-use' && /busy-1a2b/.test(e.message));
    await assert.rejects(removeRootfs(store, 'busy', { users: () => [], rootedIn: () => ['PID 42'], mountinfo: noMounts }),
      (e: RootfsRemoveError) => e.code === 'in-use' && /PID 42/.test(e.message));
    await assert.rejects(removeRootfs(store, 'busy', { users: () => [], rootedIn: () => [], mountinfo: () => `1 1 0:1 / ${path.join(store, 'busy', 'proc')} rw - proc p rw\n` }),
      (e: RootfsRemoveError) => e.code === 'mounted');
    fs.symlinkSync(path.join(store, 'busy'), path.join(store, 'link'));
    await assert.rejects(removeRootfs(store, 'link', { users: () => [], rootedIn: () => [], mountinfo: noMounts }), (e: RootfsRemoveError) => e.code === 'not-a-folder');
    await assert.rejects(removeRootfs(store, '../x', { users: () => [], rootedIn: () => [], mountinfo: noMounts }), (e: RootfsRemoveError) => e.code === 'invalid-name');
    await assert.rejects(removeRootfs(store, 'gone', { users: () => [], rootedIn: () => [], mountinfo: noMounts }), (e: RootfsRemoveError) => e.code === 'missing');
    assert.ok(fs.existsSync(path.join(store, 'busy')));
  });

  it('removes the tree and its metadata, a planted link only as a link, read-only folders included', async () => {
    const canary = path.join(temp, 'canary');
    fs.mkdirSync(canary);
    fs.writeFileSync(path.join(canary, 'keep'), 'x');
    const dir = path.join(store, 'doomed');
    fs.mkdirSync(path.join(dir, 'ro', 'deep'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'ro', 'deep', 'f'), 'y');
    fs.symlinkSync(canary, path.join(dir, 'escape'));
    fs.symlinkSync(path.join(canary, 'keep'), path.join(dir, 'ro', 'file-link'));
    fs.chmodSync(path.join(dir, 'ro', 'deep'), 0o555);
    fs.chmodSync(path.join(dir, 'ro'), 0o555);
    writeMeta(store, { version: 1, name: 'doomed', origin: { kind: 'busybox' }, created: '' });
    await removeRootfs(store, 'doomed', { users: () => [], rootedIn: () => [], mountinfo: noMounts });
    assert.deepEqual(fs.readdirSync(store).filter((n) => n.includes('doomed')), [], 'no folder, no NAME.json, no hidden leftover');
    assert.equal(fs.readFileSync(path.join(canary, 'keep'), 'utf8'), 'x', 'the canary outside is untouched');
  });
});
