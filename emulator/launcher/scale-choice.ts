import { TRANSFER_PHASES, type TransferPhase } from '../../src/cost.js';
import { planTurns, type PlannedTurn } from '../../src/plan.js';
import { aheadWallMs, floorAtMs, injectedDelayMs, type FloorStats } from '../../src/resolution.js';
import type { Strategy } from '../../src/strategy/strategy.js';
import { SystemModel } from '../../src/system-model.js';
import { chooseTimeScale, estimatedWallS, expectedMedianErrors, MAX_BUS_WALL_BPS, MAX_LINK_WALL_BPS, minFrames, payloadScaleFor, type PayloadBounds, type TimeScaleRequest } from '../../src/time-scale.js';
import type { WallImpairment } from '../coordinator/turn.js';
import { num, pct } from '../format/table.js';
import { planProbe, type Calibration, type Probe } from './calibrate.js';

/**
 * The run's time scale settled before its first turn: "auto" chosen from the plan and the
 * calibrated floor (src/time-scale.ts), or the config's own; and the wall latency each
 * direction injects, the floor taken off so that a transfer measures the modelled latency.
 */
export interface ScaleSetup {
  system: SystemModel;
  impairments: { up: WallImpairment; down: WallImpairment };
  /** Said before the run starts, one line each. */
  lines: string[];
  /** manifest.json's `fidelity`. */
  facts: ScaleFacts;
}

export interface ScaleFacts {
  timeScale: { requested: number | 'auto'; chosen: number };
  /** "auto" dilates bytes with time (docs/fidelity.md): the config's payloadScale and the one the run uses. */
  payloadScale: { requested: number; chosen: number };
  /** Why each scale is what it is, one sentence each. */
  why: string[];
  target: number;
  wallBudgetS: number | null;
  expectedWallS: number;
  expectedMedianError: Record<string, number>;
  /** The expected median errors meet the target (false: the budget or the host does not allow it; the run says so at the end). */
  expectedToMeet: boolean;
  floor: Calibration;
  injectedDelayWallMs: Record<TransferPhase, number>;
  /** What each transfer phase is sent ahead of its start (docs/fidelity.md, "Sending ahead"), wall ms: the floor the latency cannot absorb. */
  aheadWallMs: Record<TransferPhase, number>;
}

/** How far "auto" may land from the scale the floor was probed at before the probe is repeated. */
const GUESS_TOLERANCE = 1.5;

/**
 * Calibrates at the rates the run will have, then settles the time scale; "auto" changes
 * those rates, so a choice far from the first guess is calibrated again at the choice.
 */
export async function calibrateTimeScale(system: SystemModel, strategy: Strategy, mode: string, measure: (probe: Probe) => Promise<Calibration>): Promise<ScaleSetup> {
  const guess = Math.min(timeScaleBound(system, strategy), 1);
  const bounds = payloadBounds(system, strategy);
  const psAt = (t: number) => (system.config.emulation.timeScale === 'auto' ? payloadScaleFor(bounds, system.config.emulation.fidelity, t).payloadScale : system.config.emulation.payloadScale);
  const first = scaleFromCalibration(system, strategy, await measure(planProbe(system, strategy, guess, psAt(guess))), mode);
  const chosen = first.facts.timeScale.chosen;
  if (Math.max(chosen / guess, guess / chosen) <= GUESS_TOLERANCE) return first;
  return scaleFromCalibration(system, strategy, await measure(planProbe(system, strategy, chosen, first.facts.payloadScale.chosen)), mode);
}

/** What bounds payloadScale in this run: its smallest transfer, fastest rate and busiest moment. */
export function payloadBounds(system: SystemModel, strategy: Strategy, turns: readonly PlannedTurn[] = [...planTurns(system, strategy)]): PayloadBounds {
  const { split, config } = system;
  let smallest = split.smashedBytes;
  let fastest = 0;
  for (const t of turns) {
    if (t.cut > 0) smallest = Math.min(smallest, split.adapterBytes(t.cut));
    fastest = Math.max(fastest, t.rateUpBps, t.rateDownBps);
  }
  // parallel: every device of a round moves its adapters at once as the round starts
  const concurrency = config.mode === 'parallel' ? config.devices.length : 1;
  // A trace-following link delivers whole wall frames on the trace's opportunities: at payloadScale 1 a
  // frame is one opportunity, below it one frame waits for 1/payloadScale of them, and a transfer of a
  // few frames is off by up to one (docs/linktrace.md, "Step rates and htb's debt"). So "auto" prefers
  // the modelled bytes, as far as the wall-rate bounds allow.
  const preferred = system.linkTrace ? Math.max(config.emulation.payloadScale, 1) : config.emulation.payloadScale;
  return { preferred, smallestTransferBytes: smallest, fastestRateBps: fastest || 1, concurrency };
}

