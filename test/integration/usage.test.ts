// What a container costs, read for real: a container of the real helper holds a known amount of memory, and
// `mini-containers stats --no-stream` agrees with `ps --json` read at the same moment. Where the container's PID 1
// is in a cgroup of Mini Containers' own (a `mini-containers` segment) the figures are the cgroup's; else (no group
// of its own on this host, as for a container started by hand) memory is the sum of its processes' RSS, which must
// agree with their VmRSS within 10 %. Both cases are checked whichever this host gives; the log says which ran.
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import type { PsJson } from '../../src/core/model/format';
import { onInterrupt } from '../e2e/cleanup';
import { helperPath, makeRootfs, makeTempDir, readStarted, requireRoot, spawnHelper, stopAllHelpers, waitFor } from './harness';
import { processesInNamespaceOf } from './hostProcs';

const cli = path.resolve(__dirname, '..', '..', 'cli.js');
const run = promisify(execFile);
const MIB = 1024 * 1024;
/** What the container's dd holds: its one block, read from /dev/zero, while it waits to write it to a pipe. */
const HELD_MIB = 48;

/** `NAME … 12 MiB / 24 GiB …` → bytes of the usage, from `stats`'s row whose PID column is `initPid`. */
function statsRow(table: string, initPid: number): { memoryBytes: number; rss: boolean; pids: number } | undefined {
  for (const line of table.split('\n').slice(1)) {
    const m = new RegExp(`\\s${initPid}\\s+\\S+\\s+(≈?)([\\d.]+) (B|KiB|MiB|GiB) / \\S+ \\S+\\s+\\S+\\s+(\\d+)$`).exec(line);
    if (!m) continue;
    const unit = { B: 1, KiB: 1024, MiB: MIB, GiB: 1024 * MIB }[m[3] as 'B' | 'KiB' | 'MiB' | 'GiB'];
    return { memoryBytes: Number(m[2]) * unit, rss: m[1] === '≈', pids: Number(m[4]) };
  }
  return undefined;
}

/** Sum of VmRSS over processes, in bytes (0 for one that ended). */
function vmRssSum(pids: readonly number[]): number {
  let sum = 0;
  for (const pid of pids) {
    try {
      const m = /^VmRSS:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) sum += Number(m[1]) * 1024;
    } catch {
      // ended
    }
  }
  return sum;
}

