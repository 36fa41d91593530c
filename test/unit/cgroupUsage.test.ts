import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { ownGroup, readCgroupFigures, UsageMeter } from '../../src/core/proc/cgroupUsage';
import type { ProcessInfo } from '../../src/core/proc/processScanner';

const ID = 'e4dba9de9a2b1f54afeb65f57b33836a2f7f7ca6fe25b91a64317eea0032090d';
const temps: string[] = [];
after(() => { for (const t of temps) fs.rmSync(t, { recursive: true, force: true }); });

/** A fixture tree: relative path → file text. */
function tree(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mc-unit-cgroup-usage-'));
  temps.push(root);
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  }
  return root;
}

const V1_NONE = '9223372036854771712\n';
const MIB = 1024 * 1024;

describe('ownGroup', () => {
  const cases: [string, string | undefined][] = [
    ['/mini-containers/1234-5678', '/mini-containers/1234-5678'],
    ['/mini-containers/1234-5678/sub', '/mini-containers/1234-5678'],
    ['/user.slice/user-1000.slice/user@1000.service/mini-containers/user-1000/42-99', '/user.slice/user-1000.slice/user@1000.service/mini-containers/user-1000/42-99'],
    ['/mini-containers', undefined],
    ['/mini-containers/user-1000', undefined],
    [`/docker/${ID}`, `/docker/${ID}`],
    [`/system.slice/docker-${ID}.scope`, `/system.slice/docker-${ID}.scope`],
    [`/machine.slice/libpod-${ID}.scope/container`, `/machine.slice/libpod-${ID}.scope`],
    ['/machine.slice/machine-debian.scope/payload', '/machine.slice/machine-debian.scope'],
    ['/machine.slice/systemd-nspawn@deb.service/payload', '/machine.slice/systemd-nspawn@deb.service'],
    ['/user.slice/user-1000.slice/session-2.scope', undefined],
    ['/', undefined],
  ];
  for (const [p, want] of cases) it(p, () => assert.equal(ownGroup(p), want));
});

