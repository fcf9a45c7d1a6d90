import { PHASES } from '../../src/cost.js';
import type { TurnRecord } from './turn-record.js';

/** |measured/predicted - 1| per phase over the turns: how closely the emulator follows the model. */
export interface PhaseFidelity {
  phase: string;
  median: number;
  p95: number;
  worst: number;
  /** Turns whose predicted phase is zero have no ratio and are left out. */
  n: number;
}

export function fidelity(records: readonly TurnRecord[]): PhaseFidelity[] {
  return [...PHASES, 'total' as const].map((phase) => {
    const errors = records
      .filter((r) => r.predicted.delay[phase] > 0)
      .map((r) => Math.abs(r.measured.delay[phase] / r.predicted.delay[phase] - 1))
      .sort((a, b) => a - b);
    return { phase, median: quantile(errors, 0.5), p95: quantile(errors, 0.95), worst: errors[errors.length - 1] ?? NaN, n: errors.length };
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
