import { PHASES, type Phase, type PhaseDelays, type TransferPhase, type TurnCostModel, type TurnEnergy } from './cost.js';
import type { TurnFault } from './faults.js';
import type { Direction, LinkTraceChannel } from './linktrace-channel.js';
import { dbmToWatts } from './system.js';
import { completedShare } from './turn-fault.js';

/** One stretch of a turn on a trace-following link: a compute phase's time, or a transfer to integrate. */
export type LinkStep =
  | { phase: Phase; kind: 'compute'; seconds: number }
  | { phase: TransferPhase; kind: 'transfer'; direction: Direction; bytes: number; outageS: number };

const ONE_BPS = { upBps: 1, downBps: 1 };

const ITERATION = ['deviceForward', 'uplink', 'server', 'downlink', 'deviceBackward'] as const satisfies readonly Phase[];

/**
 * A turn's timeline (docs/linktrace.md): adapterDown, then per iteration forward_i,
 * uplink_i, server_i, downlink_i, backward_i (compute phases their 1.4 value / I), then
 * adapterUp. An outage shifts the start of its phase's first transfer; a crash ends the
 * turn where its phase first starts. Bytes are modelled bytes (before payloadScale).
 */
export function linkSteps(cost: TurnCostModel, cut: number, freqHz: number, fault?: TurnFault): LinkStep[] {
  const I = cost.split.training.iterations;
  // the compute phases do not depend on the rates
  const compute = cost.delay(cut, freqHz, ONE_BPS);
  const adapterBytes = cost.split.adapterBytes(cut);
  const smashedBytes = cost.split.smashedBytes;
  const outage = (p: Phase, first: boolean) => (first && fault?.kind === 'outage' && fault.phase === p ? fault.seconds : 0);
  const transfer = (phase: TransferPhase, direction: Direction, bytes: number, first: boolean): LinkStep => ({ phase, kind: 'transfer', direction, bytes, outageS: outage(phase, first) });
  const steps: LinkStep[] = [transfer('adapterDown', 'down', adapterBytes, true)];
  for (let i = 1; i <= I; i++) {
    for (const p of ITERATION) {
      if (p === 'uplink') steps.push(transfer(p, 'up', smashedBytes, i === 1));
      else if (p === 'downlink') steps.push(transfer(p, 'down', smashedBytes, i === 1));
      else steps.push({ phase: p, kind: 'compute', seconds: compute[p] / I });
    }
  }
  steps.push(transfer('adapterUp', 'up', adapterBytes, true));
  if (fault?.kind !== 'crash') return steps;
  return steps.slice(0, steps.findIndex((s) => s.phase === fault.phase));
}

/** What walking a stretch of steps gave: each phase's time and the uplink's time on air. */
export interface LinkWalk {
  phases: Record<Phase, number>;
  /** Time on air of the uplinks and adapterUp (the radio's transmit time), seconds. */
  upAirS: number;
}

export function emptyWalk(): LinkWalk {
  // a literal, not built from PHASES: 100,000s of these per plan, and a literal stays a fast object
  return { phases: { adapterDown: 0, deviceForward: 0, uplink: 0, server: 0, downlink: 0, deviceBackward: 0, adapterUp: 0 }, upAirS: 0 };
}

/**
 * Walks steps from run time tS on the device's link, adding into `into`; returns the end.
 * A transfer takes outage + c + d: it starts after the outage, c is integrated on the trace.
 */
export function walkSteps(steps: readonly LinkStep[], tS: number, channel: LinkTraceChannel, deviceId: string, into: LinkWalk): number {
  let t = tS;
  for (const s of steps) {
    if (s.kind === 'compute') {
      into.phases[s.phase] += s.seconds;
      t += s.seconds;
      continue;
    }
    const air = channel.airTime(deviceId, s.direction, t + s.outageS, s.bytes);
    const took = s.outageS + air + channel.latencyS;
    into.phases[s.phase] += took;
    if (s.direction === 'up') into.upAirS += air;
    t += took;
  }
  return t;
}

/** A walked turn as delays (no queueing: serverWait 0, total = the phases' sum) and energies. */
export function walkOutcome(walk: LinkWalk, cost: TurnCostModel, cut: number, freqHz: number, fault?: TurnFault): { delay: PhaseDelays; energy: TurnEnergy } {
  const w = walk.phases;
  const total = w.adapterDown + w.deviceForward + w.uplink + w.server + w.downlink + w.deviceBackward + w.adapterUp;
  const delay: PhaseDelays = { adapterDown: w.adapterDown, deviceForward: w.deviceForward, uplink: w.uplink, server: w.server, downlink: w.downlink, deviceBackward: w.deviceBackward, adapterUp: w.adapterUp, serverWait: 0, total };
  const transmit = dbmToWatts(cost.device.txPowerDbm) * walk.upAirS;
  if (fault?.kind !== 'crash') {
    // the compute energies do not depend on the rates: 1.4's at any rates
    const full = cost.cost(cut, freqHz, ONE_BPS).energy;
    return { delay, energy: { server: full.server, deviceCompute: full.deviceCompute, deviceTransmit: transmit } };
  }
  const e = cost.phaseEnergies(cut, freqHz, ONE_BPS);
  const share = (p: Phase) => completedShare(p, fault.phase, cost.split.training.iterations);
  return {
    delay,
    energy: {
      server: e.server * share('server'),
      deviceCompute: e.deviceForward * share('deviceForward') + e.deviceBackward * share('deviceBackward'),
      deviceTransmit: transmit,
    },
  };
}
