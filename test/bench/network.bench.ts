// `node dist/test/bench/network.bench.js` (root): the time `--network private` adds to a container start, as a
// ratio to a plain start (the host's network) measured in the same run, interleaved: as root (slirp4netns) and
// rootless (as nobody: pasta). `none` (a network namespace with only lo) is measured beside them.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { projectRoot } from '../e2e/codeServerInstall';
import { processesRootedIn } from '../e2e/hostProcesses';
import { createTestRootfs, type TestRootfs } from '../e2e/rootfs';
import { median, ms, quantile, ratio, summarize } from './report';
import { runScript } from '../e2e/script';

const ROUNDS = Number(process.env.BENCH_NETWORK_ROUNDS ?? 20);
const HELPER = join(projectRoot, 'src', 'helper', 'container-helper.sh');
const GROUP = 'network';
/** An ordinary user for the rootless starts: nobody, who can read the helper and the rootfs (0755 folders). */
const NOBODY = 65534;

interface Start { argv: string[]; uid?: number }

/** Wall time of one start, from spawn to exit, in ms; throws unless it exits 0. */
function timeStart({ argv, uid }: Start): number {
  const started = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), {
    stdio: ['ignore', 'ignore', 'pipe'], timeout: 30_000, cwd: '/',
    ...(uid === undefined ? {} : { uid, gid: uid, env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/', XDG_RUNTIME_DIR: '' } }),
  });
  const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed (${r.error?.message ?? r.signal ?? `exit ${r.status}`}): ${r.stderr}`);
  return elapsed;
}

/** Stack processes (slirp4netns, pasta, passt.avx2) still running: none may outlive the starts. */
function stacksLeft(): string[] {
  const r = spawnSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return r.stdout.split('\n').filter((l) => /slirp4netns .*--api-socket \/run\/mini-containers|pasta .*mini-containers/.test(l));
}

async function main(): Promise<number> {
  if (process.getuid?.() !== 0) {
    console.error('network bench: needs root');
    return 1;
  }
  const missing = ['bwrap', 'slirp4netns', 'pasta'].filter((c) => spawnSync('sh', ['-c', 'command -v "$1"', 'sh', c]).status !== 0);
  if (missing.length) {
    console.error(`network bench: missing ${missing.join(', ')}: apt-get install -y bubblewrap slirp4netns passt`);
    return 1;
  }
  let rootfs: TestRootfs | undefined;
  const nobodyRun = `/tmp/mini-containers-${NOBODY}`;
  const nobodyRunExisted = existsSync(nobodyRun);
  try {
    rootfs = await createTestRootfs('mini-containers-bench-network-', 'rootfs');
    await chmod(rootfs.dir, 0o755);
    const start = (network: string, uid?: number): Start => ({
      argv: ['sh', HELPER, 'start', '--rootfs', rootfs!.rootfs, ...(network ? ['--network', network] : []), '--', '/bin/true'], uid,
    });
    const cmds: Record<string, () => Start> = {
      host: () => start(''),
      none: () => start('none'),
      private: () => start('private'),
      rootlessHost: () => start('', NOBODY),
      rootlessNone: () => start('none', NOBODY),
      rootlessPrivate: () => start('private', NOBODY),
    };
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
    const labels: Record<string, string> = {
      host: 'as root, host network (the default)',
      none: 'as root, --network none',
      private: 'as root, --network private (slirp4netns)',
      rootlessHost: 'rootless, host network (the default)',
      rootlessNone: 'rootless, --network none',
      rootlessPrivate: 'rootless, --network private (pasta)',
    };
    const base = (n: string) => (n.startsWith('rootless') ? 'rootlessHost' : 'host');
    console.log(`\nper start of /bin/true, ${ROUNDS} interleaved rounds     median       p90   median/host`);
    for (const n of names) {
      console.log(`  ${labels[n].padEnd(44)}${ms(med(n), 2).padStart(10)}${ms(p90(n), 2).padStart(10)}${ratio(med(n), med(base(n))).padStart(14)}`);
    }
    for (const [n, what] of [['private', 'as root (slirp4netns)'], ['rootlessPrivate', 'rootless (pasta)'], ['none', 'as root'], ['rootlessNone', 'rootless']] as const) {
      summarize({
        group: GROUP, figure: `start with --network ${n.endsWith('rivate') ? 'private' : 'none'} ${what}, median`, value: ms(med(n), 2),
        baseline: `host network ${ms(med(base(n)), 2)}`, ratio: ratio(med(n), med(base(n))),
      });
    }
    const leftovers = processesRootedIn(rootfs.rootfs);
    if (leftovers.length) throw new Error(`processes still run in the rootfs after the starts: ${leftovers.map((p) => p.pid).join(', ')}`);
    const stacks = stacksLeft();
    if (stacks.length) throw new Error(`user-mode stacks outlived their containers:\n${stacks.join('\n')}`);
    return 0;
  } finally {
    await rootfs?.dispose();
    if (!nobodyRunExisted) await rm(nobodyRun, { recursive: true, force: true });
  }
}

runScript(main, { stack: true });
