import { PHASES, type PhaseDelays, type PhaseEnergies, type Phase, type TurnEnergy } from './cost.js';
import type { TurnFault, TurnStatus } from './faults.js';

/** A turn after its fault (if any): what it cost and how it ended. */
export interface TurnOutcome {
  status: TurnStatus;
  delay: PhaseDelays;
  energy: TurnEnergy;
}

/**
 * The share of a phase a turn completed before a crash at the first start of `crashAt`.
 * With I iterations the middle five phases interleave (forward_1, uplink_1, server_1, …),
 * so a crash inside the first iteration has done one I-th of the iterated phases before
 * it. With I = 1 this is docs/model.md §1.7's "the sum of the phases before `phase`".
 */
export function completedShare(phase: Phase, crashAt: Phase, iterations: number): number {
  if (PHASES.indexOf(phase) >= PHASES.indexOf(crashAt)) return 0;
  if (phase === 'adapterDown' || crashAt === 'adapterUp') return 1;
  return 1 / iterations;
}

/** The energy of a turn that did nothing. */
export const ZERO_ENERGY: TurnEnergy = { server: 0, deviceCompute: 0, deviceTransmit: 0 };

/**
 * Applies a turn's fault to its full cost (docs/model.md §1.7): a dropout costs nothing, a
 * crash keeps the completed share of each phase and charges only those phases' energy,
 * an outage adds its seconds to its phase and no energy (the link carries nothing then).
 */
export function applyFault(full: { delay: PhaseDelays; energy: TurnEnergy }, phaseEnergy: () => PhaseEnergies, fault: TurnFault | undefined, iterations: number): TurnOutcome {
  if (!fault) return { status: 'done', ...full };
  if (fault.kind === 'dropout') return { status: 'dropped', delay: withTotal((): number => 0), energy: { ...ZERO_ENERGY } };
  if (fault.kind === 'outage') {
    return { status: 'done', delay: withTotal((p) => full.delay[p] + (p === fault.phase ? fault.seconds : 0)), energy: full.energy };
  }
  const share = (p: Phase) => completedShare(p, fault.phase, iterations);
  const e = phaseEnergy();
  return {
    status: 'crashed',
    delay: withTotal((p) => full.delay[p] * share(p)),
    energy: {
      server: e.server * share('server'),
      deviceCompute: e.deviceForward * share('deviceForward') + e.deviceBackward * share('deviceBackward'),
      deviceTransmit: e.uplink * share('uplink') + e.adapterUp * share('adapterUp'),
    },
  };
}

/** Delays from a value per phase; no queueing yet (serverWait 0), total = their sum. */
export function withTotal(phase: (p: Phase) => number): PhaseDelays {
  const delays = Object.fromEntries(PHASES.map((p) => [p, phase(p)])) as Record<Phase, number>;
  const total = PHASES.reduce((sum, p) => sum + delays[p], 0);
  return { ...delays, serverWait: 0, total };
}
