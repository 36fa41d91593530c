import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ProcessInfo, ProcessScanner, ScannerOptions } from '../../src/core/proc/processScanner';
import type { ProcFs } from '../../src/core/proc/procReader';
import { FakeProc, HOST_NS, fixturesDir, removeProc, tempProc, writeLoadavg, writeProc } from './fixtures/fakeProc';

const C = 4026532201; // the fixture container's namespace
const N = 4026532204; // the one nested in it

/** A ProcFs over the real files that logs calls relative to `root` and fails the ones a rule names. */
function spyFs(root: string, fail: { op: 'open' | 'read' | 'readlink'; path: string; code: string }[] = []) {
  const calls: string[] = [];
  const open = new Map<number, string>();
  const rel = (p: string) => path.relative(root, p);
  const check = (op: string, p: string) => {
    calls.push(`${op} ${rel(p)}`);
    const rule = fail.find((r) => r.op === op && r.path === rel(p));
    if (rule) throw Object.assign(new Error(`${rule.code}: ${p}`), { code: rule.code });
  };
  const spy: ProcFs = {
    readdirSync: (p) => {
      calls.push(`readdir ${rel(p) || '.'}`);
      return fs.readdirSync(p);
    },
    openSync: (p, flags) => {
      check('open', p);
      const fd = fs.openSync(p, flags);
      open.set(fd, p);
      return fd;
    },
    readSync: (fd, buffer, offset, length, position) => {
      check('read', open.get(fd)!);
      return fs.readSync(fd, buffer, offset, length, position);
    },
    closeSync: (fd) => {
      open.delete(fd);
      fs.closeSync(fd);
    },
    readlinkSync: (p) => {
      check('readlink', p);
      return fs.readlinkSync(p);
    },
    readFileSync: (p) => fs.readFileSync(p),
  };
  return { fs: spy, calls, open, callsOf: (pid: number) => calls.filter((c) => c.split(' ')[1].split('/')[0] === String(pid)) };
}

const fixtureRoot = path.join(fixturesDir(), 'proc');
const options = (extra: ScannerOptions = {}): ScannerOptions =>
  ({ procRoot: fixtureRoot, passwdPath: path.join(fixturesDir(), 'passwd'), pageSize: 4096, maxOpenFiles: 0, ...extra });

