// `npm run bench`: every benchmark in one run, each in its own Node process (one crashing or hanging does not
// take the others with it), then one table of every figure beside the baseline it was measured against in the
// same run. Needs root. The VSIX must be packaged first (the npm script does it).

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { printTable, type SummaryRow } from './report';
import { runScript } from '../e2e/script';

interface Bench {
  readonly title: string;
  readonly script: string;
  readonly timeoutMs: number;
}

const BENCHES: readonly Bench[] = [
  { title: '/proc scanner vs ps, 2,000 processes', script: 'scan.bench.js', timeoutMs: 180_000 },
  // Fourteen webview openings in code-server beside the extension-side rounds: about 110 s, and a webview page now
  // and then takes 10-40 s to load (Markdown's as well as ours).
  { title: 'Show Namespaces: picture build + diff, 2,000 processes; opening vs the Markdown preview', script: 'picture.bench.js', timeoutMs: 300_000 },
  { title: 'helper start vs unshare+chroot vs bubblewrap', script: 'helperStart.bench.js', timeoutMs: 180_000 },
  { title: 'the time --network private (and none) adds to a start, root and rootless', script: 'network.bench.js', timeoutMs: 180_000 },
  { title: 'helper exec into a running container vs a fresh start', script: 'helperExec.bench.js', timeoutMs: 120_000 },
  { title: 'rootfs pull from a local registry vs skopeo copy alone', script: 'pull.bench.js', timeoutMs: 180_000 },
  { title: 'rootfs import vs tar -x; a throw-away start vs a plain one', script: 'rootfs.bench.js', timeoutMs: 300_000 },
  { title: 'a start with its cgroup vs the same start without one', script: 'cgroup.bench.js', timeoutMs: 180_000 },
  { title: 'the extension in code-server: palette → prompt, activation, idle CPU, bundle', script: 'extension.bench.js', timeoutMs: 300_000 },
];

/** The benchmark running now: a SIGTERM or SIGINT to this runner is passed on, so that it can clean up. */
let current: ChildProcess | undefined;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    current?.kill('SIGTERM');
    process.exitCode = 130;
  });
}

/** Runs one benchmark, its output going to ours; resolves with whether it succeeded. Its figures go to summaryFile. */
function runBench(bench: Bench, summaryFile: string): Promise<{ ok: boolean; seconds: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--enable-source-maps', join(__dirname, bench.script)], {
      env: { ...process.env, BENCH_SUMMARY: summaryFile },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    current = child;
    // SIGTERM first: every benchmark cleans up its containers, servers and browsers on it.
    const timer = setTimeout(() => {
      console.error(`\n${bench.script}: no end after ${bench.timeoutMs / 1000} s, stopping it (PID ${child.pid})`);
      child.kill('SIGTERM');
      setTimeout(() => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL'), 15_000).unref();
    }, bench.timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      current = undefined;
      if (code !== 0) console.error(`${bench.script} failed (${signal ?? `exit ${code}`})`);
      resolve({ ok: code === 0, seconds: (Date.now() - started) / 1000 });
    });
  });
}

async function main(): Promise<number> {
  if (process.getuid?.() !== 0) {
    console.error('npm run bench needs root: containers, PID namespaces, the privileged helper');
    return 1;
  }
  const dir = mkdtempSync(join(tmpdir(), 'mini-containers-bench-'));
  const started = Date.now();
  try {
    const rows: SummaryRow[] = [];
    const failed: string[] = [];
    for (const bench of BENCHES) {
      if (process.exitCode === 130) break;
      console.log(`\n=== ${bench.title} (${bench.script}) ===\n`);
      const summaryFile = join(dir, `${bench.script}.jsonl`);
      const result = await runBench(bench, summaryFile);
      if (!result.ok) failed.push(bench.script);
      console.log(`(${result.seconds.toFixed(0)} s)`);
      try {
        rows.push(...readFileSync(summaryFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as SummaryRow));
      } catch {
        // wrote no rows
      }
    }
    console.log(`\n=== summary: every figure against a baseline measured in this run (${((Date.now() - started) / 1000).toFixed(0)} s, ${process.version}) ===\n`);
    printTable(rows);
    if (failed.length) {
      console.error(`\nfailed: ${failed.join(', ')} (figures above are missing theirs)`);
      return 1;
    }
    return 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

runScript(main, { stack: true });
