import { PHASES } from '../../src/cost.js';
import { quantile } from '../../src/quantile.js';
import { belowResolution, type Resolution } from '../../src/resolution.js';
import type { TurnRecord } from './turn-record.js';

/** |measured/predicted - 1| per phase over the turns: how closely the emulator follows the model. */
export interface PhaseFidelity {
  phase: string;
  median: number;
  p95: number;
  worst: number;
  /** |measured − predicted| in emulated milliseconds: what a relative error means where phases are tiny. */
  medianAbsMs: number;
  p95AbsMs: number;
  /**
   * In most turns the phase is predicted shorter (per transfer or workload) than the
   * emulator's calibrated floor: its relative error is mostly the floor, so read the
   * absolute one.
   */
  belowResolution: boolean;
  /** Turns whose predicted phase is zero have no ratio and are left out. */
  n: number;
}

/** The run's calibrated floor and its time scale, to tell which phases are below the emulator's resolution. */
export interface ResolutionContext {
  resolution: Resolution;
  timeScale: number;
  iterations: number;
}

export function fidelity(records: readonly TurnRecord[], context?: ResolutionContext): PhaseFidelity[] {
  return [...PHASES, 'total' as const].map((phase) => {
    const counted = records.filter((r) => r.predicted.delay[phase] > 0);
    const sorted = (xs: number[]) => xs.sort((a, b) => a - b);
    const errors = sorted(counted.map((r) => Math.abs(r.measured.delay[phase] / r.predicted.delay[phase] - 1)));
    const absMs = sorted(counted.map((r) => 1000 * Math.abs(r.measured.delay[phase] - r.predicted.delay[phase])));
    const below = context ? counted.filter((r) => belowResolution(phase, r.predicted.delay, context.resolution, context.timeScale, context.iterations)).length : 0;
    return {
      phase,
      median: quantile(errors, 0.5),
      p95: quantile(errors, 0.95),
      worst: errors[errors.length - 1] ?? NaN,
      medianAbsMs: quantile(absMs, 0.5),
      p95AbsMs: quantile(absMs, 0.95),
      belowResolution: counted.length > 0 && below * 2 > counted.length,
      n: errors.length,
    };
  });
}
