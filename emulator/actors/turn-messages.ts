import type { TransferPhase } from '../../src/cost.js';
import type { PlannedTurn } from '../../src/plan.js';
import { fixedTimeScale } from '../../src/resolution.js';
import type { SystemModel } from '../../src/system-model.js';
import type { WallImpairment } from './coordinator.js';
import type { Link } from '../net/link.js';
import { OUTAGE_LEAK_BYTES } from '../net/outage.js';
import { pacing } from '../net/paced-link.js';
import type { OutageSpec, PrepareMsg, TurnMsg } from '../protocol/messages.js';

/**
 * A planned turn as the server and the device are told it: durations in wall seconds
 * (× timeScale), bytes × payloadScale, rates × payloadScale / timeScale, so transfers
 * scale exactly like compute; and its fault, if any, in the actors' terms: the phase at
 * which the device dies, or the outage each sender must go through.
 */
export function turnMessages(system: SystemModel, planned: PlannedTurn, link: Link, o: { fedAvg: boolean; attempt: number; controlTimeoutMs: number; impairments?: { up: WallImpairment; down: WallImpairment } | undefined }): { prepare: PrepareMsg; turn: TurnMsg; timeoutMs: number } {
  const { config, split } = system;
  const { payloadScale } = config.emulation;
  const timeScale = fixedTimeScale(config.emulation);
  const I = config.training.iterations;
  const paced = pacing(link);
  const pad = link.padding();
  // a re-run after a bus outage carries its attempt, so the actors abandon the earlier one
  const turn = { round: planned.round, device: planned.device, ...(o.attempt ? { attempt: o.attempt } : {}) };
  const bytes = {
    adapterBytes: Math.round(split.adapterBytes(planned.cut) * payloadScale),
    smashedBytes: Math.round(split.smashedBytes * payloadScale),
  };
  const fault = planned.fault;
  const crashAt = fault?.kind === 'crash' ? fault.phase : null;
  const outage = fault?.kind === 'outage' ? outageSpec(fault.phase, fault.seconds * timeScale, link) : null;
  // the predicted total already holds the outage's seconds and the queue's wait
  const timeoutMs = Math.ceil(planned.delay.total * timeScale * 1000 * 3) + o.controlTimeoutMs;
  const prepare: PrepareMsg = {
    kind: 'prepare',
    turn,
    cut: planned.cut,
    freqHz: planned.serverFreqHz,
    iterations: I,
    computeWallS: (planned.delay.server / I) * timeScale,
    ...bytes,
    downRateBps: paced?.downBps ?? null,
    padBytes: pad.downBytes,
    crashAt,
    outage,
    fedAvg: o.fedAvg,
    ...o.impairments?.down,
  };
  const message: TurnMsg = {
    kind: 'turn',
    turn,
    cut: planned.cut,
    iterations: I,
    forwardWallS: (planned.delay.deviceForward / I) * timeScale,
    backwardWallS: (planned.delay.deviceBackward / I) * timeScale,
    ...bytes,
    upRateBps: paced?.upBps ?? null,
    padBytes: pad.upBytes,
    timeoutMs,
    crashAt,
    outage,
    ...o.impairments?.up,
  };
  return { prepare, turn: message, timeoutMs };
}

/** Kernel-held where the link can hold (tc), else held by the sender's pacer. */
function outageSpec(phase: TransferPhase, wallS: number, link: Link): OutageSpec {
  return link.hold ? { phase, wallS, by: 'kernel', padBytes: OUTAGE_LEAK_BYTES } : { phase, wallS, by: 'pacer', padBytes: 0 };
}
