// A cgroup per container (issue 18): made before anything of it runs, holding every process of it and nothing
// else, with the limits asked for (--memory, --pids, --cpus) enforced by the kernel, and removed when the container
// ends: after a normal exit, after Stop, after the helper is SIGKILLed at several moments of a start (the next start
// ends it by its group), after 200 start/stop cycles. As root for real on this host's hierarchies (v1 or hybrid
// here, v2 where the host has it); rootless without a delegated subtree (no group, said, limits refused); rootless
// with one root delegated; through sudo, where the caller asks for limits and can move nothing into or out of them.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseStatusText } from '../../src/core/helper/helperProtocol';
import { SYSTEM_HELPER_PATH } from '../../src/core/helper/systemHelper';
import { onInterrupt } from '../e2e/cleanup';
import { installSystemHelper, type SystemHelper } from '../e2e/sudoUser';
import { helperPath, makeRootfs, makeTempDir, readStarted, requireRoot, runHelper, spawnHelper, stopAllHelpers, waitFor } from './harness';
import { childrenOf, isAlive, pin, readStat, stillThere, type Pinned } from './hostProcs';

const CGROUP = '/sys/fs/cgroup';
const STORE = '/var/lib/mini-containers/rootfs';
const CLI = path.join(path.dirname(helperPath), '..', '..', 'dist', 'cli.js');
const V2 = fs.existsSync(`${CGROUP}/cgroup.controllers`);
/** The hierarchies the helper uses: v2's one, or each v1 controller's mount (a combined one once). */
const HIERARCHIES = V2 ? [CGROUP] : [...new Set(['memory', 'pids', 'cpu', 'cpuacct', 'freezer']
  .filter((c) => fs.existsSync(`${CGROUP}/${c}/cgroup.procs`)).map((c) => fs.realpathSync(`${CGROUP}/${c}`)))];
const hierarchyOf = (controller: string) => (V2 ? CGROUP : fs.realpathSync(`${CGROUP}/${controller}`));
interface Run { code: number | null; stdout: string; stderr: string }

function finished(child: ChildProcess): Promise<Run> {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

/** Every container group (HELPER-T) in any hierarchy, under mini-containers and its user-UID folders. */
function containerGroups(): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    let names: string[] = [];
    try {
      names = fs.readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      if (/^\d+-\d+$/.test(name)) found.push(path.join(dir, name));
      else if (/^user-\d+$/.test(name)) walk(path.join(dir, name));
    }
  };
  for (const top of HIERARCHIES) walk(path.join(top, 'mini-containers'));
  return found.sort();
}

/** The processes in a group, pinned (PID and start time), read from its cgroup.procs. */
function membersOf(group: string): Pinned[] {
  let text = '';
  try {
    text = fs.readFileSync(path.join(group, 'cgroup.procs'), 'utf8');
  } catch {
    // Not made yet in this hierarchy (the helper makes one after the other), or removed already.
  }
  return text.split('\n').filter(Boolean).map(Number).map(pin).filter((p): p is Pinned => p !== undefined);
}

/** CPU time of a group in seconds: v2 cpu.stat usage_usec, v1 cpuacct.usage (ns). */
function cpuSeconds(cgroup: string): number {
  if (V2) return Number(/usage_usec (\d+)/.exec(fs.readFileSync(path.join(CGROUP, cgroup, 'cpu.stat'), 'utf8'))![1]) / 1e6;
  return Number(fs.readFileSync(path.join(hierarchyOf('cpuacct'), cgroup, 'cpuacct.usage'), 'utf8')) / 1e9;
}

