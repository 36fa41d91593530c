// The control channel: a FIFO owned by the user who started the container, through which that user can signal
// processes of that one container without asking for root again.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { formatKillRequest, StartedEvent } from '../../src/core/helper/helperProtocol';
import {
  makeRootfs, makeTempDir, readStarted, requireRoot, signalAnswers, spawnHelper, stopAllHelpers, waitFor,
  waitForNamespaceSize, writeFifo,
} from './harness';
import { isAlive, startTimeOf } from './hostProcs';

describe('the control channel', () => {
  let tmp: string;
  let rootfs: string;

  async function start(label: string, env: NodeJS.ProcessEnv = {}) {
    const folder = path.join(tmp, label);
    fs.mkdirSync(folder);
    const status = path.join(folder, 'status.jsonl');
    const child = spawnHelper(['start', '--rootfs', rootfs, '--status-file', status, '--', '/bin/sh', '-c',
      'sleep 1001 & sleep 1002 & wait'], { env });
    const started: StartedEvent = await waitFor(() => readStarted(status));
    const pids = (await waitForNamespaceSize(started.initPid, 3)).filter((p) => p !== started.initPid);
    return { status, started, pids, child };
  }

  before(async () => {
    requireRoot();
    tmp = makeTempDir('control');
    rootfs = await makeRootfs(tmp);
  });
  after(async () => {
    await stopAllHelpers();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  // As root's own call the FIFO is root's; under sudo (test/integration/sudoCaller.test.ts) it is the caller's.
  it('is a FIFO, mode 0600, in a folder only root can change', async () => {
    const { started } = await start('owner');
    const stat = fs.lstatSync(started.control!);
    assert.ok(stat.isFIFO());
    assert.equal(stat.uid, 0);
    assert.equal(stat.mode & 0o777, 0o600);
    const dir = fs.statSync(path.dirname(started.control!));
    assert.equal(dir.uid, 0);
    assert.equal(dir.mode & 0o022, 0, 'not group- or world-writable');
  });

  it('an inherited SUDO_UID does not make root a caller: the status file and FIFO are made as for root', async () => {
    const { started, status } = await start('inherited', { SUDO_UID: '65534' });
    assert.equal(fs.lstatSync(started.control!).uid, 0);
    assert.equal(fs.lstatSync(status).uid, 0);
    assert.equal(path.dirname(started.control!), '/run/mini-containers/0');
  });

  it('signals a process of its own container and answers; refuses the rest, which lives', async () => {
    const a = await start('a');
    const b = await start('b');
    const write = (line: string) => writeFifo(a.started.control!, line);
    const target = (pid: number, signal: 'TERM' | 'KILL' = 'TERM') => ({
      initPid: a.started.initPid, initStartTime: a.started.startTime, pid, startTime: startTimeOf(pid), signal,
    });
    await write(formatKillRequest(1, target(a.pids[0])));
    await write(formatKillRequest(2, target(b.pids[0])));
    await write(formatKillRequest(3, { ...target(b.started.initPid), initPid: b.started.initPid, initStartTime: b.started.startTime }));
    await write(formatKillRequest(4, target(process.pid)));
    await write('kill 5 $(id) 1 2 3 TERM\n');
    await write('rm -rf /\n');
    const got = await waitFor(() => (signalAnswers(a.status).length === 6 ? signalAnswers(a.status) : undefined), 5_000);
    assert.deepEqual(got.map((r) => [r.id, r.ok]), [[1, true], [2, false], [3, false], [4, false], [5, false], [0, false]]);
    assert.match(got[1].error!, /not in this container/);
    assert.match(got[2].error!, /not the PID 1 of this channel's container/);
    assert.match(got[3].error!, /not in container/);
    await waitFor(() => !isAlive(a.pids[0]), 1_000);
    for (const pid of [a.pids[1], a.started.initPid, ...b.pids, b.started.initPid]) assert.ok(isAlive(pid), `${pid} lives`);
  });

  it('goes away with its container', async () => {
    const c = await start('gone');
    const exited = new Promise((resolve) => c.child.on('close', resolve));
    await writeFifo(c.started.control!, formatKillRequest(1, {
      initPid: c.started.initPid, initStartTime: c.started.startTime, pid: c.started.initPid,
      startTime: c.started.startTime, signal: 'KILL',
    }));
    assert.equal(await exited, 137);
    assert.equal(fs.existsSync(c.started.control!), false);
  });
});
