import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  latin1ToUtf8, parseAuxvPageSize, parseBootTimeMs, parseCmdline, parseNsLink, parseOpenFilesLimit, parsePasswd, parsePasswdEntries, parseStat, parseStatus, PF_KTHREAD,
} from '../../src/core/proc/procParse';
import { fixturesDir, statLine } from './fixtures/fakeProc';

describe('parseStat', () => {
  const cases: { name: string; line: string; want: Partial<ReturnType<typeof parseStat>> | undefined }[] = [
    {
      name: 'a real line of a sleeping shell',
      line: '7505 (sh) S 7496 7489 6012 0 -1 4194560 1554 100 0 0 3 2 0 0 20 0 1 0 36038 2654208 408 18446744073709551615 1 2 3 0 0 0 0 6 65536 1 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n',
      want: { pid: 7505, comm: 'sh', state: 'S', ppid: 7496, flags: 4194560, cpuTicks: 5, startTime: 36038, rssPages: 408, image: '1 2 3' },
    },
    {
      name: 'a line that ends after RSS has no image',
      line: '12 (x) S 1 1 1 0 -1 0 0 0 0 0 1 1 0 0 20 0 1 0 77 2654208 408\n',
      want: { startTime: 77, rssPages: 408, image: '' },
    },
    {
      name: 'comm with spaces and parentheses is cut at the last )',
      line: statLine({ pid: 9, ppid: 1, comm: 'a) (b c ) d', state: 'R', startTime: 77 }),
      want: { pid: 9, comm: 'a) (b c ) d', state: 'R', ppid: 1, startTime: 77 },
    },
    {
      name: 'comm that is a single )',
      line: statLine({ pid: 10, ppid: 1, comm: ')', startTime: 5 }),
      want: { pid: 10, comm: ')', startTime: 5 },
    },
    {
      name: 'kernel thread flags',
      line: statLine({ pid: 2, ppid: 0, comm: 'kthreadd', flags: 0x208040 }),
      want: { pid: 2, flags: 0x208040 },
    },
    { name: 'truncated before start time', line: '12 (x) S 1 1 1 0 -1 0 0 0 0 0 1 1 0 0 20 0 1 0', want: undefined },
    { name: 'not a stat line', line: 'hello world', want: undefined },
    { name: 'empty', line: '', want: undefined },
    { name: 'no state after comm', line: '12 (x)', want: undefined },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = parseStat(c.line);
      if (c.want === undefined) return assert.equal(got, undefined);
      assert.ok(got);
      for (const [k, v] of Object.entries(c.want)) assert.deepEqual(got[k as keyof typeof got], v, k);
    });
  }
  it('keeps the kernel-thread flag readable', () => {
    assert.ok((parseStat(statLine({ pid: 3, ppid: 2, flags: 0x4208060 }))!.flags & PF_KTHREAD) !== 0);
    assert.equal(parseStat(statLine({ pid: 4, ppid: 1 }))!.flags & PF_KTHREAD, 0);
  });
});

describe('parseStatus', () => {
  const real = fs.readFileSync(path.join(fixturesDir(), 'proc', '204', 'status'), 'latin1');
  const cases: { name: string; text: string; nsPids: number[] | null; uid: number | null; tgid?: number }[] = [
    { name: 'nested NSpid, outermost first', text: real, nsPids: [204, 4, 1], uid: 0, tgid: 204 },
    { name: 'a thread: Tgid is its process', text: 'Tgid:\t300\nPid:\t301\nUid:\t0\t0\t0\t0\nNSpid:\t301\n', nsPids: [301], uid: 0, tgid: 300 },
    { name: 'effective UID is the second', text: 'Uid:\t1000\t0\t0\t0\nNSpid:\t5\n', nsPids: [5], uid: 0 },
    { name: 'old kernel without NSpid', text: 'Name:\tx\nUid:\t1\t1\t1\t1\n', nsPids: null, uid: 1 },
    { name: 'NSpid last line without newline', text: 'Uid:\t3\t3\t3\t3\nNSpid:\t10\t2', nsPids: [10, 2], uid: 3 },
    { name: 'NStgid is not NSpid', text: 'NStgid:\t7\t1\nUid:\t0\t0\t0\t0\n', nsPids: null, uid: 0 },
    { name: 'garbage', text: 'NSpid:\tx\nUid:\n', nsPids: null, uid: null },
  ];
  for (const c of cases) {
    it(c.name, () => assert.deepEqual(parseStatus(c.text), { nsPids: c.nsPids, uid: c.uid, tgid: c.tgid ?? null }));
  }
});

