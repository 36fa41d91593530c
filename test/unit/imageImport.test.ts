import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { entryPath, finishDirs, newApplyState, reportLine, TarApplier, whiteout } from '../../src/core/rootfs/tarApply';
import { TarParser, type TarEntry } from '../../src/core/rootfs/tarParse';
import { imageConfigOf, looksLikeImageTar, ociArch, pickManifest, sniffCompression } from '../../src/core/rootfs/imageImport';
import { envArguments } from '../../src/core/helper/helperProtocol';
import { defaultsFromConfig } from '../../src/rootfs/imageDefaults';
import { tarArchive, type FixtureEntry } from '../fixtures/tarWriter';

describe('entry names of an untrusted archive', () => {
  const cases: Array<[string, string[] | string]> = [
    ['bin/sh', ['bin', 'sh']],
    ['./etc//passwd', ['etc', 'passwd']],
    ['./', []],
    ['dir/', ['dir']],
    ['../x', 'a name with ".."'],
    ['a/../../x', 'a name with ".."'],
    ['/etc/passwd', 'an absolute name'],
    ['bad\nname', 'a name with control characters'],
    ['esc\x1b[2J', 'a name with control characters'],
    ['a..b/..c', ['a..b', '..c']],
  ];
  for (const [name, expected] of cases) {
    it(`${JSON.stringify(name)} → ${JSON.stringify(expected)}`, () => {
      const got = entryPath(name);
      assert.deepEqual('refused' in got ? got.refused : got.parts, expected);
    });
  }
  it('shows control characters escaped in the report', () => {
    assert.equal(reportLine('a\nb', 'why'), 'a\\x0ab: why');
  });
});

describe('whiteouts', () => {
  const cases: Array<[string[], unknown]> = [
    [['etc', '.wh.gone'], { remove: ['etc', 'gone'] }],
    [['.wh.top'], { remove: ['top'] }],
    [['opt', 'old', '.wh..wh..opq'], { opaque: ['opt', 'old'] }],
    [['.wh..wh..opq'], { opaque: [] }],
    [['.wh..wh.plnk'], { meta: true }],
    [['etc', 'passwd'], undefined],
    [['etc', 'x.wh.y'], undefined],
  ];
  for (const [parts, expected] of cases) {
    it(`${parts.join('/')} → ${JSON.stringify(expected)}`, () => assert.deepEqual(whiteout(parts), expected));
  }
});

describe('formats', () => {
  it('tells compressions by their magic bytes', () => {
    assert.equal(sniffCompression(Buffer.from([0x1f, 0x8b, 8])), 'gzip');
    assert.equal(sniffCompression(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0])), 'xz');
    assert.equal(sniffCompression(Buffer.from([0x28, 0xb5, 0x2f, 0xfd])), 'zstd');
    assert.equal(sniffCompression(Buffer.from('BZh9')), 'bzip2');
    assert.equal(sniffCompression(Buffer.from('bin/')), 'none');
  });
  it('tells an image tar from a rootfs tar by its first entry', () => {
    for (const n of ['blobs/', 'oci-layout', './index.json', 'manifest.json', 'repositories', `${'a'.repeat(64)}/`]) assert.ok(looksLikeImageTar(n), n);
    for (const n of ['./', 'bin/', 'etc/passwd', 'blobsy']) assert.ok(!looksLikeImageTar(n), n);
  });
  it("names this host's architecture as OCI does", () => {
    assert.equal(ociArch('x64'), 'amd64');
    assert.equal(ociArch('arm64'), 'arm64');
  });

  it("picks the host architecture's manifest of an index, never an attestation", () => {
    const d = (arch: string | undefined, extra = {}) => ({ digest: `sha256:${arch}`, platform: arch ? { os: 'linux', architecture: arch } : undefined, ...extra });
    assert.equal(pickManifest([d('arm64'), d('amd64')], 'amd64')?.digest, 'sha256:amd64');
    assert.equal(pickManifest([d('arm64')], 'amd64'), undefined);
    assert.equal(pickManifest([d(undefined)], 'amd64')?.digest, 'sha256:undefined');
    assert.equal(pickManifest([d('amd64'), d(undefined, { annotations: { 'vnd.docker.reference.type': 'attestation-manifest' } })], 'amd64')?.digest, 'sha256:amd64');
  });
  it("records the image config's Env, WorkingDir, User, Entrypoint and Cmd", () => {
    assert.deepEqual(imageConfigOf({ config: { Env: ['A=1'], WorkingDir: '/app', User: 'nobody', Entrypoint: ['/bin/sh', '-c'], Cmd: ['echo'], Labels: {} } }),
      { env: ['A=1'], workingDir: '/app', user: 'nobody', entrypoint: ['/bin/sh', '-c'], cmd: ['echo'] });
    assert.deepEqual(imageConfigOf({ config: { Env: [1], Cmd: null } }), {});
    assert.deepEqual(imageConfigOf(undefined), {});
  });
});

