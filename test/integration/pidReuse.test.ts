// The PID reuse race, forced: a process of a container exits, and a new one gets exactly its namespace PID (by
// writing /proc/sys/kernel/ns_last_pid, which acts on the writer's own PID namespace), and also its host PID when
// nothing else on the host forks in between. A kill aimed at the old process, by `kill` or through the control
// channel, must be refused while the successor lives on.
import assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildKillArgs, formatKillRequest, KillTarget, StartedEvent } from '../../src/core/helper/helperProtocol';
import {
  controlChannelUp, makeRootfs, makeTempDir, readStarted, requireRoot, runHelper, signalAnswers, sleep, spawnHelper,
  stopAllHelpers, waitFor, waitForNamespaceSize, writeFifo,
} from './harness';
import { killEverythingOf, living, nsPids, pin, Pinned, processesInNamespaceOf, stillThere } from './hostProcs';
import { sized } from '../stress/kit';

const ROUNDS = sized(1, 10);

/** Lines a child prints, to wait on. */
function lines(child: ChildProcess): () => string[] {
  let text = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (text += d));
  return () => text.split('\n').slice(0, -1);
}

function lineValue(read: () => string[], tag: string): Promise<number> {
  return waitFor(() => {
    const line = read().find((l) => l.startsWith(`${tag} `));
    return line === undefined ? undefined : Number(line.slice(tag.length + 1));
  }, 5_000);
}

/** The host PID of the process that is `nsPid` in the namespace of `initPid`. */
function hostPidOf(initPid: number, nsPid: number): number | undefined {
  return processesInNamespaceOf(initPid).find((pid) => nsPids(pid).at(-1) === nsPid);
}

/** Sets the host's ns_last_pid so that the next PID the host hands out is `pid` when it is free. */
function nextHostPid(pid: number): void {
  fs.writeFileSync('/proc/sys/kernel/ns_last_pid', String(pid - 1));
}

interface Reuse {
  started: StartedEvent;
  status: string;
  victim: Pinned;
  victimNsPid: number;
  successor: Pinned;
}

/** Who writes the container's ns_last_pid and forks the successor. */
type Method = 'PID 1 of a --privileged container' | 'nsenter from the host, into a default container';

