import type { PhaseDelays, TurnCostModel } from './cost.js';
import type { TurnFault } from './faults.js';
import type { LinkTraceChannel } from './linktrace-channel.js';
import { emptyWalk, linkSteps, walkOutcome, walkSteps, type LinkStep } from './linktrace-turn.js';
import { jobChain, scheduleRound, scheduleTimedRound, turnSteps, withServerWait, type DeviceSchedule, type TimedChain } from './parallel.js';
import type { PlannedRound, PlannedTurn } from './planned-turn.js';
import { checkedDecision } from './strategy/check-decision.js';
import type { Policy } from './strategy/strategy.js';
import { Turn } from './strategy/turn.js';
import type { Device } from './system.js';
import type { SystemModel } from './system-model.js';
import { applyFault } from './turn-fault.js';

/**
 * The plan on a trace-following channel (docs/linktrace.md): one emulated clock, 0 at
 * round 1's start. Each turn's strategy sees the estimator's rates at the turn's start;
 * `expectedDelay` is 1.4 at those rates, `delay` the phases integrated on the traces.
 * Sequential: a turn starts when the previous one ends. Parallel: every device of a
 * round starts at the round's start and the GPU queue runs on the integrated arrivals.
 */
export function* planLinktraceRounds(
  system: SystemModel,
  policy: Policy,
  label: string,
  channel: LinkTraceChannel,
  endRound: (round: number, turns: readonly PlannedTurn[]) => void,
): Generator<PlannedRound> {
  const { config } = system;
  let clock = 0;
  for (let round = 1; round <= config.rounds; round++) {
    const state = policy.state ? { ...policy.state() } : undefined;
    if (config.mode === 'sequential') {
      const turns = config.devices.map((device) => {
        const d = decide(system, policy, label, channel, round, device, clock);
        if (d.turn.status !== 'dropped') {
          const walk = emptyWalk();
          walkSteps(d.steps, clock, channel, device.id, walk);
          Object.assign(d.turn, walkOutcome(walk, d.cost, d.turn.cut, d.turn.serverFreqHz, d.fault));
        }
        clock += d.turn.delay.total;
        return d.turn;
      });
      endRound(round, turns);
      yield { round, turns, ...(state ? { state } : {}) };
      continue;
    }
    const start = clock;
    const decided = config.devices.map((device) => decide(system, policy, label, channel, round, device, start));
    const taking = decided.filter((d) => d.turn.status !== 'dropped');
    const walks = taking.map(() => emptyWalk());
    const chains = taking.map((d, i) => timedChain(d.steps, start, channel, d.turn.device, walks[i]!));
    const schedules = scheduleTimedRound(chains);
    // what the strategy believed: the same queue at the rates it saw
    const believed = scheduleRound(taking.map((d) => jobChain(turnSteps(d.fullExpected, config.training.iterations, d.fault))));
    const schedule = new Map<string, DeviceSchedule>();
    let end = start;
    taking.forEach((d, i) => {
      const s = schedules[i]!;
      schedule.set(d.turn.device, s);
      const outcome = walkOutcome(walks[i]!, d.cost, d.turn.cut, d.turn.serverFreqHz, d.fault);
      d.turn.delay = { ...withServerWait(outcome.delay, s.serverWait), total: s.finish };
      d.turn.energy = outcome.energy;
      d.turn.expectedDelay = withServerWait(d.turn.expectedDelay!, believed[i]!.serverWait);
      end = Math.max(end, start + s.finish);
    });
    clock = end;
    const turns = decided.map((d) => d.turn);
    endRound(round, turns);
    yield { round, turns, schedule, ...(state ? { state } : {}) };
  }
}

interface Decided {
  turn: PlannedTurn;
  steps: LinkStep[];
  cost: TurnCostModel;
  fault: TurnFault | undefined;
  fullExpected: PhaseDelays;
}

/** The strategy's decision at run time tS on the rates it sees then, with its expected (1.4) outcome. */
function decide(system: SystemModel, policy: Policy, label: string, channel: LinkTraceChannel, round: number, device: Device, tS: number): Decided {
  const rates = channel.seen(device.id, tS);
  const cost = system.costModels.get(device.id)!;
  const feasibleCuts = system.feasibleCuts.get(device.id)!;
  // decided before the fault is looked at: strategies are not told of faults in advance
  const { cut, freqHz } = checkedDecision(policy, new Turn(round, device, rates, feasibleCuts, cost, system.config.server), label);
  const full = cost.cost(cut, freqHz, rates);
  const fault = system.faults.at(round, device.id);
  const expected = applyFault(full, () => cost.phaseEnergies(cut, freqHz, rates), fault, system.config.training.iterations);
  const dropped = expected.status === 'dropped';
  const turn: PlannedTurn = {
    round,
    device: device.id,
    status: expected.status,
    cut: dropped ? 0 : cut,
    serverFreqHz: dropped ? 0 : freqHz,
    rateUpBps: rates.upBps,
    rateDownBps: rates.downBps,
    start: tS,
    delay: expected.delay,
    expectedDelay: expected.delay,
    energy: expected.energy,
    ...(fault ? { fault } : {}),
  };
  return { turn, steps: dropped ? [] : linkSteps(cost, cut, freqHz, fault), cost, fault, fullExpected: full.delay };
}

/** A device's steps cut at its server jobs, each stretch walked on its link from the run time it starts at. */
function timedChain(steps: readonly LinkStep[], roundStart: number, channel: LinkTraceChannel, deviceId: string, walk: ReturnType<typeof emptyWalk>): TimedChain {
  const jobs: number[] = [];
  const stretches: LinkStep[][] = [[]];
  for (const s of steps) {
    if (s.phase === 'server' && s.kind === 'compute') {
      jobs.push(s.seconds);
      walk.phases.server += s.seconds;
      stretches.push([]);
    } else stretches[stretches.length - 1]!.push(s);
  }
  return { jobs, segment: (k, t) => walkSteps(stretches[k]!, roundStart + t, channel, deviceId, walk) - roundStart };
}