describe('image defaults for a new shell', () => {
  it('runs Entrypoint then Cmd in WorkingDir with Env, leaving out what the helper refuses', () => {
    assert.deepEqual(defaultsFromConfig({ entrypoint: ['/e'], cmd: ['a'], workingDir: '/app/', env: ['A=1', 'bad key=x', 'A=2', 'C=\x01'] }),
      { command: ['/e', 'a'], workdir: '/app', env: ['A=1'] });
    assert.deepEqual(defaultsFromConfig({ workingDir: 'relative' }), undefined);
    assert.equal(defaultsFromConfig(undefined), undefined);
  });
  it('checks --env as the helper does', () => {
    assert.deepEqual(envArguments(['A=1', '_b2=x=y', 'E=']), ['A=1', '_b2=x=y', 'E=']);
    for (const bad of [['1A=x'], ['A'], ['A-B=1'], ['A=\n'], ['A=1', 'A=2'], [`A=${'x'.repeat(4100)}`], Array.from({ length: 129 }, (_, i) => `K${i}=1`)]) {
      assert.throws(() => envArguments(bad), Error, bad.join(' ').slice(0, 40));
    }
  });
});

/** Applies each archive as one layer (or a plain tar) to a fresh folder; returns it and the report. */
function apply(layers: FixtureEntry[][], asLayers = true): { dir: string; skipped: string[]; owners: Record<string, string> } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mc-unit-tar-'));
  const state = newApplyState();
  for (const layer of layers) {
    const parser = new TarParser(new TarApplier(dir, state, asLayers));
    const bytes = tarArchive(layer);
    // Odd chunk sizes: headers and contents split across writes.
    for (let i = 0; i < bytes.length; i += 333) parser.write(bytes.subarray(i, i + 333));
    parser.end();
  }
  finishDirs(state);
  return { dir, skipped: state.skipped, owners: state.owners };
}

function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      out.push(e.isDirectory() ? `${r}/` : e.isSymbolicLink() ? `${r}@` : r);
      if (e.isDirectory()) walk(r);
    }
  };
  walk('');
  return out.sort();
}

describe('applying layers', () => {
  it('removes a whited-out file and empties an opaque folder of lower content only', () => {
    const { dir } = apply([
      [{ name: 'etc/', type: 'dir' }, { name: 'etc/gone', content: 'x' }, { name: 'etc/kept', content: 'k' }, { name: 'opt/old/a', content: 'a' }, { name: 'opt/old/sub/b', content: 'b' }],
      [{ name: 'opt/old/new', content: 'n' }, { name: 'opt/old/.wh..wh..opq' }, { name: 'etc/.wh.gone' }, { name: 'etc/.wh.absent' }],
    ]);
    try {
      assert.deepEqual(tree(dir), ['etc/', 'etc/kept', 'opt/', 'opt/old/', 'opt/old/new']);
    } finally {
      fs.rmSync(dir, { recursive: true });
    }
  });
  it('keeps .wh. files of a plain rootfs tar, which has no layers', () => {
    const { dir } = apply([[{ name: 'a/.wh.b', content: '' }]], false);
    try {
      assert.deepEqual(tree(dir), ['a/', 'a/.wh.b']);
    } finally {
      fs.rmSync(dir, { recursive: true });
    }
  });
  it('writes contents, modes, links; records owners other than root; replaces a file by a later one', () => {
    const { dir, owners, skipped } = apply([[
      { name: 'bin/tool', content: 'one', mode: 0o755 }, { name: 'bin/tool', content: 'two', mode: 0o700 },
      { name: 'bin/alias', type: 'symlink', linkname: 'tool' }, { name: 'bin/hard', type: 'link', linkname: 'bin/tool' },
      { name: 'var/spool/', type: 'dir', uid: 100, gid: 101 }, { name: 'ro/', type: 'dir', mode: 0o555 }, { name: 'ro/f', content: 'f' },
    ]]);
    try {
      assert.deepEqual(skipped, []);
      assert.equal(fs.readFileSync(path.join(dir, 'bin/tool'), 'utf8'), 'two');
      assert.equal(fs.statSync(path.join(dir, 'bin/tool')).mode & 0o777, 0o700);
      assert.equal(fs.readlinkSync(path.join(dir, 'bin/alias')), 'tool');
      assert.equal(fs.statSync(path.join(dir, 'bin/hard')).ino, fs.statSync(path.join(dir, 'bin/tool')).ino);
      assert.deepEqual(owners, { 'var/spool': '100:101' });
      assert.equal(fs.readFileSync(path.join(dir, 'ro/f'), 'utf8'), 'f');
      assert.equal(fs.statSync(path.join(dir, 'ro')).mode & 0o777, 0o755, 'the owner keeps write on folders');
    } finally {
      fs.rmSync(dir, { recursive: true });
    }
  });
  it('parses pax long names and refuses a damaged header', () => {
    const long = `${'d'.repeat(80)}/${'f'.repeat(80)}`;
    const seen: TarEntry[] = [];
    const parser = new TarParser({ entry: (e) => seen.push(e), data: () => undefined, endEntry: () => undefined });
    parser.write(tarArchive([{ name: long, content: 'x' }]));
    parser.end();
    assert.equal(seen[0].name, long);
    const damaged = tarArchive([{ name: 'a', content: 'x' }]);
    damaged[0] ^= 1;
    assert.throws(() => new TarParser({ entry: () => undefined, data: () => undefined, endEntry: () => undefined }).write(damaged), /not a tar archive/);
  });
});
