// `node dist/test/bench/helperStart.bench.js` (root): what one container start costs through the helper,
// against the lesson's raw command and bubblewrap on the same BusyBox rootfs, all running /bin/true; then where
// the helper's time goes, phase by phase. Starts are interleaved (the order rotating each round) so that load
// from anything else on the machine hits all sides alike.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../e2e/codeServerInstall';
import { processesRootedIn } from '../e2e/hostProcesses';
import { createTestRootfs, mountsUnder, type TestRootfs } from '../e2e/rootfs';
import { perfAvailable, summarizeTraces, traceStarts } from './helperPhases';
import { median, ms, quantile, ratio, summarize } from './report';
import { runScript } from '../e2e/script';

const ROUNDS = Number(process.env.BENCH_HELPER_ROUNDS ?? 30);
const TRACED = 12;
const HELPER = join(projectRoot, 'src', 'helper', 'container-helper.sh');
const GROUP = 'helper start';

/** The helper's own list of capabilities to drop, so that the sh floor below drops the same. */
function helperDropCaps(): string {
  const match = /^readonly DROP_CAPS=((?:.*\\\n)*.*)$/m.exec(readFileSync(HELPER, 'utf8'));
  if (!match) throw new Error(`no DROP_CAPS in ${HELPER}`);
  return match[1].replace(/\\\n/g, '');
}

/** The commands compared, each a function giving the argv of one start. */
function commands(rootfs: string, tmp: string): Record<string, () => string[]> {
  let n = 0;
  const drop = helperDropCaps();
  return {
    floor: () => ['/bin/true'],
    raw: () => ['unshare', '-pfmui', `--mount-proc=${rootfs}/proc`, 'chroot', rootfs, '/bin/true'],
    // The fewest processes a sh helper that confines can run: a shell, the namespaces, chroot plus dropped
    // capabilities and no_new_privs. Nothing else of the helper: no checks, masks, /dev, supervisor or records.
    shFloor: () => ['sh', '-c', 'exec unshare -pfmui --mount-proc="$1/proc" capsh --chroot="$1" --drop="$2" --no-new-privs --shell=/bin/true --',
      'sh', rootfs, drop],
    bwrap: () => ['bwrap', '--bind', rootfs, '/', '--proc', '/proc', '--dev', '/dev', '--unshare-pid', '--unshare-ipc', '--unshare-uts', '--die-with-parent', '/bin/true'],
    helper: () => ['sh', HELPER, 'start', '--rootfs', rootfs, '--', '/bin/true'],
    // As the extension runs it: a name, and a status file that must not exist yet.
    helperExt: () => ['sh', HELPER, 'start', '--rootfs', rootfs, '--name', 'bench', '--status-file', join(tmp, `status-${++n}.jsonl`), '--', '/bin/true'],
  };
}

