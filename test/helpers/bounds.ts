import { expect } from 'vitest';

/**
 * How integration tests judge a measured time against its prediction without depending on
 * how busy the machine is: a tight lower bound proves the mechanism is real (shaping,
 * pacing, a timed workload cannot finish early), a loose upper bound catches a broken one
 * (a transfer at the wrong rate, a phase counted twice). How close a run comes is a
 * figure for the benchmarks (docs/benchmarks.md), not a test.
 */
export const SHAPED = { atLeast: 0.8, atMost: 2 };

/** measured in [0.8, atMost] × predicted (atMost 2 unless a caller must allow more). */
export function expectShaped(measured: number, predicted: number, what = '', atMost = SHAPED.atMost): void {
  const ratio = measured / predicted;
  const label = `${what ? `${what}: ` : ''}measured ${measured.toFixed(4)} against predicted ${predicted.toFixed(4)} (ratio ${ratio.toFixed(3)})`;
  expect(ratio, label).toBeGreaterThanOrEqual(SHAPED.atLeast);
  expect(ratio, label).toBeLessThanOrEqual(atMost);
}

/** Every turn at least 0.8 × its prediction, the median ratio at most 2 ×. */
export function expectTurnsShaped(turns: readonly Record<string, string>[], column = 'total'): void {
  const ratios = turns.map((t) => Number(t[`measured_${column}`]) / Number(t[`predicted_${column}`]));
  const label = `measured/predicted ${column}: ${ratios.map((r) => r.toFixed(3)).join(' ')}`;
  for (const r of ratios) expect(r, label).toBeGreaterThanOrEqual(SHAPED.atLeast);
  const sorted = [...ratios].sort((a, b) => a - b);
  expect(sorted[Math.floor(sorted.length / 2)]!, label).toBeLessThanOrEqual(SHAPED.atMost);
}