describe('parseCmdline', () => {
  const cases: [string, string, string][] = [
    ['sleep\x001000\0', 'sleep', 'sleep 1000'],
    ["python3\0-c\0print('a  b')\0", 'python3', "python3 -c print('a  b')"],
    ['a\0\0b\0', 'a', 'a  b'],
    ['trailing NULs\0\0\0', 'x', 'trailing NULs'],
    ['nginx: worker process', 'nginx', 'nginx: worker process'],
    ['', 'kworker/0:1', '[kworker/0:1]'],
    ['\0', 'sh', '[sh]'],
    ['café\0crème\0', 'café', 'café crème'],
  ];
  for (const [raw, comm, want] of cases) {
    it(JSON.stringify(raw), () => assert.equal(parseCmdline(raw, comm), want));
  }
});

describe('parseNsLink', () => {
  const cases: [string, number | undefined][] = [
    ['pid:[4026531836]', 4026531836],
    ['pid:[1]', 1],
    ['pid:[]', undefined],
    ['pid:[12x]', undefined],
    ['pid:4026531836', undefined],
    ['/proc/1/ns/pid', undefined],
  ];
  for (const [link, want] of cases) it(link, () => assert.equal(parseNsLink(link), want));
});

describe('parsePasswd', () => {
  it('maps UIDs to the first name, skipping comments and broken lines', () => {
    const users = parsePasswd(fs.readFileSync(path.join(fixturesDir(), 'passwd'), 'utf8'));
    assert.deepEqual([...users], [[0, 'root'], [1, 'daemon'], [1000, 'alice']]);
  });
  it('lists every account with its UID and primary GID, in order (delegate-cgroup looks a name up there)', () => {
    const entries = parsePasswdEntries(fs.readFileSync(path.join(fixturesDir(), 'passwd'), 'utf8'));
    assert.deepEqual(entries.map((e) => [e.name, e.uid, e.gid]), [['root', 0, 0], ['daemon', 1, 1], ['alice', 1000, 1000], ['toor', 0, 0]]);
    assert.deepEqual(parsePasswdEntries('bob:x:1001:oops:::\n'), [{ name: 'bob', uid: 1001, gid: -1 }]);
  });
});

describe('small system facts', () => {
  it('finds AT_PAGESZ in an auxiliary vector', () => {
    const auxv = Buffer.alloc(64);
    auxv.writeBigUInt64LE(33n, 0); // AT_SYSINFO_EHDR
    auxv.writeBigUInt64LE(0x7ffd0000n, 8);
    auxv.writeBigUInt64LE(6n, 16); // AT_PAGESZ
    auxv.writeBigUInt64LE(16384n, 24);
    assert.equal(parseAuxvPageSize(auxv), 16384);
    assert.equal(parseAuxvPageSize(Buffer.alloc(32)), undefined);
  });
  it('reads the open-files soft limit', () => {
    const limits = 'Limit                     Soft Limit           Hard Limit           Units     \n' +
      'Max open files            20000                524288               files     \n';
    assert.equal(parseOpenFilesLimit(limits), 20000);
    assert.equal(parseOpenFilesLimit('Max open files            unlimited            unlimited            files\n'), undefined);
  });
  it('decodes UTF-8 read as latin1, leaving ASCII alone', () => {
    assert.equal(latin1ToUtf8(Buffer.from('café').toString('latin1')), 'café');
    assert.equal(latin1ToUtf8('plain'), 'plain');
  });
});

describe('parseBootTimeMs', () => {
  const cases: Array<[string, number | undefined]> = [
    ['cpu  1 2 3\nbtime 1700000000\nprocesses 5\n', 1_700_000_000_000],
    ['btime 12\n', 12_000],
    ['cpu  1 2 3\n', undefined],
    ['cpu  1 2 3\nbtimes 5\n', undefined],
    ['btime x\n', undefined],
  ];
  for (const [text, ms] of cases) it(JSON.stringify(text), () => assert.equal(parseBootTimeMs(text), ms));
});
