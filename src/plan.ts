import type { PhaseDelays, TurnEnergy } from './cost.js';
import type { TurnFault, TurnStatus } from './faults.js';
import { planLinktraceRounds } from './linktrace-plan.js';
import { jobChain, scheduleRound, turnSteps, withServerWait, type DeviceSchedule } from './parallel.js';
import type { PlannedRound, PlannedTurn } from './planned-turn.js';
import { checkedDecision } from './strategy/check-decision.js';
import { DecisionError, strategyLabel, type Policy, type Strategy } from './strategy/strategy.js';
import { Turn } from './strategy/turn.js';
import { firstLine } from './strategy/registry.js';
import { roundTotals, summarize, type RoundTotals, type Summary } from './summary.js';
import type { Device } from './system.js';
import type { SystemModel } from './system-model.js';
import { applyFault } from './turn-fault.js';

export type { PlannedRound, PlannedTurn } from './planned-turn.js';

export interface Plan {
  strategy: string;
  turns: PlannedTurn[];
  /** Each round's totals and what the strategy reported for it (lyapunov: `Q`). */
  rounds: (RoundTotals & Record<string, number>)[];
  summary: Summary;
}

/**
 * Rounds → the strategy's decision per device on that turn's rates (config order, blind
 * to faults) → the fault applied → in parallel mode the round's GPU queue. A generator,
 * so the emulator's coordinator can take the rounds one at a time as it runs them.
 */
export function* planRounds(system: SystemModel, strategy: Strategy): Generator<PlannedRound> {
  const { config } = system;
  const label = strategyLabel(strategy);
  // a fresh policy per walk: a stateful strategy (lyapunov's queue) starts from round 1 every time
  const policy = strategy.start();
  if (system.linkTrace) {
    yield* planLinktraceRounds(system, policy, label, system.linkTrace, (round, turns) => {
      if (policy.endRound) endRound(policy, label, round, turns, config.mode);
    });
    return;
  }
  for (let round = 1; round <= config.rounds; round++) {
    const state = policy.state ? { ...policy.state() } : undefined;
    const turns = config.devices.map((device) => planTurn(system, policy, label, round, device));
    let schedule: Map<string, DeviceSchedule> | undefined;
    if (config.mode === 'parallel') {
      const taking = turns.filter((t) => t.turn.status !== 'dropped');
      const schedules = scheduleRound(taking.map((t) => jobChain(turnSteps(t.fullDelay, config.training.iterations, t.turn.fault))));
      schedule = new Map<string, DeviceSchedule>();
      taking.forEach((t, i) => {
        const s = schedules[i] as DeviceSchedule;
        schedule!.set(t.turn.device, s);
        t.turn.delay = withServerWait(t.turn.delay, s.serverWait);
      });
    }
    const planned = turns.map((t) => t.turn);
    if (policy.endRound) endRound(policy, label, round, planned, config.mode);
    yield { round, turns: planned, ...(schedule ? { schedule } : {}), ...(state ? { state } : {}) };
  }
}

/** Tells the policy the round's planned figures (faulted turns count what they spent) before the next round is decided. */
function endRound(policy: Policy, label: string, round: number, turns: readonly PlannedTurn[], mode: SystemModel['config']['mode']): void {
  const [totals] = roundTotals(turns, mode);
  try {
    policy.endRound!(round, { delay: totals?.delay ?? 0, serverEnergy: totals?.serverEnergy ?? 0 });
  } catch (err) {
    throw new DecisionError(label, round, undefined, `endRound threw: ${firstLine(err)}`);
  }
}

/** One device's turn as sequential mode sees it, with its fault-free phases for the parallel schedule. */
function planTurn(system: SystemModel, policy: Policy, label: string, round: number, device: Device): { turn: PlannedTurn; fullDelay: PhaseDelays } {
  const rates = system.channel.rates(round, device);
  const cost = system.costModels.get(device.id)!;
  const feasibleCuts = system.feasibleCuts.get(device.id)!;
  // decided before the fault is looked at: strategies are not told of faults in advance
  const { cut, freqHz } = checkedDecision(policy, new Turn(round, device, rates, feasibleCuts, cost, system.config.server), label);
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
  const turns: PlannedTurn[] = [];
  const states = new Map<number, Record<string, number>>();
  for (const round of planRounds(system, strategy)) {
    for (const t of round.turns) turns.push(t);
    if (round.state) states.set(round.round, round.state);
  }
  const { mode } = system.config;
  const totals = roundTotals(turns, mode);
  const rounds: Plan['rounds'] = totals.map((r) => ({ ...r, ...states.get(r.round) }));
  return { strategy: strategy.spec, turns, rounds, summary: summarize(turns, mode, totals) };
}