describe('ProcessScanner on a fixture /proc', () => {
  const snapshot = new ProcessScanner(options()).scan();
  const cases: [number, Partial<ProcessInfo>][] = [
    // A host process holding no container: its stat and ns link only (details reads the rest, below).
    [1, { ppid: 0, nsPids: [1], nsPid: 1, uid: null, user: null, command: null, nsInode: HOST_NS, kernelThread: false }],
    [2, { ppid: 0, user: 'root', command: '[kthreadd]', kernelThread: true, nsInode: HOST_NS }],
    [3, { ppid: 2, state: 'I', command: '[kworker/0:1-events]', kernelThread: true }],
    [100, { user: 'alice', uid: 1000, command: '-bash', nsPids: [100] }],
    [201, { ppid: 200, nsPids: [201, 1], nsPid: 1, nsInode: C, command: 'sh -c sleep 100 & wait', startTime: 5000 }],
    [202, { comm: 'my) (weird proc', user: 'alice', command: "python3 -c print('a  b')", cpuTicks: 7, rssBytes: 250 * 4096, nsPid: 2 }],
    [204, { nsPids: [204, 4, 1], nsPid: 1, nsInode: N }],
    [205, { ppid: 204, nsPid: 2, nsInode: N, command: 'sleep  1000' }],
    [206, { ppid: 100, nsPids: [206, 6], nsInode: C, command: 'sh' }],
    [207, { state: 'Z', command: '[sleep]' }],
    [301, { nsPids: null, nsPid: null, uid: null, user: null, command: '[sleep]', nsInode: null, ppid: 201 }],
    [302, { user: null, comm: 'café', command: null, nsPids: [302] }],
  ];
  for (const [pid, want] of cases) {
    it(`PID ${pid}`, () => {
      const got = snapshot.processes.get(pid);
      assert.ok(got, `PID ${pid} listed`);
      for (const [k, v] of Object.entries(want)) assert.deepEqual(got[k as keyof ProcessInfo], v, k);
    });
  }
  it('lists each PID directory with a stat, in order, and nothing else', () => {
    assert.deepEqual([...snapshot.processes.keys()], [1, 2, 3, 100, 200, 201, 202, 203, 204, 205, 206, 207, 301, 302]);
    assert.equal(snapshot.hostNsInode, HOST_NS);
  });
  it('reads one file of a host process (stat, then its ns link), only stat of a kernel thread, status and cmdline in another namespace', () => {
    const spy = spyFs(fixtureRoot);
    new ProcessScanner(options({ fs: spy.fs })).scan();
    assert.deepEqual(spy.callsOf(3), ['open 3/stat', 'read 3/stat']);
    assert.deepEqual(spy.callsOf(302), ['open 302/stat', 'read 302/stat', 'readlink 302/ns/pid']);
    for (const pid of [201, 202, 205]) {
      assert.deepEqual(spy.callsOf(pid), [
        `open ${pid}/stat`, `read ${pid}/stat`, `readlink ${pid}/ns/pid`, `open ${pid}/status`, `read ${pid}/status`,
        `open ${pid}/cmdline`, `read ${pid}/cmdline`,
      ]);
    }
    // 100 → 200 → 201, the PID 1 of a container: its host-side ancestors are named by command line and user.
    assert.deepEqual(spy.callsOf(200).filter((c) => c.startsWith('open')), ['open 200/stat', 'open 200/status', 'open 200/cmdline']);
    assert.equal(spy.open.size, 0, 'every descriptor closed');
  });
  it('not root (most ns links denied): reads status first, and still tells each process\'s namespace', () => {
    const pids = fs.readdirSync(fixtureRoot).filter((name) => /^\d+$/.test(name));
    const spy = spyFs(fixtureRoot, pids.map((pid) => ({ op: 'readlink' as const, path: `${pid}/ns/pid`, code: 'EACCES' })));
    const got = new ProcessScanner(options({ fs: spy.fs })).scan().processes;
    assert.deepEqual(spy.callsOf(302), ['open 302/stat', 'read 302/stat', 'open 302/status', 'read 302/status'], 'no link tried');
    assert.deepEqual([got.get(302)!.nsPids, got.get(302)!.user, got.get(302)!.command], [[302], '4242', null]);
    assert.deepEqual([got.get(201)!.nsPids, got.get(201)!.command], [[201, 1], 'sh -c sleep 100 & wait']);
  });
  it('details reads a host process\'s command line and user on demand, and keeps them for the next scans', () => {
    const spy = spyFs(fixtureRoot);
    const scanner = new ProcessScanner(options({ fs: spy.fs }));
    const first = scanner.scan();
    spy.calls.length = 0;
    const cafe = scanner.details(first.processes.get(302)!);
    assert.deepEqual([cafe?.user, cafe?.uid, cafe?.command], ['4242', 4242, 'café --menu=crème brûlée']);
    assert.deepEqual(spy.calls, ['open 302/status', 'read 302/status', 'open 302/cmdline', 'read 302/cmdline']);
    assert.deepEqual([scanner.details(first.processes.get(1)!)?.user, scanner.details(first.processes.get(1)!)?.command], ['root', '/sbin/init splash']);
    assert.equal(scanner.details(first.processes.get(302)!), cafe, 'read once');
    assert.equal(scanner.scan().processes.get(302), cafe, 'kept by the next scan');
    assert.equal(scanner.details({ ...cafe!, startTime: 1 }), undefined, 'another process that had the PID');
  });
});