describe('readCgroupFigures', () => {
  it('cgroup v2: memory.current minus inactive_file, limits set', () => {
    const g = 'mini-containers/10-20';
    const root = tree({
      'cgroup.controllers': 'cpu memory pids\n',
      [`${g}/memory.current`]: `${30 * MIB}\n`,
      [`${g}/memory.stat`]: `anon 1000\nfile 5000\ninactive_file ${10 * MIB}\nactive_file 4\n`,
      [`${g}/memory.max`]: `${512 * MIB}\n`,
      [`${g}/memory.events`]: 'low 0\nhigh 0\nmax 3\noom 1\noom_kill 2\n',
      [`${g}/pids.current`]: '4\n',
      [`${g}/pids.max`]: '100\n',
      [`${g}/cpu.stat`]: 'usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\n',
      [`${g}/cpu.max`]: '150000 100000\n',
    });
    assert.deepEqual(readCgroupFigures(`0::/${g}\n`, root), {
      group: `/${g}`, memoryBytes: 20 * MIB, memoryLimitBytes: 512 * MIB, oomKills: 2, pids: 4, pidsLimit: 100,
      cpuUsec: 2_500_000, cpusLimit: 1.5,
    });
  });
  it('cgroup v2: no limits', () => {
    const g = `system.slice/docker-${ID}.scope`;
    const root = tree({
      'cgroup.controllers': 'cpu memory pids\n',
      [`${g}/memory.current`]: '1000\n', [`${g}/memory.stat`]: 'inactive_file 0\n', [`${g}/memory.max`]: 'max\n',
      [`${g}/pids.current`]: '1\n', [`${g}/pids.max`]: 'max\n', [`${g}/cpu.max`]: 'max 100000\n', [`${g}/cpu.stat`]: 'usage_usec 7\n',
    });
    const f = readCgroupFigures(`0::/${g}\n`, root);
    assert.equal(f?.memoryBytes, 1000);
    assert.equal(f?.memoryLimitBytes, null);
    assert.equal(f?.pidsLimit, null);
    assert.equal(f?.cpusLimit, null);
    assert.equal(f?.oomKills, undefined); // no memory.events: absent, not an error
  });
  const v1Text = (g: string, cpu = '1:cpu:%\n2:cpuacct:%\n') =>
    `9:name=systemd:/user.slice\n8:pids:${g}\n4:memory:${g}\n${cpu.replace(/%/g, g)}0::/user.slice\n`;
  it('cgroup v1 hybrid (this machine): each controller its own line and mount, limits none', () => {
    const g = '/mini-containers/10-20';
    const root = tree({
      'unified/cgroup.controllers': '',
      [`memory${g}/memory.usage_in_bytes`]: `${8 * MIB}\n`,
      [`memory${g}/memory.stat`]: `cache 5\ninactive_file 1\ntotal_inactive_file ${2 * MIB}\n`,
      [`memory${g}/memory.limit_in_bytes`]: V1_NONE,
      [`memory${g}/memory.oom_control`]: 'oom_kill_disable 0\nunder_oom 0\noom_kill 0\n',
      [`pids${g}/pids.current`]: '3\n', [`pids${g}/pids.max`]: 'max\n',
      [`cpu${g}/cpu.cfs_quota_us`]: '-1\n', [`cpu${g}/cpu.cfs_period_us`]: '100000\n',
      [`cpuacct${g}/cpuacct.usage`]: '1500000000\n',
    });
    assert.deepEqual(readCgroupFigures(v1Text(g), root), {
      group: g, memoryBytes: 6 * MIB, memoryLimitBytes: null, oomKills: 0, pids: 3, pidsLimit: null,
      cpuUsec: 1_500_000, cpusLimit: null,
    });
  });
  it('cgroup v1, combined cpu,cpuacct mount, limits set', () => {
    const g = `/docker/${ID}`;
    const root = tree({
      [`cpu,cpuacct${g}/cgroup.procs`]: '1\n',
      [`cpu,cpuacct${g}/cpuacct.usage`]: '1000\n',
      [`cpu,cpuacct${g}/cpu.cfs_quota_us`]: '50000\n', [`cpu,cpuacct${g}/cpu.cfs_period_us`]: '100000\n',
      'cpu,cpuacct/cgroup.procs': '1\n',
      [`memory${g}/memory.usage_in_bytes`]: '4096\n', [`memory${g}/memory.limit_in_bytes`]: '1048576\n',
    });
    const f = readCgroupFigures(v1Text(g, '3:cpu,cpuacct:%\n'), root);
    assert.equal(f?.cpuUsec, 1);
    assert.equal(f?.cpusLimit, 0.5);
    assert.equal(f?.memoryBytes, 4096); // no memory.stat: nothing to subtract
    assert.equal(f?.memoryLimitBytes, 1048576);
    assert.equal(f?.pids, undefined);
  });
  it('cgroup v1, combined cpu,cpuacct reached by one controller\'s name only', () => {
    const g = `/docker/${ID}`;
    const root = tree({ [`cpuacct${g}/cpuacct.usage`]: '5000\n', [`cpu${g}/cpu.cfs_quota_us`]: '-1\n', [`cpu${g}/cpu.cfs_period_us`]: '100000\n' });
    const f = readCgroupFigures(v1Text(g, '3:cpuacct,cpu:%\n'), root);
    assert.equal(f?.cpuUsec, 5);
    assert.equal(f?.cpusLimit, null);
  });
  it('a group gone (every file missing): figures absent, no exception', () => {
    const root = tree({ 'cgroup.controllers': 'memory\n' });
    assert.deepEqual(readCgroupFigures('0::/mini-containers/1-2\n', root), { group: '/mini-containers/1-2' });
  });
  it('no group of its own (started by hand, or `/` in a cgroup namespace): undefined', () => {
    const root = tree({ 'cgroup.controllers': 'memory\n', 'user.slice/memory.current': '5\n' });
    assert.equal(readCgroupFigures('0::/user.slice\n', root), undefined);
    assert.equal(readCgroupFigures('0::/\n', root), undefined);
    assert.equal(readCgroupFigures('', root), undefined);
  });
});

