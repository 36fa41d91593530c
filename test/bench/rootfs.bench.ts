// `node dist/test/bench/rootfs.bench.js` (root): what the root filesystem features cost against the field's own
// tools, measured in the same run, rounds interleaved.
// - `rootfs import` of a 100 MB tar (a BusyBox rootfs and 100 MB of files of 1 MB to 1 KB) against GNU `tar -x` of the
//   same file into an empty folder: both as root (import then reads it in its bubblewrap sandbox) and as an ordinary
//   user (nobody). Speed = size / time; the target is the import at 0.8x tar's speed or better.
// - A throw-away start (`start --ephemeral`, an overlay mounted before bwrap) against a plain start of the same
//   rootfs running /bin/true, as root and rootless: the milliseconds it adds (target 3 ms).

import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildBusyboxRootfs } from '../../src/core/rootfs/busyboxRootfs';
import { importImage } from '../../src/core/rootfs/imageImport';
import { projectRoot } from '../e2e/codeServerInstall';
import { median, ms, quantile, ratio, summarize } from './report';
import { runScript } from '../e2e/script';

const ROUNDS = Number(process.env.BENCH_ROOTFS_ROUNDS ?? 5);
const START_ROUNDS = Number(process.env.BENCH_EPHEMERAL_ROUNDS ?? 30);
const HELPER = path.join(projectRoot, 'src', 'helper', 'container-helper.sh');
const CLI = path.join(projectRoot, 'dist', 'cli.js');
const GROUP = 'root filesystems';
const NOBODY = 65534;

function timed(run: () => void): number {
  const started = process.hrtime.bigint();
  run();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

function check(r: ReturnType<typeof spawnSync>, what: string): void {
  if (r.status !== 0) throw new Error(`${what} failed (${r.status}): ${r.stderr}`);
}

/** A 100 MB rootfs tar: BusyBox, then files from 1 MB down to 1 KB that gzip would not shrink (as a real image). */
function makeTar(dir: string, rootfs: string): string {
  const data = path.join(rootfs, 'data');
  fs.mkdirSync(data);
  let total = 0;
  for (let i = 0, size = 1 << 20; total < 100e6; i++, size = size > 1024 ? size >> 1 : 1 << 20) {
    fs.mkdirSync(path.join(data, String(i % 50)), { recursive: true });
    fs.writeFileSync(path.join(data, String(i % 50), `f${i}`), randomBytes(size));
    total += size;
  }
  const tar = path.join(dir, 'rootfs.tar');
  check(spawnSync('tar', ['-C', rootfs, '-cf', tar, '.']), 'tar -c');
  fs.chmodSync(dir, 0o755);
  fs.chmodSync(tar, 0o644);
  return tar;
}

async function importBench(dir: string, tar: string): Promise<void> {
  const size = fs.statSync(tar).size;
  const root = { tar: [] as number[], import: [] as number[] };
  const user = { tar: [] as number[], import: [] as number[] };
  const userDir = path.join(dir, 'nobody');
  fs.mkdirSync(userDir);
  fs.chownSync(userDir, NOBODY, NOBODY);
  const cli = path.join(dir, 'cli.js');
  fs.copyFileSync(CLI, cli);
  fs.chmodSync(cli, 0o644);
  let n = 0;
  const asNobody = (args: string[]) => spawnSync('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', ...args], {
    env: { PATH: process.env.PATH, HOME: userDir, XDG_DATA_HOME: path.join(userDir, 'data') }, stdio: ['ignore', 'ignore', 'pipe'],
  });
  const rounds = async (keep: boolean) => {
    const target = path.join(dir, `x${n++}`);
    fs.mkdirSync(target);
    const tarRoot = timed(() => check(spawnSync('tar', ['-C', target, '-xf', tar]), 'tar -x'));
    fs.rmSync(target, { recursive: true, force: true });
    const store = path.join(dir, 'store');
    const started = process.hrtime.bigint();
    await importImage(tar, store, `r${n}`);
    const importRoot = Number(process.hrtime.bigint() - started) / 1e6;
    fs.rmSync(path.join(store, `r${n}`), { recursive: true, force: true });
    fs.rmSync(path.join(store, `r${n}.json`), { force: true });
    const userTarget = path.join(userDir, `x${n}`);
    const tarUser = timed(() => check(asNobody(['sh', '-c', 'mkdir "$1" && tar --no-same-owner -C "$1" -xf "$2"', 'sh', userTarget, tar]), 'tar -x as nobody'));
    fs.rmSync(userTarget, { recursive: true, force: true });
    const importUser = timed(() => check(asNobody([process.execPath, cli, 'rootfs', 'import', tar, '--name', `u${n}`]), 'rootfs import as nobody'));
    fs.rmSync(path.join(userDir, 'data'), { recursive: true, force: true });
    if (!keep) return;
    root.tar.push(tarRoot);
    root.import.push(importRoot);
    user.tar.push(tarUser);
    user.import.push(importUser);
  };
  await rounds(false); // the page cache warm for both
  for (let i = 0; i < ROUNDS; i++) await rounds(true);
  const mbs = (t: number) => `${(size / 1e6 / (t / 1000)).toFixed(0)} MB/s`;
  for (const [who, s] of [['root', root], ['nobody', user]] as const) {
    const [t, i] = [median(s.tar), median(s.import)];
    console.log(`\n${who}: ${(size / 1e6).toFixed(0)} MB tar, ${ROUNDS} rounds          median       p90`);
    console.log(`  tar -x                                  ${ms(t).padStart(10)}${ms(quantile(s.tar, 0.9)).padStart(10)}   ${mbs(t)}`);
    console.log(`  rootfs import                           ${ms(i).padStart(10)}${ms(quantile(s.import, 0.9)).padStart(10)}   ${mbs(i)}`);
    summarize({
      group: GROUP, figure: `rootfs import of a ${(size / 1e6).toFixed(0)} MB tar as ${who}: speed as a share of tar -x's (target ≥ 0.8x)`,
      value: `${ms(i)} (${mbs(i)})`, baseline: `tar -x ${ms(t)} (${mbs(t)})`, ratio: ratio(t, i),
    });
  }
}

