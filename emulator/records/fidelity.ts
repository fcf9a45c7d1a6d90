import { PHASES } from '../../src/cost.js';
import type { TurnRecord } from './turn-record.js';

/**
 * |measured/predicted - 1| per phase over the completed turns: how closely the emulator
 * follows the model. Beside it |measured - predicted| in emulated seconds, the meaningful
 * figure for serverWait, whose prediction is often 0 or tiny.
 */
export interface PhaseFidelity {
  phase: string;
  median: number;
  p95: number;
  worst: number;
  /** Turns whose predicted phase is zero have no ratio and are left out. */
  n: number;
  /** Absolute error in emulated seconds over every completed turn. */
  absMedian: number;
  absP95: number;
}

export const FIDELITY_PHASES = [...PHASES, 'serverWait', 'total'] as const;

export function fidelity(records: readonly TurnRecord[]): PhaseFidelity[] {
  // dropped and crashed turns are not a turn the model and the emulator both complete
  const done = records.filter((r) => r.status === 'done');
  return FIDELITY_PHASES.map((phase) => {
    const errors = done
      .filter((r) => r.predicted.delay[phase] > 0)
      .map((r) => Math.abs(r.measured.delay[phase] / r.predicted.delay[phase] - 1))
      .sort((a, b) => a - b);
    const abs = done.map((r) => Math.abs(r.measured.delay[phase] - r.predicted.delay[phase])).sort((a, b) => a - b);
    return { phase, median: quantile(errors, 0.5), p95: quantile(errors, 0.95), worst: errors[errors.length - 1] ?? NaN, n: errors.length, absMedian: quantile(abs, 0.5), absP95: quantile(abs, 0.95) };
  });
}

/** Linear interpolation between order statistics (type 7, as numpy and R default). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (pos - lo);
}
