// Import of root filesystems from archives made here from the BusyBox rootfs: plain, gzip, xz and zstd tars; an
// OCI image layout (folder and tar) and a docker save tar with two layers (a whiteout, an opaque folder); hostile
// archives, one entry for each way out of the target; and a shell on the imported image running its command.
import { strict as assert } from 'node:assert';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { importImage, ImportCancelled } from '../../src/core/rootfs/imageImport';
import { readMeta, userStoreDir } from '../../src/core/rootfs/rootfsStore';
import { buildStartArgs } from '../../src/core/helper/helperProtocol';
import { imageDefaults } from '../../src/rootfs/imageDefaults';
import { makeRootfs, makeTempDir, requireRoot, runHelper, stopAllHelpers } from './harness';
import { sha256, tarArchive } from '../fixtures/tarWriter';

const cli = path.resolve(__dirname, '..', '..', 'cli.js');

/** Every path under `dir` with its kind and, for files, a hash of the content: two equal trees have equal lists. */
function listing(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = `${rel}/${e.name}`;
      const full = path.join(dir, r);
      if (e.isSymbolicLink()) out.push(`${r} -> ${fs.readlinkSync(full)}`);
      else if (e.isDirectory()) {
        out.push(`${r}/`);
        walk(r);
      } else out.push(`${r} ${sha256(fs.readFileSync(full)).slice(0, 12)} ${(fs.statSync(full).mode & 0o777).toString(8)}`);
    }
  };
  walk('');
  return out.sort();
}

