// Reliability of the real helper under load and faults: hundreds of start/stop cycles ended four ways, an exact
// listing of many containers by the scanner, and a helper killed mid-start, a closed terminal, a PID 1 that
// ignores TERM, a rootfs removed under a running container. Sizes: CI by default, full with MC_STRESS=1
// (`npm run stress`). Figures measured are printed with console.log.
import assert from 'node:assert/strict';
import { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as pty from 'node-pty';
import { buildModel } from '../../src/core/model/containerModel';
import { buildKillArgs, StartedEvent } from '../../src/core/helper/helperProtocol';
import { ProcessScanner } from '../../src/core/proc/processScanner';
import { ContainerRegistry, containerKey } from '../../src/core/helper/registry';
import {
  controlChannelUp, controlFifoHoldersOf, controlFifoOf, helperPath, helperRunningAs, hostMountsUnder, lineDiff,
  makeRootfs, makeTempDir, mountTable, readStarted, recordsOfHelper, requireRoot, runHelper, sleep, spawnHelper,
  spinUntil, staleFilesOf, stopAllHelpers, waitFor, waitForNamespaceSize,
} from './harness';
import {
  childrenOf, commandOf as commandLine, killEverythingOf, killPinned, living, nsPids, pin, Pinned, pinTree,
  dirIdentity, processesInNamespaceOf, processesMentioning, processesWithRootUnder, readStat, stillThere, zombiesOf,
} from './hostProcs';
import { FULL, sized } from '../stress/kit';

const CYCLES = sized(40, 500);
const LISTED_CONTAINERS = 20;
const LISTED_PROCESSES = sized(25, 100);

/** How a cycle ends. The order repeats, so every ending is exercised CYCLES/4 times. */
const ENDINGS = ['normal exit', 'SIGTERM to the helper', 'SIGKILL to PID 1', 'SIGKILL to the helper'] as const;
type Ending = (typeof ENDINGS)[number];

/** PID 1 starts three background processes, then ends on USR1 (a handled signal reaches an init from the host). */
const CYCLE_SCRIPT = 'trap "exit 0" USR1; sleep 1000 & sleep 1000 & sleep 1000 & wait';

/** The command line of a process, for messages, with the helper's path shortened. */
function commandOf(pid: number): string {
  return commandLine(pid).replace(helperPath, 'helper');
}

/** The helper's exit: 'exit', not 'close', since a process that outlived it may hold its stdout. */
function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

describe(`reliability: ${CYCLES} start/stop cycles${FULL ? ' (full size)' : ''}`, { timeout: 600_000 }, () => {
  let tmp: string;
  let rootfs: string;
  let mountsBefore: string;
  const helperPids: number[] = [];
  const killedHelpers: number[] = [];
  const inits: Pinned[] = [];
  const everything: Pinned[] = [];
  /** Zombies of the container's or the helper's processes left to the host's init by a helper that did not die. */
  const orphaned: string[] = [];
  /** Cycles whose helper, sent SIGTERM, did not exit with 137 (its bwrap monitor, and so PID 1, SIGKILLed). */
  const wrongCodes: string[] = [];

  before(async () => {
    requireRoot();
    mountsBefore = mountTable();
    tmp = makeTempDir('cycles');
    rootfs = await makeRootfs(tmp);
    fs.mkdirSync(path.join(tmp, 'status'));
  });
  after(async () => {
    await stopAllHelpers();
    if (tmp) killEverythingOf(tmp);
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  async function cycle(i: number, ending: Ending): Promise<void> {
    const status = path.join(tmp, 'status', `${i}.jsonl`);
    const child = spawnHelper(['start', '--rootfs', rootfs, '--status-file', status, '--', '/bin/sh', '-c', CYCLE_SCRIPT]);
    const exit = exited(child);
    helperPids.push(child.pid!);
    const started: StartedEvent = await waitFor(() => readStarted(status), 10_000, 5);
    const container = new Set(await waitForNamespaceSize(started.initPid, 4, 5_000, 5));
    // Wait until the helper serves the control channel: then its only child is the bwrap monitor (no short-lived
    // subshell of its checks is pinned), and PID 1 runs the command, its parent-death signal set (a helper SIGKILLed
    // before that is the mid-start test's business).
    await controlChannelUp(child.pid!, status);
    // The helper, its bwrap monitor, PID 1 and the three sleeps.
    const tree = pinTree(child.pid!);
    assert.equal(tree.length, 6, `cycle ${i}: ${tree.map((p) => commandOf(p.pid)).join('; ')}`);
    const roles = new Map(tree.map((p) => [p.pid, commandOf(p.pid)]));
    inits.push({ pid: started.initPid, startTime: started.startTime });
    everything.push(...tree);
    const want = { code: 137, signal: null as NodeJS.Signals | null };
    switch (ending) {
      case 'normal exit':
        process.kill(started.initPid, 'SIGUSR1');
        want.code = 0;
        break;
      case 'SIGTERM to the helper':
        child.kill('SIGTERM');
        break;
      case 'SIGKILL to PID 1':
        process.kill(started.initPid, 'SIGKILL');
        break;
      case 'SIGKILL to the helper':
        child.kill('SIGKILL');
        killedHelpers.push(child.pid!);
        Object.assign(want, { code: null, signal: 'SIGKILL' });
        break;
    }
    const got = await exit;
    if (ending === 'SIGTERM to the helper' && got.code === 143) {
      wrongCodes.push(`cycle ${i}: 143`); // asserted by the exit-code test below
      want.code = 143;
    }
    assert.deepEqual(got, want, `cycle ${i} (${ending})`);
    if (got.code !== null) {
      assert.match(fs.readFileSync(status, 'utf8'), new RegExp(`\\{"event":"exited","code":${got.code}\\}\\n$`));
    }
    // Nothing lives on after 1 s. A SIGKILLed helper cannot reap: its bwrap monitor and PID 1 are then zombies,
    // children of the host's init, until it reaps them (1.5 to 2 s on the test VM); the last tests check they went.
    // Otherwise nothing is left at all, not even a zombie, but see `orphaned`.
    const killedHelper = ending === 'SIGKILL to the helper';
    const gone = killedHelper ? (p: Pinned) => !living(p) : (p: Pinned) => !stillThere(p);
    await waitFor(() => tree.every(gone), 1_000, 5).catch(() => undefined);
    const show = (p: Pinned) => `${p.pid} (${roles.get(p.pid)}) ${readStat(p.pid)?.state} ppid ${readStat(p.pid)?.ppid}`;
    assert.deepEqual(tree.filter(living).map(show), [], `cycle ${i} (${ending}): alive 1 s after the end`);
    for (const p of tree) {
      const stat = readStat(p.pid);
      if (stat?.startTime !== p.startTime) continue; // gone (maybe just now)
      assert.equal(stat.ppid, 1, `cycle ${i} (${ending}): a zombie left to its parent: ${show(p)}`);
      if (killedHelper) continue;
      // A zombie (it lives not: asserted above) of a helper that was not SIGKILLed: the next test fails on it. All
      // the cycles run first, so that it lists every such zombie, of the container (PID 1) or of the helper's own.
      const whose = container.has(p.pid) ? 'of the container' : "of the helper's own";
      orphaned.push(`cycle ${i} (${ending}): a zombie ${whose}: ${show(p)}`);
    }
  }

  it('starts and ends containers four ways, each time leaving none of their processes', async () => {
    const perEnding = new Map<Ending, number>();
    const t0 = performance.now();
    for (let i = 0; i < CYCLES; i++) {
      const ending = ENDINGS[i % ENDINGS.length];
      const t = performance.now();
      await cycle(i, ending);
      perEnding.set(ending, (perEnding.get(ending) ?? 0) + performance.now() - t);
    }
    const ms = performance.now() - t0;
    const each = [...perEnding].map(([e, total]) => `${e} ${(total / (CYCLES / ENDINGS.length)).toFixed(0)} ms`);
    console.log(`[reliability] ${CYCLES} start/stop cycles in ${(ms / 1000).toFixed(1)} s: ` +
      `${(CYCLES / (ms / 1000)).toFixed(1)} cycles/s (mean per cycle: ${each.join(', ')})`);
  });

  it('reaps its own processes: leaves no zombie to the host\'s init unless it was SIGKILLed', () => {
    console.log(`[reliability] zombies left to the host's init by helpers that were not SIGKILLed: ${orphaned.length}`);
    assert.deepEqual(orphaned, []);
  });

  it('exits with 137 when sent SIGTERM: PID 1 was SIGKILLed', () => {
    console.log(`[reliability] helpers sent SIGTERM that exited 143 instead of 137: ${wrongCodes.length} of ` +
      `${Math.ceil(CYCLES / ENDINGS.length)}`);
    assert.deepEqual(wrongCodes, []);
  });

  it('leaves the host mount table exactly as it was', () => {
    const now = mountTable();
    assert.equal(now, mountsBefore, lineDiff(mountsBefore, now));
  });

  it("leaves no process rooted in the rootfs, and none of the cycles' processes, not even a zombie", async () => {
    assert.deepEqual(processesWithRootUnder(rootfs), []);
    // The bwrap monitor holds the write end of the control FIFO: nothing may hold it once the helper is gone.
    assert.deepEqual(controlFifoHoldersOf(helperPids), [], 'no process holds the control FIFO of a helper that is gone');
    const t0 = performance.now();
    await waitFor(() => !everything.some(stillThere), 10_000, 20).catch(() => undefined);
    const left = everything.filter(stillThere).map((p) => `${p.pid} ${readStat(p.pid)?.state} ppid ${readStat(p.pid)?.ppid}`);
    assert.deepEqual(left, []);
    console.log(`[reliability] zombies of SIGKILLed helpers reaped by the host's init within ${(performance.now() - t0).toFixed(0)} ms`);
  });

  it('leaves no zombie of the test runner or of any PID 1 it made', () => {
    const parents = new Set([process.pid, ...inits.filter(stillThere).map((p) => p.pid)]);
    assert.deepEqual(zombiesOf(parents), []);
  });

  it('has the next start prune the records of the SIGKILLed helpers', async () => {
    // Each cycle's start prunes the records its predecessors left: only the last ones can still be there.
    console.log(`[reliability] records left by ${killedHelpers.length} SIGKILLed helpers before the next start: ` +
      `${killedHelpers.flatMap((pid) => recordsOfHelper(pid)).length}`);
    const result = await runHelper(['start', '--rootfs', rootfs, '--', '/bin/true']);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(helperPids.flatMap(recordsOfHelper), [], 'no record of ours is left');
  });

  // There are no mount tables (mounts.PID) any more: bwrap's mounts live in the container's namespace only.
  it('has the next start prune the control FIFOs of the SIGKILLed helpers', () => {
    // Runs after the prune of the test above.
    assert.deepEqual(staleFilesOf(helperPids), [], 'files of helpers that are gone');
  });

  it('removes its temp folder', () => {
    fs.rmSync(tmp, { recursive: true, force: true });
    assert.equal(fs.existsSync(tmp), false);
  });
});

describe(`reliability: the exact listing of ${LISTED_CONTAINERS} containers × ${LISTED_PROCESSES} processes`,
  { timeout: 300_000 }, () => {
    let tmp: string;
    let rootfs: string;
    const containers: Array<{ name: string; hostname: string; started: StartedEvent }> = [];

    before(async () => {
      requireRoot();
      tmp = makeTempDir('listing');
      rootfs = await makeRootfs(tmp);
      const script = `for i in $(seq ${LISTED_PROCESSES}); do sleep 1000 & done; wait`;
      const t0 = performance.now();
      await Promise.all(Array.from({ length: LISTED_CONTAINERS }, async (_, i) => {
        const [name, hostname] = [`listing-${i}`, `host-${i}`];
        const status = path.join(tmp, `${i}.jsonl`);
        spawnHelper(['start', '--rootfs', rootfs, '--name', name, '--hostname', hostname, '--status-file', status,
          '--', '/bin/sh', '-c', script]);
        const started = await waitFor(() => readStarted(status), 30_000);
        containers.push({ name, hostname, started });
      }));
      await waitFor(() => containers.every((c) =>
        processesInNamespaceOf(c.started.initPid).length === LISTED_PROCESSES + 1), 60_000, 50);
      console.log(`[reliability] ${LISTED_CONTAINERS} containers × ${LISTED_PROCESSES} processes started in ` +
        `${((performance.now() - t0) / 1000).toFixed(1)} s`);
    });
    after(async () => {
      await stopAllHelpers();
      if (tmp) killEverythingOf(tmp);
      if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    });

    it('lists every process exactly once, in its container, with its namespace and host PIDs', () => {
      const scanner = new ProcessScanner();
      const t0 = performance.now();
      const snapshot = scanner.scan();
      const records = new ContainerRegistry().read();
      const model = buildModel(snapshot, { records, rootOf: (pid) => scanner.rootOf(pid) });
      const ms = performance.now() - t0;
      scanner.dispose();
      console.log(`[reliability] one scan + model of ${snapshot.processes.size} processes: ${ms.toFixed(0)} ms`);

      const listed = model.containers.flatMap((c) => c.processes.map((p) => p.hostPid));
      assert.equal(new Set(listed).size, listed.length, 'no process is listed twice');
      for (const { name, hostname, started } of containers) {
        const key = containerKey(started.initPid, started.startTime);
        const c = model.byKey.get(key);
        assert.ok(c, `container ${name} (${key}) is listed`);
        assert.deepEqual([c.name, c.hostname, c.rootfs, c.startedBy, c.depth], [name, hostname, rootfs, 'mini-containers', 1]);
        assert.equal(started.name, name, "the helper's record names it");
        // The truth, read directly from /proc.
        const truth = processesInNamespaceOf(started.initPid).sort((a, b) => a - b);
        assert.equal(truth.length, LISTED_PROCESSES + 1);
        assert.deepEqual(c.processes.map((p) => p.hostPid), truth, `${name}: exactly its processes`);
        for (const p of c.processes) {
          const chain = nsPids(p.hostPid); // NSpid of /proc/PID/status, parsed by the harness, not the scanner
          assert.deepEqual(p.nsPids, chain, `${name}: NSpid of ${p.hostPid}`);
          assert.equal(p.nsPid, chain[chain.length - 1], `${name}: nsPid of ${p.hostPid}`);
          assert.equal(p.hostPid, chain[0], `${name}: host PID of ${p.hostPid}`);
          assert.equal(p.startTime, readStat(p.hostPid)!.startTime);
          assert.equal(model.containerOf.get(p.hostPid), key);
        }
        assert.equal(c.processes.filter((p) => p.nsPid === 1).map((p) => p.hostPid)[0], started.initPid);
      }
    });
  });

describe('reliability: faults', { timeout: 600_000 }, () => {
  let tmp: string;
  let rootfs: string;
  const terminals: Array<{ pid: number; kill(signal?: string): void }> = [];

  before(async () => {
    requireRoot();
    tmp = makeTempDir('faults');
    rootfs = await makeRootfs(tmp);
  });
  after(async () => {
    for (const term of terminals) if (helperRunningAs(term.pid)) term.kill('SIGKILL');
    await stopAllHelpers();
    if (tmp) killEverythingOf(tmp);
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  /**
   * Living processes of this suite's containers: rooted in its folder, or naming it (the helper, capsh and bwrap
   * name the rootfs; PID 1 is bwrap's clone until it pivots into the rootfs, then rooted there), or holding the
   * helper's FIFO.
   */
  const livingOf = (helperPid: number) => [
    ...new Set([...processesWithRootUnder(tmp), ...processesMentioning(tmp), ...controlFifoHoldersOf([helperPid])]),
  ].filter((pid) => {
    const stat = readStat(pid);
    return stat !== undefined && stat.state !== 'Z';
  });

  /** A running container's processes, and the helper's own (the helper and its bwrap monitor). */
  async function pinRunning(helperPid: number, initPid: number, status: string): Promise<{ container: Pinned[]; helper: Pinned[] }> {
    await controlChannelUp(helperPid, status);
    const container = processesInNamespaceOf(initPid).map((pid) => pin(pid)).filter((x): x is Pinned => x !== undefined);
    const inside = new Set(container.map((x) => x.pid));
    return { container, helper: pinTree(helperPid).filter((x) => !inside.has(x.pid)) };
  }

  /**
   * Within 1 s nothing of the container is left, not even a zombie, and nothing of the helper lives.
   */
  async function assertEndedWithin1s(pinned: { container: Pinned[]; helper: Pinned[] }, what: string): Promise<number> {
    const t0 = performance.now();
    const done = () => !pinned.container.some(stillThere) && !pinned.helper.some(living);
    await waitFor(done, 1_000, 5).catch(() => {
      const left = [...pinned.container.filter(stillThere), ...pinned.helper.filter(living)];
      assert.fail(`${what}: left after 1 s: ${left.map((x) => `${x.pid} ${readStat(x.pid)?.state} ${commandOf(x.pid)}`).join('; ')}`);
    });
    return performance.now() - t0;
  }

  // --- (a) the helper SIGKILLed at each step of a start ---------------------------------------------------------
  interface Moment {
    status: string;
    helperPid: number;
    t0: number;
  }
  const started = (m: Moment) => readStarted(m.status);
  const KILL_POINTS: Array<[string, (m: Moment) => boolean]> = [
    ['right after spawn', () => true],
    ...[1, 2, 4, 7, 10, 15, 20, 30, 45].map((ms): [string, (m: Moment) => boolean] =>
      [`${ms} ms after spawn`, (m) => performance.now() - m.t0 >= ms]),
    // The steps of a start, in order. bwrap's monitor sets its parent-death signal before it reports PID 1; PID 1
    // (bwrap's sandbox child) sets its own only once the sandbox is built, just before it execs the command: the
    // moments from the fork to that exec are those of a race.
    ['when the status file appears', (m) => fs.existsSync(m.status)],
    ['when the control FIFO appears', (m) => fs.existsSync(controlFifoOf(m.helperPid))],
    ['when the helper has a child (a subshell of its checks, capsh or bwrap)', (m) => childrenOf(m.helperPid).length >= 1],
    ['when the helper\'s child is capsh or bwrap', (m) => childrenOf(m.helperPid).some((pid) => /^(capsh|bwrap)$/.test(readStat(pid)?.comm ?? ''))],
    ['when the helper holds the FIFO open', (m) => {
      try {
        return fs.readlinkSync(`/proc/${m.helperPid}/fd/6`) === controlFifoOf(m.helperPid);
      } catch {
        return false;
      }
    }],
    ['when bwrap has forked PID 1', (m) => childrenOf(m.helperPid).some((pid) => readStat(pid)?.comm === 'bwrap' && childrenOf(pid).length >= 1)],
    ['when the started line is written', (m) => started(m) !== undefined],
    ['when PID 1 runs the command', (m) => {
      const s = started(m);
      return s !== undefined && fs.readFileSync(`/proc/${s.initPid}/cmdline`, 'latin1').startsWith('/bin/sh\0-c');
    }],
    ['while its background processes start', (m) => {
      const s = started(m);
      return s !== undefined && processesInNamespaceOf(s.initPid).length >= 2;
    }],
  ];
  const ROUNDS = sized(1, 10);

  /** State, kernel wait channel and kernel stack of a process: where it waits, for a report. */
  const whereWaiting = (pid: number): string => {
    const read = (file: string) => {
      try {
        return fs.readFileSync(`/proc/${pid}/${file}`, 'latin1').trim();
      } catch {
        return '?';
      }
    };
    const stack = read('stack').split('\n').map((l) => l.replace(/^\[<[0-9a-f]+>\] /, '').replace(/\+0x.*$/, '')).slice(0, 6);
    return `state ${readStat(pid)?.state ?? 'gone'}, wchan ${read('wchan')}, stack ${stack.join(' < ')}`;
  };

  /** What outlived a helper SIGKILLed mid-start, by moment. */
  const outlived: string[] = [];
  /** Moments that left an orphaned sandbox (bwrap had not armed its parent-death signal), ended by the next start. */
  const released: string[] = [];

  it(`a helper SIGKILLed mid-start leaves no mount, and no file after the next start (${ROUNDS} × ${KILL_POINTS.length} moments)`, async () => {
    const killed: number[] = [];
    let staleRecordsSeen = 0;
    let staleFilesSeen = 0;
    let slowest = 0;
    for (let round = 0; round < ROUNDS; round++) {
      for (const [title, reached] of KILL_POINTS) {
        const mounts = mountTable();
        const status = path.join(tmp, `midstart-${round}-${killed.length}.jsonl`);
        const child = spawnHelper(['start', '--rootfs', rootfs, '--status-file', status,
          '--', '/bin/sh', '-c', 'sleep 1000 & sleep 1000 & wait']);
        const exit = exited(child);
        const moment = { status, helperPid: child.pid!, t0: performance.now() };
        assert.ok(spinUntil(() => reached(moment), 10_000), `${title}: reached`);
        child.kill('SIGKILL');
        const killedAt = performance.now();
        killed.push(child.pid!);
        assert.deepEqual(await exit, { code: null, signal: 'SIGKILL' }, title);
        await waitFor(() => livingOf(child.pid!).length === 0, 1_000, 5).catch(() => undefined);
        let left = livingOf(child.pid!).map((pid) => pin(pid)).filter((x): x is Pinned => x !== undefined);
        // bwrap 0.8 arms its sandbox's parent-death signal only after its monitor releases it: a helper SIGKILLed in
        // those few ms takes the monitor with it and leaves the sandbox orphaned (PID 1 of its namespace, parent now
        // the host's init), still waiting to be released or already running COMMAND. The helper's files name it
        // (its pending note: rootfs and start time; the mark on bwrap's command line), and the next start must end
        // it, and with it the whole namespace.
        const orphans = left.filter((x) => readStat(x.pid)?.ppid === 1 && nsPids(x.pid).length === 2 && nsPids(x.pid)[1] === 1);
        if (orphans.length) {
          const next = await runHelper(['start', '--rootfs', rootfs, '--', '/bin/true']);
          assert.equal(next.code, 0, next.stderr);
          await waitFor(() => left.every((x) => !living(x)), 1_000, 5).catch(() => undefined);
          if (left.every((x) => !living(x))) {
            released.push(title);
            left = [];
          }
        }
        if (left.length) {
          // Reported by the next test, with where each one waits and whether it ends by itself within 5 s; then
          // ended here (they are this suite's) so the next moments start clean.
          const seen = left.map((x) => `${x.pid} ${commandOf(x.pid)} (${whereWaiting(x.pid)})`).join('; ');
          const after = await waitFor(() => left.every((x) => !living(x)), 5_000, 5).then(() => 'all ended by themselves within 6 s',
            () => `still living after 6 s: ${left.filter(living).map((x) => `${x.pid} (${whereWaiting(x.pid)})`).join('; ')}`);
          outlived.push(`${title}: ${seen}; ${after}`);
          killPinned(left);
          await waitFor(() => livingOf(child.pid!).length === 0, 2_000, 5);
        } else {
          slowest = Math.max(slowest, performance.now() - killedAt);
        }
        const now = mountTable();
        assert.equal(now, mounts, `${title}: ${lineDiff(mounts, now)}`);
        if (started(moment) !== undefined && recordsOfHelper(child.pid!).length) staleRecordsSeen++;
        if (staleFilesOf([child.pid!]).length) staleFilesSeen++;
      }
    }
    console.log(`[reliability] helper SIGKILLed at ${killed.length} moments of a start: its living processes ` +
      `gone within ${slowest.toFixed(0)} ms at worst; stale records left ${staleRecordsSeen} times, stale FIFOs ` +
      `${staleFilesSeen} times`);
    assert.ok(staleRecordsSeen > 0, 'a SIGKILLed helper leaves its record (then pruned by the next start)');
    assert.ok(staleFilesSeen > 0, 'a SIGKILLed helper leaves its FIFO (then pruned by the next start)');
    const result = await runHelper(['start', '--rootfs', rootfs, '--', '/bin/true']);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(killed.flatMap((pid) => recordsOfHelper(pid)), [], 'records pruned by the next start');
    assert.deepEqual(staleFilesOf(killed), [], 'FIFOs pruned by the next start');
  });

  it('a helper SIGKILLed mid-start leaves no living process after 1 s, but for a sandbox bwrap had not yet armed, which the next start ends', () => {
    console.log(`[reliability] moments after which processes outlived the SIGKILLed helper: ${outlived.length}; ` +
      `an orphaned sandbox bwrap had not armed, ended by the next start: ${released.length} (${released.join('; ')})`);
    assert.deepEqual(outlived, []);
  });

  // --- (b) the terminal closed ------------------------------------------------------------------------------------
  const TYPED = 'trap "" HUP TERM INT; sleep 1000 & sh -c \'trap "" HUP; exec sleep 1001\' & setsid sleep 1002 & ' +
    '(trap "" HUP TERM INT; exec sleep 1003) &\r';
  for (const flags of [[], ['--init']]) {
    it(`closing the terminal ends every process of the container within 1 s, not even a zombie left ${flags.join(' ')}`, async () => {
      const status = path.join(tmp, `pty${flags.length}.jsonl`);
      const term = pty.spawn('/bin/sh', [helperPath, 'start', '--rootfs', rootfs, '--status-file', status, ...flags], {
        name: 'xterm-256color', cols: 80, rows: 24, cwd: '/', env: process.env as Record<string, string>,
      });
      terminals.push(term);
      const s = await waitFor(() => readStarted(status));
      term.write(TYPED);
      // Ready when its four sleeps run (the shell may not have reaped setsid's parent yet). A process listed a
      // moment ago may be gone when its command line is read: commandOf says "?" for it.
      const sleeps = () => processesInNamespaceOf(s.initPid).filter((pid) => /^sleep 100[0-3]$/.test(commandOf(pid)));
      await waitFor(() => sleeps().length === 4, 5_000);
      const pinned = await pinRunning(term.pid, s.initPid, status);
      assert.ok(pinned.container.length >= 5 && pinned.helper.length === 2, 'PID 1, four sleeps; the helper and its bwrap monitor');
      term.kill('SIGHUP');
      const ms = await assertEndedWithin1s(pinned, 'terminal closed');
      console.log(`[reliability] terminal closed ${flags.join(' ')}: ${pinned.container.length} processes of the container ` +
        `gone in ${ms.toFixed(0)} ms`);
      // 129 instead of 137: the exit-code race of a trapped signal, see the cycles' todo test.
      assert.match(fs.readFileSync(status, 'utf8'), /\{"event":"exited","code":(137|129)\}\n$/);
    });
  }

  // --- (c) a PID 1 that ignores TERM -------------------------------------------------------------------------------
  const IGNORING: Array<[string, string]> = [
    ['with trap "" TERM', 'trap "" TERM; sleep 1000 & sleep 1000 & wait'],
    ['without a TERM handler (a PID 1 ignores what it does not handle)', 'sleep 1000 & exec sleep 1001'],
  ];
  for (const [title, script] of IGNORING) {
    it(`kill --signal TERM leaves a PID 1 ${title} alive; --signal KILL ends it and the container`, async () => {
      const status = path.join(tmp, `ignore-${title.length}.jsonl`);
      const child = spawnHelper(['start', '--rootfs', rootfs, '--status-file', status, '--', '/bin/sh', '-c', script]);
      const exit = exited(child);
      const s = await waitFor(() => readStarted(status));
      const members = await waitForNamespaceSize(s.initPid, script.includes('wait') ? 3 : 2);
      await waitFor(() => !script.includes('exec') || fs.readFileSync(`/proc/${s.initPid}/cmdline`, 'latin1').startsWith('sleep'));
      const pinned = await pinRunning(child.pid!, s.initPid, status);
      assert.equal(pinned.container.length, members.length);
      const everyone = [...pinned.container, ...pinned.helper];
      const roles = new Map(everyone.map((p) => [p.pid, `${commandOf(p.pid)} ${readStat(p.pid)?.state}`]));
      const killArgs = (signal: 'TERM' | 'KILL') =>
        buildKillArgs({ initPid: s.initPid, initStartTime: s.startTime, pid: s.initPid, startTime: s.startTime, signal });

      const term = await runHelper(killArgs('TERM'));
      assert.equal(term.code, 0, term.stderr);
      await sleep(300);
      for (const p of everyone) assert.ok(living(p), `${p.pid} (${roles.get(p.pid)}) lives after TERM`);
      assert.equal(child.exitCode, null, 'the helper still runs');

      const kill = await runHelper(killArgs('KILL'));
      assert.equal(kill.code, 0, kill.stderr);
      await assertEndedWithin1s(pinned, 'KILL to PID 1');
      assert.deepEqual(await exit, { code: 137, signal: null });
    });
  }

  // --- (d) the rootfs removed under a running container -----------------------------------------------------------
  // PID 1 loops on an external `sleep` and ends with 4 when /stop appears: 5 if exec fails once the files are gone.
  const LOOP = 'sleep 1000 & while sleep 0.05; do [ -e /stop ] && exit 4; done; echo "loop ended" >&2; exit 5';
  for (const how of ['renamed away', 'deleted with rm -rf'] as const) {
    it(`a rootfs ${how} under a running container: it keeps working or fails cleanly; a new start says it does not exist`, async () => {
      const own = await makeRootfs(tmp, `doomed-${how.length}`);
      const status = path.join(tmp, `doomed-${how.length}.jsonl`);
      const mounts = mountTable();
      const child = spawnHelper(['start', '--rootfs', own, '--status-file', status, '--', '/bin/sh', '-c', LOOP]);
      const exit = exited(child);
      const s = await waitFor(() => readStarted(status));
      await waitFor(() => processesInNamespaceOf(s.initPid).length >= 2);
      const pinned = await pinRunning(child.pid!, s.initPid, status);
      // The container's mounts (its proc, /dev, the rootfs bound on itself) live in its own mount namespace only.
      assert.deepEqual(hostMountsUnder(own), [], 'no host mount point lies in the rootfs');
      let outcome: string;
      if (how === 'renamed away') {
        const moved = `${own}-moved`;
        fs.renameSync(own, moved);
        await sleep(200);
        assert.equal(dirIdentity(`/proc/${s.initPid}/root`), dirIdentity(moved), 'its root followed the rename');
        fs.writeFileSync(path.join(moved, 'stop'), '');
        assert.deepEqual(await exit, { code: 4, signal: null }, 'it kept working and saw /stop');
        outcome = 'kept working, exit 4';
      } else {
        fs.rmSync(own, { recursive: true, force: true, maxRetries: 5 });
        assert.equal(fs.existsSync(own), false);
        await sleep(300);
        if (child.exitCode === null) {
          // It keeps running on the deleted folder (its sleep is built in): stopping it works as ever.
          assert.ok(living(pin(s.initPid)!), 'PID 1 runs');
          child.kill('SIGTERM');
          // 143 instead of 137: the exit-code race of a trapped signal, see the cycles' todo test.
          assert.ok([137, 143].includes((await exit).code!), 'stopped');
          outcome = 'kept working, stopped with 137';
        } else {
          assert.deepEqual(await exit, { code: 5, signal: null }, 'PID 1 ended on its own, with its status');
          outcome = 'failed cleanly, exit 5';
        }
      }
      console.log(`[reliability] rootfs ${how}: ${outcome}`);
      assert.match(fs.readFileSync(status, 'utf8'), /\{"event":"exited","code":\d+\}\n$/);
      await assertEndedWithin1s(pinned, `rootfs ${how}`);
      assert.deepEqual(recordsOfHelper(child.pid!), []);
      assert.equal(mountTable(), mounts);
      const again = await runHelper(['start', '--rootfs', own, '--', '/bin/true']);
      assert.equal(again.code, 125);
      assert.match(again.stderr, /^container-helper: --rootfs does not exist: .*\n$/);
    });
  }
});
