import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EngineRef, parseEngineCgroup } from '../../src/core/proc/engineCgroup';
import {
  endShellArgs, EngineCliError, EngineInfo, engineCandidates, execShellArgs, findEngineCli, inspectArgs, nextShellName, parseInspect,
  RunResult,
} from '../../src/core/engines/engineCli';
import { EngineInfoCache } from '../../src/core/engines/engineInfo';
import { buildModel, diffModels } from '../../src/core/model/containerModel';
import { formatPsTable, toPsJson } from '../../src/core/model/format';
import { containerDescription, containerLabel, containerTooltip } from '../../src/core/model/treeText';
import type { ProcessInfo } from '../../src/core/proc/processScanner';
import { ProcessScanner } from '../../src/core/proc/processScanner';

const ID = 'e4dba9de9a2b1f54afeb65f57b33836a2f7f7ca6fe25b91a64317eea0032090d';
const ID2 = '3f1c0c4b8a9d2e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f';

describe('parseEngineCgroup', () => {
  const v1 = (p: string) => ['9:name=systemd', '8:pids', '4:memory', '1:cpu', '0:'].map((h) => `${h}:${p}`).join('\n') + '\n';
  const cases: { name: string; text: string; want: EngineRef | undefined }[] = [
    // Read on this machine (Debian 12, hybrid cgroups) from a container of `dockerd --exec-opt native.cgroupdriver=cgroupfs`.
    { name: 'Docker, cgroup v1 hybrid, cgroupfs driver', text: v1(`/docker/${ID}`), want: { kind: 'docker', id: ID } },
    { name: 'Docker, cgroup v2, cgroupfs driver', text: `0::/docker/${ID}\n`, want: { kind: 'docker', id: ID } },
    { name: 'Docker, cgroup v2, systemd driver', text: `0::/system.slice/docker-${ID}.scope\n`, want: { kind: 'docker', id: ID } },
    { name: 'Docker, v1 systemd driver', text: v1(`/system.slice/docker-${ID}.scope`), want: { kind: 'docker', id: ID } },
    { name: 'Podman as root, systemd', text: `0::/machine.slice/libpod-${ID}.scope\n`, want: { kind: 'podman', id: ID } },
    { name: 'Podman as root, v2, a sub-cgroup of its scope (--cgroups=split)', text: `0::/machine.slice/libpod-${ID}.scope/container\n`, want: { kind: 'podman', id: ID } },
    {
      name: 'Podman rootless, systemd user session',
      text: `0::/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-${ID}.scope\n`,
      want: { kind: 'podman', id: ID },
    },
    { name: 'Podman, cgroupfs manager (v1)', text: v1(`/libpod_parent/libpod-${ID}`), want: { kind: 'podman', id: ID } },
    { name: "Podman's conmon is the host's monitor, not the container", text: `0::/machine.slice/libpod-conmon-${ID}.scope\n`, want: undefined },
    { name: 'Docker in Docker: the innermost engine', text: `0::/docker/${ID}/docker/${ID2}\n`, want: { kind: 'docker', id: ID2 } },
    {
      name: 'a line that names none before one that does (name=systemd left on the host)',
      text: `9:name=systemd:/\n4:memory:/docker/${ID}\n0::/\n`,
      want: { kind: 'docker', id: ID },
    },
    { name: 'the host (every path /)', text: v1('/'), want: undefined },
    { name: 'a systemd service', text: '0::/system.slice/ssh.service\n', want: undefined },
    { name: 'a short id is not one', text: `0::/docker/${ID.slice(0, 12)}\n`, want: undefined },
    { name: 'upper-case hex is not an id', text: `0::/docker/${ID.toUpperCase()}\n`, want: undefined },
    { name: 'a longer run of hex is not an id', text: `0::/docker/${ID}0\n`, want: undefined },
    { name: 'a folder merely named docker-…', text: `0::/docker-${ID}.slice\n`, want: undefined },
    { name: 'empty (a process gone mid-read)', text: '', want: undefined },
    { name: 'not cgroup lines', text: `hello /docker/${ID}\n`, want: undefined },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(parseEngineCgroup(c.text), c.want));
});

