import { TURN_STATUSES, type TurnStatus } from './faults.js';

/** How devices share a round (docs/model.md §1.4, 1.6). */
export type Mode = 'sequential' | 'parallel';

/** Per-round sums and the run's summary, for predicted and measured turns alike. */
export interface TurnTotals {
  round: number;
  /** Left out (measured records of a run without faults): done. */
  status?: TurnStatus;
  delay: { total: number };
  energy: { server: number; deviceCompute: number; deviceTransmit: number };
}

export interface RoundTotals {
  round: number;
  delay: number;
  serverEnergy: number;
  deviceEnergy: number;
}

export interface Summary {
  mode: Mode;
  rounds: number;
  /** Turn records, one per (round, device) whatever its status. */
  turns: number;
  turnsByStatus: Record<TurnStatus, number>;
  avgRoundDelay: number;
  avgServerEnergy: number;
  avgDeviceEnergy: number;
  /** The sum of the rounds' delays (the run's length). */
  totalDelay: number;
  totalServerEnergy: number;
  totalDeviceComputeEnergy: number;
  totalDeviceTransmitEnergy: number;
}

/**
 * A round's delay: the sum of its turns' totals when devices take turns, the latest
 * finish when they run at once (a parallel turn's total is its finish time from the
 * round's start). Energies are sums in both modes.
 */
export function roundTotals(turns: readonly TurnTotals[], mode: Mode = 'sequential'): RoundTotals[] {
  const byRound = new Map<number, RoundTotals>();
  for (const t of turns) {
    const r = byRound.get(t.round) ?? { round: t.round, delay: 0, serverEnergy: 0, deviceEnergy: 0 };
    r.delay = mode === 'parallel' ? Math.max(r.delay, t.delay.total) : r.delay + t.delay.total;
    r.serverEnergy += t.energy.server;
    r.deviceEnergy += t.energy.deviceCompute + t.energy.deviceTransmit;
    byRound.set(t.round, r);
  }
  return [...byRound.values()].sort((a, b) => a.round - b.round);
}

export function summarize(turns: readonly TurnTotals[], mode: Mode = 'sequential', rounds: readonly RoundTotals[] = roundTotals(turns, mode)): Summary {
  const sum = (f: (t: TurnTotals) => number) => turns.reduce((acc, t) => acc + f(t), 0);
  const n = Math.max(rounds.length, 1);
  const totalDelay = mode === 'parallel' ? rounds.reduce((acc, r) => acc + r.delay, 0) : sum((t) => t.delay.total);
  const totalServerEnergy = sum((t) => t.energy.server);
  const totalDeviceComputeEnergy = sum((t) => t.energy.deviceCompute);
  const totalDeviceTransmitEnergy = sum((t) => t.energy.deviceTransmit);
  const turnsByStatus = Object.fromEntries(TURN_STATUSES.map((s) => [s, 0])) as Record<TurnStatus, number>;
  for (const t of turns) turnsByStatus[t.status ?? 'done']++;
  return {
    mode,
    rounds: rounds.length,
    turns: turns.length,
    turnsByStatus,
    avgRoundDelay: totalDelay / n,
    avgServerEnergy: totalServerEnergy / n,
    avgDeviceEnergy: (totalDeviceComputeEnergy + totalDeviceTransmitEnergy) / n,
    totalDelay,
    totalServerEnergy,
    totalDeviceComputeEnergy,
    totalDeviceTransmitEnergy,
  };
}
