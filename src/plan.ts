import type { PhaseDelays, TurnEnergy } from './cost.js';
import type { Strategy } from './strategy/strategy.js';
import { roundTotals, summarize, type RoundTotals, type Summary } from './summary.js';
import type { SystemModel } from './system-model.js';

/** One turn as the analytic model predicts it: decision, rates, phases, energies. */
export interface PlannedTurn {
  round: number;
  device: string;
  cut: number;
  serverFreqHz: number;
  rateUpBps: number;
  rateDownBps: number;
  delay: PhaseDelays;
  energy: TurnEnergy;
}

export interface Plan {
  strategy: string;
  turns: PlannedTurn[];
  rounds: RoundTotals[];
  summary: Summary;
}

/**
 * Rounds → turns (devices in config order, sequential mode) → the strategy's decision on
 * that turn's rates → predicted phases and energies. A generator, so the emulator's
 * coordinator can take the turns one at a time as it runs them.
 */
export function* planTurns(system: SystemModel, strategy: Strategy): Generator<PlannedTurn> {
  const { config } = system;
  for (let round = 1; round <= config.rounds; round++) {
    for (const device of config.devices) {
      const rates = system.channel.rates(round, device);
      const cost = system.costModels.get(device.id)!;
      const feasibleCuts = system.feasibleCuts.get(device.id)!;
      const { cut, freqHz } = strategy.decide({ round, device, rates, feasibleCuts, cost, server: config.server });
      if (!feasibleCuts.includes(cut)) throw new Error(`${strategy.spec} chose infeasible cut ${cut} for ${device.id}`);
      const { delay, energy } = cost.cost(cut, freqHz, rates);
      yield { round, device: device.id, cut, serverFreqHz: freqHz, rateUpBps: rates.upBps, rateDownBps: rates.downBps, delay, energy };
    }
  }
}

export function plan(system: SystemModel, strategy: Strategy): Plan {
  const turns = [...planTurns(system, strategy)];
  const rounds = roundTotals(turns);
  return { strategy: strategy.spec, turns, rounds, summary: summarize(turns, rounds) };
}