describe('ProcessScanner tolerates what it cannot read', () => {
  type Op = 'open' | 'read' | 'readlink';
  const cases: { name: string; fail: { op: Op; path: string; code: string }[]; pid: number; want: Partial<ProcessInfo> | 'skipped' }[] = [
    { name: 'cmdline denied', fail: [{ op: 'open', path: '201/cmdline', code: 'EACCES' }], pid: 201, want: { command: '[sh]', nsPid: 1 } },
    { name: 'status denied', fail: [{ op: 'read', path: '202/status', code: 'EACCES' }], pid: 202, want: { nsPids: null, user: null, nsInode: C } },
    { name: 'ns link denied', fail: [{ op: 'readlink', path: '201/ns/pid', code: 'EACCES' }], pid: 201, want: { nsInode: null, nsPid: 1 } },
    { name: 'gone before status', fail: [{ op: 'open', path: '202/status', code: 'ENOENT' }], pid: 202, want: { nsPids: null, state: 'S' } },
    { name: 'gone before cmdline', fail: [{ op: 'read', path: '202/cmdline', code: 'ESRCH' }], pid: 202, want: { command: '[my) (weird proc]' } },
    { name: 'gone before stat', fail: [{ op: 'open', path: '202/stat', code: 'ENOENT' }], pid: 202, want: 'skipped' },
    {
      name: 'ns link of a host process denied: status says where it is',
      fail: [{ op: 'readlink', path: '302/ns/pid', code: 'EACCES' }], pid: 302, want: { nsPids: [302], nsInode: HOST_NS, user: '4242', command: null },
    },
    {
      name: 'host process gone before its ns link',
      fail: [{ op: 'readlink', path: '302/ns/pid', code: 'ENOENT' }, { op: 'open', path: '302/status', code: 'ENOENT' }], pid: 302,
      want: { nsPids: null, user: null },
    },
    { name: 'dead while reading stat', fail: [{ op: 'read', path: '202/stat', code: 'ESRCH' }], pid: 202, want: 'skipped' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const spy = spyFs(fixtureRoot, c.fail);
      const got = new ProcessScanner(options({ fs: spy.fs })).scan().processes;
      assert.equal(got.size, c.want === 'skipped' ? 13 : 14, 'the others are all listed');
      if (c.want === 'skipped') return assert.equal(got.has(c.pid), false);
      for (const [k, v] of Object.entries(c.want)) assert.deepEqual(got.get(c.pid)![k as keyof ProcessInfo], v, k);
    });
  }
  it('throws what it does not expect, such as EIO, instead of hiding it', () => {
    const spy = spyFs(fixtureRoot, [{ op: 'read', path: '100/stat', code: 'EIO' }]);
    assert.throws(() => new ProcessScanner(options({ fs: spy.fs })).scan(), /EIO/);
  });
  it('closes every kept descriptor when a rescan throws', () => {
    const fail: { op: 'read'; path: string; code: string }[] = [];
    const spy = spyFs(fixtureRoot, fail);
    const scanner = new ProcessScanner(options({ fs: spy.fs, maxOpenFiles: 64 }));
    scanner.scan();
    assert.equal(spy.open.size, 14);
    fail.push({ op: 'read', path: '205/stat', code: 'EIO' });
    assert.throws(() => scanner.scan(), /EIO/);
    assert.equal(spy.open.size, 0);
    fail.length = 0;
    assert.equal(scanner.scan().added.size, 14, 'the next scan starts afresh');
    scanner.dispose();
  });
});

describe('host namespace detection', () => {
  const base: FakeProc[] = [
    { pid: 1, ppid: 0, comm: 'init' },
    { pid: 50, ppid: 1, comm: 'code' },
    { pid: 60, ppid: 1, comm: 'sh', nsPids: [60, 1], nsInode: C },
  ];
  const cases: { name: string; self?: number; denied: string[]; want: number | null }[] = [
    { name: 'from PID 1', self: 50, denied: [], want: HOST_NS },
    { name: 'from this process when PID 1 is denied (as in some VMs)', self: 50, denied: ['1/ns/pid'], want: HOST_NS },
    { name: 'not from this process when it is inside a container', self: 60, denied: ['1/ns/pid'], want: null },
    { name: 'unknown when neither can be read', denied: ['1/ns/pid'], want: null },
  ];
  for (const c of cases) {
    it(c.name, (t) => {
      const tree = tempProc(base, c.self);
      t.after(tree.cleanup);
      const spy = spyFs(tree.root, c.denied.map((p) => ({ op: 'readlink' as const, path: p, code: 'EACCES' })));
      const snap = new ProcessScanner({ procRoot: tree.root, fs: spy.fs, maxOpenFiles: 0 }).scan();
      assert.equal(snap.hostNsInode, c.want);
      assert.equal(snap.processes.get(60)?.nsInode, C);
    });
  }
});