/** Wall time of one start, from spawn to exit, in ms; throws unless it exits 0. */
function timeStart(argv: string[]): number {
  const started = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], timeout: 30_000 });
  const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed (${r.error?.message ?? r.signal ?? `exit ${r.status}`}): ${r.stderr}`);
  return elapsed;
}

async function main(): Promise<number> {
  if (process.getuid?.() !== 0) {
    console.error('helper start bench: needs root (namespaces, chroot)');
    return 1;
  }
  const missing = ['bwrap', 'unshare', 'capsh', 'setpriv'].filter((c) => spawnSync('sh', ['-c', 'command -v "$1"', 'sh', c]).status !== 0);
  if (missing.length) {
    console.error(`helper start bench: missing ${missing.join(', ')}: apt-get install -y bubblewrap util-linux libcap2-bin`);
    return 1;
  }
  let rootfs: TestRootfs | undefined;
  const tmp = await mkdtemp(join(tmpdir(), 'mini-containers-bench-helper-'));
  try {
    rootfs = await createTestRootfs('mini-containers-bench-rootfs-', 'rootfs');
    const cmds = commands(rootfs.rootfs, tmp);
    const hash = createHash('sha256').update(readFileSync(HELPER)).digest('hex').slice(0, 12);
    console.log(`helper ${HELPER} (sha256 ${hash}), rootfs ${rootfs.rootfs} (busybox, made by dist/cli.js make-rootfs)`);
    const names = Object.keys(cmds);
    for (const name of names) timeStart(cmds[name]()); // warm the page cache
    const samples: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (let i = 0; i < names.length; i++) {
        const name = names[(i + round) % names.length];
        samples[name].push(timeStart(cmds[name]()));
      }
    }
    const med = (n: string) => median(samples[n]);
    const p90 = (n: string) => quantile(samples[n], 0.9);
    console.log(`\nper start, ${ROUNDS} interleaved rounds          median       p90   median/raw   p90/raw`);
    const labels: Record<string, string> = {
      floor: 'spawn floor: /bin/true from Node',
      raw: 'raw: unshare -pfmui --mount-proc chroot',
      shFloor: 'sh floor: sh → unshare → capsh, nothing else',
      bwrap: 'bubblewrap (--unshare-pid/ipc/uts)',
      helper: 'helper: container-helper.sh start',
      helperExt: 'helper + --name, --status-file (as the extension)',
    };
    for (const n of names) {
      console.log(`  ${labels[n].padEnd(42)}${ms(med(n), 2).padStart(10)}${ms(p90(n), 2).padStart(10)}${ratio(med(n), med('raw')).padStart(13)}${ratio(p90(n), p90('raw')).padStart(10)}`);
    }
    summarize({
      group: GROUP, figure: 'helper start, median', value: ms(med('helper')), baseline: `raw unshare+chroot ${ms(med('raw'), 2)}`,
      ratio: ratio(med('helper'), med('raw')), target: '≤ 1.3× raw', met: med('helper') / med('raw') <= 1.3,
    });
    summarize({
      group: GROUP, figure: 'helper start, p90', value: ms(p90('helper')), baseline: `raw p90 ${ms(p90('raw'), 2)}`,
      ratio: ratio(p90('helper'), p90('raw')), target: '≤ 1.3× raw', met: p90('helper') / p90('raw') <= 1.3,
    });
    summarize({
      group: GROUP, figure: 'helper start as the extension runs it, median', value: ms(med('helperExt')), baseline: `raw ${ms(med('raw'), 2)}`,
      ratio: ratio(med('helperExt'), med('raw')), target: '≤ 1.3× raw', met: med('helperExt') / med('raw') <= 1.3,
    });
    summarize({
      group: GROUP, figure: 'sh floor (sh → unshare → capsh, no checks), median', value: ms(med('shFloor'), 2), baseline: `raw ${ms(med('raw'), 2)}`,
      ratio: ratio(med('shFloor'), med('raw')),
    });
    summarize({ group: GROUP, figure: 'bubblewrap start, median', value: ms(med('bwrap'), 2), baseline: `raw ${ms(med('raw'), 2)}`, ratio: ratio(med('bwrap'), med('raw')) });
    summarize({ group: GROUP, figure: 'raw start, median', value: ms(med('raw'), 2), baseline: `spawn floor ${ms(med('floor'), 2)}`, ratio: ratio(med('raw'), med('floor')) });

    phases(cmds, med('helper'), med('raw'), tmp);

    const leftovers = processesRootedIn(rootfs.rootfs);
    if (leftovers.length) throw new Error(`processes still run in the rootfs after the starts: ${leftovers.map((p) => p.pid).join(', ')}`);
    const mounts = mountsUnder(rootfs.dir);
    if (mounts.length) throw new Error(`mounts leaked into the host's mount table: ${mounts.join(', ')}`);
    return 0;
  } finally {
    await rootfs?.dispose();
    await rm(tmp, { recursive: true, force: true });
  }
}

