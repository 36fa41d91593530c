// The scanner and container model on real PID namespaces: 20 containers of 50 sleeps, one with a nested
// container. Needs root (unshare --pid); `node --test dist/test/integration/scanner.test.js`.

import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { buildModel, ContainerModel, diffModels } from '../../src/core/model/containerModel';
import { ProcessScanner, ProcessSnapshot } from '../../src/core/proc/processScanner';
import { parseStat } from '../../src/core/proc/procParse';
import { PidNamespaces, StartedNamespace } from '../bench/pidNamespaces';
import { waitFor } from './harness';
import { childrenOf, killPid, nsPids } from './hostProcs';

const COUNT = 20;
const SLEEPS = 50;
const NESTED = 5;
const isRoot = process.getuid?.() === 0;

describe('scanning real PID namespaces', { skip: isRoot ? false : 'needs root to create PID namespaces' }, () => {
  const namespaces = new PidNamespaces();
  const scanner = new ProcessScanner();
  let started: StartedNamespace[] = [];
  let snapshot: ProcessSnapshot;
  let model: ContainerModel;
  const container = (s: StartedNamespace) => model.containers.find((c) => c.initHostPid === s.initHostPid);

  before(async () => {
    started = await namespaces.start(COUNT, SLEEPS, 1, NESTED);
    snapshot = scanner.scan();
    model = buildModel(snapshot, { rootOf: (pid) => scanner.rootOf(pid) });
  }, { timeout: 60_000 });
  after(async () => {
    scanner.dispose();
    await namespaces.stop(); // kills exactly the unshare PIDs started above, even when a test failed
  });

  it('lists each container with exactly the processes started in it', () => {
    for (const s of started) {
      const c = container(s);
      assert.ok(c, `container of init ${s.initHostPid}`);
      const want = [1, ...s.nsPids, ...(s.nested ? [s.nested.unshareNsPid] : [])].sort((a, b) => a - b);
      assert.deepEqual(c.processes.map((p) => p.nsPid).sort((a, b) => a! - b!), want, `init ${s.initHostPid}`);
      assert.deepEqual([c.depth, c.parentInitHostPid, c.startedBy, c.rootfs], [1, null, 'other', '/']);
    }
  });

  it('lists every process once', () => {
    const listed = model.containers.flatMap((c) => c.processes.map((p) => p.hostPid));
    assert.equal(new Set(listed).size, listed.length);
    const ours = started.map((s) => s.initHostPid);
    const inOurs = model.containers.filter((c) => ours.includes(c.initHostPid) || ours.includes(c.parentInitHostPid!));
    assert.equal(inOurs.reduce((n, c) => n + c.processes.length, 0), COUNT * (SLEEPS + 1) + 1 + (NESTED + 1));
  });

  it('gives each process the PID it has inside its namespace', () => {
    for (const s of started) {
      for (const p of container(s)!.processes) {
        // NSpid read directly …
        const chain = nsPids(p.hostPid);
        assert.deepEqual([p.nsPid, p.nsPids], [chain[chain.length - 1], chain]);
        // … and the same process seen through the container's own /proc, under its namespace PID.
        const inside = parseStat(fs.readFileSync(`/proc/${s.initHostPid}/root/proc/${p.nsPid}/stat`, 'latin1'))!;
        assert.deepEqual([inside.pid, inside.startTime], [p.nsPid, p.startTime]);
      }
    }
  });

  it('lists a container nested in a container under its parent', () => {
    const outer = started.find((s) => s.nested)!;
    const nested = model.containers.filter((c) => c.parentInitHostPid === outer.initHostPid);
    assert.equal(nested.length, 1);
    assert.equal(nested[0].depth, 2);
    assert.deepEqual(nested[0].processes.map((p) => p.nsPid).sort((a, b) => a! - b!), [1, ...outer.nested!.nsPids].sort((a, b) => a - b));
    assert.ok(model.containers.indexOf(nested[0]) > model.containers.indexOf(container(outer)!), 'parents come first');
  });

  it('sees a container as the host when scanning its own /proc', () => {
    const outer = started.find((s) => s.nested)!;
    const inside = new ProcessScanner({ procRoot: `/proc/${outer.initHostPid}/root/proc`, maxOpenFiles: 0 });
    const snap = inside.scan();
    const m = buildModel(snap);
    assert.equal(snap.hostNsInode, container(outer)!.nsInode);
    assert.deepEqual(m.containers.map((c) => [c.depth, c.processes.length]), [[1, NESTED + 1]]);
    // Its PID 1 is the container's init: found by host PID (PIDs wrap around, so the init need not come first).
    const init = container(outer)!.processes.find((p) => p.hostPid === outer.initHostPid);
    assert.ok(init, `init ${outer.initHostPid} is in its container`);
    // There it is a process of the scanned mount's own namespace: its command line is read on demand.
    assert.equal(snap.processes.get(1)?.command, null);
    assert.equal(inside.details(snap.processes.get(1)!)?.command, init.command);
  });

  it('rescans incrementally: an ended container drops exactly its processes', async () => {
    const victim = started[COUNT - 1];
    const victimPids = container(victim)!.processes.map((p) => p.hostPid);
    await namespaces.kill(victim);
    const next = scanner.scan();
    for (const pid of victimPids) assert.ok(next.removed.has(pid), `${pid} removed`);
    const nextModel = buildModel(next, { previous: model, rootOf: (pid) => scanner.rootOf(pid) });
    const diff = diffModels(model, nextModel);
    // Other suites' containers may still be ending on this host: judge only this suite's own.
    const ours = new Set(started.map((s) => container(s)!.key));
    assert.deepEqual([...diff.removed].filter((key) => ours.has(key)), [container(victim)!.key]);
    for (const s of started.slice(0, COUNT - 1)) {
      assert.equal(diff.changed.has(container(s)!.key), false, `init ${s.initHostPid} unchanged`);
      assert.equal(nextModel.byKey.get(container(s)!.key), container(s), 'the same object, nothing to repaint');
    }
  });

  it('places a process that joined with nsenter in its container, and sees it stop', async (t) => {
    const target = started[0];
    const nsenter = spawn('nsenter', ['--target', String(target.initHostPid), '--pid', '--mount', '--', 'sleep', '1000'], { stdio: 'ignore' });
    let sleepPid = 0;
    t.after(() => {
      for (const pid of [sleepPid, nsenter.pid]) if (pid) killPid(pid);
    });
    sleepPid = await waitFor(() => childrenOf(nsenter.pid!)[0]);
    const snap = scanner.scan();
    assert.ok(snap.added.has(sleepPid));
    const m = buildModel(snap, { previous: model });
    assert.equal(m.containerOf.get(sleepPid), container(target)!.key, 'its parent is on the host, its namespace is not');
    assert.equal(snap.processes.get(sleepPid)!.ppid, nsenter.pid);

    process.kill(sleepPid, 'SIGSTOP');
    await until(() => parseStat(fs.readFileSync(`/proc/${sleepPid}/stat`, 'latin1'))!.state === 'T');
    const stopped = scanner.scan();
    assert.ok(stopped.changed.has(sleepPid));
    assert.equal(stopped.processes.get(sleepPid)!.state, 'T');
  });

  it('polls between full probes (as the view does) without missing a process that ended or started', async (t) => {
    const polling = new ProcessScanner({ quietProbeIntervalMs: 3_600_000 });
    const full = new ProcessScanner();
    let joined = 0;
    let nsenterPid = 0;
    t.after(() => {
      polling.dispose();
      full.dispose();
      for (const pid of [joined, nsenterPid]) if (pid) killPid(pid);
    });
    polling.scan();
    nsenterPid = spawn('nsenter', ['--target', String(started[1].initHostPid), '--pid', '--mount', '--', 'sleep', '1001'], { stdio: 'ignore' }).pid!;
    const victim = started[COUNT - 2];
    const victimPids = container(victim)!.processes.map((p) => p.hostPid);
    await namespaces.kill(victim);
    joined = await waitFor(() => childrenOf(nsenterPid)[0]);

    const polled = polling.scan();
    for (const pid of victimPids) assert.ok(polled.removed.has(pid) && !polled.processes.has(pid), `${pid} of the ended container dropped`);
    assert.ok(polled.added.has(joined), 'the joined sleep found');
    // The same processes in this suite's containers as a scan that probes every process, made right after.
    const truth = full.scan();
    const inOurs = (snap: ProcessSnapshot) => {
      const m = buildModel(snap, {});
      // The killed victim has no container any more: an undefined key would count every host process as ours,
      // and the host's own processes come and go between the two scans.
      const ours = new Set(started.flatMap((s) => m.containers.find((c) => c.initHostPid === s.initHostPid)?.key ?? []));
      return [...snap.processes.keys()].filter((pid) => {
        const key = m.containerOf.get(pid);
        return key !== undefined && key !== null && ours.has(key);
      }).sort((a, b) => a - b);
    };
    assert.ok(inOurs(truth).includes(joined), "the comparison covers this suite's containers");
    assert.deepEqual(inOurs(polled), inOurs(truth));
  });

  it('between full probes, still sees a young process exec (as a container\'s PID 1 goes from the helper to the shell)', async (t) => {
    const polling = new ProcessScanner({ quietProbeIntervalMs: 3_600_000 });
    // It execs when told (a line on its stdin), once the scanner has seen it as the shell: a fixed delay could pass
    // within one scan of a loaded host, and the shell would never be seen.
    const child = spawn('sh', ['-c', 'read _; exec sleep 1002'], { stdio: ['pipe', 'ignore', 'ignore'] });
    t.after(() => {
      polling.dispose();
      if (child.pid) killPid(child.pid);
    });
    polling.scan();
    const pid = child.pid!;
    // A host process: the scan reads its stat alone, so comm tells the exec; details reads its command line.
    await until(() => polling.scan().processes.get(pid)?.comm === 'sh');
    child.stdin!.end('go\n');
    await until(() => fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1') === 'sleep\x001002\x00');
    const after = polling.scan();
    assert.equal(after.processes.get(pid)?.comm, 'sleep');
    assert.equal(polling.details(after.processes.get(pid)!)?.command, 'sleep 1002');
    assert.ok(after.changed.has(pid), 'reported as changed, so the view repaints it');
  });
});

/** Polls `check` until it is true, for at most 5 s; a check that throws (its /proc file is not there yet) is false. */
function until(check: () => boolean): Promise<boolean> {
  return waitFor(() => {
    try {
      return check();
    } catch {
      return false;
    }
  });
}
