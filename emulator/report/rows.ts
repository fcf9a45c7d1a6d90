import { PHASES } from '../../src/cost.js';
import { roundTotals } from '../../src/summary.js';
import type { TurnRecord } from '../records/turn-record.js';
import type { ReportInput, ReportRun } from './inputs.js';

/**
 * The few rows each chart needs, derived from the runs' turns: the report carries these
 * (inside the SVG), never the raw records.
 */
export type Source = 'measured' | 'predicted';
const SOURCES: readonly Source[] = ['measured', 'predicted'];

export interface RoundRow {
  strategy: string;
  round: number;
  source: Source;
  delay: number;
  serverEnergy: number;
}

/** Per-round delay and server energy (sums of the round's turns, sequential mode). */
export function roundRows(runs: readonly ReportRun[]): RoundRow[] {
  return runs.flatMap((run) =>
    SOURCES.flatMap((source) =>
      // a parallel round lasts until its last finish: the turn's start in the round plus its total
      roundTotals(
        run.turns.map((t) => ({ round: t.round, delay: { total: (source === 'measured' ? t.startOffset : 0) + t[source].delay.total }, energy: t[source].energy })),
        run.manifest.config.mode,
      ).map((r) => ({
        strategy: run.label,
        round: r.round,
        source,
        delay: r.delay,
        serverEnergy: r.serverEnergy,
      })),
    ),
  );
}

export interface PhaseRow {
  group: string;
  phase: string;
  /** Position in the turn, so the stack reads in the order the phases happen. */
  order: number;
  seconds: number;
}

export interface PhaseBreakdown {
  /** What a bar stands for: a strategy (comparison) or a device (single run). */
  groupBy: 'strategy' | 'device';
  groups: string[];
  phases: PhaseRow[];
  predictedTotals: { group: string; seconds: number }[];
}

/**
 * Above this many devices a chart does not give each device a row or a colour: a reader
 * cannot tell 1,000 colours apart, and a spec with a per-device sort or colour domain
 * 1,000 entries deep overflows Vega's expression compiler (docs/architecture.md §8). It
 * aggregates instead: all devices together, and the SLOWEST_K slowest by name.
 */
export const PER_DEVICE_MAX = 20;
export const SLOWEST_K = 10;

/** The label of the group that stands for every device of a large run. */
export function allDevicesLabel(n: number): string {
  return `all ${n} devices`;
}

/**
 * The mean measured turn, per strategy for a comparison and per device for one run; a run
 * of more than PER_DEVICE_MAX devices gets one bar for all of them and one for each of
 * its SLOWEST_K slowest devices (by mean measured turn).
 */
export function phaseBreakdown(input: ReportInput): PhaseBreakdown {
  let byGroup = new Map<string, TurnRecord[]>();
  for (const run of input.runs) {
    for (const t of run.turns) {
      const key = input.kind === 'compare' ? run.label : t.device;
      const turns = byGroup.get(key) ?? [];
      turns.push(t);
      byGroup.set(key, turns);
    }
  }
  if (input.kind === 'run' && byGroup.size > PER_DEVICE_MAX) byGroup = allAndSlowest(byGroup);
  const groups = [...byGroup.keys()];
  const mean = (turns: TurnRecord[], f: (t: TurnRecord) => number) => turns.reduce((a, t) => a + f(t), 0) / Math.max(turns.length, 1);
  return {
    groupBy: input.kind === 'compare' ? 'strategy' : 'device',
    groups,
    phases: [...byGroup].flatMap(([group, turns]) => PHASES.map((phase, order) => ({ group, phase, order, seconds: mean(turns, (t) => t.measured.delay[phase]) }))),
    predictedTotals: [...byGroup].map(([group, turns]) => ({ group, seconds: mean(turns, (t) => t.predicted.delay.total) })),
  };
}

function allAndSlowest(byDevice: Map<string, TurnRecord[]>): Map<string, TurnRecord[]> {
  const meanTotal = (turns: TurnRecord[]) => turns.reduce((a, t) => a + t.measured.delay.total, 0) / Math.max(turns.length, 1);
  const slowest = [...byDevice].map(([device, turns]) => ({ device, turns, mean: meanTotal(turns) })).sort((a, b) => b.mean - a.mean).slice(0, SLOWEST_K);
  return new Map([[allDevicesLabel(byDevice.size), [...byDevice.values()].flat()], ...slowest.map((s) => [s.device, s.turns] as [string, TurnRecord[]])]);
}

export interface TurnRow {
  strategy: string;
  device: string;
  round: number;
  cut: number;
  rateUpMbps: number;
  predicted: number;
  measured: number;
}

/** One row per turn: the decision against its channel, and its predicted and measured totals. */
export function turnRows(runs: readonly ReportRun[]): TurnRow[] {
  return runs.flatMap((run) =>
    run.turns.map((t) => ({
      strategy: run.label,
      device: t.device,
      round: t.round,
      cut: t.cut,
      rateUpMbps: t.rateUpBps / 1e6,
      predicted: t.predicted.delay.total,
      measured: t.measured.delay.total,
    })),
  );
}

/** Devices in config order (the order of the first run's manifest), for stable colours. */
export function deviceOrder(runs: readonly ReportRun[]): string[] {
  const fromConfig = runs[0]?.manifest.config.devices.map((d) => d.id) ?? [];
  const seen = new Set(fromConfig);
  const extra = runs.flatMap((r) => r.turns.map((t) => t.device)).filter((d) => !seen.has(d) && (seen.add(d), true));
  return [...fromConfig, ...extra];
}