function phases(cmds: Record<string, () => string[]>, helperMs: number, rawMs: number, tmp: string): void {
  if (!perfAvailable()) {
    console.log('\nwhere the helper\'s time goes: skipped, `perf` is missing (apt-get install -y linux-perf)');
    return;
  }
  let helper: ReturnType<typeof summarizeTraces>;
  let raw: ReturnType<typeof summarizeTraces>;
  try {
    const [helperTraces, rawTraces] = [traceStarts(cmds.helper(), TRACED, tmp), traceStarts(cmds.raw(), TRACED, tmp)];
    if (!helperTraces.length || !rawTraces.length) throw new Error('perf recorded no complete start');
    [helper, raw] = [summarizeTraces(helperTraces), summarizeTraces(rawTraces)];
  } catch (err) {
    console.log(`\nwhere the helper's time goes: could not be measured: ${(err as Error).message}`);
    return;
  }
  console.log(`\nwhere the helper's time goes: kernel sched tracepoints (perf record), median of ${TRACED} traced starts`);
  console.log(`  traced start ${ms(helper.totalMs)} (untraced median ${ms(helperMs)}); phases on the critical path:`);
  console.log(`  ${'phase'.padEnd(86)}${'ms'.padStart(8)}${'share'.padStart(8)}${'×raw'.padStart(8)}`);
  for (const [name, t] of helper.phases) {
    console.log(`  ${name.padEnd(86)}${t.toFixed(1).padStart(8)}${`${((100 * t) / helper.totalMs).toFixed(0)}%`.padStart(8)}${ratio(t, rawMs, 1).padStart(8)}`);
  }
  console.log(`  processes per start: ${helper.processes} (${helper.execs} programs exec'd); raw: ${raw.processes} (${raw.execs} exec'd)`);
  console.log(`  beside the container, the control-FIFO server: ${helper.server.processes} of those processes, busy ${ms(helper.server.busyMs)} (off the critical path, but it shares the CPUs)`);
  console.log('  programs run per start, by time from fork to exit (children that run one program):');
  for (const [name, [count, total]] of helper.programs) {
    console.log(`    ${name.padEnd(10)}${`${count}×`.padStart(5)}${ms(total).padStart(10)}${count ? `   ${ms(total / count, 2)} each` : ''}`);
  }
  console.log(`    ${'subshells'.padEnd(10)}${`${helper.subshells[0]}×`.padStart(5)}${ms(helper.subshells[1]).padStart(10)}   forks that exec nothing (command substitutions); ms for those with no program below`);
  console.log(`  exec'd in place along the stage chain: ${helper.chained.map(([n, c]) => `${n} ${c}×`).join(', ')}`);
  console.log(`  timeline of the median traced start (${ms(helper.typical.totalMs)}): ms from its start, ms taken, what`);
  for (const step of helper.typical.steps) {
    console.log(`    ${step.at.toFixed(1).padStart(6)}  ${step.ms ? step.ms.toFixed(1).padStart(5) : '     '}  ${step.stage.padEnd(9)}${step.what}`);
  }
  const top = [...helper.phases].sort((a, b) => b[1] - a[1]).slice(0, 3);
  console.log(`  3 biggest costs: ${top.map(([n, t]) => `${n.replace(/ \(.*$/, '')} ${ms(t)}`).join('; ')}`);
  summarize({
    group: GROUP, figure: 'processes created per start', value: String(helper.processes), baseline: `raw ${raw.processes}`,
    ratio: ratio(helper.processes, raw.processes, 1),
  });
  for (const [name, t] of top) {
    summarize({ group: GROUP, figure: `phase: ${name.replace(/ \(.*$/, '')}`, value: ms(t), baseline: `a whole raw start ${ms(rawMs, 2)}`, ratio: ratio(t, rawMs, 1) });
  }
}

runScript(main, { stack: true });