function proc(hostPid: number, cpuTicks: number, rssBytes: number, startTime = 0): ProcessInfo {
  return {
    hostPid, ppid: 1, nsPids: [hostPid, 1], nsPid: 1, state: 'S', uid: 0, user: 'root', command: 'sh', comm: 'sh',
    startTime, rssBytes, cpuTicks, nsInode: 1, kernelThread: false,
  };
}

describe('UsageMeter', () => {
  it('with a cgroup: CPU % over two readings (100 = one core), at first since the container started', () => {
    const g = 'mini-containers/10-20';
    const root = tree({
      'cgroup.controllers': '',
      '100/cgroup': `0::/${g}\n`,
      [`${g}/cpu.stat`]: 'usage_usec 1000000\n',
      [`${g}/memory.current`]: '4096\n',
    });
    let now = 10_000;
    // Booted at 0; the container started 2 s after boot (200 ticks), read at 10 s: 1 s of CPU over 8 s.
    const meter = new UsageMeter({ procRoot: root, cgroupRoot: root, bootMs: 0, now: () => now });
    const c = { key: '100:200', initHostPid: 100, startTime: 200, processes: [proc(100, 0, 100)] };
    let u = meter.measure([c]).containers.get(c.key)!;
    assert.equal(u.cpuPercent, 12.5);
    assert.equal(u.memorySource, 'cgroup');
    assert.equal(u.memoryBytes, 4096);
    fs.writeFileSync(path.join(root, g, 'cpu.stat'), 'usage_usec 2500000\n');
    now += 1000;
    u = meter.measure([c]).containers.get(c.key)!;
    assert.equal(u.cpuPercent, 150); // 1.5 s of CPU in 1 s: one core and a half
  });
  it('without a group: memory is the sum of RSS, CPU from ticks, and says so', () => {
    const root = tree({ 'cgroup.controllers': '', '100/cgroup': '0::/user.slice/session-1.scope\n' });
    let now = 10_000;
    const meter = new UsageMeter({ procRoot: root, cgroupRoot: root, bootMs: 0, now: () => now });
    const c = (ticks: number) => ({ key: 'k', initHostPid: 100, startTime: 0, processes: [proc(100, ticks, 1000), proc(101, 0, 500)] });
    let r = meter.measure([c(100)]);
    let u = r.containers.get('k')!;
    assert.equal(u.memorySource, 'rss');
    assert.equal(u.memoryBytes, 1500);
    assert.equal(u.pids, 2);
    assert.equal(u.memoryLimitBytes, null);
    assert.equal(u.cpuPercent, 10); // 1 s of CPU over 10 s since boot
    now += 2000;
    r = meter.measure([c(150)]);
    u = r.containers.get('k')!;
    assert.equal(u.cpuPercent, 25); // 0.5 s over 2 s
    assert.deepEqual(r.processes.get('100:0'), { rssBytes: 1000, cpuPercent: 25 });
    assert.deepEqual(r.processes.get('101:0'), { rssBytes: 500, cpuPercent: 0 });
    // A light poll (ticks not re-read): the last figures stay, and the next fresh reading measures from the last.
    now += 2000;
    assert.equal(meter.measure([c(150)], false).containers.get('k')!.cpuPercent, 25);
    now += 2000;
    assert.equal(meter.measure([c(350)]).containers.get('k')!.cpuPercent, 50); // 2 s over 4 s
  });
  it('a container gone: its files unreadable, its figures null', () => {
    const root = tree({});
    const meter = new UsageMeter({ procRoot: root, cgroupRoot: root, bootMs: 0, now: () => 1000 });
    const u = meter.measure([{ key: 'k', initHostPid: 100, startTime: 0, processes: [] }]).containers.get('k')!;
    assert.deepEqual(u, {
      memoryBytes: null, memorySource: 'rss', memoryLimitBytes: null, pids: 0, pidsLimit: null, cpusLimit: null, cpuPercent: null, oomKills: null,
    });
  });
});