describe('a cgroup per container: limits, and nothing left behind', { timeout: 300_000 }, () => {
  const suffix = randomBytes(3).toString('hex');
  const user = `mc-cg-${suffix}`;
  const sudoers = `/etc/sudoers.d/mini-containers-cg-${suffix}`;
  const storeName = `mc-cg-${suffix}`;
  let dir = '';
  let rootfs = '';
  let uid = 0;
  let gid = 0;
  let home = '';
  let userRootfs = '';
  let userHelper = '';
  let helper: SystemHelper | undefined;
  let storeExisted = true;
  let sentinel: ChildProcess | undefined;
  const delegatedFolders: string[] = [];
  const children = new Set<ChildProcess>();

  function track(child: ChildProcess): ChildProcess {
    children.add(child);
    child.on('exit', () => children.delete(child));
    return child;
  }
  /** The helper as the user (rootless), with their own XDG_RUNTIME_DIR. */
  const asUser = (args: string[]) => track(spawn('/bin/sh', [userHelper, ...args], {
    uid, gid, cwd: home, stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: '/usr/bin:/bin', HOME: home, XDG_RUNTIME_DIR: path.join(home, 'run'), TERM: 'xterm' },
  }));
  /** `sudo -n SYSTEM_HELPER_PATH ARGS` as the user (delegated). */
  const sudoHelper = (args: string[]) => track(spawn('sudo', ['-n', SYSTEM_HELPER_PATH, ...args], {
    uid, gid, cwd: home, stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: '/usr/bin:/bin', HOME: home },
  }));

  function removeDelegation(): void {
    if (!delegatedFolders.length) return;
    delegatedFolders.splice(0);
    spawnSync(process.execPath, [CLI, 'delegate-cgroup', '--remove', user]);
  }
  function takeBack(): void {
    for (const child of children) child.kill('SIGKILL');
    if (sentinel?.pid) sentinel.kill('SIGKILL');
    removeDelegation();
    fs.rmSync(sudoers, { force: true });
    if (uid) fs.rmSync(`/run/sudo/ts/${user}`, { force: true });
    spawnSync('userdel', ['--force', '--remove', user]);
    if (home) fs.rmSync(home, { recursive: true, force: true });
    if (uid) fs.rmSync(`/run/mini-containers/${uid}`, { recursive: true, force: true });
    fs.rmSync(`${STORE}/${storeName}`, { recursive: true, force: true });
    if (!storeExisted) fs.rmSync('/var/lib/mini-containers', { recursive: true, force: true });
    helper?.dispose();
    helper = undefined;
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }
  let unregister = () => {};

  before(async () => {
    requireRoot();
    unregister = onInterrupt(takeBack);
    dir = makeTempDir('cgroups');
    rootfs = await makeRootfs(dir);
    assert.equal(spawnSync('useradd', ['--create-home', '--user-group', '--shell', '/bin/sh', user]).status, 0, 'useradd');
    uid = Number(spawnSync('id', ['-u', user], { encoding: 'utf8' }).stdout.trim());
    gid = Number(spawnSync('id', ['-g', user], { encoding: 'utf8' }).stdout.trim());
    home = `/home/${user}`;
    fs.mkdirSync(path.join(home, 'run'), { mode: 0o700 });
    const helperDir = path.join(home, 'helper');
    fs.mkdirSync(helperDir, { mode: 0o755 });
    for (const file of ['container-helper.sh', 'seccomp.bpf']) fs.copyFileSync(path.join(path.dirname(helperPath), file), path.join(helperDir, file));
    userHelper = path.join(helperDir, 'container-helper.sh');
    userRootfs = await makeRootfs(home);
    spawnSync('chown', ['-R', `${uid}:${gid}`, home]);
    helper = installSystemHelper(helperPath);
    fs.writeFileSync(sudoers, `Defaults:${user} !lecture\n${user} ALL=(root) NOPASSWD: ${SYSTEM_HELPER_PATH}\n`, { mode: 0o440, flag: 'wx' });
    assert.equal(spawnSync('visudo', ['-cf', sudoers]).status, 0, 'visudo accepts the rule');
    storeExisted = fs.existsSync('/var/lib/mini-containers');
    const made = await runHelper(['make-rootfs', '--name', storeName]);
    assert.equal(made.code, 0, made.stderr);
    // A host process of the test's own, which no limit or cleanup of a container may touch.
    sentinel = spawn('sleep', ['1000'], { stdio: 'ignore' });
  });
  after(async () => {
    await stopAllHelpers();
    const left = containerGroups();
    takeBack();
    unregister();
    assert.deepEqual(left, [], 'no container group is left after the suite');
  });

  it('as root: every process of the container is in its group, named in the record; the group goes with it', async () => {
    const status = path.join(dir, 'group.jsonl');
    const child = spawnHelper(['start', '--rootfs', rootfs, '--status-file', status, '--', '/bin/sh', '-c', 'sleep 1000 & sleep 1000 & wait']);
    const exited = finished(child);
    const started = await waitFor(() => readStarted(status));
    assert.match(started.cgroup ?? '', /^\/mini-containers\/\d+-\d+$/, 'the record names the group');
    const group = path.join(hierarchyOf('pids'), started.cgroup!);
    const members = await waitFor(() => { const m = membersOf(group); return m.length === 4 && m; });
    const pids = members.map((m) => m.pid);
    assert.ok(pids.includes(started.initPid), 'PID 1 is in it');
    // Its other members: bwrap's monitor (PID 1's parent) and PID 1's two children; no other process.
    const monitor = Number(fs.readFileSync(`/proc/${started.initPid}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
    assert.ok(pids.includes(monitor), 'bwrap\'s monitor is in it');
    for (const pid of pids.filter((p) => p !== started.initPid && p !== monitor)) {
      assert.equal(Number(fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[1]), started.initPid, 'the rest are PID 1\'s children');
    }
    assert.equal(fs.readFileSync(`/proc/${started.initPid}/cgroup`, 'utf8').includes(`:${started.cgroup}\n`), true);
    child.kill('SIGTERM');
    const run = await exited;
    assert.equal(run.code, 137);
    for (const m of members) assert.equal(stillThere(m), false, `process ${m.pid} of the container is gone`);
    for (const top of HIERARCHIES) assert.equal(fs.existsSync(path.join(top, started.cgroup!)), false, `no group left in ${top}`);
  });

  it('exec: a new process in the container joins its group, so its limits hold for it too', async () => {
    const status = path.join(dir, 'exec.jsonl');
    const child = spawnHelper(['start', '--rootfs', rootfs, '--pids', '16', '--status-file', status, '--', '/bin/sleep', '1000']);
    const exited = finished(child);
    const started = await waitFor(() => readStarted(status));
    const entered = await runHelper(['exec', '--container', String(started.initPid), '--container-start-time', String(started.startTime),
      '--', '/bin/sh', '-c', 'cat /proc/self/cgroup; (i=0; while [ $i -lt 40 ]; do sleep 1000 >/dev/null & i=$((i+1)); done) 2>/dev/null; echo looped']);
    assert.equal(entered.code, 0, entered.stderr);
    assert.match(entered.stdout, new RegExp(`:${V2 ? "" : "pids"}:${started.cgroup}\\n`));
    const group = path.join(hierarchyOf('pids'), started.cgroup!);
    const members = membersOf(group);
    assert.ok(members.length <= 16, `${members.length} processes: the exec'd shell's children count against --pids 16`);
    child.kill('SIGTERM');
    await exited;
    for (const m of members) await waitFor(() => !stillThere(m), 5_000);
    assert.equal(fs.existsSync(group), false);
  });

  it('--memory 64m: a process that allocates 256 MiB is killed; the exit says out of memory; the host is untouched', async () => {
    const status = path.join(dir, 'oom.jsonl');
    const run = await runHelper(['start', '--rootfs', rootfs, '--memory', '64m', '--status-file', status, '--', '/bin/sh', '-c',
      'x=$(head -c 268435456 /dev/zero | tr "\\0" a); echo allocated ${#x}'], { timeoutMs: 60_000 });
    assert.equal(run.code, 137, run.stderr);
    assert.doesNotMatch(run.stdout, /allocated/);
    assert.match(run.stderr, /container-helper: killed: out of memory, limit 64 MiB/);
    const exited = parseStatusText(fs.readFileSync(status, 'utf8')).find((e) => e.event === 'exited');
    assert.deepEqual(exited, { event: 'exited', code: 137, oom: true, memoryLimit: 64 * 1024 * 1024 });
    assert.equal(isAlive(sentinel!.pid!), true, 'the host\'s process lives');
    assert.deepEqual(containerGroups(), []);
  });

  it('the same allocation without a limit succeeds (so the test above can fail)', async () => {
    const run = await runHelper(['start', '--rootfs', rootfs, '--', '/bin/sh', '-c',
      'x=$(head -c 268435456 /dev/zero | tr "\\0" a); echo allocated ${#x}'], { timeoutMs: 60_000 });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, 'allocated 268435456\n');
  });

  it('--pids 64: a fork loop hits the limit; the container stays killable and Stop ends it all', async () => {
    const status = path.join(dir, 'pids.jsonl');
    const child = spawnHelper(['start', '--rootfs', rootfs, '--pids', '64', '--status-file', status, '--', '/bin/sh', '-c',
      // A failed fork ends the shell that tried (busybox sh): the loop runs in a subshell, PID 1 lives on.
      '(i=0; while [ $i -lt 200 ]; do sleep 1000 & i=$((i+1)); done) 2>/dev/null; echo looped; exec sleep 1000']);
    const exited = finished(child);
    const started = await waitFor(() => readStarted(status));
    const group = path.join(hierarchyOf('pids'), started.cgroup!);
    assert.equal(fs.readFileSync(path.join(group, 'pids.max'), 'utf8').trim(), '64');
    await waitFor(() => Number(fs.readFileSync(path.join(group, 'pids.events'), 'utf8').split(' ')[1]) > 0, 20_000);
    const members = membersOf(group);
    // At the limit the forking subshell failed and ended: one place freed.
    assert.ok(members.length >= 60 && members.length <= 64, `${members.length} processes in the group`);
    const peak = path.join(group, 'pids.peak');
    if (fs.existsSync(peak)) assert.equal(fs.readFileSync(peak, 'utf8').trim(), '64', 'it reached its limit, never more');
    child.kill('SIGTERM');
    await exited;
    for (const m of members) assert.equal(stillThere(m), false, `process ${m.pid} is gone`);
    assert.deepEqual(containerGroups(), []);
  });

  it('without --pids, a group still has 4096; --pids max lifts it', async () => {
    for (const [args, expected] of [[[], '4096'], [['--pids', 'max'], 'max']] as const) {
      const status = path.join(dir, `pids-${expected}.jsonl`);
      const child = spawnHelper(['start', '--rootfs', rootfs, ...args, '--status-file', status, '--', '/bin/sleep', '1000']);
      const exited = finished(child);
      const started = await waitFor(() => readStarted(status));
      assert.equal(fs.readFileSync(path.join(hierarchyOf('pids'), started.cgroup!, 'pids.max'), 'utf8').trim(), expected);
      child.kill('SIGTERM');
      await exited;
    }
  });

  it('--cpus 0.5: a busy loop uses at most 60 % of a core over 2 s (and without, close to a whole one)', async () => {
    const measure = async (limit: string[]) => {
      const status = path.join(dir, `cpu-${limit.length}.jsonl`);
      const child = spawnHelper(['start', '--rootfs', rootfs, ...limit, '--status-file', status, '--', '/bin/sh', '-c', 'while :; do :; done']);
      const exited = finished(child);
      const started = await waitFor(() => readStarted(status));
      const t0 = process.hrtime.bigint();
      const c0 = cpuSeconds(started.cgroup!);
      await new Promise((r) => setTimeout(r, 2_000));
      const share = (cpuSeconds(started.cgroup!) - c0) / (Number(process.hrtime.bigint() - t0) / 1e9);
      child.kill('SIGTERM');
      await exited;
      return share;
    };
    const limited = await measure(['--cpus', '0.5']);
    assert.ok(limited <= 0.6, `used ${(limited * 100).toFixed(1)} % of a core`);
    assert.ok(limited >= 0.3, `used ${(limited * 100).toFixed(1)} % of a core: the loop did run`);
    const free = await measure([]);
    assert.ok(free >= 0.7, `without --cpus the loop used ${(free * 100).toFixed(1)} % of a core`);
  });

  it('limits that are not numbers the helper takes are refused before anything starts', async () => {
    for (const [flag, value] of [['--memory', '1m'], ['--memory', '64x'], ['--memory', '99999999999g'], ['--memory', '-5m'],
      ['--pids', '0'], ['--pids', '-1'], ['--pids', '99999999'], ['--cpus', '0'], ['--cpus', '1e3'], ['--cpus', '0.001'], ['--cpus', '2000']]) {
      const run = await runHelper(['start', '--rootfs', rootfs, flag, value, '--', '/bin/true']);
      assert.equal(run.code, 125, `${flag} ${value}`);
      assert.match(run.stderr, new RegExp(`^container-helper: ${flag} `), `${flag} ${value}: ${run.stderr}`);
    }
    assert.deepEqual(containerGroups(), []);
  });

  it('a helper SIGKILLed at several moments of a start: the next start ends what is left by its group', async () => {
    // Moments: as soon as its group exists; once bwrap has forked PID 1 (bwrap's sandbox, which arms its
    // parent-death signal only once released, outlives a helper killed then); once PID 1 is reported; once COMMAND runs.
    for (const moment of ['group', 'forked', 'started', 'running'] as const) {
      const status = path.join(dir, `killed-${moment}.jsonl`);
      const groupsBefore = new Set(containerGroups());
      const child = spawnHelper(['start', '--rootfs', rootfs, '--status-file', status, '--', '/bin/sh', '-c', 'sleep 1000 & exec sleep 1000']);
      // Its exit, not the close of its pipes: a sandbox that outlives it holds them until the next start ends it.
      const exited = new Promise((resolve) => child.on('exit', resolve));
      let group = '';
      if (moment === 'group' || moment === 'forked') {
        group = await waitFor(() => containerGroups().find((g) => !groupsBefore.has(g)), 10_000, 1);
        if (moment === 'forked') {
          const pidsGroup = path.join(hierarchyOf('pids'), group.slice(group.indexOf('/mini-containers/')));
          await waitFor(() => membersOf(pidsGroup).some((m) => childrenOf(m.pid).length > 0 && readStat(m.pid)?.comm === 'bwrap'), 10_000, 1);
        }
      } else {
        const started = await waitFor(() => readStarted(status), 10_000, moment === 'started' ? 1 : 20);
        group = path.join(hierarchyOf('pids'), started.cgroup!);
        if (moment === 'running') await waitFor(() => membersOf(group).length === 3);
      }
      const members = membersOf(group);
      child.kill('SIGKILL');
      await exited;
      const next = await runHelper(['start', '--rootfs', rootfs, '--', '/bin/true']);
      assert.equal(next.code, 0, next.stderr);
      assert.equal(fs.existsSync(group), false, `${moment}: the dead helper's group is gone`);
      for (const m of members) await waitFor(() => !stillThere(m), 5_000).catch(() => assert.fail(`${moment}: process ${m.pid} is left`));
      assert.deepEqual(containerGroups(), [], moment);
    }
  });

  it('200 start/stop cycles leave no group and no process', { timeout: 240_000 }, async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const status = path.join(dir, 'cycle.jsonl');
      fs.rmSync(status, { force: true });
      const child = spawnHelper(['start', '--rootfs', rootfs, '--status-file', status, '--', '/bin/sh', '-c', i % 2 ? 'sleep 1000' : 'true']);
      const exited = new Promise((resolve) => child.on('exit', resolve));
      if (i % 2) {
        const started = await waitFor(() => readStarted(status));
        seen.add(started.cgroup!);
        child.kill('SIGTERM');
      }
      // A start that does not end says where it waits, instead of hanging the suite.
      let late: NodeJS.Timeout | undefined;
      const stuck = new Promise<never>((_, reject) => {
        late = setTimeout(() => {
          const helper = child.pid!;
          const where = (pid: number) => { try { return fs.readFileSync(`/proc/${pid}/wchan`, 'utf8'); } catch { return 'gone'; } };
          const kids = childrenOf(helper).map((pid) => `${pid} ${readStat(pid)?.comm} ${where(pid)} children ${childrenOf(pid).join(',')}`);
          reject(new Error(`cycle ${i}: the helper ${helper} (${where(helper)}) has not ended after 20 s; its children: ${kids.join('; ')}; ` +
            `groups: ${containerGroups().join(' ')}; status: ${fs.existsSync(status) ? fs.readFileSync(status, 'utf8') : 'none'}`));
        }, 20_000);
      });
      try {
        await Promise.race([exited, stuck]);
      } finally {
        clearTimeout(late);
      }
    }
    assert.equal(seen.size, 100, 'each container had a group of its own');
    assert.deepEqual(containerGroups(), []);
  });

  it('cgroup v2 for real: on this host\'s unified hierarchy (mounted at /sys/fs/cgroup in a mount namespace of the test\'s)', {
    skip: V2 || !fs.existsSync(`${CGROUP}/unified/cgroup.procs`) ? 'no second, v2 hierarchy here (a v2 host runs every test above on v2)' : false,
  }, async () => {
    const unified = `${CGROUP}/unified`;
    const parentExisted = fs.existsSync(`${unified}/mini-containers`);
    const onV2 = (args: string[]) => track(spawn('unshare', ['--mount', '--propagation', 'private', '--', 'sh', '-c',
      'mount -t cgroup2 mc-test-v2 /sys/fs/cgroup && exec sh "$@"', 'v2', helperPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }));
    try {
      const status = path.join(dir, 'v2.jsonl');
      const child = onV2(['start', '--rootfs', rootfs, '--status-file', status, '--', '/bin/sh', '-c', 'sleep 1000 & exec sleep 1000']);
      const exited = new Promise((resolve) => child.on('exit', resolve));
      const started = await waitFor(() => readStarted(status), 10_000);
      assert.match(started.cgroup ?? '', /^\/mini-containers\/\d+-\d+$/);
      const group = `${unified}${started.cgroup}`;
      assert.match(fs.readFileSync(`/proc/${started.initPid}/cgroup`, 'utf8'), new RegExp(`^0::${started.cgroup}$`, 'm'));
      const members = await waitFor(() => { const m = membersOf(group); return m.length === 3 && m; });
      // The helper is SIGKILLed (unshare and sh exec'd it): the next start on v2 ends what is left and removes the group.
      child.kill('SIGKILL');
      await exited;
      const next = await finished(onV2(['start', '--rootfs', rootfs, '--', '/bin/true']));
      assert.equal(next.code, 0, next.stderr);
      assert.equal(fs.existsSync(group), false, 'the dead helper\'s group is gone');
      for (const m of members) await waitFor(() => !stillThere(m), 5_000);
      // This unified hierarchy has no memory or pids controller (they are v1's here): a limit is refused, and says why.
      const refused = await finished(onV2(['start', '--rootfs', rootfs, '--memory', '64m', '--', '/bin/true']));
      assert.equal(refused.code, 125);
      assert.match(refused.stderr, /container-helper: this host's cgroups have no memory controller/);
      assert.deepEqual(fs.readdirSync(`${unified}/mini-containers`).filter((n) => /^\d+-\d+$/.test(n)), []);
    } finally {
      if (!parentExisted) fs.rmdirSync(`${unified}/mini-containers`);
    }
  });

  it('rootless with no delegated subtree: the container starts and says it has no group; a limit is refused, nothing starts', async () => {
    const plain = await finished(asUser(['start', '--rootfs', userRootfs, '--', '/bin/sh', '-c', 'echo inside']));
    assert.equal(plain.code, 0, plain.stderr);
    assert.equal(plain.stdout, 'inside\n');
    assert.match(plain.stderr.split('\n')[0], /^note: this container has no cgroup \(uid \d+ has no delegated cgroup subtree/);
    for (const limit of [['--memory', '64m'], ['--pids', '64'], ['--cpus', '0.5']]) {
      const refused = await finished(asUser(['start', '--rootfs', userRootfs, ...limit, '--', '/bin/sh', '-c', 'echo inside']));
      assert.equal(refused.code, 125, limit.join(' '));
      assert.equal(refused.stdout, '', 'nothing ran');
      assert.match(refused.stderr, new RegExp(`^container-helper: ${limit[0]} needs a cgroup, and this container can have none: .*mini-containers delegate-cgroup <your user name>\\.$`, 'm'));
    }
  });

  it('rootless with a subtree root delegated: the group is made there, the limit holds, the group goes', async () => {
    // What root runs once for the user: `mini-containers delegate-cgroup USER`.
    const delegated = spawnSync(process.execPath, [CLI, 'delegate-cgroup', user], { encoding: 'utf8' });
    assert.equal(delegated.status, 0, delegated.stderr);
    delegatedFolders.push(...delegated.stdout.split('\n').filter(Boolean));
    assert.equal(delegatedFolders.length, HIERARCHIES.length);
    for (const folder of delegatedFolders) assert.equal(fs.statSync(folder).uid, uid, `${folder} is the user's`);
    const status = path.join(home, 'run', 'delegated.jsonl');
    const run = await finished(asUser(['start', '--rootfs', userRootfs, '--memory', '64m', '--status-file', status, '--', '/bin/sh', '-c',
      'x=$(head -c 268435456 /dev/zero | tr "\\0" a); echo allocated ${#x}']));
    assert.equal(run.code, 137, run.stderr);
    assert.match(run.stderr, /killed: out of memory, limit 64 MiB/);
    const started = parseStatusText(fs.readFileSync(status, 'utf8')).find((e) => e.event === 'started');
    assert.match(started && started.event === 'started' ? started.cgroup ?? '' : '', new RegExp(`^/mini-containers/user-${uid}/\\d+-\\d+$`));
    assert.deepEqual(containerGroups(), []);
    removeDelegation();
    for (const top of HIERARCHIES) assert.equal(fs.existsSync(path.join(top, 'mini-containers', `user-${uid}`)), false, '--remove took it back');
  });

  it('through sudo: the caller\'s limits hold, and the caller can move no process into or out of the group', async () => {
    const storeRootfs = `${STORE}/${storeName}`;
    const status = `/run/mini-containers/${uid}/cg-sudo.status`;
    const child = sudoHelper(['start', '--rootfs', storeRootfs, '--name', 'cg-sudo', '--pids', '32', '--memory', '64m', '--cpus', '0.5', '--', '/bin/sleep', '1000']);
    const exited = finished(child);
    const started = await waitFor(() => readStarted(status), 10_000);
    const groups = HIERARCHIES.map((top) => path.join(top, started.cgroup!));
    assert.equal(fs.readFileSync(path.join(hierarchyOf('pids'), started.cgroup!, 'pids.max'), 'utf8').trim(), '32');
    assert.equal(fs.readFileSync(path.join(hierarchyOf('memory'), started.cgroup!, V2 ? 'memory.max' : 'memory.limit_in_bytes'), 'utf8').trim(), String(64 * 1024 * 1024));
    // The caller's own shell tries to join the group (to put its processes under the container's name), and to
    // take PID 1 out of it (to escape the limits): both are root's files.
    for (const group of groups) {
      const join = spawnSync('sh', ['-c', 'echo $$ > "$1/cgroup.procs"', 'join', group], { uid, gid });
      assert.notEqual(join.status, 0, `the caller joined ${group}`);
      const escape = spawnSync('sh', ['-c', 'echo "$2" > "$1/cgroup.procs"', 'escape', path.dirname(group), String(started.initPid)], { uid, gid });
      assert.notEqual(escape.status, 0, `the caller moved PID 1 out of ${group}`);
      assert.equal(fs.readFileSync(path.join(group, 'cgroup.procs'), 'utf8').split('\n').includes(String(started.initPid)), true);
    }
    child.kill('SIGTERM');
    await exited;
    await waitFor(() => groups.every((g) => !fs.existsSync(g)), 5_000);
  });
});
