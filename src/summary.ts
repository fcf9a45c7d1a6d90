/** Per-round sums and the run's summary, for predicted and measured turns alike. */
export interface TurnTotals {
  round: number;
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
  rounds: number;
  turns: number;
  avgRoundDelay: number;
  avgServerEnergy: number;
  avgDeviceEnergy: number;
  totalDelay: number;
  totalServerEnergy: number;
  totalDeviceComputeEnergy: number;
  totalDeviceTransmitEnergy: number;
}

/** Sequential mode: a round's delay and energy are the sums of its turns'. */
export function roundTotals(turns: readonly TurnTotals[]): RoundTotals[] {
  const byRound = new Map<number, RoundTotals>();
  for (const t of turns) {
    const r = byRound.get(t.round) ?? { round: t.round, delay: 0, serverEnergy: 0, deviceEnergy: 0 };
    r.delay += t.delay.total;
    r.serverEnergy += t.energy.server;
    r.deviceEnergy += t.energy.deviceCompute + t.energy.deviceTransmit;
    byRound.set(t.round, r);
  }
  return [...byRound.values()].sort((a, b) => a.round - b.round);
}

export function summarize(turns: readonly TurnTotals[], rounds: readonly RoundTotals[] = roundTotals(turns)): Summary {
  const sum = (f: (t: TurnTotals) => number) => turns.reduce((acc, t) => acc + f(t), 0);
  const n = Math.max(rounds.length, 1);
  const totalDelay = sum((t) => t.delay.total);
  const totalServerEnergy = sum((t) => t.energy.server);
  const totalDeviceComputeEnergy = sum((t) => t.energy.deviceCompute);
  const totalDeviceTransmitEnergy = sum((t) => t.energy.deviceTransmit);
  return {
    rounds: rounds.length,
    turns: turns.length,
    avgRoundDelay: totalDelay / n,
    avgServerEnergy: totalServerEnergy / n,
    avgDeviceEnergy: (totalDeviceComputeEnergy + totalDeviceTransmitEnergy) / n,
    totalDelay,
    totalServerEnergy,
    totalDeviceComputeEnergy,
    totalDeviceTransmitEnergy,
  };
}
