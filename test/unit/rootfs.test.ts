import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildBusyboxRootfs, BUSYBOX_CANDIDATES, elfLinkage, findStaticBusybox, RunFile } from '../../src/core/rootfs/busyboxRootfs';
import { describeTree, fixtureTree } from '../fixtures/protocol';
import { checkRootfs, resolveInRoot } from '../../src/core/rootfs/rootfsCheck';

/** A minimal 64-bit little-endian ELF header with the given program header types. */
function elf64(types: number[]): Buffer {
  const phoff = 64;
  const buf = Buffer.alloc(phoff + types.length * 56);
  buf.writeUInt32BE(0x7f454c46, 0);
  buf[4] = 2;
  buf[5] = 1;
  buf.writeBigUInt64LE(BigInt(phoff), 32);
  buf.writeUInt16LE(56, 54);
  buf.writeUInt16LE(types.length, 56);
  types.forEach((t, i) => buf.writeUInt32LE(t, phoff + i * 56));
  return buf;
}

describe('elfLinkage', () => {
  it('no PT_INTERP → static', () => assert.equal(elfLinkage(elf64([1, 1, 4])), 'static'));
  it('a PT_INTERP → dynamic', () => assert.equal(elfLinkage(elf64([6, 3, 1])), 'dynamic'));
  it('a script is not ELF', () => assert.equal(elfLinkage(Buffer.from('#!/bin/sh\n'.padEnd(64))), undefined));
  it('a truncated header is not trusted', () => assert.equal(elfLinkage(elf64([1, 3]).subarray(0, 70)), undefined));
});

/** Makes a small tree under `root`: a name ending in / is a folder, a value "-> target" a link, any other value the
 * content of an executable file. */
function makeTree(root: string, entries: Record<string, string>): string {
  for (const [name, value] of Object.entries(entries)) {
    const p = path.join(root, name);
    fs.mkdirSync(name.endsWith('/') ? p : path.dirname(p), { recursive: true });
    if (value.startsWith('-> ')) fs.symlinkSync(value.slice(3), p);
    else if (!name.endsWith('/')) fs.writeFileSync(p, value, { mode: 0o755 });
  }
  return root;
}