describe('incremental rescans', () => {
  const base = (): FakeProc[] => [
    { pid: 1, ppid: 0, comm: 'init', runs: 1 },
    { pid: 10, ppid: 1, comm: 'unshare', runs: 1 },
    { pid: 11, ppid: 10, comm: 'sh', nsPids: [11, 1], nsInode: C, runs: 1 },
    { pid: 12, ppid: 11, comm: 'sleep', nsPids: [12, 2], nsInode: C, runs: 1 },
    { pid: 13, ppid: 12, comm: 'sleep', nsPids: [13, 3], nsInode: C, runs: 1 },
  ];
  const modes = [
    { changeProbe: 'stat', maxOpenFiles: 0 },
    { changeProbe: 'stat', maxOpenFiles: 64 },
    { changeProbe: 'schedstat', maxOpenFiles: 0 },
    { changeProbe: 'schedstat', maxOpenFiles: 64 },
  ] as const;

  it('probes schedstat when the kernel has it, else stat', (t) => {
    for (const [procs, want] of [[base(), 'read 12/schedstat'], [base().map((p) => ({ ...p, runs: undefined })), 'read 12/stat']] as const) {
      const tree = tempProc(procs, 1);
      t.after(tree.cleanup);
      const spy = spyFs(tree.root);
      const scanner = new ProcessScanner({ procRoot: tree.root, fs: spy.fs, maxOpenFiles: 64 });
      scanner.scan(); // stat alone
      scanner.scan(); // opens the probe
      spy.calls.length = 0;
      scanner.scan();
      scanner.dispose();
      assert.deepEqual(spy.callsOf(12), [want]);
    }
  });

  it('probes the PIDs allocated since the last scan (loadavg) instead of listing /proc', (t) => {
    const tree = tempProc(base(), 1);
    t.after(tree.cleanup);
    const loadavg = (last: number) => writeLoadavg(tree.root, last);
    loadavg(13);
    const spy = spyFs(tree.root);
    const scanner = new ProcessScanner({ procRoot: tree.root, fs: spy.fs, maxOpenFiles: 0 });
    t.after(() => scanner.dispose());
    const listings = () => spy.calls.filter((c) => c.startsWith('readdir')).length;
    scanner.scan();
    assert.equal(listings(), 1);
    const steps: { name: string; act: () => void; added?: number[]; removed?: number[]; listings: number }[] = [
      { name: 'an ended process is noticed without a listing', act: () => removeProc(tree.root, [13]), removed: [13], listings: 1 },
      {
        name: 'a new process is found, a new thread is not taken for one',
        act: () => {
          writeProc(tree.root, [{ pid: 14, ppid: 1, runs: 1 }, { pid: 15, ppid: 1, tgid: 14, runs: 1 }]);
          loadavg(15);
        },
        added: [14], listings: 1,
      },
      {
        name: 'many new PIDs: listing is cheaper',
        act: () => {
          removeProc(tree.root, [15]); // the thread ended (the real /proc never lists threads anyway)
          loadavg(15 + 65);
        },
        listings: 2,
      },
      { name: 'PID numbers wrapped around', act: () => loadavg(5), listings: 3 },
    ];
    for (const step of steps) {
      step.act();
      const snap = scanner.scan();
      assert.deepEqual([[...snap.added], [...snap.removed], listings()], [step.added ?? [], step.removed ?? [], step.listings], step.name);
    }
    for (let i = 0; i < 10; i++) scanner.scan();
    assert.equal(listings(), 4, 'and it lists at least every tenth scan');
  });

  it('releaseDescriptors closes every kept descriptor; the next scan reopens only the probe file of each process', (t) => {
    const tree = tempProc(base(), 1);
    t.after(tree.cleanup);
    const spy = spyFs(tree.root);
    const scanner = new ProcessScanner({ procRoot: tree.root, fs: spy.fs, maxOpenFiles: 64, quietProbeIntervalMs: 60_000 });
    t.after(() => scanner.dispose());
    scanner.scan();
    assert.deepEqual([...spy.open.values()].map((p) => path.basename(p)), Array(5).fill('stat'), 'a first scan reads and keeps stat alone');
    spy.calls.length = 0;
    const first = scanner.scan();
    assert.deepEqual(
      [...new Set(spy.calls.filter((c) => /^(open|read) \d+\//.test(c)).map((c) => c.replace(/^(\w+) \d+/, '$1 N')))],
      ['open N/schedstat', 'read N/schedstat', 'read N/stat'],
      'the first rescan opens the probe and reads stat once more through its kept descriptor',
    );
    assert.deepEqual([...spy.open.values()].map((p) => path.basename(p)), Array(5).fill('schedstat'), 'and keeps the probe\'s instead');
    scanner.releaseDescriptors();
    assert.equal(spy.open.size, 0, 'nothing held while the view is hidden');
    spy.calls.length = 0;
    const next = scanner.scan();
    const perProcess = spy.calls.filter((c) => /^(open|read) \d+\//.test(c)).map((c) => c.replace(/^(\w+) \d+/, '$1 N'));
    assert.deepEqual([...new Set(perProcess)], ['open N/schedstat', 'read N/schedstat'], 'no stat, status or cmdline read again');
    for (const [pid, info] of first.processes) assert.equal(next.processes.get(pid), info, `PID ${pid} kept its record`);
    assert.equal(spy.open.size, 5, 'descriptors kept again');
  });

  it('between full probes (quietProbeIntervalMs) reads only new and young processes, and checks that the others exist', (t) => {
    const procs = base();
    const tree = tempProc(procs, 1);
    t.after(tree.cleanup);
    const loadavg = (threads: number, last: number) => writeLoadavg(tree.root, last, threads);
    loadavg(90, 13);
    const spy = spyFs(tree.root);
    let clock = 0;
    // Descriptors are not kept: a kept one of the fake /proc would still read after its process "ended".
    const scanner = new ProcessScanner({ procRoot: tree.root, fs: spy.fs, maxOpenFiles: 0, quietProbeIntervalMs: 10_000, now: () => clock });
    t.after(() => scanner.dispose());
    scanner.scan();
    // 10 s on, a full probe; the first five processes are no longer young.
    clock = 10_000;
    const first = scanner.scan();
    /** PIDs whose files were opened or read; existence checks (readdir) are not reads. */
    const read = () => [...new Set(spy.calls.filter((c) => /^(open|read) \d+\//.test(c)).map((c) => +c.split(' ')[1].split('/')[0]))].sort((a, b) => a - b);
    const checked = () => spy.calls.filter((c) => /^readdir \d+$/.test(c)).map((c) => +c.split(' ')[1]).sort((a, b) => a - b);
    const exec = (pid: number, comm: string) => {
      const p = procs.find((q) => q.pid === pid)!;
      Object.assign(p, { comm, runs: (p.runs ?? 1) + 1 });
      writeProc(tree.root, [p]);
    };
    const steps: { name: string; act: () => void; read: number[]; checked: number[]; added?: number[]; changed?: number[]; removed?: number[] }[] = [
      { name: 'nothing created or reaped, nobody young: nothing read or checked, the same records', act: () => (clock += 2_000), read: [], checked: [] },
      {
        name: 'a PID allocated elsewhere and gone: only it is read, the known ones are checked',
        act: () => (loadavg(90, 14), (clock += 2_000)), read: [14], checked: [1, 10, 11, 12, 13],
      },
      {
        name: 'an exec without a fork in an old process waits for the next full probe',
        act: () => (exec(12, 'top'), loadavg(90, 15), (clock += 2_000)), read: [15], checked: [1, 10, 11, 12, 13],
      },
      {
        name: 'an ended process is dropped without reading the others',
        act: () => (removeProc(tree.root, [13]), loadavg(89, 16), (clock += 2_000)), read: [16], checked: [1, 10, 11, 12, 13], removed: [13],
      },
      {
        name: 'a new process is read in full',
        act: () => (procs.push({ pid: 17, ppid: 1, runs: 1 }), writeProc(tree.root, [procs[procs.length - 1]]), loadavg(90, 17), (clock += 1)),
        read: [17], checked: [1, 10, 11, 12], added: [17],
      },
      {
        name: 'a young process is probed on every scan: its exec shows at once, even on a quiet host',
        act: () => (exec(17, 'ls'), (clock += 1_000)), read: [17], checked: [], changed: [17],
      },
      {
        name: 'many new PIDs: /proc is listed, which shows the known ones exist; the new and the young are read',
        act: () => (writeProc(tree.root, [{ pid: 90, ppid: 1, runs: 1 }]), loadavg(91, 17 + 73), (clock += 1)), read: [17, 90], checked: [], added: [90],
      },
      { name: '10 s after the last full probe, every process is probed again', act: () => (clock += 1_000), read: [1, 10, 11, 12, 17, 90], checked: [], changed: [12] },
    ];
    let previous = first;
    for (const step of steps) {
      step.act();
      spy.calls.length = 0;
      const snap = scanner.scan();
      assert.deepEqual([read(), checked()], [step.read, step.checked], step.name);
      assert.deepEqual([[...snap.added], [...snap.changed], [...snap.removed]], [step.added ?? [], step.changed ?? [], step.removed ?? []], step.name);
      if (!step.read.length && !step.checked.length) assert.equal(snap.processes, previous.processes, `${step.name}: the same map`);
      previous = snap;
    }
    exec(11, 'bash');
    spy.calls.length = 0;
    const asked = scanner.scan({ probeAll: true });
    assert.deepEqual(read(), [1, 10, 11, 12, 17, 90], 'probeAll probes every process, quiet host or not');
    assert.deepEqual([...asked.changed], [11]);
  });

  for (const { changeProbe, maxOpenFiles } of modes) {
    const mode = `${changeProbe}, ${maxOpenFiles ? 'kept open' : 'reopened'}`;
    const setup = (t: { after: (fn: () => void) => void }) => {
      const procs = base();
      const tree = tempProc(procs);
      const spy = spyFs(tree.root);
      const scanner = new ProcessScanner({ procRoot: tree.root, fs: spy.fs, maxOpenFiles, changeProbe, passwdPath: '/nonexistent' });
      scanner.scan(); // a first scan reads stat alone: the second opens the probes
      const first = scanner.scan();
      spy.calls.length = 0;
      t.after(() => {
        scanner.dispose();
        assert.equal(spy.open.size, 0, 'dispose closes every kept descriptor');
        tree.cleanup();
      });
      /** Rewrites a process; unless told otherwise it ran meanwhile, as it must have to change. */
      const update = (pid: number, change: Partial<FakeProc>, ran = true) => {
        const p = procs.find((q) => q.pid === pid)!;
        Object.assign(p, change, ran ? { runs: p.runs! + 1 } : {});
        writeProc(tree.root, [p]);
      };
      return { tree, spy, scanner, first, update };
    };

    it(`${mode}: an unchanged process costs one small read and keeps its object`, (t) => {
      const { spy, scanner, first } = setup(t);
      const next = scanner.scan();
      for (const [pid, info] of first.processes) assert.equal(next.processes.get(pid), info, `PID ${pid} reused`);
      assert.deepEqual([next.added.size, next.removed.size, next.changed.size], [0, 0, 0]);
      const read = `read 12/${changeProbe}`;
      assert.deepEqual(spy.callsOf(12), maxOpenFiles ? [read] : [`open 12/${changeProbe}`, read]);
      assert.deepEqual(spy.calls.filter((c) => !c.endsWith(`/${changeProbe}`)), ['readdir .'], 'nothing else read');
    });

    type Setup = ReturnType<typeof setup>;
    const cases: { name: string; act: (u: Setup) => void; want: { added?: number[]; removed?: number[]; changed?: number[] }; check?: (p: ReadonlyMap<number, ProcessInfo>) => void; fullRead?: number }[] = [
      { name: 'a state change', act: (u) => u.update(12, { state: 'R' }), want: { changed: [12] }, check: (p) => assert.equal(p.get(12)!.state, 'R') },
      { name: 'CPU time', act: (u) => u.update(13, { utime: 5 }), want: { changed: [13] }, check: (p) => assert.equal(p.get(13)!.cpuTicks, 5) },
      {
        name: 'a parent that ended: its child is reparented without running',
        act: (u) => {
          removeProc(u.tree.root, [12]);
          u.update(13, { ppid: 11 }, false);
        },
        want: { removed: [12], changed: [13] }, check: (p) => assert.equal(p.get(13)!.ppid, 11),
      },
      {
        name: 'a parent that is a zombie: its child is reparented without running',
        act: (u) => {
          u.update(12, { state: 'Z' });
          u.update(13, { ppid: 11 }, false);
        },
        want: { changed: [12, 13] }, check: (p) => assert.equal(p.get(13)!.ppid, 11),
      },
      {
        name: 'a new process', act: (u) => writeProc(u.tree.root, [{ pid: 14, ppid: 11, nsPids: [14, 4], nsInode: C, cmdline: 'top\0-b\0', runs: 1 }]),
        want: { added: [14] }, check: (p) => assert.deepEqual([p.get(14)!.command, p.get(14)!.nsInode], ['top -b', C]), fullRead: 14,
      },
      { name: 'a process that ended', act: (u) => removeProc(u.tree.root, [13]), want: { removed: [13] } },
      {
        name: 'a reused PID', act: (u) => u.update(12, { startTime: 9999, cmdline: 'vi\0', comm: 'vi' }), want: { changed: [12] },
        check: (p) => assert.equal(p.get(12)!.command, 'vi'), fullRead: 12,
      },
      {
        name: 'an exec (same start time, new comm)', act: (u) => u.update(12, { comm: 'python3', cmdline: 'python3\0app.py\0' }),
        want: { changed: [12] }, check: (p) => assert.equal(p.get(12)!.command, 'python3 app.py'), fullRead: 12,
      },
      {
        // A container's PID 1: the helper's `sh container-helper.sh __init` execs env, chroot, then the rootfs's sh.
        name: 'an exec that keeps the comm (sh execs sh)',
        act: (u) => u.update(11, { startCode: 94067004999999, cmdline: '/bin/sh\0' }),
        want: { changed: [11] }, check: (p) => assert.equal(p.get(11)!.command, '/bin/sh'), fullRead: 11,
      },
    ];
    for (const c of cases) {
      it(`${mode}: ${c.name}`, (t) => {
        const u = setup(t);
        c.act(u);
        const next = u.scanner.scan();
        assert.deepEqual(
          { added: [...next.added], removed: [...next.removed], changed: [...next.changed] },
          { added: [], removed: [], changed: [], ...c.want },
        );
        for (const [pid, info] of u.first.processes) {
          if (!c.want.changed?.includes(pid) && !c.want.removed?.includes(pid)) assert.equal(next.processes.get(pid), info);
        }
        c.check?.(next.processes);
        const fullReads = u.spy.calls.filter((call) => !/\/(sched)?stat$|^readdir/.test(call)).map((call) => call.split(' ')[1].split('/')[0]);
        assert.deepEqual([...new Set(fullReads)], c.fullRead ? [String(c.fullRead)] : [], 'only new processes are read in full');
      });
    }

    it(`${mode}: an exec on the host is seen from stat and costs its ns link; a container's holder gets its command line again`, (t) => {
      const u = setup(t);
      assert.equal(u.first.processes.get(10)!.command, 'unshare', 'the holder of the PID 1 at 11');
      assert.equal(u.first.processes.get(1)!.command, null, 'PID 1 holds nothing: hostChain stops below it');
      u.update(1, { comm: 'systemd', cmdline: 'systemd\0' });
      u.update(10, { comm: 'bwrap', cmdline: 'bwrap\0--new-session\0' });
      const next = u.scanner.scan();
      assert.deepEqual([...next.changed], [1, 10]);
      assert.deepEqual([next.processes.get(1)!.comm, next.processes.get(1)!.command], ['systemd', null]);
      assert.equal(next.processes.get(10)!.command, 'bwrap --new-session');
      const beyondStat = u.spy.calls.filter((call) => !/\/(sched)?stat$|^readdir/.test(call));
      assert.deepEqual(beyondStat.filter((call) => call.includes(' 1/')), ['readlink 1/ns/pid']);
      assert.deepEqual(
        beyondStat.filter((call) => call.includes(' 10/')),
        ['readlink 10/ns/pid', 'open 10/status', 'read 10/status', 'open 10/cmdline', 'read 10/cmdline'],
      );
    });
  }
});
