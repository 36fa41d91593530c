import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { buildModel } from '../../src/core/model/containerModel';
import { ContainerRegistry } from '../../src/core/helper/registry';
import { ProcessScanner } from '../../src/core/proc/processScanner';
import type { ContainerUsage } from '../../src/core/proc/cgroupUsage';
import { containerUsageLines, containerUsageWords, formatStatsTable, meteredContainers, processUsageWords } from '../../src/core/model/usageText';
import { fixturesDir } from './fixtures/fakeProc';

const fixtures = fixturesDir();
const model = buildModel(
  new ProcessScanner({ procRoot: path.join(fixtures, 'proc'), passwdPath: path.join(fixtures, 'passwd'), maxOpenFiles: 0 }).scan(),
  { records: new ContainerRegistry(path.join(fixtures, 'registry')).read(), rootOf: () => null },
);
const MIB = 1024 * 1024;
const GIB = 1024 * MIB;
const cgroup: ContainerUsage = {
  memoryBytes: 12 * MIB, memorySource: 'cgroup', memoryLimitBytes: 512 * MIB, pids: 6, pidsLimit: 100, cpusLimit: 1.5, cpuPercent: 3.25, oomKills: 1,
};
const rss: ContainerUsage = {
  memoryBytes: 3 * MIB, memorySource: 'rss', memoryLimitBytes: null, pids: 2, pidsLimit: null, cpusLimit: null, cpuPercent: 0, oomKills: null,
};

describe('meteredContainers', () => {
  it("counts a nested container's processes in its parent too, as its cgroup does", () => {
    const [web, nested] = meteredContainers(model);
    assert.equal(web.processes.length, model.containers[0].processes.length + model.containers[1].processes.length);
    assert.equal(nested.processes.length, model.containers[1].processes.length);
  });
});

describe('usage words', () => {
  it("a container's description and tooltip: the cgroup's figures against their limits", () => {
    assert.equal(containerUsageWords(cgroup), '12 MiB · 3.3% CPU');
    assert.deepEqual(containerUsageLines(cgroup), [
      'Memory: 12 MiB of 512 MiB (2.3%)', 'Processes: 6 of at most 100', 'CPU: 3.3% (100% = one core) · quota: 1.5 CPUs',
      'Processes killed for lack of memory (OOM): 1',
    ]);
  });
  it('marks a sum of RSS as such', () => {
    assert.equal(containerUsageWords(rss), '≈3.0 MiB (RSS) · 0.0% CPU');
    assert.match(containerUsageLines(rss)[0], /^Memory: ≈3\.0 MiB, the sum of its processes' RSS/);
    assert.equal(containerUsageLines(rss)[2], 'CPU: 0.0% (100% = one core) · no quota');
  });
  it('a process: CPU % and RSS', () => assert.equal(processUsageWords({ rssBytes: 2048, cpuPercent: 12 }), '12.0% · 2.0 KiB'));
});

describe('stats table', () => {
  it('prints one aligned row per container, the host memory as limit when none, ≈ for RSS', () => {
    const usage = new Map([[model.containers[0].key, cgroup], [model.containers[1].key, rss]]);
    assert.equal(formatStatsTable(model, usage, 8 * GIB), [
      'NAME            PID   CPU %    MEM USAGE / LIMIT   MEM %   PIDS',
      'web             201    3.3%     12 MiB / 512 MiB    2.3%      6',
      'container 204   204    0.0%   ≈3.0 MiB / 8.0 GiB    0.0%      2',
      '',
    ].join('\n'));
  });
  it('shows what is not known as --', () => {
    const table = formatStatsTable({ ...model, containers: [model.containers[1]] }, new Map(), 8 * GIB);
    assert.equal(table.split('\n')[1], 'container 204   204      --        -- / 8.0 GiB      --     --');
  });
});