describe('ProcessScanner.engineOf', () => {
  it('reads PID/cgroup under its /proc root, and says none for a process gone', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mc-unit-cgroup-'));
    try {
      fs.mkdirSync(path.join(root, '42'));
      fs.writeFileSync(path.join(root, '42', 'cgroup'), `0::/docker/${ID}\n`);
      const scanner = new ProcessScanner({ procRoot: root, maxOpenFiles: 0 });
      assert.deepEqual(scanner.engineOf(42), { kind: 'docker', id: ID });
      assert.equal(scanner.engineOf(43), undefined);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

/** A runner that answers from a table by binary and first argument, and records every call. */
function fakeRunner(answers: Record<string, RunResult | ((args: readonly string[]) => RunResult)>) {
  const calls: string[][] = [];
  const answer = (file: string, args: readonly string[]): RunResult => {
    calls.push([file, ...args]);
    const a = answers[`${file} ${args[0]}`] ?? answers[file];
    if (a === undefined) return { code: null, stdout: '', stderr: '', spawnError: 'ENOENT' };
    return typeof a === 'function' ? a(args) : a;
  };
  return { calls, run: (file: string, args: readonly string[]) => Promise.resolve(answer(file, args)) };
}
const env = { PATH: '/usr/local/bin:relative/bin:/usr/bin:/bin' };
const ok = (stdout: string): RunResult => ({ code: 0, stdout, stderr: '' });
const refused: RunResult = { code: 1, stdout: '', stderr: 'permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock\nmore' };

describe('finding the engine CLI', () => {
  it('tries /usr/bin first, then PATH, skipping relative entries and /bin (= /usr/bin)', () => {
    assert.deepEqual(engineCandidates('docker', env), ['/usr/bin/docker', '/usr/local/bin/docker']);
    assert.deepEqual(engineCandidates('podman', {}), ['/usr/bin/podman']);
  });
  it('keeps the first binary that reaches its daemon, past another program named docker', async () => {
    const r = fakeRunner({ '/usr/bin/docker': refused, '/usr/local/bin/docker': ok('28.2.2\n') });
    assert.deepEqual(await findEngineCli('docker', r.run, env), { kind: 'docker', path: '/usr/local/bin/docker' });
    assert.deepEqual(r.calls[0], ['/usr/bin/docker', 'version', '--format', '{{.Server.Version}}']);
  });
  it('prefers /usr/bin when both answer', async () => {
    const r = fakeRunner({ '/usr/bin/docker': ok('20.10.24\n'), '/usr/local/bin/docker': ok('28.2.2\n') });
    assert.equal((await findEngineCli('docker', r.run, env)).path, '/usr/bin/docker');
    assert.equal(r.calls.length, 1);
  });
  it('says "missing" when no binary runs, and the first complaint when none reaches a daemon', async () => {
    await assert.rejects(findEngineCli('docker', fakeRunner({}).run, env), (e: EngineCliError) => e.reason === 'missing');
    const refusing = fakeRunner({ '/usr/bin/docker': refused, '/usr/local/bin/docker': { code: 1, stdout: '', stderr: 'other' } });
    await assert.rejects(findEngineCli('docker', refusing.run, env), (e: EngineCliError) =>
      e.reason === 'unreachable' && e.detail === refused.stderr.split('\n')[0] && /cannot reach its daemon/.test(e.message));
  });
  it('a client that prints nothing does not count as an answer', async () => {
    await assert.rejects(findEngineCli('docker', fakeRunner({ '/usr/bin/docker': ok('') }).run, {}), (e: EngineCliError) => e.reason === 'unreachable');
  });
});

describe('inspect and exec argv', () => {
  it('asks every id in one inspect, one JSON array per line', () => {
    assert.deepEqual(inspectArgs('docker', [ID, ID2]), ['inspect', '--type', 'container', '--format', '[{{json .Id}},{{json .Name}},{{json .Config.Image}},{{json .State.Pid}}]', ID, ID2]);
    assert.equal(inspectArgs('podman', [ID])[4], '[{{json .Id}},{{json .Name}},{{json .ImageName}},{{json .State.Pid}}]');
  });
  it('parses names without Docker\'s slash, and skips what does not parse', () => {
    const out = `["${ID}","/mc-test-web","busybox:1",17568]\nError: No such container: ${ID2}\n["x","","",null]\n[broken\n`;
    assert.deepEqual([...parseInspect(out)], [[ID, { name: 'mc-test-web', image: 'busybox:1', pid: 17568 }], ['x', { name: null, image: null, pid: null }]]);
  });
  it('opens a shell as `docker exec -it ID sh` / `podman exec -it ID sh`, marked with its own token', () => {
    const token = '0123456789abcdef';
    assert.deepEqual(execShellArgs('docker', ID, token), ['exec', '-it', '-e', `MINI_CONTAINERS_SHELL=${token}`, ID, 'sh']);
    assert.deepEqual(execShellArgs('podman', ID, token), ['exec', '-it', '-e', `MINI_CONTAINERS_SHELL=${token}`, ID, 'sh']);
  });
  it('ends that shell through the engine, in the same container, by its token given as an argument', () => {
    const token = 'fedcba9876543210';
    const args = endShellArgs('docker', ID, token);
    assert.deepEqual([args.slice(0, 4), args.slice(5)], [['exec', ID, 'sh', '-c'], ['end-shell', token]]);
    assert.ok(!args[4].includes(token), 'the script is a constant');
  });
  it('refuses an id that could be read as an option, and a token that is not hex', () => {
    assert.throws(() => execShellArgs('docker', '--privileged', '0123456789abcdef'), /not a docker container id/);
    assert.throws(() => endShellArgs('docker', ID, '$(reboot)'), /not a shell token/);
  });
  it('names the next terminal `<name> (2)`, `(3)`…', () => {
    assert.equal(nextShellName('web', ['web']), 'web (2)');
    assert.equal(nextShellName('web', ['web', 'web (2)', 'other (3)']), 'web (3)');
    assert.equal(nextShellName('web', []), 'web (2)');
  });
});

describe('EngineInfoCache', () => {
  const answers = {
    '/usr/bin/docker version': ok('20.10.24\n'),
    '/usr/bin/docker inspect': (args: readonly string[]) => ok(args.slice(5).filter((id) => id === ID).map((id) => `["${id}","/web","busybox:1",4242]\n`).join('')),
  };
  const logs = () => {
    const lines: string[] = [];
    return { lines, log: { info: (m: string) => lines.push(`info ${m}`), warn: (m: string) => lines.push(`warn ${m}`) } };
  };

  it('never waits: answers undefined, asks once for everything queued, then knows', async () => {
    const r = fakeRunner(answers);
    let resolved = 0;
    const cache = new EngineInfoCache({ run: r.run, env: {}, log: logs().log, onResolved: () => resolved++ });
    assert.equal(cache.lookup({ kind: 'docker', id: ID }), undefined);
    assert.equal(cache.lookup({ kind: 'docker', id: ID2 }), undefined);
    assert.equal(cache.lookup({ kind: 'docker', id: ID }), undefined);
    await cache.settled();
    assert.deepEqual(r.calls.map((c) => c[1]), ['version', 'inspect']);
    assert.deepEqual(r.calls[1].slice(6), [ID, ID2]);
    assert.equal(resolved, 1);
    assert.deepEqual(cache.lookup({ kind: 'docker', id: ID }), { name: 'web', image: 'busybox:1', pid: 4242 });
    // The one the daemon did not know is not asked again before the retry delay.
    assert.equal(cache.lookup({ kind: 'docker', id: ID2 }), undefined);
    await cache.settled();
    assert.equal(r.calls.length, 2);
  });

  it('a missing CLI is logged once, not per refresh, and looked for again after the retry delay', async () => {
    const r = fakeRunner({});
    const { lines, log } = logs();
    let now = 0;
    const cache = new EngineInfoCache({ run: r.run, env: {}, log, retryMs: 1000, now: () => now });
    for (let i = 0; i < 5; i++) {
      cache.lookup({ kind: 'docker', id: ID });
      await cache.settled();
    }
    assert.equal(r.calls.length, 1);
    assert.equal(lines.length, 1);
    assert.match(lines[0], /^warn \[engines\] no docker command found/);
    now = 2000;
    cache.lookup({ kind: 'docker', id: ID });
    await cache.settled();
    assert.equal(r.calls.length, 2);
    assert.equal(lines.length, 1, 'the same problem is not said twice');
  });
});

function proc(hostPid: number, ppid: number, nsPids: number[]): ProcessInfo {
  return {
    hostPid, ppid, nsPids, nsPid: nsPids[nsPids.length - 1], state: 'S', uid: 0, user: 'root', command: `cmd${hostPid}`,
    comm: 'x', startTime: 100 + hostPid, rssBytes: 0, cpuTicks: 0, nsInode: null, kernelThread: false,
  };
}
const snap = (procs: ProcessInfo[]) => ({ processes: new Map(procs.map((p) => [p.hostPid, p])), hostNsInode: null });

describe('engine containers in the model', () => {
  const procs = [proc(1, 0, [1]), proc(10, 1, [10]), proc(11, 10, [11, 1]), proc(12, 11, [12, 2]), proc(20, 1, [20, 1])];
  it('reads the init\'s cgroup once per container, and shows the name when it arrives', () => {
    const asked: number[] = [];
    const engineOf = (pid: number) => (asked.push(pid), pid === 11 ? { kind: 'docker' as const, id: ID } : undefined);
    const cli: { info?: EngineInfo } = {};
    const first = buildModel(snap(procs), { engineOf, engineInfo: () => cli.info });
    assert.deepEqual(asked, [11, 20]);
    const docker = first.containers.find((c) => c.initHostPid === 11)!;
    assert.deepEqual(docker.engine, { kind: 'docker', id: ID, name: null, image: null });
    assert.equal(first.containers.find((c) => c.initHostPid === 20)!.engine, null);
    assert.equal(containerLabel(docker), ID.slice(0, 12));

    const quiet = buildModel(snap(procs), { engineOf, engineInfo: () => cli.info, previous: first });
    assert.deepEqual(asked, [11, 20], 'cgroups are not read again');
    assert.equal(quiet.byKey.get(docker.key), docker, 'nothing new: the same object');

    cli.info = { name: 'mc-test-web', image: 'busybox:1', pid: 11 };
    const named = buildModel(snap(procs), { engineOf, engineInfo: () => cli.info, previous: quiet });
    const after = named.byKey.get(docker.key)!;
    assert.deepEqual(after.engine, { kind: 'docker', id: ID, name: 'mc-test-web', image: 'busybox:1' });
    assert.deepEqual([...diffModels(quiet, named).changed], [docker.key]);
    assert.equal(containerLabel(after), 'mc-test-web');
    assert.match(containerDescription(after, 2, 0, 0), /^Docker · busybox:1 · PID 1 = host PID 11 · 2 processes/);
    const tooltip = containerTooltip(after, 0, 0);
    assert.match(tooltip, new RegExp(`Docker container ${ID.slice(0, 12)}\nImage: busybox:1`));
    assert.doesNotMatch(tooltip, /Root filesystem/);

    const json = toPsJson(named).containers.find((c) => c.initHostPid === 11)!;
    assert.deepEqual(json.engine, { kind: 'docker', id: ID, name: 'mc-test-web', image: 'busybox:1' });
    assert.match(formatPsTable(named), new RegExp(`^mc-test-web  init 11  docker ${ID.slice(0, 12)}  image busybox:1  2 processes$`, 'm'));
  });

  it('does not take the name of the container the daemon runs under another PID 1 (a cgroup named like it)', () => {
    const engineOf = (pid: number) => (pid === 11 ? { kind: 'docker' as const, id: ID } : undefined);
    const model = buildModel(snap(procs), { engineOf, engineInfo: () => ({ name: 'real', image: 'busybox:1', pid: 9999 }) });
    assert.deepEqual(model.containers.find((c) => c.initHostPid === 11)!.engine, { kind: 'docker', id: ID, name: null, image: null });
  });
});
