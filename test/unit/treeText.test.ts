import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Container } from '../../src/core/model/containerModel';
import type { ProcessInfo } from '../../src/core/proc/processScanner';
import {
  containerDescription, containerLabel, containerTooltip, formatBytes, formatDuration, processDescription, processForest, processLabel,
  processTooltip, startedAtMs, zombieWords,
} from '../../src/core/model/treeText';

function proc(hostPid: number, ppid: number, extra: Partial<ProcessInfo> = {}): ProcessInfo {
  return {
    hostPid, ppid, nsPids: [hostPid, hostPid - 100], nsPid: hostPid - 100, state: 'S', uid: 0, user: 'root',
    command: `cmd ${hostPid}`, comm: 'cmd', startTime: 1000, rssBytes: 4096, cpuTicks: 250, nsInode: 42,
    kernelThread: false, ...extra,
  };
}

const container = (extra: Partial<Container> = {}): Container => ({
  key: '101:500', initHostPid: 101, startTime: 500, nsInode: 42, depth: 1, name: null, hostname: null, rootfs: null, network: null, publish: [], ephemeral: false,
  startedBy: 'other', parentKey: null, parentInitHostPid: null, processes: [], engine: null, ...extra,
});

describe('formatDuration', () => {
  const cases: Array<[number, string]> = [
    [0, '0s'], [59_999, '59s'], [60_000, '1m'], [3_599_000, '59m'], [3_600_000, '1h 00m'], [3_660_000 * 2, '2h 02m'],
    [86_400_000 * 2 + 3_600_000 * 4, '2d 4h'], [-5, '0s'],
  ];
  for (const [ms, text] of cases) it(`${ms} ms → ${text}`, () => assert.equal(formatDuration(ms), text));
});

describe('formatBytes', () => {
  const cases: Array<[number, string]> = [[0, '0 B'], [1023, '1023 B'], [1024, '1.0 KiB'], [5 * 1024 * 1024, '5.0 MiB'], [300 * 1024 * 1024, '300 MiB']];
  for (const [bytes, text] of cases) it(`${bytes} → ${text}`, () => assert.equal(formatBytes(bytes), text));
});

describe('processForest', () => {
  it('nests by parent inside the container; a parent outside makes a root', () => {
    const ps = [proc(101, 50), proc(102, 101), proc(103, 102), proc(104, 101), proc(105, 9999)];
    const { roots, children } = processForest(ps);
    assert.deepEqual(roots.map((p) => p.hostPid), [101, 105]);
    assert.deepEqual(children.get(101)?.map((p) => p.hostPid), [102, 104]);
    assert.deepEqual(children.get(102)?.map((p) => p.hostPid), [103]);
  });
  it('lists in the container\'s PID order: PID 1 first even when host PIDs wrapped around after it started', () => {
    // PID 1 is host 32700; its children got host PIDs 300 and 200 after the host's pid_max wrap.
    const ps = [proc(200, 32700, { nsPid: 3 }), proc(300, 32700, { nsPid: 2 }), proc(32700, 50, { nsPid: 1 }), proc(250, 9999, { nsPid: 4 })];
    const { roots, children } = processForest(ps);
    assert.deepEqual(roots.map((p) => p.nsPid), [1, 4]);
    assert.deepEqual(children.get(32700)?.map((p) => p.nsPid), [2, 3]);
  });
  it('a process that is its own parent does not vanish', () => {
    assert.deepEqual(processForest([proc(7, 7)]).roots.map((p) => p.hostPid), [7]);
  });
});

