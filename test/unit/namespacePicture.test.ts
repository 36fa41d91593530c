import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { buildModel } from '../../src/core/model/containerModel';
import { buildPicture, diffPictures, filterHostOnly, isEmptyUpdate } from '../../src/core/model/namespacePicture';
import type { ProcessInfo } from '../../src/core/proc/processScanner';

function proc(hostPid: number, ppid: number, nsPids: number[], command: string, comm = command.split(' ')[0]): ProcessInfo {
  return {
    hostPid, ppid, nsPids, nsPid: nsPids[nsPids.length - 1], state: 'S', uid: 0, user: 'root', command, comm,
    startTime: 1000 + hostPid, rssBytes: 0, cpuTicks: 0, nsInode: null, kernelThread: false,
  };
}
const map = (procs: ProcessInfo[]) => new Map(procs.map((p) => [p.hostPid, p]));

/** The host, an isolated shell held by sudo → helper → bubblewrap's monitor, with a sleep and a nested namespace in it. */
function lesson(extra: ProcessInfo[] = []) {
  return map([
    proc(1, 0, [1], '/sbin/init'),
    proc(90, 1, [90], 'node extensionHost'),
    proc(91, 1, [91], 'bash'),
    proc(100, 90, [100], 'sudo sh /x/container-helper.sh start', 'sudo'),
    proc(101, 100, [101], 'sh /x/container-helper.sh start', 'sh'),
    proc(102, 101, [102], '/usr/bin/bwrap --bind /r / --unshare-pid --die-with-parent --as-pid-1 /bin/sh', 'bwrap'),
    proc(103, 102, [103, 1], '/bin/sh'),
    proc(104, 103, [104, 2], 'sleep 1000'),
    proc(105, 103, [105, 3], 'unshare -pf sleep 99'),
    proc(106, 105, [106, 4, 1], 'sleep 99'),
    ...extra,
  ]);
}
const picture = (procs: Map<number, ProcessInfo>) => {
  const model = buildModel({ processes: procs, hostNsInode: null });
  return { model, picture: buildPicture(model, procs) };
};

describe('buildPicture', () => {
  const { picture: p } = picture(lesson());

  it('holds each container with every level of its processes\' PIDs, nested after its parent', () => {
    assert.deepEqual(p.containers.map((c) => [c.initHostPid, c.depth, c.parentKey !== null]), [[103, 1, false], [106, 2, true]]);
    assert.deepEqual(p.containers[0].processes.map((x) => x.pids), [[103, 1], [104, 2], [105, 3]]);
    assert.deepEqual(p.containers[1].processes.map((x) => x.pids), [[106, 4, 1]]);
    assert.equal(p.containers[1].parentKey, p.containers[0].key);
  });

  it('says which network a container started here has and what it publishes, from its record; and repaints when it changes', () => {
    const procs = lesson();
    const record = { event: 'started' as const, initPid: 103, startTime: 1103, rootfs: '/r', name: 'web', hostname: 'web', network: 'private' as const, publish: ['8080:80'] };
    const model = buildModel({ processes: procs, hostNsInode: null }, { records: new Map([['103:1103', record]]) });
    const withNetwork = buildPicture(model, procs);
    assert.deepEqual(withNetwork.containers.map((c) => [c.network, c.publish]), [['private', ['8080:80']], [null, []]]);
    assert.deepEqual(p.containers.map((c) => c.network), [null, null], 'no record, no network claimed');
    assert.deepEqual(diffPictures(p, withNetwork).changed.map((c) => c.initHostPid), [103]);
  });

  it('says what each container costs, and repaints the frame whose cost changed', () => {
    const procs = lesson();
    const model = buildModel({ processes: procs, hostNsInode: null });
    const usage = (cpuPercent: number) => new Map([[model.containers[0].key, {
      memoryBytes: 12 * 1024 * 1024, memorySource: 'cgroup' as const, memoryLimitBytes: null, pids: 4, pidsLimit: null, cpusLimit: null,
      cpuPercent, oomKills: 0,
    }]]);
    const first = buildPicture(model, procs, usage(1));
    assert.deepEqual(first.containers.map((c) => c.usage), ['12 MiB · 1.0% CPU', null]);
    assert.equal(buildPicture(model, procs).containers[0].usage, null, 'not measured: nothing claimed');
    assert.deepEqual(diffPictures(first, buildPicture(model, procs, usage(50))).changed.map((c) => c.initHostPid), [103]);
  });

  it('marks PID 1 of each namespace, and only it', () => {
    const inits = p.containers.flatMap((c) => c.processes.filter((x) => x.facts.includes('init')).map((x) => x.hostPid));
    assert.deepEqual(inits, [103, 106]);
  });

  it('says which process has ended and waits to be reaped', () => {
    const procs = lesson();
    procs.set(104, { ...procs.get(104)!, state: 'Z', command: '[sleep]' });
    const sleep = picture(procs).picture.containers[0].processes.find((x) => x.hostPid === 104);
    assert.deepEqual(sleep?.facts, ['zombie']);
    assert.equal(sleep?.ppid, 103, 'the parent that must reap it, which the row names');
  });

  it('a sleeping process is no zombie', () => {
    assert.deepEqual(p.containers[0].processes.find((x) => x.hostPid === 104)?.facts, []);
  });

  it('names the host-side chain of a top-level container, each link existing only on the host', () => {
    assert.deepEqual(p.containers[0].holders.map((h) => [h.role, h.hostPid, h.facts]), [
      ['sudo', 100, ['hostOnly']], ['helper', 101, ['hostOnly']], ['bwrapMonitor', 102, ['hostOnly']],
    ]);
    assert.deepEqual(p.containers[1].holders, [], 'a nested container\'s holder is a process of its parent');
  });

  it('counts the host\'s own processes: not in a container, not holding one', () => {
    assert.equal(p.hostOnlyCount, 3); // init, the extension host, bash
  });
});

