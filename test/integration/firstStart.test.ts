// The first start after a boot: /run/mini-containers does not exist yet, and two starts may race to make it.
// Each run gets an empty /run of its own (a tmpfs in a private mount namespace made for it), so the host's
// /run/mini-containers, and any container using it, is never touched.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { helperPath, makeRootfs, makeTempDir, mountTable, requireRoot } from './harness';

interface Run { code: number | null; stdout: string; stderr: string }

/** Runs `script` (sh, with $1 the helper and $2 the rootfs) in a private mount namespace whose /run is empty. */
function withEmptyRun(script: string, rootfs: string): Promise<Run> {
  const child = spawn('unshare', ['--mount', '--propagation', 'private', '--', 'sh', '-c',
    `mount -t tmpfs -o mode=0755 none /run && { ${script}; }`, 'sh', helperPath, rootfs], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

describe('the first start after a boot, with /run/mini-containers missing', () => {
  let tmp: string;
  let rootfs: string;
  let mountsBefore: string;

  before(async () => {
    requireRoot();
    tmp = makeTempDir('first');
    rootfs = await makeRootfs(tmp);
    mountsBefore = mountTable();
  });
  after(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('succeeds 20 times out of 20, with umask 077, and makes its folders 0755', async () => {
    for (let i = 0; i < 20; i++) {
      const run = await withEmptyRun('umask 077; sh "$1" start --rootfs "$2" -- /bin/true && stat -c "%a %U %n" /run/mini-containers /run/mini-containers/containers /run/mini-containers/0', rootfs);
      assert.equal(run.code, 0, `start ${i}: ${run.stderr}`);
      assert.deepEqual(run.stdout.trim().split('\n'), [
        '755 root /run/mini-containers', '755 root /run/mini-containers/containers', '755 root /run/mini-containers/0',
      ], `start ${i}`);
    }
  });

  it('two first starts racing to make the folders both succeed, 20 times', async () => {
    for (let i = 0; i < 20; i++) {
      const run = await withEmptyRun('sh "$1" start --rootfs "$2" -- /bin/true & a=$!; sh "$1" start --rootfs "$2" -- /bin/true & b=$!; ' +
        'wait "$a"; ra=$?; wait "$b"; rb=$?; echo "$ra $rb"', rootfs);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout.trim(), '0 0', `race ${i}: ${run.stderr}`);
    }
  });

  it('leaves the host mount table as it found it', () => {
    assert.equal(mountTable(), mountsBefore);
  });
});
