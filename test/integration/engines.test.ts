// Docker containers in the model, on a real daemon of the test's own (dockerDaemon.ts): the scanner finds the
// container from its init's cgroup, the CLI (DOCKER_HOST = the test socket) names it and its image, a real
// `docker exec -it ID sh` in a pty runs in it and shows under it, and everything the test made is gone after.
// Podman is covered by unit fixtures only: its crun cannot start containers on this hybrid-cgroup host.
// `node esbuild.mjs && node --test --test-concurrency=1 dist/test/integration/engines.test.js` (as root).

import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as pty from 'node-pty';
import { buildModel, type Container, type ContainerModel } from '../../src/core/model/containerModel';
import { ProcessScanner } from '../../src/core/proc/processScanner';
import { EngineInfoCache } from '../../src/core/engines/engineInfo';
import { endShellArgs, execShellArgs, findEngineCli, nodeRunner } from '../../src/core/engines/engineCli';
import { containerDescription, containerLabel } from '../../src/core/model/treeText';
import type { PsJson } from '../../src/core/model/format';
import { dockerSkipReason, startTestDocker, type TestDocker } from './dockerDaemon';
import { processesMentioning } from './hostProcs';
import { sleep, waitFor } from './harness';

const cli = path.resolve(__dirname, '..', '..', 'cli.js');

/** One scan, with names asked of the engine and waited for, as the view gets them a moment later. */
async function scanNamed(env: NodeJS.ProcessEnv, warnings: string[] = []): Promise<ContainerModel> {
  const scanner = new ProcessScanner({ maxOpenFiles: 0 });
  const engines = new EngineInfoCache({ run: nodeRunner, env, log: { info: () => undefined, warn: (m) => warnings.push(m) } });
  try {
    const snapshot = scanner.scan();
    const inputs = { rootOf: (pid: number) => scanner.rootOf(pid), engineOf: (pid: number) => scanner.engineOf(pid), engineInfo: engines.lookup.bind(engines) };
    const first = buildModel(snapshot, inputs);
    await engines.settled();
    return buildModel(snapshot, { ...inputs, previous: first });
  } finally {
    engines.dispose();
    scanner.dispose();
  }
}

const skip = dockerSkipReason();

