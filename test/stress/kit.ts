// The size switch of the reliability suites (test/integration/reliability, hostile, pidReuse); their helpers are in
// test/integration/harness.ts and hostProcs.ts, with those of every integration suite.

/** `npm run stress` sets MC_STRESS=1: full size. Otherwise a size that keeps `npm run test:integration` short. */
export const FULL = process.env.MC_STRESS === '1';

export function sized(ci: number, full: number): number {
  return FULL ? full : ci;
}
