import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildModel, ContainerModel, diffModels, isContainerInit, processTotals } from '../../src/core/model/containerModel';
import { ProcessInfo, ProcessScanner } from '../../src/core/proc/processScanner';
import { parseStatusLine } from '../../src/core/helper/helperProtocol';
import { ContainerRegistry, parseRecord } from '../../src/core/helper/registry';
import { fixturesDir, HOST_NS } from './fixtures/fakeProc';

/** A process record with only what a case names; NSpid defaults to the host's. */
function proc(hostPid: number, ppid: number, nsPids: number[] | null, nsInode: number | null = null, extra: Partial<ProcessInfo> = {}): ProcessInfo {
  return {
    hostPid, ppid, nsPids, nsPid: nsPids ? nsPids[nsPids.length - 1] : null, state: 'S', uid: 0, user: 'root',
    command: `cmd${hostPid}`, comm: 'x', startTime: 100 + hostPid, rssBytes: 0, cpuTicks: 0, nsInode, kernelThread: false,
    ...extra,
  };
}
function snap(procs: ProcessInfo[], hostNsInode: number | null = null) {
  return { processes: new Map(procs.map((p) => [p.hostPid, p])), hostNsInode };
}
/** Container init host PID → its processes' host PIDs, and init → parent init. */
function shape(model: ContainerModel) {
  return Object.fromEntries(model.containers.map((c) => [c.initHostPid, { parent: c.parentInitHostPid, pids: c.processes.map((p) => p.hostPid) }]));
}

describe('grouping processes into containers', () => {
  const A = 4026532001;
  const B = 4026532002;
  const cases: { name: string; procs: ProcessInfo[]; host?: number; want: ReturnType<typeof shape> }[] = [
    {
      name: 'NSpid only (a normal user cannot read ns links): nested by walking parents',
      procs: [
        proc(1, 0, [1]), proc(10, 1, [10]), proc(11, 10, [11, 1]), proc(12, 11, [12, 2]), proc(13, 12, [13, 3]),
        proc(14, 13, [14, 4, 1]), proc(15, 14, [15, 5, 2]), proc(16, 15, [16, 6, 3]), proc(20, 1, [20, 1]),
      ],
      want: { 11: { parent: null, pids: [11, 12, 13] }, 14: { parent: 11, pids: [14, 15, 16] }, 20: { parent: null, pids: [20] } },
    },
    {
      name: 'ns inode only (status unreadable): grouped by inode',
      procs: [proc(1, 0, [1], HOST_NS), proc(11, 1, [11, 1], A), proc(30, 1, null, A), proc(31, 1, null, HOST_NS)],
      host: HOST_NS,
      want: { 11: { parent: null, pids: [11, 30] } },
    },
    {
      name: 'a process that joined with setns is placed by its inode, not its host parent',
      procs: [proc(1, 0, [1]), proc(11, 1, [11, 1], A), proc(21, 1, [21, 1], B), proc(40, 1, [40, 7], B)],
      want: { 11: { parent: null, pids: [11] }, 21: { parent: null, pids: [21, 40] } },
    },
    {
      name: 'a joined process without inode goes to the only namespace of its depth',
      procs: [proc(1, 0, [1]), proc(11, 1, [11, 1]), proc(40, 1, [40, 7])],
      want: { 11: { parent: null, pids: [11, 40] } },
    },
    {
      name: 'with no NSpid and no inode, a process stays with its parent',
      procs: [proc(1, 0, [1]), proc(11, 1, [11, 1]), proc(12, 11, null), proc(13, 1, null)],
      want: { 11: { parent: null, pids: [11, 12] } },
    },
    {
      name: 'kernel threads are never containers',
      procs: [proc(2, 0, [2], null, { kernelThread: true }), proc(3, 2, [3, 1], null, { kernelThread: true })],
      want: {},
    },
    {
      name: 'a parent cycle (PIDs reused mid-scan) does not hang',
      procs: [proc(1, 0, [1]), proc(11, 1, [11, 1]), proc(12, 11, [12, 2]), proc(50, 51, [50, 9]), proc(51, 50, [51, 8])],
      want: { 11: { parent: null, pids: [11, 12, 50, 51] } },
    },
    {
      name: 'a scan of a container\'s own /proc: its processes are the host there',
      procs: [proc(1, 0, [1]), proc(3, 1, [3]), proc(4, 3, [4, 1]), proc(5, 4, [5, 2])],
      want: { 4: { parent: null, pids: [4, 5] } },
    },
  ];
  for (const c of cases) {
    it(c.name, () => assert.deepEqual(shape(buildModel(snap(c.procs, c.host ?? null))), c.want));
  }
  it('tells inits by their innermost NSpid entry', () => {
    assert.deepEqual([[1], [5, 1], [5, 3, 1], [5, 2], null].map((ns) => isContainerInit(proc(5, 1, ns))), [false, true, true, false, false]);
  });
  it('keys a container by its init host PID and start time, because PIDs are reused', () => {
    const m = buildModel(snap([proc(11, 1, [11, 1], null, { startTime: 777 })]));
    assert.equal(m.containers[0].key, '11:777');
    assert.equal(m.containerOf.get(11), '11:777');
  });
  it('lists parents before the containers nested in them', () => {
    const m = buildModel(snap([proc(5, 90, [5, 1]), proc(6, 5, [6, 2]), proc(7, 6, [7, 3, 1]), proc(3, 1, [3, 1])]));
    assert.deepEqual(m.containers.map((c) => c.initHostPid), [3, 5, 7]);
  });
});

