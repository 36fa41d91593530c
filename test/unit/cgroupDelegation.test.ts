// delegate-cgroup on fixture trees laid out as v1 (one folder per controller, a combined cpu,cpuacct mount reached
// by two names) and v2 (one tree, controllers listed): which folders it makes, what it gives the user, and that v2's
// controllers are enabled from the top down to the user's folder. A plain folder stands for cgroupfs: the kernel's
// own files are written by the test where the kernel would have made them.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { delegateCgroups, delegatedFolders, helperHierarchies, undelegateCgroups } from '../../src/core/helper/cgroupDelegation';

const NOBODY = 65534;
const root = process.getuid?.() === 0;

describe('delegate-cgroup', { skip: root ? false : 'chown needs root' }, () => {
  const dirs: string[] = [];
  after(() => {
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });
  const tree = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mc-delegate-'));
    dirs.push(dir);
    return dir;
  };

  it('v1: one folder per hierarchy the helper uses, a combined mount once, each the user\'s', () => {
    const top = tree();
    for (const c of ['memory', 'pids', 'cpu,cpuacct', 'freezer', 'devices']) {
      fs.mkdirSync(path.join(top, c));
      fs.writeFileSync(path.join(top, c, 'cgroup.procs'), '');
    }
    fs.symlinkSync('cpu,cpuacct', path.join(top, 'cpu'));
    fs.symlinkSync('cpu,cpuacct', path.join(top, 'cpuacct'));
    assert.deepEqual(helperHierarchies(top), { version: 1, tops: ['memory', 'pids', 'cpu,cpuacct', 'freezer'].map((c) => path.join(fs.realpathSync(top), c)) });
    const made = delegateCgroups(top, NOBODY, NOBODY);
    assert.deepEqual(made, delegatedFolders(top, NOBODY));
    assert.equal(made.length, 4, 'devices is not used, cpu,cpuacct once');
    for (const folder of made) {
      assert.equal(path.basename(folder), `user-${NOBODY}`);
      assert.equal(fs.statSync(folder).uid, NOBODY);
      assert.equal(fs.statSync(path.dirname(folder)).uid, 0, 'mini-containers stays root\'s');
    }
    assert.deepEqual(delegateCgroups(top, NOBODY, NOBODY), made, 'again: the same folders, no error');
    assert.deepEqual(undelegateCgroups(top, NOBODY), made);
    for (const folder of made) assert.equal(fs.existsSync(folder), false);
  });

  it('v2: one folder; memory, pids and cpu enabled from the top down to it, where the kernel has them', () => {
    const top = tree();
    fs.writeFileSync(path.join(top, 'cgroup.controllers'), 'cpuset cpu io memory pids\n');
    const [folder] = delegateCgroups(top, NOBODY, NOBODY);
    assert.equal(folder, path.join(top, 'mini-containers', `user-${NOBODY}`));
    for (const dir of [top, path.dirname(folder), folder]) {
      assert.equal(fs.readFileSync(path.join(dir, 'cgroup.subtree_control'), 'utf8'), '+memory +pids +cpu');
    }
    assert.equal(fs.statSync(folder).uid, NOBODY);
    assert.equal(fs.statSync(path.join(folder, 'cgroup.subtree_control')).uid, NOBODY);
  });

  it('no hierarchy mounted: refused, saying where it looked', () => {
    const top = tree();
    assert.throws(() => delegateCgroups(top, NOBODY, NOBODY), /no cgroup hierarchy is mounted at /);
  });
});