/** "auto" chooses timeScale and payloadScale together and never refuses: a budget too small gets its slowest scale and the error to expect. */
export function scaleFromCalibration(system: SystemModel, strategy: Strategy, calibration: Calibration, mode: string): ScaleSetup {
  const { emulation, channel, training } = system.config;
  const turns = [...planTurns(system, strategy)];
  const auto = emulation.timeScale === 'auto';
  const req: TimeScaleRequest = {
    turns,
    iterations: training.iterations,
    latencyMs: channel.delayMs,
    resolution: calibration.resolution,
    fidelity: emulation.fidelity,
    wallBudgetS: emulation.wallBudgetS,
    overheadPerTurnS: calibration.overheadPerTurnS,
    payload: auto ? { ...payloadBounds(system, strategy, turns), overheadBytes: Math.max(0, ...Object.values(calibration.resolution.transferBytes ?? {})) } : emulation.payloadScale,
  };
  const choice = auto ? chooseTimeScale(req) : undefined;
  const timeScale = choice?.timeScale ?? (emulation.timeScale as number);
  const payloadScale = choice?.payloadScale ?? emulation.payloadScale;
  const resolved = new SystemModel({ ...system.config, emulation: { ...emulation, timeScale, payloadScale } });
  const { injected, ahead, impairments } = impairmentsAt(resolved, calibration);
  const errors = expectedMedianErrors(req, timeScale, payloadScale);
  const worst = errors.reduce((a, b) => (b.error > a.error ? b : a));
  const facts: ScaleFacts = {
    timeScale: { requested: emulation.timeScale, chosen: timeScale },
    payloadScale: { requested: emulation.payloadScale, chosen: payloadScale },
    why: choice?.why ?? [`timeScale ${timeScale} and payloadScale ${payloadScale}: fixed by the config`],
    target: emulation.fidelity,
    wallBudgetS: emulation.wallBudgetS ?? null,
    expectedWallS: estimatedWallS(req, timeScale),
    expectedMedianError: Object.fromEntries(errors.map((e) => [e.phase, e.error])),
    expectedToMeet: worst.error <= emulation.fidelity,
    floor: calibration,
    injectedDelayWallMs: injected,
    aheadWallMs: ahead,
  };
  return {
    system: resolved,
    impairments,
    lines: scaleLines(facts, mode, channel.delayMs, turns, system),
    facts,
  };
}

/**
 * The wall latency each direction injects at the system's scales: the modelled latency
 * less the floor the path already has, so that a transfer measures the modelled one; and
 * where the latency is shorter than the floor, how far ahead of its phase each transfer
 * leaves (docs/fidelity.md, "Sending ahead"). The monitor calls it again whenever it
 * changes the time scale.
 */
export function impairmentsAt(system: SystemModel, calibration: Calibration): { injected: Record<TransferPhase, number>; ahead: Record<TransferPhase, number>; impairments: { up: WallImpairment; down: WallImpairment } } {
  const { channel, emulation } = system.config;
  const timeScale = emulation.timeScale as number;
  // the fixed part only: a byte part misjudged from a few probes would take real latency away
  const per = (f: (floorMs: number) => number) => Object.fromEntries(TRANSFER_PHASES.map((p) => [p, f(calibration.resolution.transfer[p].medianMs)])) as Record<TransferPhase, number>;
  const injected = per((floorMs) => injectedDelayMs(channel.delayMs, timeScale, floorMs));
  const ahead = per((floorMs) => aheadWallMs(channel.delayMs, timeScale, floorMs));
  const jitterWallMs = channel.jitterMs * timeScale;
  return {
    injected,
    ahead,
    impairments: {
      up: { delayWallMs: { adapters: injected.adapterUp, smashed: injected.uplink }, jitterWallMs, aheadWallMs: { adapters: ahead.adapterUp, smashed: ahead.uplink } },
      down: { delayWallMs: { adapters: injected.adapterDown, smashed: injected.downlink }, jitterWallMs, aheadWallMs: { adapters: ahead.adapterDown, smashed: ahead.downlink } },
    },
  };
}

/** The median planned rates in wall bit/s: where the byte part of the floor is taken off the injected latency. */
function medianWallRates(turns: readonly PlannedTurn[], timeScale: number, payloadScale: number): { upBps: number; downBps: number } {
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1] ?? 1e7;
  const live = turns.filter((t) => t.cut > 0);
  return { upBps: (median(live.map((t) => t.rateUpBps)) * payloadScale) / timeScale, downBps: (median(live.map((t) => t.rateDownBps)) * payloadScale) / timeScale };
}

