// What one start of the helper runs. `perf record` follows the helper's process tree through the kernel's sched
// tracepoints (fork, exec, exit: no ptrace, so the traced helper runs at nearly full speed): how many processes a
// start makes, which programs it runs and what each costs from fork to exit, and what is exec'd in place along the
// chain (env → capsh → bwrap). The start is one exec chain since the move to bubblewrap, so there are no phases to
// cut: the programs are the cost.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { median } from './report';

interface Proc {
  readonly pid: number;
  parent?: number;
  forkedAt?: number;
  readonly execs: { time: number; file: string }[];
  exitAt?: number;
  readonly children: number[];
}

/** One traced start of the helper. */
interface HelperTrace {
  readonly totalMs: number;
  /** Processes created (forks, including the helper's own shell) and programs exec'd during one start. */
  readonly processes: number;
  readonly execs: number;
  /** Program name → [times run, ms from fork to exit summed], for children that exec one program and exit. */
  readonly programs: Map<string, [number, number]>;
  /** Programs exec'd in place of a process that already ran something (the chain): name → times. */
  readonly chained: Map<string, number>;
  /** Forks that exec nothing (command substitutions, subshells): how many, and ms from fork to exit summed. */
  readonly subshells: [number, number];
}

export function perfAvailable(): boolean {
  return spawnSync('perf', ['--version'], { stdio: 'ignore' }).status === 0;
}

/**
 * Runs `argv` (a helper start, or a baseline) `runs` times in a row under `perf record`, which follows only the
 * tree of the command it starts, not the whole machine; returns one trace per start.
 */
export function traceStarts(argv: readonly string[], runs: number, tmp: string): HelperTrace[] {
  const data = join(tmp, 'starts.perf.data');
  const driver = 'n=$1; shift; i=0; while [ "$i" -lt "$n" ]; do "$@" </dev/null || exit 1; i=$((i+1)); done';
  const events = ['sched:sched_process_fork', 'sched:sched_process_exec', 'sched:sched_process_exit'];
  // No build-ids: they are not needed for tracepoints, and perf would cache binaries in ~/.debug.
  const rec = spawnSync('perf', ['record', '-q', '--no-buildid', '--no-buildid-cache', '-o', data, '-e', events.join(','), '--', 'sh', '-c', driver, 'driver', String(runs), ...argv], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (rec.status !== 0 || !existsSync(data)) throw new Error(`perf record failed (${rec.status ?? rec.signal}): ${rec.stderr}`);
  const script = spawnSync('perf', ['script', '-i', data, '-F', 'tid,time,event,trace'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (script.status !== 0) throw new Error(`perf script failed: ${script.stderr}`);
  return analyse(parse(script.stdout));
}

function parse(text: string): Map<number, Proc> {
  const procs = new Map<number, Proc>();
  const get = (pid: number) => {
    let p = procs.get(pid);
    if (!p) procs.set(pid, (p = { pid, execs: [], children: [] }));
    return p;
  };
  for (const line of text.split('\n')) {
    const m = /^\s*\d+\s+([\d.]+):\s+sched:sched_process_(fork|exec|exit):\s+(.*)$/.exec(line);
    if (!m) continue;
    const time = Number(m[1]) * 1000;
    const field = (name: string) => new RegExp(`(?:^|\\s)${name}=(\\S+)`).exec(m[3])?.[1];
    if (m[2] === 'fork') {
      const parent = Number(field('pid'));
      const child = get(Number(field('child_pid')));
      child.parent = parent;
      child.forkedAt = time;
      get(parent).children.push(child.pid);
    } else if (m[2] === 'exec') {
      get(Number(field('pid'))).execs.push({ time, file: field('filename') ?? '?' });
    } else if (field('group_dead') !== 'false') {
      // Older kernels do not report group_dead; the processes traced here have one thread each.
      get(Number(field('pid'))).exitAt = time;
    }
  }
  return procs;
}

function analyse(procs: Map<number, Proc>): HelperTrace[] {
  // The driver is the process perf started: the first one exec'd with no fork seen.
  const driver = [...procs.values()].find((p) => p.parent === undefined && p.execs.length > 0);
  if (!driver) throw new Error('perf saw no process');
  return driver.children.map((pid) => analyseStart(procs, procs.get(pid)!)).filter((t): t is HelperTrace => t !== undefined);
}

function analyseStart(procs: Map<number, Proc>, helper: Proc): HelperTrace | undefined {
  const proc = (pid: number) => procs.get(pid)!;
  const subtree = (p: Proc): Proc[] => [p, ...p.children.flatMap((c) => subtree(proc(c)))];
  const t0 = helper.execs[0]?.time;
  if (t0 === undefined || helper.exitAt === undefined) return undefined;
  const all = subtree(helper);
  const programs = new Map<string, [number, number]>();
  const chained = new Map<string, number>();
  const subshells: [number, number] = [0, 0];
  const execsBelow = (p: Proc) => subtree(p).some((q) => q.execs.length > 0);
  for (const p of all) {
    if (p === helper) continue;
    const life = p.forkedAt !== undefined && p.exitAt !== undefined ? p.exitAt - p.forkedAt : 0;
    if (p.execs.length === 0) {
      subshells[0]++;
      if (!execsBelow(p)) subshells[1] += life;
    } else if (p.execs.length === 1 && p.children.length === 0) {
      // A child that execs one program and exits: its whole life (fork, exec, run, exit) is that program's cost.
      const entry = programs.get(basename(p.execs[0].file)) ?? [0, 0];
      entry[0]++;
      entry[1] += life;
      programs.set(basename(p.execs[0].file), entry);
    } else {
      for (const e of p.execs) chained.set(basename(e.file), (chained.get(basename(e.file)) ?? 0) + 1);
    }
  }
  return {
    totalMs: helper.exitAt - t0,
    processes: all.length,
    execs: all.reduce((n, p) => n + p.execs.length, 0),
    programs,
    chained,
    subshells,
  };
}

/** Medians over the traced starts: of the total, of the counts, and of each program's cost. */
export function summarizeTraces(traces: readonly HelperTrace[]) {
  const programs = new Map<string, [number, number]>();
  for (const name of new Set(traces.flatMap((t) => [...t.programs.keys()]))) {
    const per = traces.map((t) => t.programs.get(name) ?? [0, 0]);
    programs.set(name, [median(per.map((p) => p[0])), median(per.map((p) => p[1]))]);
  }
  const chained = new Map<string, number>();
  for (const name of new Set(traces.flatMap((t) => [...t.chained.keys()]))) chained.set(name, median(traces.map((t) => t.chained.get(name) ?? 0)));
  return {
    totalMs: median(traces.map((t) => t.totalMs)),
    processes: median(traces.map((t) => t.processes)),
    execs: median(traces.map((t) => t.execs)),
    programs: [...programs.entries()].sort((a, b) => b[1][1] - a[1][1]),
    chained: [...chained.entries()],
    subshells: [median(traces.map((t) => t.subshells[0])), median(traces.map((t) => t.subshells[1]))] as [number, number],
  };
}