describe('the fixture /proc and registry', () => {
  const fixtures = fixturesDir();
  const scanner = new ProcessScanner({ procRoot: path.join(fixtures, 'proc'), passwdPath: path.join(fixtures, 'passwd'), maxOpenFiles: 0 });
  const registry = new ContainerRegistry(path.join(fixtures, 'registry'));
  const roots: number[] = [];
  const model = buildModel(scanner.scan(), { records: registry.read(), rootOf: (pid) => (roots.push(pid), `/root-of-${pid}`) });

  it('groups nested containers, the joined process, the zombie and the half-read process', () => {
    assert.deepEqual(shape(model), {
      201: { parent: null, pids: [201, 202, 203, 206, 207, 301] },
      204: { parent: 201, pids: [204, 205] },
    });
  });
  it('names a container from the record matching its init', () => {
    const [web, nested] = model.containers;
    assert.deepEqual([web.name, web.rootfs, web.hostname, web.startedBy], ['web', '/srv/alpine', 'web-host', 'mini-containers']);
    // 204-9999.json names a start time 204 does not have; 204-5100.json holds another PID: both ignored.
    assert.deepEqual([nested.name, nested.rootfs, nested.startedBy], [null, '/root-of-204', 'other']);
    assert.deepEqual(roots, [204]);
  });
  it('reads only complete records whose file name matches their content', () => {
    assert.deepEqual([...registry.read().keys()].sort(), ['201:5000', '204:9999']);
    assert.equal(registry.lastError, undefined);
  });
  it('treats a missing registry as empty', () => {
    const missing = new ContainerRegistry('/nonexistent/mini-containers');
    assert.equal(missing.read().size, 0);
    assert.equal(missing.lastError, undefined);
  });
});

