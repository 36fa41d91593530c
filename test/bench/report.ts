// What every benchmark shares: order statistics, and the summary rows that `run.ts` collects into one table.
// A row always names its baseline, measured in the same run, and the ratio to it: an absolute figure alone says
// little on a machine whose speed nobody knows.

import { appendFileSync } from 'node:fs';

export function median(xs: readonly number[]): number {
  return quantile(xs, 0.5);
}

/** The q-quantile with linear interpolation between order statistics (q = 0.9: p90). */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const at = (s.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return s[lo] + (s[hi] - s[lo]) * (at - lo);
}

export function ms(value: number, digits = 1): string {
  return Number.isFinite(value) ? `${value.toFixed(digits)} ms` : 'n/a';
}

/** "3.2×", or "n/a" when the baseline is zero or missing. */
export function ratio(value: number, baseline: number, digits = 2): string {
  const r = value / baseline;
  return Number.isFinite(r) ? `${r.toFixed(digits)}×` : 'n/a';
}

export function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

/** One line of the final table. */
export interface SummaryRow {
  /** Which benchmark, e.g. "helper start". */
  readonly group: string;
  readonly figure: string;
  readonly value: string;
  /** What it is compared with, and that baseline's value, e.g. "raw unshare+chroot 4.1 ms". */
  readonly baseline: string;
  readonly ratio: string;
  /** The issue's target, e.g. "≤ 1.3× raw"; empty when there is none. */
  readonly target?: string;
  /** Whether the target is met; undefined when there is no target or it could not be judged. */
  readonly met?: boolean;
}

/**
 * Hands a row to `run.ts` (which sets BENCH_SUMMARY to a file, one JSON row a line); run alone, a benchmark
 * prints it instead.
 */
export function summarize(row: SummaryRow): void {
  const file = process.env.BENCH_SUMMARY;
  if (file) appendFileSync(file, `${JSON.stringify(row)}\n`);
  else console.log(`summary: ${row.figure}: ${row.value} vs ${row.baseline} = ${row.ratio}${row.target ? ` (target ${row.target})` : ''}`);
}

/** Prints rows as an aligned table. */
export function printTable(rows: readonly SummaryRow[]): void {
  const cells = rows.map((r) => [
    r.met === undefined ? (r.target ? '  ?   ' : '      ') : r.met ? ' met  ' : 'MISSED',
    r.group,
    r.figure,
    r.value,
    r.ratio,
    r.baseline,
    r.target ?? '',
  ]);
  const header = ['', 'bench', 'figure', 'value', 'ratio', 'baseline (same run)', 'target'];
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => c.map((x, i) => (i === 3 || i === 4 ? x.padStart(widths[i]) : x.padEnd(widths[i]))).join('  ').trimEnd();
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const c of cells) console.log(line(c));
}