describe('PID reuse: a kill aimed at a process that exited never hits its successor', { timeout: 120_000 }, () => {
  let tmp: string;
  let rootfs: string;
  const nsenters: ChildProcess[] = [];
  let hostReuses = 0;
  let rounds = 0;

  before(async () => {
    requireRoot();
    tmp = makeTempDir('pidreuse');
    rootfs = await makeRootfs(tmp);
  });
  after(async () => {
    for (const child of nsenters) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await stopAllHelpers();
    if (tmp) killEverythingOf(tmp);
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    console.log(`[pidReuse] ${rounds} forced reuses of a namespace PID; the host PID was reused too in ${hostReuses}`);
  });

  async function forceReuse(method: Method, round: number): Promise<Reuse> {
    const label = `${method.startsWith('PID 1') ? 'pid1' : 'nsenter'}-${round}`;
    const status = path.join(tmp, `${label}.jsonl`);
    const go = path.join(rootfs, `go-${label}`);
    const privileged = method.startsWith('PID 1');
    // The victim is killed from the host and reaped by PID 1; then, on "go", PID 1 or the nsenter shell sets the
    // namespace's last PID to the victim's minus one and forks: the successor.
    const script = privileged
      ? `sleep 1000 & v=$!; echo "victim $v"; wait $v; echo "reaped 1"; read _ < /${path.basename(go)}; ` +
        'echo $((v - 1)) > /proc/sys/kernel/ns_last_pid; sleep 1000 & echo "successor $!"; exec sleep 1001'
      : 'sleep 1000 & v=$!; echo "victim $v"; wait $v; echo "reaped 1"; exec sleep 1000';
    if (privileged) await new Promise<void>((resolve, reject) => {
      spawn('mkfifo', ['-m', '600', go], { stdio: 'ignore' }).on('close', (c) => (c === 0 ? resolve() : reject(new Error(`mkfifo ${c}`))));
    });
    const helper = spawnHelper(['start', '--rootfs', rootfs, '--status-file', status, ...(privileged ? ['--privileged'] : []),
      '--', '/bin/sh', '-c', script]);
    const out = lines(helper);
    const started = await waitFor(() => readStarted(status));
    await controlChannelUp(helper.pid!, status);
    const victimNsPid = await lineValue(out, 'victim');
    const victim = pin(await waitFor(() => hostPidOf(started.initPid, victimNsPid)))!;

    let writer: ChildProcess | undefined;
    let writerOut: (() => string[]) | undefined;
    if (!privileged) {
      // A host shell in the container's PID namespace (like `docker exec`): it writes ns_last_pid through the
      // host's /proc, which acts on its own active PID namespace, the container's.
      writer = spawn('nsenter', ['--target', String(started.initPid), '--pid', '--', '/bin/sh', '-c',
        'read _; echo "$1" > /proc/sys/kernel/ns_last_pid; sleep 1000 & echo "successor $!"; wait', 'sh',
        String(victimNsPid - 1)], { stdio: ['pipe', 'pipe', 'inherit'] });
      nsenters.push(writer);
      writerOut = lines(writer);
      await waitForNamespaceSize(started.initPid, 3); // PID 1, victim, the shell
    }
    process.kill(victim.pid, 'SIGKILL');
    await lineValue(out, 'reaped');
    await waitFor(() => !stillThere(victim), 1_000);
    await sleep(30); // the successor must start at least one clock tick after the victim: start times differ
    nextHostPid(victim.pid);
    if (privileged) await writeFifo(go, 'go\n');
    else writer!.stdin!.write('go\n');
    const successorNsPid = await lineValue(writerOut ?? out, 'successor');
    const successorHost = await waitFor(() => hostPidOf(started.initPid, successorNsPid));
    const successor = pin(successorHost)!;
    rounds++;
    if (successor.pid === victim.pid) hostReuses++;
    console.log(`[pidReuse] ${method}: victim ns ${victimNsPid} host ${victim.pid} start ${victim.startTime}; ` +
      `successor ns ${successorNsPid} host ${successor.pid} start ${successor.startTime}` +
      (successor.pid === victim.pid ? ' (host PID reused too)' : ''));
    assert.equal(successorNsPid, victimNsPid, 'the successor has exactly the namespace PID of the exited process');
    assert.notEqual(successor.startTime, victim.startTime, 'their start times differ');
    return { started, status, victim, victimNsPid, successor };
  }

  /** SIGKILL for the process `pid` that started at `startTime`, in the container of `r`. */
  const target = (r: Reuse, pid: number, startTime: number): KillTarget => ({
    initPid: r.started.initPid, initStartTime: r.started.startTime, pid, startTime, signal: 'KILL',
  });
  const killArgs = (r: Reuse, pid: number, startTime: number) => buildKillArgs(target(r, pid, startTime));

  for (const method of ['PID 1 of a --privileged container', 'nsenter from the host, into a default container'] as const) {
    it(`refuses the old process's PID and start time; the successor lives (${method}, ${ROUNDS} round(s))`, async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const r = await forceReuse(method, round);
        const refused = r.successor.pid === r.victim.pid ? /has ended/ : /has ended|is not running|not in this container/;

        // The old host PID with the old start time: what a view that listed the victim still holds.
        const byOld = await runHelper(killArgs(r, r.victim.pid, r.victim.startTime));
        assert.equal(byOld.code, 125, byOld.stderr);
        assert.match(byOld.stderr, /^container-helper: [^\n]+\n$/);
        assert.match(byOld.stderr, refused);
        // The successor's host PID with the victim's start time.
        const bySuccessor = await runHelper(killArgs(r, r.successor.pid, r.victim.startTime));
        assert.equal(bySuccessor.code, 125, bySuccessor.stderr);
        assert.match(bySuccessor.stderr, /has ended/);
        assert.ok(living(r.successor), 'the successor lives after the refused kills');

        // The same two through the control channel, then the successor by its own start time: that one is sent.
        const control = r.started.control!;
        const request = (id: number, pid: number, startTime: number) => formatKillRequest(id, target(r, pid, startTime));
        await writeFifo(control, request(1, r.victim.pid, r.victim.startTime) + request(2, r.successor.pid, r.victim.startTime));
        const got = await waitFor(() => (signalAnswers(r.status).length === 2 ? signalAnswers(r.status) : undefined));
        assert.deepEqual(got.map((a) => [a.id, a.ok]), [[1, false], [2, false]]);
        assert.match(got[0].error!, refused);
        assert.match(got[1].error!, /has ended/);
        assert.ok(living(r.successor), 'the successor lives after the refused requests');
        await writeFifo(control, request(3, r.successor.pid, r.successor.startTime));
        await waitFor(() => signalAnswers(r.status).length === 3);
        assert.deepEqual(signalAnswers(r.status)[2], { event: 'signal', id: 3, ok: true });
        await waitFor(() => !living(r.successor), 1_000);

        const end = await runHelper(killArgs(r, r.started.initPid, r.started.startTime));
        assert.equal(end.code, 0, end.stderr);
      }
    });
  }
});
