import { TRANSFER_PHASES, type TransferPhase } from '../../src/cost.js';
import { planTurns, type PlannedTurn } from '../../src/plan.js';
import { injectedDelayMs, type FloorStats } from '../../src/resolution.js';
import type { Strategy } from '../../src/strategy/strategy.js';
import { SystemModel } from '../../src/system-model.js';
import { chooseTimeScale, estimatedWallS, expectedMedianErrors, type TimeScaleRequest } from '../../src/time-scale.js';
import type { WallImpairment } from '../coordinator/turn.js';
import { UsageError } from '../errors.js';
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
  target: number;
  wallBudgetS: number | null;
  expectedWallS: number;
  expectedMedianError: Record<string, number>;
  floor: Calibration;
  injectedDelayWallMs: Record<TransferPhase, number>;
}

/** How far "auto" may land from the scale the floor was probed at before the probe is repeated. */
const GUESS_TOLERANCE = 1.5;

/**
 * Calibrates at the rates the run will have, then settles the time scale; "auto" changes
 * those rates, so a choice far from the first guess is calibrated again at the choice.
 */
export async function calibrateAndSettle(system: SystemModel, strategy: Strategy, mode: string, measure: (probe: Probe) => Promise<Calibration>): Promise<ScaleSetup> {
  const guess = Math.min(timeScaleBound(system, strategy), 1);
  const first = settleScale(system, strategy, await measure(planProbe(system, strategy, guess)), mode);
  const chosen = first.facts.timeScale.chosen;
  if (Math.max(chosen / guess, guess / chosen) <= GUESS_TOLERANCE) return first;
  return settleScale(system, strategy, await measure(planProbe(system, strategy, chosen)), mode);
}

/** Throws UsageError (exit 2) when "auto" cannot meet the fidelity within the wall budget. */
export function settleScale(system: SystemModel, strategy: Strategy, calibration: Calibration, mode: string): ScaleSetup {
  const { emulation, channel, training } = system.config;
  const turns = [...planTurns(system, strategy)];
  const req: TimeScaleRequest = {
    turns,
    iterations: training.iterations,
    latencyMs: channel.delayMs,
    resolution: calibration.resolution,
    fidelity: emulation.fidelity,
    wallBudgetS: emulation.wallBudgetS,
    overheadPerTurnS: calibration.overheadPerTurnS,
  };
  const timeScale = emulation.timeScale === 'auto' ? autoScale(req, calibration) : emulation.timeScale;
  const resolved = new SystemModel({ ...system.config, emulation: { ...emulation, timeScale } });
  const injected = Object.fromEntries(
    TRANSFER_PHASES.map((p) => [p, injectedDelayMs(channel.delayMs, timeScale, calibration.resolution.transfer[p].medianMs)]),
  ) as Record<TransferPhase, number>;
  const jitterWallMs = channel.jitterMs * timeScale;
  const errors = expectedMedianErrors(req, timeScale);
  const facts: ScaleFacts = {
    timeScale: { requested: emulation.timeScale, chosen: timeScale },
    target: emulation.fidelity,
    wallBudgetS: emulation.wallBudgetS ?? null,
    expectedWallS: estimatedWallS(req, timeScale),
    expectedMedianError: Object.fromEntries(errors.map((e) => [e.phase, e.error])),
    floor: calibration,
    injectedDelayWallMs: injected,
  };
  return {
    system: resolved,
    impairments: {
      up: { delayWallMs: { adapters: injected.adapterUp, smashed: injected.uplink }, jitterWallMs },
      down: { delayWallMs: { adapters: injected.adapterDown, smashed: injected.downlink }, jitterWallMs },
    },
    lines: scaleLines(facts, mode, channel.delayMs, turns),
    facts,
  };
}

function autoScale(req: TimeScaleRequest, calibration: Calibration): number {
  const choice = chooseTimeScale(req);
  if (!choice.ok) {
    const worst = expectedMedianErrors(req, choice.timeScale).reduce((a, b) => (b.error > a.error ? b : a));
    throw new UsageError(
      `emulation.wallBudgetS ${choice.budgetS} s cannot meet emulation.fidelity ${pct(req.fidelity)}: timeScale ${choice.timeScale} would (about ${num(choice.wallS, 3)} s wall for the turns; ${worst.phase} sets it, floor ${floorText(calibration.transfer)} per transfer); raise wallBudgetS, loosen fidelity or set a timeScale`,
    );
  }
  return choice.timeScale;
}

function scaleLines(f: ScaleFacts, mode: string, latencyMs: number, turns: PlannedTurn[]): string[] {
  const t = f.timeScale.chosen;
  const { transfer } = f.floor;
  const { compute } = f.floor.resolution;
  const worst = Object.entries(f.expectedMedianError).reduce((a, b) => (b[1] > a[1] ? b : a));
  const how = f.timeScale.requested === 'auto' ? `auto → ${t}, the fastest whose expected median error meets fidelity ${pct(f.target)}` : `${t} (fixed by the config)`;
  const lines = [
    `floor (${mode}, ${transfer.samples} transfers in ${num(f.floor.wallS, 2)} s): ${floorText(transfer)} per transfer, ${floorText(compute)} per workload (wall)`,
    `timeScale ${how}; the worst phase is expected ${pct(worst[1])} off at the median (${worst[0]}), about ${num(f.expectedWallS, 3)} s wall for ${turns.length} turns`,
  ];
  const floorMs = Math.max(...TRANSFER_PHASES.map((p) => f.floor.resolution.transfer[p].medianMs));
  if (latencyMs > 0 && latencyMs * t < floorMs) {
    lines.push(
      `channel.delayMs ${latencyMs} ms is ${num(latencyMs * t, 3)} ms wall at timeScale ${t}, below the emulator's floor (${num(floorMs, 3)} ms): each transfer will measure up to ${num((floorMs - latencyMs * t) / t, 3)} ms (emulated) longer than modelled`,
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