describe('usage: mini-containers stats and ps --json', () => {
  let tmp: string;
  let initPid: number;
  let byHand: ChildProcess | undefined;
  let byHandInit: number | undefined;

  before(async () => {
    requireRoot();
    tmp = makeTempDir('usage');
    const rootfs = await makeRootfs(tmp);
    const status = path.join(tmp, 'status.jsonl');
    spawnHelper(['start', '--rootfs', rootfs, '--status-file', status, '--', '/bin/sh', '-c',
      `dd if=/dev/zero bs=${HELD_MIB}M count=1 2>/dev/null | sleep 1000 & wait`]);
    initPid = (await waitFor(() => readStarted(status), 10_000)).initPid;
    // dd has its block once its RSS passes it.
    await waitFor(() => vmRssSum(processesInNamespaceOf(initPid)) > HELD_MIB * MIB, 10_000);
  });

  after(async () => {
    // Its PID 1 first: its end ends every process of its namespace.
    if (byHandInit !== undefined) try { process.kill(byHandInit, 'SIGKILL'); } catch { /* ended */ }
    byHand?.kill('SIGKILL');
    await stopAllHelpers();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('stats --no-stream agrees with ps --json, and the figure is the cgroup\'s or the RSS sum, as the host allows', async () => {
    const [stats, ps] = await Promise.all([run(process.execPath, [cli, 'stats', '--no-stream']), run(process.execPath, [cli, 'ps', '--json'])]);
    const container = (JSON.parse(ps.stdout) as PsJson).containers.find((c) => c.initHostPid === initPid);
    assert.ok(container?.usage, `no usage for ${initPid} in ps --json:\n${ps.stdout}`);
    const usage = container.usage;
    const row = statsRow(stats.stdout, initPid);
    assert.ok(row, `no row for ${initPid} in:\n${stats.stdout}`);
    assert.ok(usage.memoryBytes !== null);
    // The table rounds (12 MiB, 1.5 MiB): within 2 %, or 1 MiB.
    assert.ok(Math.abs(row.memoryBytes - usage.memoryBytes) <= Math.max(MIB, usage.memoryBytes * 0.02),
      `stats ${row.memoryBytes} vs ps --json ${usage.memoryBytes}`);
    assert.equal(row.rss, usage.memorySource === 'rss');
    assert.equal(row.pids, usage.pids);
    assert.ok(usage.memoryBytes >= HELD_MIB * MIB, `${usage.memoryBytes} bytes, less than the ${HELD_MIB} MiB dd holds`);
    for (const p of container.processes) assert.equal(typeof p.rssBytes, 'number');

    const cgroupText = fs.readFileSync(`/proc/${initPid}/cgroup`, 'utf8');
    if (/\/mini-containers\//.test(cgroupText)) {
      console.log(`usage: the container has a cgroup of its own: checked the cgroup's figures (${usage.memoryBytes} bytes)`);
      assert.equal(usage.memorySource, 'cgroup');
      assert.ok(usage.pids !== null && usage.pids >= 3, `pids ${usage.pids}`);
      assert.equal(typeof usage.oomKills, 'number');
    } else {
      console.log('usage: the container has no cgroup of its own on this host: checked the sum of its processes\' RSS');
      assert.equal(usage.memorySource, 'rss');
      const vmRss = vmRssSum(container.processes.map((p) => p.hostPid));
      assert.ok(Math.abs(usage.memoryBytes - vmRss) <= vmRss * 0.1, `RSS sum ${usage.memoryBytes} vs VmRSS sum ${vmRss}`);
      assert.equal(usage.pids, container.processes.length);
      assert.equal(usage.oomKills, null);
    }
  });

  it('a container started by hand (unshare) has no group of its own: the sum of its processes\' RSS, within 10 % of VmRSS', async () => {
    // --kill-child: should this test die first, the container dies with unshare.
    byHand = spawn('unshare', ['--pid', '--fork', '--kill-child', '/bin/sh', '-c', `dd if=/dev/zero bs=${HELD_MIB}M count=1 2>/dev/null | sleep 1000 & wait`], { stdio: 'ignore' });
    const init = await waitFor(() => {
      const child = fs.readFileSync(`/proc/${byHand!.pid}/task/${byHand!.pid}/children`, 'utf8').trim();
      return child ? Number(child.split(' ')[0]) : undefined;
    }, 5_000);
    byHandInit = init;
    await waitFor(() => vmRssSum(processesInNamespaceOf(init)) > HELD_MIB * MIB, 10_000);
    const ps = await run(process.execPath, [cli, 'ps', '--json']);
    const container = (JSON.parse(ps.stdout) as PsJson).containers.find((c) => c.initHostPid === init);
    assert.ok(container?.usage, `no usage for ${init} in ps --json:\n${ps.stdout}`);
    assert.equal(container.usage.memorySource, 'rss');
    const vmRss = vmRssSum(container.processes.map((p) => p.hostPid));
    const memory = container.usage.memoryBytes ?? 0;
    assert.ok(Math.abs(memory - vmRss) <= vmRss * 0.1, `RSS sum ${memory} vs VmRSS sum ${vmRss}`);
    assert.ok(memory >= HELD_MIB * MIB);
  });
});

describe('usage: a rootless container, as ps --json says it', () => {
  const name = `mc-us-${randomBytes(3).toString('hex')}`;
  let uid = 0;
  let home = '';
  let child: ChildProcess | undefined;
  let unregister = () => {};

  /** Takes back the user and their files; synchronous, so that an interrupt runs it whole. */
  function takeBack(): void {
    child?.kill('SIGKILL');
    spawnSync('userdel', ['--force', '--remove', name]);
    if (uid) fs.rmSync(`/tmp/mini-containers-${uid}`, { recursive: true, force: true });
    if (home) fs.rmSync(home, { recursive: true, force: true });
  }

  before(() => {
    requireRoot();
    unregister = onInterrupt(takeBack);
    const made = spawnSync('useradd', ['--create-home', '--user-group', '--shell', '/bin/sh', name], { encoding: 'utf8' });
    assert.equal(made.status, 0, made.stderr);
    uid = Number(spawnSync('id', ['-u', name], { encoding: 'utf8' }).stdout.trim());
    home = `/home/${name}`;
  });

  after(() => {
    takeBack();
    unregister();
  });

  it('its memory is its own cgroup\'s where it has one, else the sum of its processes\' RSS, within 10 % of their VmRSS', async () => {
    const gid = Number(spawnSync('id', ['-g', name], { encoding: 'utf8' }).stdout.trim());
    const rootfs = await makeRootfs(home);
    const runtimeDir = path.join(home, 'run');
    fs.mkdirSync(runtimeDir, { mode: 0o700 });
    // The helper from where the user can read it: the clone may live where they cannot (root's home).
    const helperDir = path.join(home, 'helper');
    fs.mkdirSync(helperDir, { mode: 0o755 });
    for (const file of ['container-helper.sh', 'seccomp.bpf']) fs.copyFileSync(path.join(path.dirname(helperPath), file), path.join(helperDir, file));
    spawnSync('chown', ['-R', `${uid}:${gid}`, home]);
    const status = path.join(runtimeDir, 'status.jsonl');
    child = spawn('/bin/sh', [path.join(helperDir, 'container-helper.sh'), 'start', '--rootfs', rootfs, '--status-file', status, '--', '/bin/sh', '-c',
      `dd if=/dev/zero bs=${HELD_MIB}M count=1 2>/dev/null | sleep 1000 & wait`], {
      uid, gid, cwd: home, stdio: 'ignore', env: { PATH: '/usr/bin:/bin', HOME: home, XDG_RUNTIME_DIR: runtimeDir },
    });
    const { initPid } = await waitFor(() => readStarted(status), 10_000);
    await waitFor(() => vmRssSum(processesInNamespaceOf(initPid)) > HELD_MIB * MIB, 10_000);

    const ps = await run(process.execPath, [cli, 'ps', '--json']);
    const container = (JSON.parse(ps.stdout) as PsJson).containers.find((c) => c.initHostPid === initPid);
    assert.ok(container?.usage, `no usage for ${initPid} in ps --json:\n${ps.stdout}`);
    const memory = container.usage.memoryBytes ?? 0;
    assert.ok(memory >= HELD_MIB * MIB, `${memory} bytes, less than the ${HELD_MIB} MiB dd holds`);
    if (/\/mini-containers\//.test(fs.readFileSync(`/proc/${initPid}/cgroup`, 'utf8'))) {
      console.log('usage: the rootless container has a cgroup of its own: checked the cgroup\'s figures');
      assert.equal(container.usage.memorySource, 'cgroup');
    } else {
      console.log('usage: the rootless container has no cgroup of its own on this host: checked the sum of its processes\' RSS');
      assert.equal(container.usage.memorySource, 'rss');
      const vmRss = vmRssSum(container.processes.map((p) => p.hostPid));
      assert.ok(Math.abs(memory - vmRss) <= vmRss * 0.1, `RSS sum ${memory} vs VmRSS sum ${vmRss}`);
    }
  });
});