function scaleLines(f: ScaleFacts, mode: string, latencyMs: number, turns: PlannedTurn[], system: SystemModel): string[] {
  const t = f.timeScale.chosen;
  const { transfer } = f.floor;
  const { compute, transferBytes } = f.floor.resolution;
  const worst = Object.entries(f.expectedMedianError).reduce((a, b) => (b[1] > a[1] ? b : a));
  const bytes = transferBytes ? Math.max(...Object.values(transferBytes)) : 0;
  const how = f.timeScale.requested === 'auto' ? `auto → ${t}, payloadScale ${f.payloadScale.chosen}` : `${t} (fixed by the config), payloadScale ${f.payloadScale.chosen}`;
  const lines = [
    `floor (${mode}, ${transfer.samples} transfers in ${num(f.floor.wallS, 2)} s): ${floorText(transfer)} per transfer${bytes > 0 ? ` + up to ${Math.round(bytes)} B at the wall rate` : ''}, ${floorText(compute)} per workload (wall)`,
    `timeScale ${how}; the worst phase is expected ${pct(worst[1])} off at the median (${worst[0]}), about ${num(f.expectedWallS, 3)} s wall for ${turns.length} turns`,
  ];
  if (f.timeScale.requested === 'auto') lines.push(...f.why.map((w) => `  ${w}`));
  if (!f.expectedToMeet) {
    lines.push(`fidelity ${pct(f.target)} is not expected at this scale: expect about ${pct(worst[1])} (${worst[0]})${f.wallBudgetS !== null ? `; a larger wallBudgetS would help` : ''}; the run goes on and reports what it got`);
  }
  if (f.timeScale.requested !== 'auto') {
    const bounds = payloadBounds(system, system.strategy(), turns);
    const frames = (bounds.smallestTransferBytes * f.payloadScale.chosen) / 1448;
    const fastest = (bounds.fastestRateBps * f.payloadScale.chosen) / t;
    if (frames < minFrames(f.target)) lines.push(`the smallest transfer is ${num(frames, 2)} frames at payloadScale ${f.payloadScale.chosen}: htb ends transfers on whole frames, so it can be a frame off (timeScale "auto" raises payloadScale)`);
    if (fastest > Math.min(MAX_LINK_WALL_BPS, MAX_BUS_WALL_BPS / bounds.concurrency)) lines.push(`the fastest wall rate is ${num(fastest / 1e6, 3)} Mbit/s: above what htb and the bus carry exactly (timeScale "auto" lowers payloadScale)`);
  }
  const floorMs = Math.max(...TRANSFER_PHASES.map((p) => f.floor.resolution.transfer[p].medianMs));
  if (latencyMs * t < floorMs) {
    lines.push(
      `channel.delayMs ${latencyMs} ms is ${num(latencyMs * t, 3)} ms wall at timeScale ${t}, below the emulator's floor (${num(floorMs, 3)} ms): each transfer leaves up to ${num(floorMs - latencyMs * t, 3)} ms (wall) ahead of its phase, taken from the timed phase before it`,
    );
  }
  return lines;
}

function floorText(s: FloorStats): string {
  return `median ${num(s.medianMs, 3)} ms, p95 ${num(s.p95Ms, 3)} ms`;
}

/**
 * The largest timeScale the run can end up with, known before the bus starts: the bus
 * must outlast the slowest chunk (write_deadline). "auto" stays inside its wall budget;
 * without one it is bounded generously.
 */
export function timeScaleBound(system: SystemModel, strategy: Strategy, turns?: readonly PlannedTurn[]): number {
  const { emulation } = system.config;
  if (emulation.timeScale !== 'auto') return emulation.timeScale;
  if (emulation.wallBudgetS === undefined) return 10;
  const emulated = (turns ?? [...planTurns(system, strategy)]).reduce((sum, t) => sum + t.delay.total, 0);
  return emulated > 0 ? Math.max(emulation.wallBudgetS / emulated, 1e-3) : 1;
}

/** The smallest payloadScale the run can end up with (with timeScaleBound: the slowest wall rate, for the bus's write deadline). */
export function payloadScaleBound(system: SystemModel, strategy: Strategy, turns?: readonly PlannedTurn[]): number {
  const { emulation } = system.config;
  if (emulation.timeScale !== 'auto') return emulation.payloadScale;
  const b = payloadBounds(system, strategy, turns);
  // lowered only to keep the fastest wall rate bounded: at worst the slowest rate is that bound × slowest/fastest
  return Math.min(emulation.payloadScale, payloadScaleFor(b, emulation.fidelity, 1e-3).payloadScale);
}
