// Image references as Docker reads them, the rootfs name each gets, which registries are spoken to over plain HTTP,
// and what skopeo's errors mean.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import {
  classifySkopeoError, defaultRootfsName, formatReference, isLoopbackRegistry, parseReference, PullError, pullImage,
  skopeoMessage, skopeoSource,
} from '../../src/core/rootfs/imagePull';

const D = `sha256:${'a'.repeat(64)}`;

describe('image references', () => {
  const cases: [string, string | undefined, string][] = [
    ['alpine:3.20', 'docker.io/library/alpine:3.20', 'alpine-3.20'],
    ['alpine', 'docker.io/library/alpine:latest', 'alpine-latest'],
    ['docker.io/library/debian:bookworm', 'docker.io/library/debian:bookworm', 'debian-bookworm'],
    ['index.docker.io/library/debian:bookworm', 'docker.io/library/debian:bookworm', 'debian-bookworm'],
    ['docker://debian:12', 'docker.io/library/debian:12', 'debian-12'],
    ['bitnami/redis:7', 'docker.io/bitnami/redis:7', 'redis-7'],
    ['ghcr.io/owner/image:tag', 'ghcr.io/owner/image:tag', 'image-tag'],
    ['localhost:5000/a/b/c', 'localhost:5000/a/b/c:latest', 'c-latest'],
    ['127.0.0.1:5000/x:1', '127.0.0.1:5000/x:1', 'x-1'],
    [`debian@${D}`, `docker.io/library/debian@${D}`, 'debian-aaaaaaaaaaaa'],
    [`debian:12@${D}`, `docker.io/library/debian:12@${D}`, 'debian-aaaaaaaaaaaa'],
    ['Debian:12', undefined, ''],
    ['debian:', undefined, ''],
    ['debian@sha256:short', undefined, ''],
    ['a b', undefined, ''],
    ['', undefined, ''],
    ['../x', undefined, ''],
    ['host.io/-bad:1', undefined, ''],
  ];
  for (const [text, canonical, name] of cases) {
    it(`${JSON.stringify(text)} → ${canonical ?? 'refused'}`, () => {
      const ref = parseReference(text);
      assert.equal(ref && formatReference(ref), canonical);
      if (ref) assert.equal(defaultRootfsName(ref), name);
    });
  }

  it('gives skopeo the digest alone when there is one (it refuses a tag beside a digest)', () => {
    assert.equal(skopeoSource(parseReference(`debian:12@${D}`)!), `docker://docker.io/library/debian@${D}`);
    assert.equal(skopeoSource(parseReference('debian:12')!), 'docker://docker.io/library/debian:12');
  });

  it('keeps default names valid rootfs names, at most 63 characters', () => {
    const name = defaultRootfsName(parseReference(`r/${'x'.repeat(80)}:${'t'.repeat(100)}`)!);
    assert.ok(name.length <= 63 && /^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name), name);
  });
});

describe('plain HTTP only on loopback', () => {
  for (const [registry, plain] of [
    ['localhost', true], ['localhost:5000', true], ['127.0.0.1:41234', true], ['127.1.2.3', true], ['[::1]:5000', true],
    ['docker.io', false], ['localhost.example.com', false], ['127.0.0.1.nip.io', false], ['10.0.0.1:5000', false], ['ghcr.io', false],
  ] as const) {
    it(`${registry}: ${plain ? 'plain HTTP' : 'TLS verified'}`, () => assert.equal(isLoopbackRegistry(registry), plain));
  }
});

describe("skopeo's errors", () => {
  const fatal = (msg: string) => `time="2026-12-07T07:06:36Z" level=fatal msg="${msg}"\n`;
  const cases: [string, string][] = [
    ['reading manifest nope in 127.0.0.1:5000/test/bb: manifest unknown: manifest unknown', 'not-found'],
    ['reading manifest 1 in docker.io/library/nosuch: requested access to the resource is denied', 'denied'],
    ['reading manifest 1 in 127.0.0.1:5000/test/bb: unauthorized: authentication required', 'denied'],
    ['pinging container registry x.invalid: Get \\"https://x.invalid/v2/\\": dial tcp: lookup x.invalid on 10.0.0.53:53: no such host', 'no-network'],
    ['pinging container registry 127.0.0.1:1: Get \\"http://127.0.0.1:1/v2/\\": dial tcp 127.0.0.1:1: connect: connection refused', 'no-network'],
    ['choosing an image from manifest list docker://x:1: no image found in manifest list for architecture s390x, variant \\"\\", OS linux', 'no-platform'],
    ['writing blob: disk full', 'failed'],
  ];
  for (const [msg, code] of cases) {
    it(`${code}: ${msg.slice(0, 60)}`, () => {
      assert.equal(classifySkopeoError(fatal(msg)), code);
      assert.equal(skopeoMessage(fatal(msg)), msg.replace(/\\"/g, '"'));
    });
  }
});

describe('pullImage before skopeo runs', () => {
  const store = fs.mkdtempSync(path.join(os.tmpdir(), 'mc-pull-unit-'));
  const never = (() => {
    throw new Error('skopeo must not run');
  }) as never;

  it('refuses what is not a reference, a bad name, or a name taken, without running skopeo', async () => {
    try {
      await assert.rejects(pullImage('Not A Ref', store, undefined, { spawn: never }), (e: PullError) => e.code === 'invalid');
      await assert.rejects(pullImage('alpine', store, '../x', { spawn: never }), (e: PullError) => e.code === 'invalid');
      fs.mkdirSync(path.join(store, 'taken'));
      await assert.rejects(pullImage('alpine', store, 'taken', { spawn: never }), (e: PullError) => e.code === 'exists');
      const aborted = AbortSignal.abort();
      await assert.rejects(pullImage('alpine', store, 'x', { spawn: never, signal: aborted }), (e: PullError) => e.code === 'cancelled');
      assert.deepEqual(fs.readdirSync(store), ['taken']);
    } finally {
      fs.rmSync(store, { recursive: true, force: true });
    }
  });
});
