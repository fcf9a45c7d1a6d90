import { roundTotals } from '../../src/summary.js';
import type { TurnRecord } from '../records/turn-record.js';
import type { ReportRun } from './inputs.js';
import { PER_DEVICE_MAX } from './rows.js';

/**
 * A linktrace run (docs/linktrace.md) as the report sees it: per round, what the strategy
 * expected, what the traces allowed (the integrated delay, turns.csv's `predicted_*`) and
 * what the emulator measured; and each turn placed on the run's clock.
 */
export interface LinktraceRoundRow {
  strategy: string;
  round: number;
  expected: number;
  integrated: number;
  measured: number;
}

/** How many devices a large run charts: those whose expected and integrated turns differ most. */
export const GAP_K = 5;

export function isLinktraceRun(run: ReportRun): boolean {
  return run.turns.some((t) => t.linktrace);
}

export function linktraceRoundRows(runs: readonly ReportRun[]): LinktraceRoundRow[] {
  return runs.filter(isLinktraceRun).flatMap((run) => {
    const mode = run.manifest.config.mode;
    const side = (total: (t: TurnRecord) => number) => roundTotals(run.turns.map((t) => ({ round: t.round, delay: { total: total(t) }, energy: t.predicted.energy })), mode);
    const expected = side((t) => t.linktrace?.expectedTotal ?? t.predicted.delay.total);
    const integrated = side((t) => t.predicted.delay.total);
    // a parallel round lasts until its last finish: the turn's start in the round plus its total
    const measured = side((t) => t.startOffset + t.measured.delay.total);
    return integrated.map((r, i) => ({ strategy: run.label, round: r.round, expected: expected[i]?.delay ?? NaN, integrated: r.delay, measured: measured[i]?.delay ?? NaN }));
  });
}

/** A turn on the run's clock (emulated s from round 1's start), as the linktrace plan places it (`start` in `sledge plan --json`). */
export interface TurnSpan {
  device: string;
  round: number;
  start: number;
  end: number;
  expected: number;
  integrated: number;
  measured: number;
}

/**
 * Sequential: a turn starts when the previous one ends (integrated). Parallel: every turn
 * of a round starts at the round's start, which is the end of the previous round's last.
 */
export function turnSpans(run: ReportRun): TurnSpan[] {
  const parallel = run.manifest.config.mode === 'parallel';
  const spans: TurnSpan[] = [];
  let clock = 0;
  let roundStart = 0;
  let roundEnd = 0;
  let round = run.turns[0]?.round;
  for (const t of run.turns) {
    if (parallel && t.round !== round) {
      roundStart = roundEnd;
      round = t.round;
    }
    const start = parallel ? roundStart : clock;
    const end = start + t.predicted.delay.total;
    spans.push({ device: t.device, round: t.round, start, end, expected: t.linktrace?.expectedTotal ?? NaN, integrated: t.predicted.delay.total, measured: t.measured.delay.total });
    clock = end;
    roundEnd = Math.max(roundEnd, end);
  }
  return spans;
}

/** Every device up to PER_DEVICE_MAX (config order); above it the GAP_K with the largest summed |expected − integrated|. */
export function chartedDevices(run: ReportRun, spans: readonly TurnSpan[]): string[] {
  const ids = run.manifest.config.devices.map((d) => d.id);
  if (ids.length <= PER_DEVICE_MAX) return ids;
  const gap = new Map<string, number>();
  for (const s of spans) if (Number.isFinite(s.expected)) gap.set(s.device, (gap.get(s.device) ?? 0) + Math.abs(s.expected - s.integrated));
  return [...gap].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, GAP_K).map(([d]) => d);
}
