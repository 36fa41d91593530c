// `node dist/test/bench/pull.bench.js` (root): `rootfs pull` from a local registry (Debian's docker-registry on
// 127.0.0.1) against `skopeo copy` alone of the same image into an OCI layout, measured in the same run, rounds
// interleaved. A pull is that copy plus the import of the layout (IMPORT's importImage) into the store: the ratio is
// what the extension adds to the field's own tool. The image: a BusyBox rootfs and 16 MB that gzip cannot shrink.

import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildBusyboxRootfs } from '../../src/core/rootfs/busyboxRootfs';
import { ociArch } from '../../src/core/rootfs/imageImport';
import { pullImage } from '../../src/core/rootfs/imagePull';
import { startLocalRegistry, type LocalRegistry } from '../integration/localRegistry';
import { buildOciLayout } from '../integration/ociLayout';
import { median, ms, quantile, ratio, summarize } from './report';
import { runScript } from '../e2e/script';

const ROUNDS = Number(process.env.BENCH_PULL_ROUNDS ?? 7);
const GROUP = 'pull';

function skopeoCopy(host: string, target: string): number {
  const started = process.hrtime.bigint();
  const r = spawnSync('skopeo', ['copy', '--src-tls-verify=false', '--override-os', 'linux', '--override-arch', ociArch(), `docker://${host}/bench/image:1`, `oci:${target}:image`], { stdio: ['ignore', 'ignore', 'pipe'] });
  const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
  if (r.status !== 0) throw new Error(`skopeo copy failed: ${r.stderr}`);
  return elapsed;
}

/** The whole pull's time, and its copy's (until the import's first progress). */
async function pull(host: string, store: string, name: string): Promise<{ total: number; copy: number }> {
  const started = process.hrtime.bigint();
  let copied: bigint | undefined;
  await pullImage(`${host}/bench/image:1`, store, name, { onProgress: (p) => void (p.phase !== 'download' && (copied ??= process.hrtime.bigint())) });
  const end = process.hrtime.bigint();
  return { total: Number(end - started) / 1e6, copy: Number((copied ?? end) - started) / 1e6 };
}

async function main(): Promise<number> {
  if (process.getuid?.() !== 0) {
    console.error('pull bench: needs root');
    return 1;
  }
  const missing = ['skopeo', 'docker-registry'].filter((c) => spawnSync('sh', ['-c', 'command -v "$1"', 'sh', c]).status !== 0);
  if (missing.length) {
    console.error(`pull bench: missing ${missing.join(', ')}: apt-get install -y skopeo docker-registry`);
    return 1;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mini-containers-bench-pull-'));
  let registry: LocalRegistry | undefined;
  try {
    const rootfs = await buildBusyboxRootfs(path.join(dir, 'rootfs'));
    buildOciLayout(path.join(dir, 'oci'), '1', [{ arch: ociArch(), rootfs, files: { 'data.bin': randomBytes(16 << 20) } }], path.join(dir, 'scratch'));
    registry = await startLocalRegistry();
    await registry.push(path.join(dir, 'oci'), 'bench/image:1');
    const store = path.join(dir, 'store');
    const samples = { skopeo: [] as number[], pull: [] as number[], copy: [] as number[] };
    let n = 0;
    const round = async (which: 'skopeo' | 'pull') => {
      const name = `r${n++}`;
      if (which === 'skopeo') {
        const target = path.join(dir, name);
        samples.skopeo.push(skopeoCopy(registry!.host, target));
        fs.rmSync(target, { recursive: true, force: true });
      } else {
        const { total, copy } = await pull(registry!.host, store, name);
        samples.pull.push(total);
        samples.copy.push(copy);
        fs.rmSync(path.join(store, name), { recursive: true, force: true });
        fs.rmSync(path.join(store, `${name}.json`), { force: true });
      }
    };
    await round('skopeo'); // warm the registry's and the page cache
    await round('pull');
    samples.skopeo.length = 0;
    samples.pull.length = 0;
    samples.copy.length = 0;
    for (let i = 0; i < ROUNDS; i++) {
      for (const which of i % 2 ? (['pull', 'skopeo'] as const) : (['skopeo', 'pull'] as const)) await round(which);
    }
    const [s, p] = [median(samples.skopeo), median(samples.pull)];
    console.log(`\n${ROUNDS} interleaved rounds, BusyBox + 16 MB image            median       p90`);
    console.log(`  skopeo copy docker:// → oci: alone           ${ms(s).padStart(10)}${ms(quantile(samples.skopeo, 0.9)).padStart(10)}`);
    console.log(`  its copy (skopeo with progress), to import   ${ms(median(samples.copy)).padStart(10)}${ms(quantile(samples.copy, 0.9)).padStart(10)}   ${ratio(median(samples.copy), s)}`);
    console.log(`  rootfs pull (copy + import into the store)   ${ms(p).padStart(10)}${ms(quantile(samples.pull, 0.9)).padStart(10)}   ${ratio(p, s)}`);
    summarize({ group: GROUP, figure: 'rootfs pull from a local registry (BusyBox + 16 MB), median', value: ms(p), baseline: `skopeo copy alone ${ms(s)}`, ratio: ratio(p, s) });
    summarize({ group: GROUP, figure: "rootfs pull's copy with progress, before the import, median", value: ms(median(samples.copy)), baseline: `skopeo copy alone ${ms(s)}`, ratio: ratio(median(samples.copy), s) });
    return 0;
  } finally {
    await registry?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

runScript(main, { stack: true });
