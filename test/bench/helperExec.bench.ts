// `node dist/test/bench/helperExec.bench.js` (root): what a new process in a running container costs through the
// helper's `exec`, against a fresh container's start through the helper's `start`, both running /bin/true on the
// same BusyBox rootfs, interleaved (the order rotating each round) so that load from anything else on the machine
// hits both alike. For scale, nsenter into the same namespaces with no confinement at all.

import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../e2e/codeServerInstall';
import { processesRootedIn } from '../e2e/hostProcesses';
import { createTestRootfs, mountsUnder, type TestRootfs } from '../e2e/rootfs';
import { median, ms, quantile, ratio, summarize } from './report';
import { runScript } from '../e2e/script';

const ROUNDS = Number(process.env.BENCH_EXEC_ROUNDS ?? 30);
const HELPER = join(projectRoot, 'src', 'helper', 'container-helper.sh');
const GROUP = 'helper exec';

/** Wall time of one run, from spawn to exit, in ms; throws unless it exits 0. */
function time(argv: string[]): number {
  const started = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], timeout: 30_000, cwd: '/' });
  const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed (${r.error?.message ?? r.signal ?? `exit ${r.status}`}): ${r.stderr}`);
  return elapsed;
}

async function main(): Promise<number> {
  if (process.getuid?.() !== 0) {
    console.error('helper exec bench: needs root (namespaces)');
    return 1;
  }
  let rootfs: TestRootfs | undefined;
  const tmp = await mkdtemp(join(tmpdir(), 'mini-containers-bench-exec-'));
  // The container exec enters: a helper start running sleep, ended with SIGTERM (the helper ends its container).
  let container: ReturnType<typeof spawn> | undefined;
  try {
    rootfs = await createTestRootfs('mini-containers-bench-exec-rootfs-', 'rootfs');
    const status = join(tmp, 'status.jsonl');
    container = spawn('sh', [HELPER, 'start', '--rootfs', rootfs.rootfs, '--status-file', status, '--', '/bin/sleep', '1000'], { stdio: 'ignore' });
    let started: { initPid: number; startTime: number } | undefined;
    for (let i = 0; i < 200 && !started; i++) {
      const line = (await readFile(status, 'utf8').catch(() => '')).split('\n').find((l) => l.includes('"started"'));
      if (line) started = JSON.parse(line) as { initPid: number; startTime: number };
      else await new Promise((r) => setTimeout(r, 25));
    }
    if (!started) throw new Error('the container to enter did not start');
    const cmds: Record<string, () => string[]> = {
      start: () => ['sh', HELPER, 'start', '--rootfs', rootfs!.rootfs, '--', '/bin/true'],
      exec: () => ['sh', HELPER, 'exec', '--container', String(started.initPid), '--container-start-time', String(started.startTime), '/bin/true'],
      nsenter: () => ['nsenter', '-t', String(started.initPid), '-m', '-u', '-i', '-p', '-r', '-w', '-F', '/bin/true'],
    };
    const names = Object.keys(cmds);
    for (const name of names) time(cmds[name]()); // warm the page cache
    const samples: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (let i = 0; i < names.length; i++) {
        const name = names[(i + round) % names.length];
        samples[name].push(time(cmds[name]()));
      }
    }
    const med = (n: string) => median(samples[n]);
    const p90 = (n: string) => quantile(samples[n], 0.9);
    const labels: Record<string, string> = {
      start: 'helper start (a new container), /bin/true',
      exec: 'helper exec (into a running one), /bin/true',
      nsenter: 'nsenter -mouip, no confinement, /bin/true',
    };
    console.log(`\nper run, ${ROUNDS} interleaved rounds               median       p90   median/start`);
    for (const n of names) {
      console.log(`  ${labels[n].padEnd(44)}${ms(med(n), 2).padStart(10)}${ms(p90(n), 2).padStart(10)}${ratio(med(n), med('start')).padStart(14)}`);
    }
    summarize({
      group: GROUP, figure: 'helper exec to /bin/true, median', value: ms(med('exec')), baseline: `helper start ${ms(med('start'), 2)}`,
      ratio: ratio(med('exec'), med('start')), target: '≤ 1× start', met: med('exec') <= med('start'),
    });
    summarize({
      group: GROUP, figure: 'helper exec to /bin/true, p90', value: ms(p90('exec')), baseline: `helper start p90 ${ms(p90('start'), 2)}`,
      ratio: ratio(p90('exec'), p90('start')),
    });
    summarize({
      group: GROUP, figure: 'nsenter (no confinement) to /bin/true, median', value: ms(med('nsenter'), 2), baseline: `helper exec ${ms(med('exec'), 2)}`,
      ratio: ratio(med('nsenter'), med('exec')),
    });
    return 0;
  } finally {
    if (container && container.exitCode === null) {
      const ended = new Promise((r) => container!.once('close', r));
      container.kill('SIGTERM');
      await ended;
    }
    if (rootfs) {
      const leftovers = processesRootedIn(rootfs.rootfs);
      if (leftovers.length) console.error(`processes still run in the rootfs: ${leftovers.map((p) => p.pid).join(', ')}`);
      const mounts = mountsUnder(rootfs.dir);
      if (mounts.length) console.error(`mounts leaked into the host's mount table: ${mounts.join(', ')}`);
    }
    await rootfs?.dispose();
    await rm(tmp, { recursive: true, force: true });
  }
}

runScript(main, { stack: true });
