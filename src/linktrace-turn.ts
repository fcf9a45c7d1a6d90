import type { Phase, PhaseDelays, TransferPhase, TurnCostModel } from './cost.js';
import type { TurnFault } from './faults.js';
import { airTime, type DeviceLink, type Direction } from './linktrace-channel.js';
import type { TimedChain } from './parallel.js';

/** The phases that compute: their time is 1.4's whatever the link does. */
type ComputePhase = Exclude<Phase, TransferPhase>;

/**
 * One stretch of a turn's timeline on a trace-following link: a compute phase, or a
 * transfer of the adapters or of one iteration's smashed data (or its gradient).
 * `outage` marks the transfer an outage of its phase delays, the phase's first. A
 * timeline holds no numbers (those are the turn's, LinkWalk's), so every fault-free turn
 * of a plan walks the same one: 100,000 turns allocate no steps.
 */
export type LinkStep =
  | { phase: ComputePhase; kind: 'compute' }
  | { phase: TransferPhase; kind: 'transfer'; direction: Direction; payload: 'adapters' | 'smashed'; outage: boolean };

const ITERATION = ['deviceForward', 'uplink', 'server', 'downlink', 'deviceBackward'] as const satisfies readonly Phase[];

/**
 * A turn's timeline (docs/linktrace.md): adapterDown, then per iteration forward_i,
 * uplink_i, server_i, downlink_i, backward_i, then adapterUp. An outage delays its
 * phase's first transfer; a crash ends the turn where its phase first starts.
 */
export function linkSteps(iterations: number, fault?: TurnFault): LinkStep[] {
  const outage = (phase: TransferPhase, first: boolean) => first && fault?.kind === 'outage' && fault.phase === phase;
  const steps: LinkStep[] = [{ phase: 'adapterDown', kind: 'transfer', direction: 'down', payload: 'adapters', outage: outage('adapterDown', true) }];
  for (let i = 1; i <= iterations; i++) {
    for (const p of ITERATION) {
      if (p === 'uplink') steps.push({ phase: p, kind: 'transfer', direction: 'up', payload: 'smashed', outage: outage(p, i === 1) });
      else if (p === 'downlink') steps.push({ phase: p, kind: 'transfer', direction: 'down', payload: 'smashed', outage: outage(p, i === 1) });
      else steps.push({ phase: p, kind: 'compute' });
    }
  }
  steps.push({ phase: 'adapterUp', kind: 'transfer', direction: 'up', payload: 'adapters', outage: outage('adapterUp', true) });
  if (fault?.kind !== 'crash') return steps;
  return steps.slice(0, steps.findIndex((s) => s.phase === fault.phase));
}

/**
 * One turn walked along its timeline on its device's link, from a cursor: what each
 * phase took so far and the uplink's time on air. A transfer of B modelled bytes takes
 * outage + c + d: it starts after the outage, c is integrated on the trace (to the
 * ceil(B/1500)-th opportunity), d is the latency. A compute phase takes 1.4's value / I
 * at the turn's decision (it does not depend on the rates).
 *
 * In parallel mode it is the device's chain for the GPU queue (src/parallel.ts): each
 * stretch before a server job is walked from when it starts.
 *
 * Small on purpose: a parallel round holds 1,000 of these while its GPU queue runs, and
 * what a round holds the GC copies (docs/linktrace.md "## Benchmark"). So the sums are
 * fields, not a phase-keyed record (a keyed `+=` also boxes a number per step), and the
 * per-step figures are worked out as each step comes, not stored.
 */
export class LinkWalk implements TimedChain {
  adapterDown = 0;
  deviceForward = 0;
  uplink = 0;
  server = 0;
  downlink = 0;
  deviceBackward = 0;
  adapterUp = 0;
  /** Time on air of the uplinks and adapterUp (the radio's transmit time), seconds. */
  upAirS = 0;
  /** The turn's GPU jobs, seconds each: its server steps. */
  readonly jobs: readonly number[];
  /** The next step to walk. */
  private next = 0;

  /**
   * @param full 1.4's delays at the turn's decision, before its fault: its compute phases are the walk's
   * @param start the run time the turn starts at (a parallel round's start: the GPU queue counts from it)
   */
  constructor(
    private readonly steps: readonly LinkStep[],
    private readonly cost: TurnCostModel,
    private readonly cut: number,
    private readonly full: PhaseDelays,
    private readonly fault: TurnFault | undefined,
    private readonly link: DeviceLink,
    private readonly latencyS: number,
    private readonly start: number,
  ) {
    let servers = 0;
    for (const s of steps) if (s.phase === 'server') servers++;
    this.jobs = new Array<number>(servers).fill(full.server / cost.split.training.iterations);
  }

  /** Walks the whole turn from its start, the server jobs in line (sequential mode); returns its end. */
  walkTurn(): number {
    return this.walk(this.start, false);
  }

  /** The stretch before job k from `t` after the turn's start (k in order, each once): its end, after the start. */
  segment(_k: number, t: number): number {
    return this.walk(this.start + t, true) - this.start;
  }

  /**
   * Walks on from run time tS to the timeline's end, or with `toJob` to its next server
   * job, which it passes (counting its seconds) for the GPU queue to time. Returns the end.
   */
  private walk(tS: number, toJob: boolean): number {
    const { steps, full } = this;
    const { split } = this.cost;
    const I = split.training.iterations;
    let t = tS;
    while (this.next < steps.length) {
      const s = steps[this.next++]!;
      if (s.kind === 'compute') {
        if (s.phase === 'server') {
          const seconds = full.server / I;
          this.server += seconds;
          if (toJob) return t;
          t += seconds;
        } else if (s.phase === 'deviceForward') {
          const seconds = full.deviceForward / I;
          this.deviceForward += seconds;
          t += seconds;
        } else {
          const seconds = full.deviceBackward / I;
          this.deviceBackward += seconds;
          t += seconds;
        }
        continue;
      }
      const outageS = s.outage && this.fault?.kind === 'outage' ? this.fault.seconds : 0;
      const air = airTime(this.link, s.direction, t + outageS, s.payload === 'adapters' ? split.adapterBytes(this.cut) : split.smashedBytes);
      const took = outageS + air + this.latencyS;
      if (s.phase === 'adapterDown') this.adapterDown += took;
      else if (s.phase === 'uplink') this.uplink += took;
      else if (s.phase === 'downlink') this.downlink += took;
      else this.adapterUp += took;
      if (s.direction === 'up') this.upAirS += air;
      t += took;
    }
    return t;
  }

  /** The walked phases as delays: serverWait as the GPU queue gave it (0 sequential), total the phases' sum unless given (parallel: the finish). */
  delays(serverWait = 0, total?: number): PhaseDelays {
    const sum = this.adapterDown + this.deviceForward + this.uplink + this.server + this.downlink + this.deviceBackward + this.adapterUp;
    return {
      adapterDown: this.adapterDown,
      deviceForward: this.deviceForward,
      uplink: this.uplink,
      server: this.server,
      downlink: this.downlink,
      deviceBackward: this.deviceBackward,
      adapterUp: this.adapterUp,
      serverWait,
      total: total ?? sum,
    };
  }

  /** deviceTransmit: Ptx × the uplink's time on air (the compute energies do not depend on the link: the expected ones stand). */
  deviceTransmit(): number {
    return this.cost.txPowerW * this.upAirS;
  }
}