describe('parseRecord', () => {
  const ok = { event: 'started', initPid: 5, startTime: 9, rootfs: '/r', name: 'n', hostname: 'h' };
  const cases: [string, unknown, boolean][] = [
    ['a started record', ok, true],
    ['an exited event', { ...ok, event: 'exited' }, false],
    ['a string PID', { ...ok, initPid: '5' }, false],
    ['a fractional start time', { ...ok, startTime: 9.5 }, false],
    ['an array', [ok], false],
    // The status file's rules (one parser): the helper always writes a valid name and an absolute rootfs.
    ['a relative rootfs', { ...ok, rootfs: 'r' }, false],
    ['an empty name', { ...ok, name: '' }, false],
    ['no name', { ...ok, name: undefined }, false],
    ['a start time of 0', { ...ok, startTime: 0 }, false],
  ];
  for (const [name, value, valid] of cases) it(name, () => assert.equal(parseRecord(JSON.stringify(value)) !== undefined, valid));
  it('reads what the status file reader reads, extra fields (mode, uid, helperPid) ignored', () => {
    const line = { ...ok, mode: 'privileged', control: '/run/mini-containers/0/n.control', helperPid: 4, uid: 0 };
    assert.deepEqual(parseRecord(JSON.stringify(line)), parseStatusLine(JSON.stringify(line)));
    assert.deepEqual(parseRecord(JSON.stringify(ok)), ok);
  });
  it('picks up a record written after the first read', (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mini-containers-registry-'));
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
    const registry = new ContainerRegistry(dir);
    fs.writeFileSync(path.join(dir, '5-9.json'), '{"event":"sta'); // the helper is still writing it
    assert.equal(registry.read().size, 0);
    fs.writeFileSync(path.join(dir, '5-9.json'), JSON.stringify(ok));
    assert.equal(registry.read().get('5:9')?.name, 'n');
    fs.rmSync(path.join(dir, '5-9.json'));
    assert.equal(registry.read().size, 0);
  });
});

describe('diffModels', () => {
  const procs = [proc(1, 0, [1]), proc(11, 1, [11, 1]), proc(12, 11, [12, 2]), proc(21, 1, [21, 1])];
  const first = buildModel(snap(procs));
  const rebuild = (list: ProcessInfo[], records = new Map()) => buildModel(snap(list), { previous: first, records });
  const cases: { name: string; next: () => ContainerModel; want: { added?: string[]; removed?: string[]; changed?: string[] } }[] = [
    { name: 'nothing changed', next: () => rebuild(procs), want: {} },
    { name: 'a process changed state', next: () => rebuild([procs[0], procs[1], { ...procs[2], state: 'R' }, procs[3]]), want: { changed: ['11:111'] } },
    { name: 'only CPU time changed', next: () => rebuild([procs[0], procs[1], { ...procs[2], cpuTicks: 9 }, procs[3]]), want: {} },
    { name: 'a process ended', next: () => rebuild([procs[0], procs[1], procs[3]]), want: { changed: ['11:111'] } },
    { name: 'a container ended', next: () => rebuild(procs.slice(0, 3)), want: { removed: ['21:121'] } },
    { name: 'a container started', next: () => rebuild([...procs, proc(31, 1, [31, 1])]), want: { added: ['31:131'] } },
    {
      name: 'its record appeared',
      next: () => rebuild(procs, new Map([['21:121', { event: 'started', initPid: 21, startTime: 121, name: 'db', rootfs: '/r', hostname: 'db' }]])),
      want: { changed: ['21:121'] },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const d = diffModels(first, c.next());
      assert.deepEqual({ added: [...d.added], removed: [...d.removed], changed: [...d.changed] }, { added: [], removed: [], changed: [], ...c.want });
    });
  }
  it('hands back the same container object when its processes are the same objects', () => {
    const next = rebuild(procs);
    assert.equal(next.byKey.get('11:111'), first.byKey.get('11:111'));
  });
  it('reports everything as added without a previous model', () => {
    assert.deepEqual([...diffModels(undefined, first).added], ['11:111', '21:121']);
  });
});

describe('processTotals', () => {
  it('counts each container\'s own processes and those of every level nested in it', () => {
    const model = buildModel(snap([
      proc(1, 0, [1]), proc(11, 1, [11, 1]), proc(12, 11, [12, 2]), proc(14, 12, [14, 3, 1]), proc(15, 14, [15, 4, 2]),
      proc(16, 15, [16, 5, 3, 1]), proc(20, 11, [20, 6, 1]), proc(31, 1, [31, 1]),
    ]));
    const byInit = (totals: Map<string, number>) => Object.fromEntries(model.containers.map((c) => [c.initHostPid, totals.get(c.key)]));
    assert.deepEqual(byInit(processTotals(model)), { 11: 6, 14: 3, 16: 1, 20: 1, 31: 1 });
  });
  it('is empty for a host with no container', () => {
    assert.equal(processTotals(buildModel(snap([proc(1, 0, [1]), proc(2, 1, [2])]))).size, 0);
  });
});
