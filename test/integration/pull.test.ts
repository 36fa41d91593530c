// `rootfs pull` against a real registry (Debian's docker-registry on 127.0.0.1, localRegistry.ts) holding images
// pushed with skopeo from OCI layouts built here from the BusyBox rootfs: by tag, by digest, from a multi-arch index,
// a missing tag, a registry that wants credentials, an unresolvable host, a cancel half-way; the pulled rootfs
// starts a real shell through the real helper. Every registry, proxy, container and folder is removed after.
import assert from 'node:assert/strict';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ociArch } from '../../src/core/rootfs/imageImport';
import { PullError, pullImage, type PullProgress } from '../../src/core/rootfs/imagePull';
import { readMeta } from '../../src/core/rootfs/rootfsStore';
import { makeRootfs, makeTempDir, requireRoot, runHelper, stopAllHelpers } from './harness';
import { startLocalRegistry, throttledProxy, type LocalRegistry } from './localRegistry';
import { buildOciLayout } from './ociLayout';

const cli = path.resolve(__dirname, '..', '..', 'cli.js');

describe('rootfs pull from a local registry', () => {
  let temp: string;
  let registry: LocalRegistry;
  let home: string;
  /** skopeo's environment: a HOME of the test's own, so that root's real logins play no part. */
  let env: NodeJS.ProcessEnv;
  let storeCount = 0;
  const stops: (() => Promise<void>)[] = [];
  const newStore = () => path.join(temp, `store-${++storeCount}`);

  before(async () => {
    requireRoot();
    temp = makeTempDir('pull');
    home = path.join(temp, 'home');
    fs.mkdirSync(home);
    env = { PATH: process.env.PATH, HOME: home };
    const rootfs = await makeRootfs(temp);
    registry = await startLocalRegistry();
    stops.push(() => registry.stop());
    buildOciLayout(path.join(temp, 'oci-bb'), '1', [{
      arch: ociArch(), rootfs, files: { 'etc/image-arch': `${ociArch()}\n` }, env: ['PATH=/bin', 'GREETING=hello'], cmd: ['/bin/sh'],
    }], temp);
    await registry.push(path.join(temp, 'oci-bb'), 'test/bb:1');
    const other = ociArch() === 'arm64' ? 'amd64' : 'arm64';
    buildOciLayout(path.join(temp, 'oci-multi'), 'multi', [
      { arch: other, rootfs, files: { 'etc/image-arch': `${other}\n` } },
      { arch: ociArch(), rootfs, files: { 'etc/image-arch': `${ociArch()}\n` } },
    ], path.join(temp, 'multi-scratch'));
    await registry.push(path.join(temp, 'oci-multi'), 'test/multi:1');
  });

  after(async () => {
    await stopAllHelpers();
    for (const stop of stops.reverse()) await stop().catch((e: Error) => console.error(`cleanup: ${e.message}`));
    if (temp) fs.rmSync(temp, { recursive: true, force: true });
  });

  it('pulls by tag, records the manifest digest, reports progress, and the rootfs starts a real shell', async () => {
    const store = newStore();
    const seen: PullProgress[] = [];
    const result = await pullImage(`${registry.host}/test/bb:1`, store, undefined, { env, onProgress: (p) => seen.push(p) });
    assert.equal(result.path, path.join(store, 'bb-1'));
    const meta = readMeta(store, 'bb-1');
    assert.deepEqual(meta?.origin, { kind: 'pull', reference: `${registry.host}/test/bb:1`, digest: registry.manifestDigest('test/bb:1') });
    assert.deepEqual(meta?.config?.env, ['PATH=/bin', 'GREETING=hello']);
    assert.deepEqual(fs.readdirSync(store).sort(), ['bb-1', 'bb-1.json'], 'the temporary layout is gone');
    const download = seen.filter((p) => p.phase === 'download');
    assert.ok(download.length > 0 && download[download.length - 1].done > 1_000_000, `download progress in bytes: ${JSON.stringify(download)}`);
    assert.ok(download.some((p) => (p.layers ?? 0) >= 2), `two layers seen: ${JSON.stringify(download)}`);
    assert.ok(seen.findIndex((p) => p.phase !== 'download') > seen.findIndex((p) => p.phase === 'download'), 'import after download');
    const shell = await runHelper(['start', '--rootfs', result.path, '--', '/bin/sh', '-c', 'cat /etc/image-arch; echo "pid=$$"']);
    assert.equal(shell.code, 0, shell.stderr);
    assert.match(shell.stdout, new RegExp(`^${ociArch()}\\npid=1\\n$`));
  });

  it('pulls by digest, and records that reference', async () => {
    const store = newStore();
    const digest = registry.manifestDigest('test/bb:1');
    const result = await pullImage(`${registry.host}/test/bb@${digest}`, store, 'pinned', { env });
    assert.equal(result.digest, digest);
    assert.deepEqual(readMeta(store, 'pinned')?.origin, { kind: 'pull', reference: `${registry.host}/test/bb@${digest}`, digest });
    assert.ok(fs.existsSync(path.join(result.path, 'bin', 'sh')));
  });

  it("takes the host's architecture from a multi-arch index, and records that platform's manifest digest", async () => {
    const store = newStore();
    const result = await pullImage(`${registry.host}/test/multi:1`, store, 'multi', { env });
    assert.equal(fs.readFileSync(path.join(result.path, 'etc', 'image-arch'), 'utf8'), `${ociArch()}\n`);
    assert.equal(result.digest, registry.manifestDigest('test/multi:1', ociArch()));
    const other = ociArch() === 'arm64' ? 'amd64' : 'arm64';
    const forced = await pullImage(`${registry.host}/test/multi:1`, store, 'other', { env, arch: other });
    assert.equal(fs.readFileSync(path.join(forced.path, 'etc', 'image-arch'), 'utf8'), `${other}\n`);
    await assert.rejects(pullImage(`${registry.host}/test/multi:1`, store, 'none', { env, arch: 's390x' }), (e: PullError) => e.code === 'no-platform');
  });

  it('says a missing tag or repository is not found, and leaves nothing', async () => {
    const store = newStore();
    for (const ref of [`${registry.host}/test/bb:nope`, `${registry.host}/test/absent:1`]) {
      await assert.rejects(pullImage(ref, store, 'missing', { env }), (e: PullError) => {
        assert.equal(e.code, 'not-found', e.message);
        assert.match(e.message, /was not found/);
        assert.ok(e.message.includes(ref), e.message);
        return true;
      });
    }
    assert.deepEqual(fs.readdirSync(store), []);
  });

  it('says an unresolvable registry cannot be reached', async () => {
    const store = newStore();
    await assert.rejects(pullImage('no-such-registry.invalid/x/y:1', store, undefined, { env }), (e: PullError) => {
      assert.equal(e.code, 'no-network', e.message);
      assert.match(e.message, /cannot be reached/);
      return true;
    });
    assert.deepEqual(fs.readdirSync(store), []);
  });

  it('is refused by a registry that wants credentials, and works with the auth file docker login writes', async () => {
    const secured = await startLocalRegistry({ auth: true });
    stops.push(() => secured.stop());
    await secured.push(path.join(temp, 'oci-bb'), 'private/bb:1');
    const store = newStore();
    const ref = `${secured.host}/private/bb:1`;
    await assert.rejects(pullImage(ref, store, 'secret', { env }), (e: PullError) => {
      assert.equal(e.code, 'denied', e.message);
      assert.match(e.message, /refused access/);
      assert.ok(e.message.includes(`docker login ${secured.host}`), e.message);
      return true;
    });
    assert.deepEqual(fs.readdirSync(store), []);
    fs.mkdirSync(path.join(home, '.docker'), { recursive: true });
    // A wrong password in the file is refused too (the file's "auth" is base64 of user:password).
    const wrong = JSON.stringify({ auths: { [secured.host]: { auth: Buffer.from(`${secured.user}:wrong`).toString('base64') } } });
    fs.writeFileSync(path.join(home, '.docker', 'config.json'), wrong);
    await assert.rejects(pullImage(ref, store, 'secret', { env }), (e: PullError) => e.code === 'denied');
    fs.writeFileSync(path.join(home, '.docker', 'config.json'), secured.dockerConfig());
    try {
      const result = await pullImage(ref, store, 'secret', { env });
      assert.ok(fs.existsSync(path.join(result.path, 'etc', 'image-arch')));
    } finally {
      fs.rmSync(path.join(home, '.docker'), { recursive: true, force: true });
    }
  });

  it('cancelled half-way, kills skopeo and leaves nothing in the store', async () => {
    // 24 MB that gzip cannot shrink, served at 4 MB/s: the copy takes seconds, the cancel lands inside it.
    const rootfs = path.join(temp, 'rootfs');
    buildOciLayout(path.join(temp, 'oci-big'), '1', [{ arch: ociArch(), rootfs, files: { 'big.bin': randomBytes(24 << 20) } }], path.join(temp, 'big-scratch'));
    await registry.push(path.join(temp, 'oci-big'), 'test/big:1');
    const proxy = await throttledProxy(registry.host, 4 << 20);
    stops.push(() => proxy.stop());
    const store = newStore();
    const children: ChildProcess[] = [];
    const counting = ((command: string, args: readonly string[], options: object) => {
      const child = spawn(command, args, options);
      children.push(child);
      return child;
    }) as typeof spawn;
    const controller = new AbortController();
    let bytesAtCancel = 0;
    let cancelledAt = 0;
    const started = Date.now();
    await assert.rejects(pullImage(`${proxy.host}/test/big:1`, store, 'big', {
      env, spawn: counting, signal: controller.signal, pollMs: 50,
      onProgress: (p) => {
        if (p.phase === 'download' && p.done > 1 << 20 && !controller.signal.aborted) {
          bytesAtCancel = p.done;
          cancelledAt = Date.now();
          controller.abort();
        }
      },
    }), (e: PullError) => e.code === 'cancelled');
    // The rest of the copy would take seconds more at 4 MB/s: the pull ends at once because skopeo was killed.
    assert.ok(Date.now() - cancelledAt < 1_500, `ended ${Date.now() - cancelledAt} ms after the cancel`);
    assert.ok(bytesAtCancel > 0 && bytesAtCancel < 20 << 20, `cancelled half-way (${bytesAtCancel} bytes after ${Date.now() - started} ms)`);
    assert.equal(children.length, 1);
    assert.ok(children[0].exitCode !== null || children[0].signalCode !== null, 'skopeo ended');
    assert.ok(!fs.existsSync(`/proc/${children[0].pid}`), 'skopeo reaped');
    assert.deepEqual(fs.readdirSync(store), [], 'no layout, no build folder, no NAME');
  });

  it('`mini-containers rootfs pull` prints the path, and refuses bad usage with 2', async () => {
    const store = newStore();
    const run = (args: string[]) => new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [cli, ...args], { env }, (error, stdout, stderr) => resolve({ code: error ? (error.code as number) : 0, stdout, stderr }));
    });
    const ok = await run(['rootfs', 'pull', `${registry.host}/test/bb:1`, '--name', 'cli', '--store', store]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout, `${path.join(store, 'cli')}\n`);
    assert.match(ok.stderr, /downloading: .* MB/);
    assert.equal((await run(['rootfs', 'pull'])).code, 2);
    assert.equal((await run(['rootfs', 'pull', 'a', 'b'])).code, 2);
    const bad = await run(['rootfs', 'pull', 'Not A Reference', '--store', store]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /is not an image reference/);
  });
});
