// What a container costs, read for real: a container of the real helper holds a known amount of memory, and
// `mini-containers stats --no-stream` agrees with `ps --json` read at the same moment. Where the container's PID 1
// is in a cgroup of Mini Containers' own (a `mini-containers` segment) the figures are the cgroup's; else (no group
// of its own on this host, as for a container started by hand) memory is the sum of its processes' RSS, which must
// agree with their VmRSS within 10 %. Both cases are checked whichever this host gives; the log says which ran.
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import type { PsJson } from '../../src/core/model/format';
import { makeRootfs, makeTempDir, readStarted, requireRoot, spawnHelper, stopAllHelpers, waitFor } from './harness';
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
