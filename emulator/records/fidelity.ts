import { PHASES } from '../../src/cost.js';
import { quantile } from '../../src/quantile.js';
import { belowResolution, type Resolution } from '../../src/resolution.js';
import type { TurnRecord } from './turn-record.js';

/**
 * |measured/predicted - 1| per phase over the completed turns: how closely the emulator
 * follows the model. Beside it |measured - predicted| in emulated seconds, the meaningful
 * figure for serverWait, whose prediction is often 0 or tiny, and for a phase below the
 * emulator's resolution.
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
  /**
   * In most turns the phase is predicted shorter (per transfer or workload) than the
   * emulator's calibrated floor: its relative error is mostly the floor, so read the
   * absolute one.
   */
  belowResolution?: boolean;
}

/** The run's calibrated floor and its time scale, to tell which phases are below the emulator's resolution. */
export interface ResolutionContext {
  resolution: Resolution;
  timeScale: number;
  iterations: number;
}

export const FIDELITY_PHASES = [...PHASES, 'serverWait', 'total'] as const;

export function fidelity(records: readonly TurnRecord[], context?: ResolutionContext): PhaseFidelity[] {
  // dropped and crashed turns are not a turn the model and the emulator both complete
  const done = records.filter((r) => r.status === 'done');
  return FIDELITY_PHASES.map((phase) => {
    const counted = done.filter((r) => r.predicted.delay[phase] > 0);
    const errors = counted.map((r) => Math.abs(r.measured.delay[phase] / r.predicted.delay[phase] - 1)).sort((a, b) => a - b);
    const abs = done.map((r) => Math.abs(r.measured.delay[phase] - r.predicted.delay[phase])).sort((a, b) => a - b);
    const below = context ? counted.filter((r) => belowResolution(phase, r.predicted.delay, context.resolution, context.timeScale, context.iterations)).length : 0;
    return {
      phase,
      median: quantile(errors, 0.5),
      p95: quantile(errors, 0.95),
      worst: errors[errors.length - 1] ?? NaN,
      n: errors.length,
      absMedian: quantile(abs, 0.5),
      absP95: quantile(abs, 0.95),
      belowResolution: counted.length > 0 && below * 2 > counted.length,
    };
  });
}