function ephemeralBench(rootfs: string): void {
  const plain = ['start', '--rootfs', rootfs, '--', '/bin/true'];
  const throwaway = ['start', '--rootfs', rootfs, '--ephemeral', '--', '/bin/true'];
  const samples: Record<string, number[]> = { 'root plain': [], 'root ephemeral': [], 'rootless plain': [], 'rootless ephemeral': [] };
  const start = (args: string[], uid?: number) => timed(() => check(spawnSync('sh', [HELPER, ...args], {
    stdio: ['ignore', 'ignore', 'pipe'], ...(uid === undefined ? {} : { uid, gid: uid, env: { PATH: process.env.PATH, HOME: '/nonexistent' } }),
  }), `helper ${args.join(' ')}`));
  for (let i = -2; i < START_ROUNDS; i++) {
    const order = [['root plain', plain], ['root ephemeral', throwaway], ['rootless plain', plain], ['rootless ephemeral', throwaway]] as const;
    for (const [key, args] of i % 2 ? order : [...order].reverse()) {
      const t = start([...args], key.startsWith('rootless') ? NOBODY : undefined);
      if (i >= 0) samples[key].push(t);
    }
  }
  console.log(`\n${START_ROUNDS} interleaved starts of /bin/true              median       p90`);
  for (const [key, s] of Object.entries(samples)) console.log(`  ${key.padEnd(40)}${ms(median(s)).padStart(10)}${ms(quantile(s, 0.9)).padStart(10)}`);
  for (const who of ['root', 'rootless']) {
    const [p, e] = [median(samples[`${who} plain`]), median(samples[`${who} ephemeral`])];
    summarize({ group: GROUP, figure: `a throw-away start (--ephemeral) ${who}, median: what it adds (target 3 ms)`, value: `${ms(e)} (+${ms(e - p)})`, baseline: `plain start ${ms(p)}`, ratio: ratio(e, p) });
  }
}

async function main(): Promise<number> {
  if (process.getuid?.() !== 0) {
    console.error('rootfs bench: needs root');
    return 1;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mini-containers-bench-rootfs-'));
  try {
    fs.chmodSync(dir, 0o755);
    const rootfs = await buildBusyboxRootfs(path.join(dir, 'rootfs'));
    const big = await buildBusyboxRootfs(path.join(dir, 'big'));
    await importBench(dir, makeTar(dir, big));
    ephemeralBench(rootfs);
    return 0;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

runScript(main, { stack: true });