describe('building and checking a rootfs', () => {
  let tmp: string;
  let fakeBusybox: string;
  /** What `busybox --install DIR` does (hard links of the running busybox in DIR), for a busybox of four applets. */
  const run: RunFile = async (file, args) => {
    assert.deepEqual([file.endsWith('/bin/busybox'), args[0], args.length], [true, '--install', 2], `${file} ${args.join(' ')}`);
    for (const applet of ['sh', 'ls', 'env', 'init']) fs.linkSync(file, path.join(args[1], applet));
    return '';
  };

  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mc-unit-rootfs-'));
    fakeBusybox = path.join(tmp, 'busybox');
    fs.writeFileSync(fakeBusybox, elf64([1]), { mode: 0o755 });
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('builds folders, applet links and /etc, and checks clean', async () => {
    const steps: string[] = [];
    const target = await buildBusyboxRootfs(path.join(tmp, 'r1'), { busybox: fakeBusybox, run, onProgress: (s) => steps.push(s) });
    // Applets are hard links of bin/busybox (as in Docker's busybox image), not symbolic links.
    const busybox = fs.statSync(path.join(target, 'bin/busybox'));
    for (const applet of ['bin/env', 'bin/sh']) {
      const stat = fs.lstatSync(path.join(target, applet));
      assert.ok(stat.isFile(), `${applet} is a regular file`);
      assert.equal(stat.ino, busybox.ino, `${applet} is bin/busybox`);
    }
    assert.equal(fs.statSync(path.join(target, 'tmp')).mode & 0o7777, 0o1777);
    assert.match(fs.readFileSync(path.join(target, 'etc/passwd'), 'utf8'), /^root:x:0:0:/);
    assert.ok(steps.length >= 3);
    assert.deepEqual(await checkRootfs(target), []);
    assert.deepEqual(fs.readdirSync(tmp).filter((f) => f.includes('partial')), [], 'no partial folder left');
  });

  it('makes the tree test/fixtures/helper-protocol.json describes (the helper\'s make-rootfs tree), whatever the umask', async () => {
    const umask = process.umask(0o077);
    try {
      const target = await buildBusyboxRootfs(path.join(tmp, 'as-the-helper'), { busybox: fakeBusybox, run });
      assert.deepEqual(describeTree(target), fixtureTree('as-the-helper', ['env', 'init', 'ls', 'sh']));
    } finally {
      process.umask(umask);
    }
  });

  const realBusybox = BUSYBOX_CANDIDATES.find((file) => fs.existsSync(file));
  it('with the host\'s static busybox, makes the fixture\'s tree with every applet in bin/', { skip: !realBusybox && 'no busybox here' }, async (t) => {
    const busybox = await findStaticBusybox().catch(() => undefined);
    if (!busybox) return t.skip('no static busybox here');
    const target = await buildBusyboxRootfs(path.join(tmp, 'real'), { busybox });
    const applets = fs.readdirSync(path.join(target, 'bin')).filter((name) => name !== 'busybox').sort();
    assert.ok(applets.includes('sh') && applets.length > 100, `${applets.length} applets`);
    assert.deepEqual(describeTree(target), fixtureTree('real', applets));
  });

  it('refuses a busybox without sh, leaving nothing behind', async () => {
    const noShell: RunFile = async (file, args) => (fs.linkSync(file, path.join(args[1], 'ls')), '');
    await assert.rejects(buildBusyboxRootfs(path.join(tmp, 'r3'), { busybox: fakeBusybox, run: noShell }), /has no sh applet/);
    assert.deepEqual(fs.readdirSync(tmp).filter((f) => f.startsWith('r3')), []);
  });

  it('refuses a target that exists, and leaves it untouched', async () => {
    const target = path.join(tmp, 'exists');
    fs.mkdirSync(target);
    fs.writeFileSync(path.join(target, 'mine'), 'x');
    await assert.rejects(buildBusyboxRootfs(target, { busybox: fakeBusybox, run }), /already exists/);
    assert.deepEqual(fs.readdirSync(target), ['mine']);
  });

  it('removes its partial folder when a step fails', async () => {
    const vanished = path.join(tmp, 'vanished-busybox');
    await assert.rejects(buildBusyboxRootfs(path.join(tmp, 'r2'), { busybox: vanished, run }), /ENOENT/);
    assert.deepEqual(fs.readdirSync(tmp).filter((f) => f.startsWith('r2')), []);
  });

  it('says which package to install when busybox is missing or dynamic', async () => {
    await assert.rejects(findStaticBusybox([path.join(tmp, 'none')]), /apt-get install busybox-static/);
    const dynamic = path.join(tmp, 'dyn');
    fs.writeFileSync(dynamic, elf64([3]));
    await assert.rejects(findStaticBusybox([dynamic]), /dynamically linked.*busybox-static/);
    assert.equal(await findStaticBusybox([dynamic, fakeBusybox]), fakeBusybox);
  });

  it('checkRootfs names what is missing', async () => {
    const bare = path.join(tmp, 'bare');
    fs.mkdirSync(path.join(bare, 'dev'), { recursive: true });
    const [problem] = await checkRootfs(bare);
    assert.match(problem, /no proc\/ folder/);
    assert.match(problem, /no executable \/bin\/sh/);
    assert.doesNotMatch(problem, /dev/);
    assert.match((await checkRootfs('relative'))[0], /not an absolute path/);
    assert.match((await checkRootfs(path.join(tmp, 'missing')))[0], /does not exist/);
    assert.match((await checkRootfs(fakeBusybox))[0], /not a folder/);
    fs.symlinkSync('/', path.join(tmp, 'to-root'));
    assert.match((await checkRootfs(path.join(tmp, 'to-root')))[0], /host's own root/);
  });

  it('resolveInRoot follows absolute links inside the root, never out of it', async () => {
    const root = makeTree(path.join(tmp, 'links'), {
      'bin/real': '', 'bin/abs': '-> /bin/real', 'bin/up': '-> ../../../../bin/real', 'bin/loop': '-> loop',
    });
    assert.equal(await resolveInRoot(root, '/bin/abs'), path.join(root, 'bin/real'));
    assert.equal(await resolveInRoot(root, '/bin/up'), path.join(root, 'bin/real'));
    assert.equal(await resolveInRoot(root, '/bin/loop'), undefined);
  });

  it('resolveInRoot: a file followed by "/" names nothing, as the kernel says (ENOTDIR)', async () => {
    const root = makeTree(path.join(tmp, 'trailing'), { 'bin/real': '', 'bin/abs': '-> /bin/real' });
    for (const inside of ['/bin/real/', '/bin/real/.', '/bin/abs/', '/bin/real/..']) {
      const host = await resolveInRoot(root, inside);
      assert.equal(host, path.join(root, 'bin/real') + '/', inside);
      assert.equal(fs.existsSync(host!), false, `${inside} must not resolve to something that exists`);
    }
    assert.equal(await resolveInRoot(root, '/bin/'), path.join(root, 'bin'));
  });

  it('resolveInRoot follows a link in a folder of the path inside the root too, and .. from its target', async () => {
    const hostOnly = makeTree(path.join(tmp, 'host-only'), { prog: '' });
    const root = makeTree(path.join(tmp, 'folder-links'), {
      'inside/deep/': '', 'inside/prog': '', apps: '-> /inside', 'deep-link': '-> /inside/deep', 'host-folder': `-> ${hostOnly}`,
    });
    assert.equal(await resolveInRoot(root, '/apps/prog'), path.join(root, 'inside/prog'));
    assert.equal(await resolveInRoot(root, '/deep-link/../prog'), path.join(root, 'inside/prog'));
    // The host's folder of that name is not the container's: the path stays inside the root, where it is missing.
    const borrowed = await resolveInRoot(root, '/host-folder/prog');
    assert.ok(borrowed?.startsWith(`${root}/`), `${borrowed} is not inside ${root}`);
    assert.equal(fs.existsSync(borrowed!), false);
  });

  it('checkRootfs finds the shell through a merged /usr, and not through a link to the host', async () => {
    const merged = makeTree(path.join(tmp, 'merged-usr'), {
      'proc/': '', 'dev/': '', 'usr/bin/dash': '', 'usr/bin/sh': '-> dash', bin: '-> usr/bin',
    });
    assert.deepEqual(await checkRootfs(merged), []);
    const hostBin = makeTree(path.join(tmp, 'host-bin'), { sh: '' });
    const borrowed = makeTree(path.join(tmp, 'borrowed-bin'), { 'proc/': '', 'dev/': '', bin: `-> ${hostBin}` });
    assert.match((await checkRootfs(borrowed))[0], /no executable \/bin\/sh/);
  });
});

// Root reads every folder whatever its mode, so these run the check as `nobody` (seteuid, given back after each),
// on folders made by root with modes that keep others out: the kernel's own EACCES, no faked file system.
describe('checkRootfs on a root filesystem this user may not read', { skip: process.getuid?.() !== 0 && 'needs root, to check as nobody' }, () => {
  const NOBODY = 65534;
  let top: string;
  /** A tree checkRootfs accepts: proc/, dev/ and an executable bin/sh. */
  const usable = (dir: string) => makeTree(dir, { 'proc/': '', 'dev/': '', 'bin/sh': '#!/bin/sh\n' });
  const asNobody = async <T>(run: () => Promise<T>): Promise<T> => {
    process.seteuid!(NOBODY);
    try {
      return await run();
    } finally {
      process.seteuid!(0);
    }
  };

  before(() => {
    top = fs.mkdtempSync(path.join(os.tmpdir(), 'mc-unit-rootfs-denied-'));
    fs.chmodSync(top, 0o755);
    usable(path.join(top, 'locked', 'rootfs'));
    fs.chmodSync(path.join(top, 'locked'), 0o700);
    usable(path.join(top, 'shut'));
    fs.chmodSync(path.join(top, 'shut'), 0o700);
    usable(path.join(top, 'open'));
    usable(path.join(top, 'store', 'busybox'));
    fs.chmodSync(path.join(top, 'store'), 0o700);
  });
  after(() => fs.rmSync(top, { recursive: true, force: true }));

  it('as root, every one of them is usable (the modes are what the other tests change)', async () => {
    for (const dir of ['locked/rootfs', 'shut', 'open']) assert.deepEqual(await checkRootfs(path.join(top, dir)), [], dir);
  });

  it('a folder on the way that denies entry: permission denied, naming that folder and what to do, not "does not exist"', async () => {
    const dir = path.join(top, 'locked', 'rootfs');
    const [problem, ...more] = await asNobody(() => checkRootfs(dir));
    assert.deepEqual(more, []);
    assert.doesNotMatch(problem, /does not exist/);
    assert.match(problem, /permission denied/);
    assert.ok(problem.includes(`permission denied on ${path.join(top, 'locked')},`), problem);
    assert.match(problem, /chmod o\+x/);
  });

  it('the folder itself unreadable: permission denied and what to do, not "no proc/ folder"', async () => {
    const [problem, ...more] = await asNobody(() => checkRootfs(path.join(top, 'shut')));
    assert.deepEqual(more, []);
    assert.match(problem, /cannot be read: permission denied/);
    assert.match(problem, /chmod o\+rx/);
    assert.doesNotMatch(problem, /no proc|does not exist/);
  });

  it('as nobody, a readable rootfs is usable and a missing one still "does not exist"', async () => {
    assert.deepEqual(await asNobody(() => checkRootfs(path.join(top, 'open'))), []);
    assert.match((await asNobody(() => checkRootfs(path.join(top, 'open-missing'))))[0], /does not exist/);
  });

  it('a rootfs of the system store, which only root may enter, is left to the helper\'s own check', async () => {
    const store = path.join(top, 'store');
    assert.deepEqual(await asNobody(() => checkRootfs(path.join(store, 'busybox'), '/bin/sh', undefined, { store })), []);
    // The same folder outside the store is refused, with the reason.
    assert.match((await asNobody(() => checkRootfs(path.join(store, 'busybox'))))[0], /permission denied/);
  });
});