describe('diffPictures', () => {
  it('with no previous picture, every container is changed', () => {
    const { picture: p } = picture(lesson());
    const u = diffPictures(undefined, p);
    assert.deepEqual(u.changed.map((c) => c.initHostPid), [103, 106]);
    assert.deepEqual(u.removed, []);
  });

  it('a second scan of the same processes changes nothing', () => {
    const a = picture(lesson()).picture;
    const b = picture(lesson()).picture;
    const u = diffPictures(a, b);
    assert.deepEqual(u.changed, []);
    assert.equal(isEmptyUpdate(u, a), true);
  });

  it('a new process in the outer container repaints that container only', () => {
    const a = picture(lesson()).picture;
    const b = picture(lesson([proc(107, 103, [107, 5], 'ps -aux')])).picture;
    const u = diffPictures(a, b);
    assert.deepEqual(u.changed.map((c) => c.initHostPid), [103]);
    assert.equal(isEmptyUpdate(u, a), false);
  });

  it('a killed nested namespace is removed, and its parent (which lost the unshare\'s child) is not repainted', () => {
    const a = picture(lesson()).picture;
    const procs = lesson();
    procs.delete(106);
    const b = picture(procs).picture;
    const u = diffPictures(a, b);
    assert.deepEqual(u.removed, [a.containers[1].key]);
    assert.deepEqual(u.changed, []);
    assert.deepEqual(u.order, [a.containers[0].key]);
  });

  it('a new host process changes only the count', () => {
    const a = picture(lesson()).picture;
    const b = picture(lesson([proc(500, 1, [500], 'cron')])).picture;
    const u = diffPictures(a, b);
    assert.deepEqual([u.changed.length, u.removed.length, u.hostOnlyCount], [0, 0, 4]);
    assert.equal(isEmptyUpdate(u, a), false);
  });
});

describe('filterHostOnly', () => {
  const procs = lesson([proc(500, 1, [500], 'cron -f'), proc(501, 1, [501], 'CRONTAB helper')]);
  const { model, picture: p } = picture(procs);

  it('lists only the host\'s own processes matching the filter by command (any case) or PID', () => {
    assert.deepEqual(filterHostOnly(model, procs, p, 'cron', 10).shown.map((x) => x.hostPid), [500, 501]);
    assert.deepEqual(filterHostOnly(model, procs, p, '50', 10).shown.map((x) => x.hostPid), [500, 501]);
    assert.deepEqual(filterHostOnly(model, procs, p, 'helper', 10).shown.map((x) => x.hostPid), [501], 'holders are not host-only');
  });

  it('an empty filter matches all of them; the limit cuts the list, not the count', () => {
    const all = filterHostOnly(model, procs, p, '  ', 2);
    assert.equal(all.matched, 5);
    assert.deepEqual(all.shown.map((x) => x.hostPid), [1, 90]);
  });

  it('reads a scanned host process\'s command line and user (details) only when it must: to show it, or to match it', () => {
    // As a scan leaves them: a host process holding no container has neither.
    const bare = new Map([...procs].map(([pid, q]) => [pid, q.nsPids!.length === 1 ? { ...q, command: null, uid: null, user: null } : q]));
    const asked: number[] = [];
    const details = (q: ProcessInfo) => (asked.push(q.hostPid), procs.get(q.hostPid));
    const page = filterHostOnly(model, bare, p, '', 2, details);
    assert.deepEqual([page.matched, page.shown.map((x) => [x.hostPid, x.command, x.user])], [5, [[1, '/sbin/init', 'root'], [90, 'node extensionHost', 'root']]]);
    assert.deepEqual(asked, [1, 90], 'no filter: only the shown are read');
    asked.length = 0;
    assert.deepEqual(filterHostOnly(model, bare, p, '50', 0, details).matched, 2);
    assert.deepEqual(asked, [1, 90, 91], 'a PID match needs no command line');
    asked.length = 0;
    assert.deepEqual(filterHostOnly(model, bare, p, 'cron', 1, details).matched, 2);
    assert.deepEqual(asked, [1, 90, 91, 500, 501], 'a filter by command reads every host-only process once');
    const gone = filterHostOnly(model, bare, p, '', 10, () => undefined);
    assert.deepEqual(gone.shown[0], { hostPid: 1, command: '/sbin/init', user: null }, 'ended since the scan: its comm, no user');
  });
});