describe('Docker containers, on a daemon of the test\'s own', { skip }, () => {
  let docker: TestDocker;
  let id: string;
  let initPid: number;
  const name = `mc-test-engines-${process.pid}`;

  before(async () => {
    docker = await startTestDocker();
    const t0 = Date.now();
    id = await docker.runSleeper(name);
    initPid = Number((await docker.docker('inspect', '--format', '{{.State.Pid}}', id)).trim());
    process.stdout.write(`daemon (${docker.storageDriver}) and image in ${docker.startMs} ms, container in ${Date.now() - t0} ms\n`);
  }, { timeout: 120_000 });

  after(async () => {
    const dir = docker?.dir;
    const ms = await docker?.stop();
    process.stdout.write(`container, image, daemon and ${dir} removed in ${ms} ms\n`);
    if (dir === undefined) return;
    // Nothing of it is left: no process naming its folder, no mount under it, not the folder.
    assert.deepEqual(processesMentioning(dir), []);
    assert.equal(fs.readFileSync('/proc/self/mountinfo', 'utf8').includes(dir), false);
    assert.equal(fs.existsSync(dir), false);
  }, { timeout: 120_000 });

  it('lists the container by its engine\'s name and image, its init found from its cgroup', async () => {
    const model = await scanNamed(docker.env);
    const c = model.containers.find((x) => x.engine?.id === id);
    assert.ok(c, `a container with engine id ${id}: ${JSON.stringify(model.containers.map((x) => x.engine))}`);
    assert.equal(c.initHostPid, initPid);
    assert.deepEqual(c.engine, { kind: 'docker', id, name, image: docker.image });
    assert.equal(containerLabel(c), name);
    assert.match(containerDescription(c, 1, Date.now(), 0), new RegExp(`^Docker · ${docker.image} · PID 1 = host PID ${initPid}`));
  });

  it('`mini-containers ps --json` names it too', async () => {
    const out = await new Promise<string>((resolve, reject) => execFile(process.execPath, [cli, 'ps', '--json'], { env: docker.env }, (e, stdout, stderr) =>
      e ? reject(new Error(stderr)) : resolve(stdout)));
    const c = (JSON.parse(out) as PsJson).containers.find((x) => x.engine?.id === id);
    assert.deepEqual(c?.engine, { kind: 'docker', id, name, image: docker.image });
    assert.equal(c?.initHostPid, initPid);
  });

  it('a daemon out of reach leaves the container named by its id, with one warning', async () => {
    const warnings: string[] = [];
    const model = await scanNamed({ ...process.env, DOCKER_HOST: `unix://${docker.dir}/no-such.sock` }, warnings);
    const c = model.containers.find((x) => x.engine?.id === id) as Container;
    assert.deepEqual(c.engine, { kind: 'docker', id, name: null, image: null });
    assert.equal(containerLabel(c), id.slice(0, 12));
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0], /docker cannot reach its daemon/);
  });

  it('`docker exec -it ID sh` runs a shell in it that the model lists under it', { timeout: 60_000 }, async () => {
    const engine = await findEngineCli('docker', nodeRunner, docker.env);
    assert.equal(engine.path, '/usr/bin/docker', 'Debian\'s client, not /usr/local/bin/docker');
    const term = pty.spawn(engine.path, execShellArgs('docker', id, '0123456789abcdef'), {
      name: 'xterm-256color', cols: 120, rows: 24, cwd: '/', env: docker.env as Record<string, string>,
    });
    let screen = '';
    term.onData((d) => (screen += d));
    const exited = new Promise<number>((resolve) => term.onExit(({ exitCode }) => resolve(exitCode)));
    try {
      term.write('hostname; echo "pid=$$"\r');
      const m = await waitFor(() => /pid=(\d+)\r?\n/.exec(screen) ?? undefined, 15_000);
      const shellPid = Number(m[1]);
      assert.notEqual(shellPid, 1, 'a new process of the container, not its PID 1');
      assert.match(screen, new RegExp(`^${id.slice(0, 12)}\\r?$`, 'm'), 'the container\'s hostname (Docker: its short id)');
      const model = await scanNamed(docker.env);
      const c = model.containers.find((x) => x.engine?.id === id);
      const shell = c?.processes.find((p) => p.nsPid === shellPid);
      assert.ok(shell, `the exec'd shell (PID ${shellPid} inside) in ${JSON.stringify(c?.processes.map((p) => [p.nsPid, p.command]))}`);
      assert.equal(shell.command, 'sh');
      assert.equal(model.containerOf.get(shell.hostPid), c!.key);
      term.write('exit 3\r');
      assert.equal(await exited, 3, 'the shell\'s exit code comes back through docker exec');
    } finally {
      term.kill('SIGKILL');
    }
  });

  it('a shell whose client hung up is left running by Docker, and ended by its token through the engine (only it)', { timeout: 60_000 }, async () => {
    const engine = await findEngineCli('docker', nodeRunner, docker.env);
    const token = `${process.pid.toString(16).padStart(8, '0')}0badc0de`;
    const spawnShell = (mark: string) => pty.spawn(engine.path, execShellArgs('docker', id, mark), {
      name: 'xterm-256color', cols: 120, rows: 24, cwd: '/', env: docker.env as Record<string, string>,
    });
    const closed = spawnShell(token);
    const other = spawnShell('ffffffffffffffff');
    const pidOf = async (term: pty.IPty) => {
      let screen = '';
      term.onData((d) => (screen += d));
      term.write('echo "pid=$$"\r');
      return Number((await waitFor(() => /pid=(\d+)\r?\n/.exec(screen) ?? undefined, 15_000))[1]);
    };
    try {
      const [closedPid, otherPid] = [await pidOf(closed), await pidOf(other)];
      const running = async (nsPid: number) => {
        const c = (await scanNamed(docker.env)).containers.find((x) => x.engine?.id === id);
        return c?.processes.some((p) => p.nsPid === nsPid) ?? false;
      };
      closed.kill('SIGHUP');
      await sleep(1500);
      assert.ok(await running(closedPid), 'Docker keeps an exec\'d shell running after its client hangs up (why the extension ends it)');
      await docker.docker(...endShellArgs('docker', id, token));
      const deadline = Date.now() + 10_000;
      while (await running(closedPid)) {
        if (Date.now() > deadline) assert.fail(`the shell marked ${token} (PID ${closedPid} inside) still runs 10 s after it was ended`);
        await sleep(100);
      }
      assert.ok(await running(otherPid), 'the other shell, with another token, still runs');
      assert.ok(await running(1), 'the container\'s PID 1 still runs');
    } finally {
      closed.kill('SIGKILL');
      other.kill('SIGKILL');
    }
  });
});
