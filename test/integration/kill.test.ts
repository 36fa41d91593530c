// `container-helper.sh kill`: it signals exactly the process named, inside the named container, and refuses
// everything else with 125 while the would-be victim lives on.
import assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { StartedEvent } from '../../src/core/helper/helperProtocol';
import {
  makeRootfs, makeTempDir, mountTable, readStarted, requireRoot, runHelper, spawnHelper, stopAllHelpers, waitFor,
  waitForNamespaceSize,
} from './harness';
import { childrenOf, isAlive, nsPids, processesInNamespaceOf, startTimeOf } from './hostProcs';

/** Start time as the helper's argument. */
const startTime = (pid: number): string => String(startTimeOf(pid));

interface Running {
  started: StartedEvent;
  /** Host PIDs of its processes other than PID 1. */
  others: number[];
}

describe('container-helper.sh kill', () => {
  let tmp: string;
  let rootfs: string;
  let a: Running;
  let b: Running;
  let hostSleep: ChildProcess;
  let mountsBefore: string;

  async function startContainer(label: string, script: string, count: number, flags: string[] = []): Promise<Running> {
    const status = path.join(tmp, `${label}.jsonl`);
    spawnHelper(['start', '--rootfs', rootfs, '--status-file', status, ...flags, '--', '/bin/sh', '-c', script]);
    const started = await waitFor(() => readStarted(status));
    const all = await waitForNamespaceSize(started.initPid, count);
    return { started, others: all.filter((p) => p !== started.initPid) };
  }

  const killArgs = (c: Running, pid: number, signal = 'TERM', pidStart = startTime(pid)) => [
    'kill', '--container', String(c.started.initPid), '--container-start-time', String(c.started.startTime),
    '--pid', String(pid), '--start-time', pidStart, '--signal', signal,
  ];

  before(async () => {
    requireRoot();
    mountsBefore = mountTable();
    tmp = makeTempDir('kill');
    rootfs = await makeRootfs(tmp);
    hostSleep = spawn('sleep', ['600'], { stdio: 'ignore' });
    a = await startContainer('a', 'sleep 1001 & sleep 1002 & sleep 1003 & wait', 4);
    // B's sleeps get the same namespace PIDs as A's: a number alone must never be enough to hit them.
    b = await startContainer('b', 'sleep 1001 & sleep 1002 & sleep 1003 & wait', 4);
  });

  after(async () => {
    hostSleep?.kill('SIGKILL');
    await stopAllHelpers();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('sends the signal to a process of the container, and to nothing else', async () => {
    const [victim, ...rest] = a.others;
    const result = await runHelper(killArgs(a, victim, 'TERM'));
    assert.equal(result.code, 0, result.stderr);
    await waitFor(() => !isAlive(victim), 1_000);
    for (const pid of [...rest, a.started.initPid, ...b.others, hostSleep.pid!]) assert.ok(isAlive(pid), `${pid} lives`);
  });

  const refusals: Array<[string, () => string[], RegExp]> = [
    ['a host process', () => killArgs(a, hostSleep.pid!), /is not in container/],
    ['the host PID 1 as container', () => ['kill', '--container', '1', '--container-start-time', startTime(1),
      '--pid', '1', '--start-time', startTime(1), '--signal', 'KILL'], /not the PID 1 of a container/],
    ['the host PID 1 as target', () => killArgs(a, 1, 'KILL'), /is not in container/],
    ["another container's process", () => killArgs(a, b.others[0]), /not in this container/],
    ['a stale start time', () => killArgs(a, a.others[1], 'KILL', String(Number(startTime(a.others[1])) - 1)),
      /has ended/],
    ["a stale container start time", () => [...killArgs(a, a.others[1])].map((v, i, all) =>
      all[i - 1] === '--container-start-time' ? String(Number(v) + 1) : v), /container .* has ended/],
    ['a PID that is not a number', () => killArgs(a, a.others[1]).map((v, i, all) => all[i - 1] === '--pid' ? '12a' : v),
      /--pid must be a PID/],
    ['a negative PID', () => killArgs(a, a.others[1]).map((v, i, all) => all[i - 1] === '--pid' ? '-5' : v), /--pid must be a PID/],
    ['PID 0', () => killArgs(a, a.others[1]).map((v, i, all) => all[i - 1] === '--pid' ? '0' : v), /--pid must be a PID/],
    ['a PID with a leading zero', () => killArgs(a, a.others[1]).map((v, i, all) => all[i - 1] === '--pid' ? `0${v}` : v),
      /--pid must be a PID/],
    ['a huge PID', () => killArgs(a, a.others[1]).map((v, i, all) => all[i - 1] === '--pid' ? '99999999999' : v),
      /--pid must be a PID/],
    ['an unknown signal', () => killArgs(a, a.others[1], 'FOO'), /--signal must be/],
    ['signal 0', () => killArgs(a, a.others[1], '0'), /--signal must be/],
    ['signal 32', () => killArgs(a, a.others[1], '32'), /--signal must be/],
    ['a lower-case signal', () => killArgs(a, a.others[1], 'term'), /--signal must be/],
    ['a duplicate flag', () => [...killArgs(a, a.others[1]), '--pid', String(a.others[1])], /--pid given twice/],
    ['an unknown flag', () => [...killArgs(a, a.others[1]), '--force'], /unknown argument to kill: --force/],
    ['a missing flag', () => killArgs(a, a.others[1]).slice(0, -2), /kill needs --signal/],
  ];
  for (const [title, args, message] of refusals) {
    it(`refuses ${title}: 125, and every process lives`, async () => {
      const everyone = [...a.others.slice(1), a.started.initPid, ...b.others, b.started.initPid, hostSleep.pid!, 1];
      const result = await runHelper(args());
      assert.equal(result.code, 125, result.stderr);
      assert.match(result.stderr, message);
      assert.match(result.stderr, /^container-helper: [^\n]+\n$/);
      for (const pid of everyone) assert.ok(isAlive(pid), `${pid} lives`);
    });
  }

  it('accepts a signal number and SIG-prefixed names', async () => {
    const result = await runHelper(killArgs(a, a.others[1], 'SIGKILL'));
    assert.equal(result.code, 0, result.stderr);
    await waitFor(() => !isAlive(a.others[1]), 1_000);
  });

  it('kills a process of a container nested in the container', async () => {
    // Making a namespace needs CAP_SYS_ADMIN, which only a --privileged container keeps.
    const nested = await startContainer('nested', 'unshare -pf sleep 1004; exec sleep 1005', 2, ['--privileged']);
    const unsharePid = nested.others[0];
    const inner = await waitFor(() => childrenOf(unsharePid)[0]);
    assert.equal(nsPids(inner).length, 3, 'a process two namespaces deep');
    assert.equal(nsPids(inner)[2], 1, 'PID 1 of the nested namespace');
    const result = await runHelper(killArgs(nested, inner, 'KILL'));
    assert.equal(result.code, 0, result.stderr);
    await waitFor(() => !isAlive(inner), 1_000);
    assert.ok(isAlive(nested.started.initPid), 'the outer container lives');
  });

  it('killing PID 1 empties the container', async () => {
    const everyone = processesInNamespaceOf(b.started.initPid);
    assert.ok(everyone.length >= 2);
    const result = await runHelper(killArgs(b, b.started.initPid, 'KILL'));
    assert.equal(result.code, 0, result.stderr);
    await waitFor(() => everyone.every((p) => !isAlive(p)), 1_000);
  });

  it('leaves no mount behind', () => assert.equal(mountTable(), mountsBefore));
});
