import type { PhaseDelays, TurnCostModel } from './cost.js';
import type { TurnFault } from './faults.js';
import type { LinkTraceChannel } from './linktrace-channel.js';
import { linkSteps, LinkWalk, type LinkStep } from './linktrace-turn.js';
import { jobChain, scheduleRound, scheduleTimedRound, turnSteps, withServerWait, type DeviceSchedule } from './parallel.js';
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
  const planner = new LinktracePlanner(system, policy, label, channel);
  let clock = 0;
  for (let round = 1; round <= system.config.rounds; round++) {
    const state = policy.state ? { ...policy.state() } : undefined;
    if (system.config.mode === 'sequential') {
      const { turns, end } = planner.sequentialRound(round, clock);
      clock = end;
      endRound(round, turns);
      yield { round, turns, ...(state ? { state } : {}) };
      continue;
    }
    const { turns, schedule, end } = planner.parallelRound(round, clock);
    clock = end;
    endRound(round, turns);
    yield { round, turns, schedule, ...(state ? { state } : {}) };
  }
}

interface Decided {
  turn: PlannedTurn;
  cost: TurnCostModel;
  fault: TurnFault | undefined;
  /** 1.4's delays at the rates it saw, before its fault. */
  full: PhaseDelays;
}

/**
 * A round is a call, not the generator's body, so that its walks and queues die when it
 * returns: a generator keeps its locals alive across a yield until the next round
 * overwrites them, so 1,000 devices' worth would live on into the next round's decisions
 * for the GC to copy (docs/linktrace.md "## Benchmark").
 */
class LinktracePlanner {
  /** The timeline every fault-free turn walks. */
  private readonly timeline: readonly LinkStep[];

  constructor(
    private readonly system: SystemModel,
    private readonly policy: Policy,
    private readonly label: string,
    private readonly channel: LinkTraceChannel,
  ) {
    this.timeline = linkSteps(system.config.training.iterations);
  }

  /** Each turn starts when the previous one ends and is walked on its link from there. */
  sequentialRound(round: number, start: number): { turns: PlannedTurn[]; end: number } {
    let clock = start;
    const turns = this.system.config.devices.map((device) => {
      const d = this.decide(round, device, clock);
      if (d.turn.status !== 'dropped') {
        const walk = this.walkOf(d);
        walk.walkTurn();
        d.turn.delay = walk.delays();
        // the compute energies are 1.4's at any rates; only the radio's is the link's (set
        // in place: one object fewer per turn)
        d.turn.energy.deviceTransmit = walk.deviceTransmit();
      }
      clock += d.turn.delay.total;
      return d.turn;
    });
    return { turns, end: clock };
  }

  /** Every device starts at the round's start; the GPU queue runs on the integrated arrivals. */
  parallelRound(round: number, start: number): { turns: PlannedTurn[]; schedule: Map<string, DeviceSchedule>; end: number } {
    const decided = this.system.config.devices.map((device) => this.decide(round, device, start));
    const taking = decided.filter((d) => d.turn.status !== 'dropped');
    // what the strategy believed: the same queue at the rates it saw (queued before the
    // walks are made, so that its chains are gone by then)
    const believed = scheduleRound(taking.map((d) => jobChain(turnSteps(d.full, this.system.config.training.iterations, d.fault))));
    // a copy, not in place: written into in place, the 1.4 delays made this plan 1.3–2×
    // slower (measured; docs/linktrace.md "## Benchmark")
    taking.forEach((d, i) => (d.turn.expectedDelay = withServerWait(d.turn.expectedDelay!, believed[i]!.serverWait)));
    const walks = taking.map((d) => this.walkOf(d));
    const schedules = scheduleTimedRound(walks);
    const schedule = new Map<string, DeviceSchedule>();
    let end = start;
    taking.forEach((d, i) => {
      const s = schedules[i]!;
      schedule.set(d.turn.device, s);
      d.turn.delay = walks[i]!.delays(s.serverWait, s.finish);
      d.turn.energy.deviceTransmit = walks[i]!.deviceTransmit();
      end = Math.max(end, start + s.finish);
    });
    return { turns: decided.map((d) => d.turn), schedule, end };
  }

  /** The strategy's decision at run time tS on the rates it sees then, with its expected (1.4) outcome. */
  private decide(round: number, device: Device, tS: number): Decided {
    const { system } = this;
    const rates = this.channel.seen(device.id, tS);
    const cost = system.costModels.get(device.id)!;
    const feasibleCuts = system.feasibleCuts.get(device.id)!;
    // decided before the fault is looked at: strategies are not told of faults in advance
    const { cut, freqHz } = checkedDecision(this.policy, new Turn(round, device, rates, feasibleCuts, cost, system.config.server), this.label);
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
    };
    // set after, not spread into the literal: a literal with a spread is not one V8 can
    // make in the old generation at once, and every turn is kept
    if (fault) turn.fault = fault;
    return { turn, cost, fault, full: full.delay };
  }

  /** A turn's walk on its device's link, from the timeline's start. */
  private walkOf(d: Decided): LinkWalk {
    const steps = d.fault ? linkSteps(this.system.config.training.iterations, d.fault) : this.timeline;
    return new LinkWalk(steps, d.cost, d.turn.cut, d.full, d.fault, this.channel.link(d.turn.device), this.channel.latencyS, d.turn.start!);
  }
}
