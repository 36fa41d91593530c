// Save Changes: a running throw-away container's tree (its rootfs with the container's changes over it) saved as a new
// rootfs of a store, by the real helper's `start --ephemeral` and GNU tar through /proc/PID1/root. The new rootfs has
// the changes and starts; the original rootfs is untouched; a folder bound in and /proc, /dev are not part of it; a
// container that is gone (or a PID whose start time does not match) is refused and leaves nothing.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readMeta } from '../../src/core/rootfs/rootfsStore';
import { saveContainer } from '../../src/core/rootfs/saveContainer';
import { makeRootfs, makeTempDir, readStarted, requireRoot, runHelper, spawnHelper, stopAllHelpers, treeSnapshot, waitFor } from './harness';

describe('Save Changes of a throw-away container', { timeout: 120_000 }, () => {
  let tmp = '';
  let rootfs = '';

  before(async () => {
    requireRoot();
    tmp = makeTempDir('save');
    rootfs = await makeRootfs(tmp);
  });
  after(async () => {
    await stopAllHelpers();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('writes the container\'s current tree as a new rootfs that has its changes and starts; the rootfs is unchanged', async () => {
    const before = treeSnapshot(rootfs);
    const work = path.join(tmp, 'work');
    fs.mkdirSync(work);
    fs.writeFileSync(path.join(work, 'bound.txt'), 'a file of the bound folder\n');
    const status = path.join(tmp, 'status.jsonl');
    const child = spawnHelper(['start', '--rootfs', rootfs, '--ephemeral', '--status-file', status, '--bind', `${work}:/work`, '--',
      '/bin/sh', '-c', 'echo saved-inside > /etc/hostname && mkdir /opt && echo new > /opt/new && rm /bin/true && touch /ready && exec sleep 1000']);
    const started = await waitFor(() => readStarted(status), 10_000);
    await waitFor(() => fs.existsSync(`/proc/${started.initPid}/root/ready`), 10_000);
    const store = path.join(tmp, 'store');
    const saved = await saveContainer(started.initPid, started.startTime, store, 'saved', { from: started.name });
    child.kill('SIGTERM');
    assert.equal(saved.path, path.join(store, 'saved'));
    assert.equal(fs.readFileSync(path.join(saved.path, 'etc', 'hostname'), 'utf8'), 'saved-inside\n');
    assert.equal(fs.readFileSync(path.join(saved.path, 'opt', 'new'), 'utf8'), 'new\n');
    assert.ok(!fs.existsSync(path.join(saved.path, 'bin', 'true')), 'a file deleted inside is not in the saved rootfs');
    assert.deepEqual(fs.readdirSync(path.join(saved.path, 'work')), [], 'the bound folder is not saved (only its mount point)');
    assert.deepEqual(fs.readdirSync(path.join(saved.path, 'proc')), [], '/proc is not saved');
    assert.deepEqual(readMeta(store, 'saved')?.origin, { kind: 'saved', from: started.name });
    assert.deepEqual(fs.readdirSync(store).sort(), ['saved', 'saved.json'], 'no tarball or scratch folder is left');
    assert.equal(treeSnapshot(rootfs), before, 'the original rootfs is untouched');
    const run = await runHelper(['start', '--rootfs', saved.path, '--', '/bin/sh', '-c', 'cat /opt/new /etc/hostname']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, 'new\nsaved-inside\n');
  });

  it('refuses a container that is gone, or a PID whose start time is another process\'s, and leaves nothing', async () => {
    const store = path.join(tmp, 'store-refused');
    await assert.rejects(saveContainer(process.pid, 1, store, 'wrong', { from: 'x' }), /no longer running/);
    await assert.rejects(saveContainer(999_999_999, 1, store, 'gone', { from: 'x' }), /no longer running/);
    assert.ok(!fs.existsSync(store) || fs.readdirSync(store).length === 0);
  });
});
