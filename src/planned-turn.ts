import type { PhaseDelays, TurnEnergy } from './cost.js';
import type { TurnFault, TurnStatus } from './faults.js';
import type { DeviceSchedule } from './parallel.js';

/**
 * One turn as the analytic model predicts it: decision, rates, phases, energies, and how
 * it ends (docs/model.md §1.7). A `dropped` turn keeps its round, device and the round's rates
 * but has cut 0, serverFreqHz 0 and zero delay and energy: the device took no part. A
 * `crashed` turn keeps its decision; its phases from the crash on are 0. `fault` is
 * present only on a turn the config's faults hit.
 */
export interface PlannedTurn {
  round: number;
  device: string;
  status: TurnStatus;
  cut: number;
  serverFreqHz: number;
  rateUpBps: number;
  rateDownBps: number;
  delay: PhaseDelays;
  energy: TurnEnergy;
  fault?: TurnFault;
  /** Trace-following links only (docs/linktrace.md): the turn's start in run time, seconds. */
  start?: number;
  /** Trace-following links only: 1.4's phases at the rates the strategy saw (what it believed); `delay` is what the trace allows. */
  expectedDelay?: PhaseDelays;
}

/** A round: its turns in config order and, in parallel mode, the GPU schedule of every device that took part. */
export interface PlannedRound {
  round: number;
  turns: PlannedTurn[];
  /** Parallel mode only: by device id, each server job's arrival, start and end from the round's start. */
  schedule?: Map<string, DeviceSchedule>;
  /** What the strategy reported before deciding the round (lyapunov: its queue `Q`), docs/strategies.md. */
  state?: Record<string, number>;
}