describe('rootfs import', () => {
  let tmp: string;
  let rootfs: string;
  let data: string;
  let store: string;

  before(async () => {
    requireRoot();
    tmp = makeTempDir('import');
    rootfs = await makeRootfs(tmp);
    data = path.join(tmp, 'data');
    store = userStoreDir({ XDG_DATA_HOME: data }, '/nonexistent');
  });
  after(async () => {
    await stopAllHelpers();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  for (const [kind, compress] of [['plain', undefined], ['gzip', 'gzip'], ['xz', 'xz'], ['zstd', 'zstd']] as const) {
    it(`imports a ${kind} tar of a rootfs byte for byte, into the store with its metadata`, async () => {
      const file = path.join(tmp, `rootfs-${kind}.tar`);
      execFileSync('tar', ['-C', rootfs, '-cf', file, '.']);
      let source = file;
      if (compress) {
        execFileSync(compress, ['-q', '-f', file]);
        source = fs.readdirSync(tmp).map((f) => path.join(tmp, f)).find((f) => f.startsWith(`${file}.`))!;
      }
      const phases: string[] = [];
      const result = await importImage(source, store, `plain-${kind}`, { onProgress: (p) => phases.push(p.phase) });
      assert.equal(result.path, path.join(store, `plain-${kind}`));
      assert.deepEqual(listing(result.path), listing(rootfs));
      assert.deepEqual(result.skipped, []);
      const meta = readMeta(store, `plain-${kind}`);
      assert.deepEqual(meta?.origin, { kind: 'import', file: source, format: compress ? `tar+${compress}` : 'tar' });
      assert.ok(phases.includes('unpack'), phases.join());
      assert.deepEqual(fs.readdirSync(store).filter((f) => f.startsWith('.')), [], 'no build folder left');
    });
  }

  /** An image of two layers: the BusyBox rootfs with extras, then a whiteout, an opaque folder and the app. */
  function imageParts(): { layer1: Buffer; layer2: Buffer; config: Buffer } {
    const stage = path.join(tmp, 'stage1');
    fs.rmSync(stage, { recursive: true, force: true });
    execFileSync('cp', ['-a', rootfs, stage]);
    fs.writeFileSync(path.join(stage, 'etc', 'gone'), 'removed by layer 2\n');
    fs.mkdirSync(path.join(stage, 'opt', 'old', 'sub'), { recursive: true });
    fs.writeFileSync(path.join(stage, 'opt', 'old', 'a'), 'a\n');
    fs.writeFileSync(path.join(stage, 'opt', 'old', 'sub', 'b'), 'b\n');
    const layer1 = execFileSync('tar', ['-C', stage, '-cf', '-', '.'], { maxBuffer: 64 << 20 });
    const layer2 = tarArchive([
      { name: 'etc/.wh.gone' }, { name: 'opt/old/.wh..wh..opq' }, { name: 'opt/old/new', content: 'new\n' },
      { name: 'app/', type: 'dir' }, { name: 'app/hello.txt', content: 'hello file\n' },
    ]);
    const config = Buffer.from(JSON.stringify({
      architecture: 'amd64', os: 'linux',
      config: {
        Env: ['PATH=/bin:/sbin', 'GREETING=hello from the image'], WorkingDir: '/app', User: '0',
        Entrypoint: ['/bin/sh', '-c'], Cmd: ['echo "$GREETING in $(pwd)"; cat hello.txt'],
      },
      rootfs: { type: 'layers', diff_ids: [] },
    }));
    return { layer1, layer2, config };
  }

  function writeOciLayout(dir: string): void {
    const { layer1, layer2, config } = imageParts();
    const gz = execFileSync('gzip', ['-c'], { input: layer1, maxBuffer: 64 << 20 });
    const blob = (b: Buffer): string => {
      const digest = sha256(b);
      fs.mkdirSync(path.join(dir, 'blobs', 'sha256'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'blobs', 'sha256', digest), b);
      return `sha256:${digest}`;
    };
    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: blob(config), size: config.length },
      layers: [
        { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: blob(gz), size: gz.length },
        { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: blob(layer2), size: layer2.length },
      ],
    }));
    const other = Buffer.from('{"schemaVersion":2,"config":{"digest":"sha256:0"},"layers":[]}');
    fs.writeFileSync(path.join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
    fs.writeFileSync(path.join(dir, 'index.json'), JSON.stringify({
      schemaVersion: 2,
      manifests: [
        { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: blob(other), size: other.length, platform: { os: 'linux', architecture: 'not-this-one' } },
        { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: blob(manifest), size: manifest.length, platform: { os: 'linux', architecture: { x64: 'amd64', arm64: 'arm64' }[process.arch as 'x64'] ?? process.arch } },
      ],
    }));
  }

  function checkImage(result: { path: string }, format: string, name: string): void {
    const files = listing(result.path);
    assert.ok(!files.some((f) => f.startsWith('/etc/gone')), 'the whiteout removed /etc/gone');
    assert.deepEqual(files.filter((f) => f.startsWith('/opt/old/') && f !== '/opt/old/'), [`/opt/old/new ${sha256('new\n').slice(0, 12)} 644`],
      'the opaque folder kept only the upper layer');
    assert.ok(files.includes('/bin/busybox'.concat(' ', sha256(fs.readFileSync(path.join(rootfs, 'bin', 'busybox'))).slice(0, 12), ' 755')));
    const meta = readMeta(store, name);
    assert.equal(meta?.origin.kind, 'import');
    assert.equal((meta?.origin as { format: string }).format, format);
    assert.deepEqual(meta?.config, {
      env: ['PATH=/bin:/sbin', 'GREETING=hello from the image'], workingDir: '/app', user: '0',
      entrypoint: ['/bin/sh', '-c'], cmd: ['echo "$GREETING in $(pwd)"; cat hello.txt'],
    });
  }

  it('imports an OCI layout folder: the manifest for this architecture, layers in order, whiteout and opaque folder', async () => {
    const layout = path.join(tmp, 'oci');
    writeOciLayout(layout);
    checkImage(await importImage(layout, store, 'oci-dir'), 'oci', 'oci-dir');
  });

  it('imports the same layout as a tar', async () => {
    const file = path.join(tmp, 'oci.tar');
    execFileSync('tar', ['-C', path.join(tmp, 'oci'), '-cf', file, '.']);
    checkImage(await importImage(file, store, 'oci-tar'), 'oci', 'oci-tar');
  });

  it('imports a docker save tar (manifest.json, a folder per layer)', async () => {
    const { layer1, layer2, config } = imageParts();
    const save = path.join(tmp, 'save');
    const ids = [sha256('layer-1'), sha256('layer-2')];
    for (const [i, layer] of [layer1, layer2].entries()) {
      fs.mkdirSync(path.join(save, ids[i]), { recursive: true });
      fs.writeFileSync(path.join(save, ids[i], 'layer.tar'), layer);
    }
    const configName = `${sha256(config)}.json`;
    fs.writeFileSync(path.join(save, configName), config);
    fs.writeFileSync(path.join(save, 'manifest.json'), JSON.stringify([{ Config: configName, RepoTags: ['test:1'], Layers: ids.map((id) => `${id}/layer.tar`) }]));
    const file = path.join(tmp, 'save.tar');
    execFileSync('tar', ['-C', save, '-cf', file, ...ids, configName, 'manifest.json']);
    checkImage(await importImage(file, store, 'docker-save'), 'docker-save', 'docker-save');
  });

  it("runs the image's command in its WorkingDir with its Env in a shell on the imported rootfs (the real helper)", async () => {
    const target = path.join(store, 'oci-dir');
    const defaults = imageDefaults(target, { XDG_DATA_HOME: data }, '/nonexistent');
    assert.ok(defaults, 'the rootfs in the store has image defaults');
    const result = await runHelper(buildStartArgs({ rootfs: target, ...defaults }));
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, 'hello from the image in /app\nhello file\n');
  });

  it('never writes outside the target for a hostile archive, and names each skipped entry', async () => {
    const canary = path.join(tmp, 'canary');
    fs.mkdirSync(canary);
    const outside = `/mc-import-escape-${process.pid}`;
    const passwd = fs.statSync('/etc/passwd');
    const file = path.join(tmp, 'hostile.tar');
    fs.writeFileSync(file, tarArchive([
      { name: 'ok/file', content: 'fine\n' },
      { name: `../../../../../../../..${canary}/dotdot`, content: 'x' },
      { name: `${outside}`, content: 'x' },
      { name: 'link', type: 'symlink', linkname: canary },
      { name: 'link/through', content: 'x' },
      { name: 'etclink', type: 'symlink', linkname: '/etc' },
      { name: 'hard-through-link', type: 'link', linkname: 'etclink/passwd' },
      { name: 'hard-dotdot', type: 'link', linkname: '../../../../../../../etc/passwd' },
      { name: 'hard-absolute', type: 'link', linkname: '/etc/passwd' },
      { name: 'dev/evil-null', type: 'char' },
      { name: 'bad\nname', content: 'x' },
    ]));
    const result = await importImage(file, store, 'hostile');
    assert.deepEqual(fs.readdirSync(canary), [], 'nothing in the canary folder');
    assert.ok(!fs.existsSync(outside), `nothing at ${outside}`);
    assert.equal(fs.statSync('/etc/passwd').nlink, passwd.nlink, '/etc/passwd got no new link');
    assert.deepEqual(fs.readdirSync(result.path).sort(), ['dev', 'etclink', 'link', 'ok', 'proc', 'sys', 'tmp']);
    assert.deepEqual(fs.readdirSync(path.join(result.path, 'dev')), []);
    const expected = [
      /^\.\.\/[^:]*\/dotdot: a name with "\.\."$/, new RegExp(`^${outside}: an absolute name$`), /^link\/through: its folder link is a link/,
      /^hard-through-link: a hard link to etclink\/passwd: its folder etclink is a link/, /^hard-dotdot: a hard link to .*outside the target/,
      /^hard-absolute: a hard link to \/etc\/passwd \(an absolute name/, /^dev\/evil-null: a device node/, /^bad\\x0aname: a name with control characters$/,
    ];
    assert.equal(result.skipped.length, expected.length, result.skipped.join('\n'));
    for (const [i, re] of expected.entries()) assert.match(result.skipped[i], re);
    assert.deepEqual(readMeta(store, 'hostile')?.skipped, result.skipped, 'the metadata records the report');
  });

  it('imports as an ordinary user into their store: files theirs, other owners recorded, the same report', () => {
    const home = path.join(tmp, 'nobody');
    fs.mkdirSync(home);
    fs.chownSync(home, 65534, 65534);
    fs.chmodSync(tmp, 0o755);
    const owned = path.join(tmp, 'owned.tar');
    fs.writeFileSync(owned, tarArchive([{ name: 'bin/', type: 'dir' }, { name: 'var/spool/', type: 'dir', uid: 100, gid: 101 }, { name: '../x', content: 'x' }]));
    fs.chmodSync(owned, 0o644);
    // The checkout may lie where nobody cannot read (a clone in a 0700 folder): the CLI (one bundled file) is copied.
    const ownCli = path.join(tmp, 'cli.js');
    fs.copyFileSync(cli, ownCli);
    fs.chmodSync(ownCli, 0o644);
    const run = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, ownCli, 'rootfs', 'import', owned, '--name', 'mine'], {
      env: { PATH: process.env.PATH, HOME: home, XDG_DATA_HOME: path.join(home, 'data') }, encoding: 'utf8',
    });
    assert.equal(run.status, 0, run.stderr);
    const target = path.join(userStoreDir({ XDG_DATA_HOME: path.join(home, 'data') }, home), 'mine');
    assert.equal(run.stdout, `${target}\n`);
    assert.match(run.stderr, /skipped \.\.\/x: a name with "\.\."/);
    assert.equal(fs.statSync(path.join(target, 'var', 'spool')).uid, 65534, 'not chowned');
    assert.deepEqual(readMeta(path.dirname(target), 'mine')?.owners, { 'var/spool': '100:101' });
  });

  it('leaves nothing of a cancelled import, and nothing of a failed one', async () => {
    const big = path.join(tmp, 'big.tar');
    fs.writeFileSync(big, tarArchive(Array.from({ length: 40 }, (_, i) => ({ name: `f${i}`, content: Buffer.alloc(1 << 20, i) }))));
    const controller = new AbortController();
    const cancelled = importImage(big, store, 'cancelled', {
      signal: controller.signal,
      onProgress: (p) => p.done > 0 && controller.abort(),
    });
    await assert.rejects(cancelled, ImportCancelled);
    const truncated = path.join(tmp, 'truncated.tar');
    fs.writeFileSync(truncated, fs.readFileSync(big).subarray(0, 5 << 20));
    await assert.rejects(importImage(truncated, store, 'truncated'), /ends in the middle of an entry/);
    assert.ok(!fs.existsSync(path.join(store, 'cancelled')) && !fs.existsSync(path.join(store, 'truncated')));
    assert.deepEqual(fs.readdirSync(store).filter((f) => f.startsWith('.') || f.startsWith('cancelled') || f.startsWith('truncated')), []);
  });
});
