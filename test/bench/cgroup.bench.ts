// `node dist/test/bench/cgroup.bench.js` (root): what a container's cgroup adds to a start. The same start of
// /bin/true as root, rounds interleaved, with the host's cgroup filesystem (the helper makes the group, sets the
// default pids limit, the chain enters it, the group is removed at the end) and with /sys/fs/cgroup hidden under an
// empty tmpfs in a mount namespace of the bench's own (the helper finds no hierarchy and starts without a group).
// Both variants run in such a namespace, so the only difference is the group. No target: the figure is reported.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildBusyboxRootfs } from '../../src/core/rootfs/busyboxRootfs';
import { projectRoot } from '../e2e/codeServerInstall';
import { median, ms, quantile, ratio, summarize } from './report';
import { runScript } from '../e2e/script';

const ROUNDS = Number(process.env.BENCH_CGROUP_ROUNDS ?? 20);
const PER_ROUND = 5;
const HELPER = path.join(projectRoot, 'src', 'helper', 'container-helper.sh');

/** Milliseconds per start of PER_ROUND starts in a row, in a private mount namespace; `hide`: no cgroup there. */
function perStart(rootfs: string, hide: boolean): number {
  const script = `${hide ? 'mount -t tmpfs mc-bench-no-cgroup /sys/fs/cgroup || exit 1\n' : ''}` +
    `i=0; while [ $i -lt ${PER_ROUND} ]; do sh "$1" start --rootfs "$2" -- /bin/true 2>/dev/null || exit 2; i=$((i+1)); done`;
  const started = process.hrtime.bigint();
  const r = spawnSync('unshare', ['--mount', '--propagation', 'private', '--', 'sh', '-c', script, 'bench', HELPER, rootfs], { stdio: ['ignore', 'ignore', 'pipe'] });
  const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
  if (r.status !== 0) throw new Error(`starts ${hide ? 'without' : 'with'} a cgroup failed (${r.status}): ${r.stderr}`);
  return elapsed / PER_ROUND;
}

async function main(): Promise<number> {
  if (process.getuid?.() !== 0) {
    console.error('cgroup bench: needs root');
    return 1;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mini-containers-bench-cgroup-'));
  try {
    const rootfs = await buildBusyboxRootfs(path.join(dir, 'rootfs'));
    const samples = { with: [] as number[], without: [] as number[] };
    for (let i = -1; i < ROUNDS; i++) {
      const order = i % 2 ? [true, false] : [false, true];
      for (const hide of order) {
        const t = perStart(rootfs, hide);
        if (i >= 0) samples[hide ? 'without' : 'with'].push(t);
      }
    }
    const [w, wo] = [median(samples.with), median(samples.without)];
    console.log(`\n${ROUNDS} rounds of ${PER_ROUND} starts of /bin/true as root   median       p90`);
    console.log(`  with a cgroup                         ${ms(w).padStart(10)}${ms(quantile(samples.with, 0.9)).padStart(10)}`);
    console.log(`  without (no hierarchy visible)        ${ms(wo).padStart(10)}${ms(quantile(samples.without, 0.9)).padStart(10)}`);
    summarize({ group: 'cgroups', figure: 'a start as root with its cgroup (made, limited, entered, removed): what the group adds', value: `${ms(w)} (+${ms(w - wo)})`, baseline: `the same start without a group ${ms(wo)}`, ratio: ratio(w, wo) });
    return 0;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

runScript(main, { stack: true });
