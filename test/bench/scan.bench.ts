// `npm run bench`: the scanner against `ps -e -o pid,ppid,pidns,user,stat,args` and against the kernel's floor
// (open+read+close of every /proc/PID/stat, nothing parsed), with 2,000 extra sleeps on the host and 200 in 10
// real PID namespaces (needs root): a host's processes are mostly its own, and a full scan reads one file of
// those, everything of a container's. Measurements are interleaved, so that load from anything else on the
// machine hits every side alike; each figure is the median of ROUNDS, and the targets are ratios within the run.

import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { buildModel, ContainerModel } from '../../src/core/model/containerModel';
import { ProcessScanner } from '../../src/core/proc/processScanner';
import { PidNamespaces } from './pidNamespaces';
import { median, ratio, summarize } from './report';
import { runScript } from '../e2e/script';

const ROUNDS = 11;
const NAMESPACES = 10;
const PER_NAMESPACE = 20;
const HOST_SLEEPS = 2000;
const PS_ARGS = ['-e', '-o', 'pid,ppid,pidns,user,stat,args'];

function time(fn: () => void): number {
  const start = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** What the kernel alone costs: open, read and close every /proc/PID/stat, nothing parsed. */
function readEveryStat(): void {
  const buf = Buffer.allocUnsafe(4096);
  for (const name of fs.readdirSync('/proc')) {
    if (name.charCodeAt(0) > 57) continue;
    try {
      const fd = fs.openSync(`/proc/${name}/stat`, 'r');
      fs.readSync(fd, buf, 0, buf.length, 0);
      fs.closeSync(fd);
    } catch {
      // ended meanwhile
    }
  }
}

async function main(): Promise<number> {
  if (process.getuid?.() !== 0) {
    console.error('bench: needs root, to create PID namespaces (unshare --pid)');
    return 1;
  }
  const namespaces = new PidNamespaces();
  const sleeps: ChildProcess[] = [];
  try {
    process.stdout.write(`starting ${HOST_SLEEPS} sleeps on the host and ${NAMESPACES} PID namespaces × ${PER_NAMESPACE} sleeps… `);
    for (let i = 0; i < HOST_SLEEPS; i++) sleeps.push(spawn('sleep', ['1000'], { stdio: 'ignore' }));
    await Promise.all(sleeps.map((c) => new Promise((resolve, reject) => c.once('spawn', resolve).once('error', reject))));
    await namespaces.start(NAMESPACES, PER_NAMESPACE);
    const check = new ProcessScanner({ maxOpenFiles: 0 });
    const ours = buildModel(check.scan()).containers.filter((c) => c.processes.length === PER_NAMESPACE + 1).length;
    console.log(`${ours} containers of ${PER_NAMESPACE + 1} processes found`);

    const samples: Record<string, number[]> = {
      full: [], firstRescan: [], oneShot: [], rescan: [], rescanNewPid: [], rescanListed: [], rescanReopen: [], rescanStat: [], model: [], stat: [], ps: [],
    };
    const incremental = new ProcessScanner();
    const incrementalReopen = new ProcessScanner({ maxOpenFiles: 0 });
    const incrementalStat = new ProcessScanner({ changeProbe: 'stat' });
    for (const s of [incremental, incrementalReopen, incrementalStat]) s.scan();
    // One more: the first rescan re-reads the stat of every process that ran since it was first read.
    for (const s of [incremental, incrementalReopen, incrementalStat]) s.scan();
    let model: ContainerModel | undefined;
    let processes = 0;
    for (let round = 0; round < ROUNDS; round++) {
      // The CLI's one-shot configuration reads stat as its change probe: nothing it would not read anyway.
      for (const [key, options] of [['full', {}], ['oneShot', { maxOpenFiles: 0, changeProbe: 'stat' }]] as const) {
        const scanner = new ProcessScanner(options);
        samples[key].push(time(() => (processes = scanner.scan().processes.size)));
        // A full scan reads no change probe: the first rescan opens them all, and reads stat again.
        if (key === 'full') samples.firstRescan.push(time(() => scanner.scan()));
        scanner.dispose();
      }
      let snapshot = incremental.scan();
      samples.rescan.push(time(() => (snapshot = incremental.scan())));
      spawnSync('true'); // one new PID, probed directly
      samples.rescanNewPid.push(time(() => (snapshot = incremental.scan())));
      spawnSync('sh', ['-c', 'i=0; while [ $i -lt 70 ]; do : & i=$((i+1)); done; wait']); // too many: lists /proc
      samples.rescanListed.push(time(() => (snapshot = incremental.scan())));
      samples.rescanReopen.push(time(() => incrementalReopen.scan()));
      samples.rescanStat.push(time(() => incrementalStat.scan()));
      samples.model.push(time(() => (model = buildModel(snapshot, { previous: model, rootOf: (pid) => incremental.rootOf(pid) }))));
      samples.stat.push(time(readEveryStat));
      samples.ps.push(time(() => {
        const ps = spawnSync('ps', PS_ARGS, { maxBuffer: 64 << 20 });
        if (ps.status !== 0) throw new Error(`ps failed: ${ps.stderr}`);
      }));
    }
    for (const s of [incremental, incrementalReopen, incrementalStat]) s.dispose();
    report(samples, processes);
    return 0;
  } finally {
    for (const c of sleeps) c.kill('SIGKILL'); // by the PID each was spawned with
    await namespaces.stop();
  }
}

function report(samples: Record<string, number[]>, processes: number): void {
  const m = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
  const per1000 = (ms: number) => (ms * 1000) / processes;
  const psBaseline = `ps -e -o … ${m.ps.toFixed(2)} ms`;
  const line = (label: string, ms: number, extra = '') =>
    console.log(`${label.padEnd(48)}${ms.toFixed(2).padStart(8)} ms${per1000(ms).toFixed(2).padStart(9)} ms/1000${extra}`);
  /** A figure, printed and handed to `npm run bench`'s summary against ps. */
  const row = (label: string, ms: number, extra = '') => {
    line(label, ms, extra);
    summarize({
      group: 'scanner', figure: label, value: `${ms.toFixed(2)} ms (${per1000(ms).toFixed(2)}/1000)`, baseline: psBaseline,
      ratio: ratio(ms, m.ps, 3),
    });
  };
  console.log(`\n${processes} processes (${NAMESPACES * (PER_NAMESPACE + 1)} in containers), median of ${ROUNDS} interleaved rounds, ${process.version}\n`);
  const vsPs = (ms: number) => `   ps/this ${(m.ps / ms).toFixed(1)}×`;
  const vsFloor = (ms: number) => `   this/floor ${(ms / m.stat).toFixed(2)}×`;
  row('full scan: fresh scanner, defaults (the view)', m.full, vsPs(m.full) + vsFloor(m.full));
  row('first rescan after it: opens every probe', m.firstRescan, vsPs(m.firstRescan) + vsFloor(m.firstRescan));
  row('full scan: one-shot, as `mini-containers ps`', m.oneShot, vsPs(m.oneShot) + vsFloor(m.oneShot));
  row('rescan, no PID allocated since: schedstat preads', m.rescan, vsPs(m.rescan));
  row('rescan after a new PID: + probe it', m.rescanNewPid, vsPs(m.rescanNewPid));
  row('rescan after 70 new PIDs: + list /proc', m.rescanListed, vsPs(m.rescanListed));
  row('rescan without kept fds: open+read+close each', m.rescanReopen, vsPs(m.rescanReopen));
  row('rescan probing stat instead of schedstat', m.rescanStat, vsPs(m.rescanStat));
  row('model: group into containers (after rescan)', m.model);
  row('kernel floor: open+read+close every stat, no parse', m.stat);
  line(`ps ${PS_ARGS.join(' ')}`, m.ps);
  console.log('\ntargets');
  const target = (label: string, goal: string, ok: boolean, figure: string) => {
    console.log(`  ${ok ? 'met   ' : 'MISSED'}  ${`${label} ${goal}`.padEnd(48)}${figure}`);
    summarize({ group: 'scanner target', figure: label, value: figure, baseline: psBaseline, ratio: '', target: goal, met: ok });
  };
  target('full scan vs the kernel floor', '≤ 1.5×', m.full / m.stat <= 1.5, `${(m.full / m.stat).toFixed(2)}×`);
  target('scanner vs ps (full scan)', '≥ 8× faster', m.ps / m.full >= 8, `${(m.ps / m.full).toFixed(1)}×`);
  target('scanner vs ps (one-shot scan)', '≥ 8× faster', m.ps / m.oneShot >= 8, `${(m.ps / m.oneShot).toFixed(1)}×`);
  target('scanner vs ps (rescan, listing)', '≥ 8× faster', m.ps / m.rescanListed >= 8, `${(m.ps / m.rescanListed).toFixed(1)}×`);
  target('rescan per 1,000 (no PID allocated)', '≤ 3 ms', per1000(m.rescan) <= 3, `${per1000(m.rescan).toFixed(2)} ms`);
  target('rescan per 1,000 (after a new PID)', '≤ 3 ms', per1000(m.rescanNewPid) <= 3, `${per1000(m.rescanNewPid).toFixed(2)} ms`);
  target('rescan per 1,000 (listing /proc)', '≤ 3 ms', per1000(m.rescanListed) <= 3, `${per1000(m.rescanListed).toFixed(2)} ms`);
  console.log(`  (reading every stat once costs ${per1000(m.stat).toFixed(2)} ms/1000 on this machine before any parsing)`);
}

runScript(main, { stack: true });