describe('labels and descriptions', () => {
  it('a container is named by its name, else hostname, else init PID', () => {
    assert.equal(containerLabel(container({ name: 'busybox-1a2b', hostname: 'h' })), 'busybox-1a2b');
    assert.equal(containerLabel(container({ hostname: 'h' })), 'h');
    assert.equal(containerLabel(container()), 'container 101');
  });
  it('says PID 1 = host PID, the count and the uptime', () => {
    const boot = 1_000_000;
    const now = startedAtMs(500, boot) + 125_000;
    assert.equal(containerDescription(container(), 3, now, boot), 'PID 1 = host PID 101 · 3 processes · up 2m');
    assert.equal(containerDescription(container(), 1, now, boot), 'PID 1 = host PID 101 · 1 process · up 2m');
  });
  it('a process shows its namespace PID, host PID and user', () => {
    assert.equal(processDescription(proc(150, 101)), 'PID 50 · host 150 · root');
    assert.equal(processDescription(proc(150, 101, { nsPid: null, user: null })), 'PID ? · host 150 · ?');
  });
  it('the tooltip has the full command line, the NSpid chain, state and memory', () => {
    const text = processTooltip(proc(150, 101, { nsPids: [150, 7, 1], command: 'sleep 1000' }), 0);
    assert.match(text, /^sleep 1000\n/);
    assert.match(text, /NSpid \(host → innermost\): 150 → 7 → 1/);
    assert.match(text, /State: S \(sleeping\)/);
    assert.match(text, /Memory \(RSS\): 4\.0 KiB · CPU time: 2\.50 s/);
  });
});

describe('a zombie (state Z): ended, still listed until its parent reaps it', () => {
  // `sleep 1000` killed from the tree: its command line is gone, so /proc gives `[sleep]`; its parent, the shell, is
  // host PID 101 and has not called wait() yet.
  const zombie = proc(152, 101, { state: 'Z', command: '[sleep]', comm: 'sleep', rssBytes: 0 });

  it('is labelled by the name the kernel keeps, not ps\'s "[sleep]"', () => {
    assert.equal(processLabel(zombie), 'sleep');
    assert.equal(processLabel(proc(152, 101, { command: '[kworker/0:1]', comm: 'kworker/0:1' })), '[kworker/0:1]', 'only a zombie');
  });
  it('says, after its PIDs, that it exited and which parent must reap it', () => {
    assert.equal(processDescription(zombie), 'PID 52 · host 152 · exited, waiting for its parent (host PID 101) to reap it');
  });
  it('its tooltip says why it is still there: the parent must wait() for it; in a container PID 1 reaps orphans', () => {
    const text = processTooltip(zombie, 0);
    assert.match(text, /State: Z \(zombie\) · user root/);
    assert.match(text, /until its parent collects them with wait\(\)/);
    assert.match(text, /in a container, PID 1 adopts the orphans and must reap them too\.$/);
    assert.doesNotMatch(processTooltip(proc(152, 101), 0), /wait\(\)/, 'a living process has no such line');
  });
  it('the picture\'s words are the tree\'s: "{0}" survives the translation, for the webview to fill in', () => {
    const picture = zombieWords('{0}');
    assert.equal(picture.replace('{0}', String(zombie.ppid)), processDescription(zombie).split(' · ')[2]);
  });
});

describe('containerTooltip: the network', () => {
  it('says which network a container has and what it publishes, from the helper\'s record', () => {
    const tip = containerTooltip(container({ name: 'web', startedBy: 'mini-containers', network: 'private', publish: ['8080:80', '2222:22'] }), 0, 0);
    assert.match(tip, /^Network: private \(tap0, through a user-mode stack\)$/m);
    assert.match(tip, /^Publishes: 127\.0\.0\.1:8080 → 80, 127\.0\.0\.1:2222 → 22$/m);
    assert.match(containerTooltip(container({ network: 'host' }), 0, 0), /^Network: the host's \(without raw sockets\)$/m);
    assert.match(containerTooltip(container({ network: 'none' }), 0, 0), /^Network: none \(only lo\)$/m);
    assert.doesNotMatch(containerTooltip(container(), 0, 0), /Network/, 'not claimed without a record');
  });
});

describe('a throw-away container (the record says "ephemeral":true)', () => {
  it('is marked in its description and says in its tooltip that its changes vanish', () => {
    const boot = 1_000_000;
    const now = startedAtMs(500, boot) + 125_000;
    const throwaway = container({ name: 'tmp', startedBy: 'mini-containers', ephemeral: true });
    assert.equal(containerDescription(throwaway, 1, now, boot), 'throw-away · PID 1 = host PID 101 · 1 process · up 2m');
    assert.match(containerTooltip(throwaway, now, boot), /^Throw-away: its changes to the root filesystem vanish when it ends/m);
    assert.doesNotMatch(containerTooltip(container({ startedBy: 'mini-containers' }), now, boot), /Throw-away/);
  });
});
