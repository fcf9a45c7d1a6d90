import type { PhaseDelays, TurnEnergy } from './cost.js';
import type { TurnFault, TurnStatus } from './faults.js';
import { planLinktraceRounds } from './linktrace-plan.js';
import { jobChain, scheduleRound, turnSteps, withServerWait, type DeviceSchedule } from './parallel.js';
import type { PlannedRound, PlannedTurn } from './planned-turn.js';
import type { Strategy } from './strategy/strategy.js';
import { roundTotals, summarize, type RoundTotals, type Summary } from './summary.js';
import type { Device } from './system.js';
import type { SystemModel } from './system-model.js';
import { applyFault } from './turn-fault.js';

export type { PlannedRound, PlannedTurn } from './planned-turn.js';

export interface Plan {
  strategy: string;
  turns: PlannedTurn[];
  rounds: RoundTotals[];
  summary: Summary;
}

/**
 * Rounds → the strategy's decision per device on that turn's rates (config order, blind
 * to faults) → the fault applied → in parallel mode the round's GPU queue. A generator,
 * so the emulator's coordinator can take the rounds one at a time as it runs them.
 */
export function* planRounds(system: SystemModel, strategy: Strategy): Generator<PlannedRound> {
  const { config } = system;
  if (system.linkTrace) {
    yield* planLinktraceRounds(system, strategy, system.linkTrace);
    return;
  }
  for (let round = 1; round <= config.rounds; round++) {
    const turns = config.devices.map((device) => planTurn(system, strategy, round, device));
    if (config.mode === 'sequential') {
      yield { round, turns: turns.map((t) => t.turn) };
      continue;
    }
    const taking = turns.filter((t) => t.turn.status !== 'dropped');
    const schedules = scheduleRound(taking.map((t) => jobChain(turnSteps(t.fullDelay, config.training.iterations, t.turn.fault))));
    const schedule = new Map<string, DeviceSchedule>();
    taking.forEach((t, i) => {
      const s = schedules[i] as DeviceSchedule;
      schedule.set(t.turn.device, s);
      t.turn.delay = withServerWait(t.turn.delay, s.serverWait);
    });
    yield { round, turns: turns.map((t) => t.turn), schedule };
  }
}

/** One device's turn as sequential mode sees it, with its fault-free phases for the parallel schedule. */
function planTurn(system: SystemModel, strategy: Strategy, round: number, device: Device): { turn: PlannedTurn; fullDelay: PhaseDelays } {
  const rates = system.channel.rates(round, device);
  const cost = system.costModels.get(device.id)!;
  const feasibleCuts = system.feasibleCuts.get(device.id)!;
  // decided before the fault is looked at: strategies are not told of faults in advance
  const { cut, freqHz } = strategy.decide({ round, device, rates, feasibleCuts, cost, server: system.config.server });
  if (!feasibleCuts.includes(cut)) throw new Error(`${strategy.spec} chose infeasible cut ${cut} for ${device.id}`);
  const full = cost.cost(cut, freqHz, rates);
  const fault = system.faults.at(round, device.id);
  const { status, delay, energy } = applyFault(full, () => cost.phaseEnergies(cut, freqHz, rates), fault, system.config.training.iterations);
  const dropped = status === 'dropped';
  const turn: PlannedTurn = {
    round,
    device: device.id,
    status,
    cut: dropped ? 0 : cut,
    serverFreqHz: dropped ? 0 : freqHz,
    rateUpBps: rates.upBps,
    rateDownBps: rates.downBps,
    delay,
    energy,
    ...(fault ? { fault } : {}),
  };
  return { turn, fullDelay: full.delay };
}

/** Every turn in order, round by round. */
export function* planTurns(system: SystemModel, strategy: Strategy): Generator<PlannedTurn> {
  for (const round of planRounds(system, strategy)) yield* round.turns;
}

export function plan(system: SystemModel, strategy: Strategy): Plan {
  const turns = [...planTurns(system, strategy)];
  const { mode } = system.config;
  const rounds = roundTotals(turns, mode);
  return { strategy: strategy.spec, turns, rounds, summary: summarize(turns, mode, rounds) };
}
