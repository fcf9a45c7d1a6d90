import { PHASES, TRANSFER_PHASES, type DelayKey } from '../../src/cost.js';
import { quantile } from '../../src/quantile.js';
import type { Resolution } from '../../src/resolution.js';
import type { TurnRecord } from './turn-record.js';

/**
 * summary.json's `fidelity` (docs/fidelity.md): whether the run met the fidelity it
 * declared. Everything in it but `resolutionMs` follows from turns.csv alone: medians and
 * p95s over the done turns of |measured/predicted − 1|, the time scale each turn ran at
 * and the host's load as it ended.
 */
export interface FidelityVerdict {
  target: number;
  /** The total's median meets the target and so does every phase above its resolution. */
  met: boolean;
  total: { median: number; p95: number };
  phases: Record<string, { median: number; p95: number; resolutionMs: number }>;
  /** The phases above their resolution whose median misses the target (empty when met, unless the total missed). */
  missed: string[];
  timeScale: { min: number; max: number };
  hostLoad: { max1m: number };
  turns: number;
}

const isTransfer = (p: DelayKey) => (TRANSFER_PHASES as readonly string[]).includes(p);

/**
 * A phase's resolution in emulated ms: the calibrated floor of one of its transfers or
 * workloads (wall ms, the fixed part), times how many the phase holds (adapters once, the
 * rest once per iteration), at the run's fastest time scale (where the floor weighs most).
 * A phase whose median prediction is not above it measures the floor, not the model, and
 * is reported (median, p95) but not judged.
 */
export function resolutionMs(phase: DelayKey, res: Resolution | undefined, minTimeScale: number, iterations: number): number {
  if (!res || !(minTimeScale > 0)) return 0;
  const k = phase === 'adapterDown' || phase === 'adapterUp' ? 1 : iterations;
  const wallMs = isTransfer(phase) ? res.transfer[phase as (typeof TRANSFER_PHASES)[number]].medianMs : res.compute.medianMs;
  return (k * Math.max(0, wallMs)) / minTimeScale;
}

export function fidelityVerdict(records: readonly TurnRecord[], o: { target: number; resolution?: Resolution | undefined; iterations: number }): FidelityVerdict {
  const done = records.filter((r) => r.status === 'done');
  const scales = done.map((r) => r.timeScale).filter((x): x is number => typeof x === 'number' && x > 0);
  const timeScale = { min: scales.length ? Math.min(...scales) : NaN, max: scales.length ? Math.max(...scales) : NaN };
  const loads = done.map((r) => r.hostLoad1m).filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
  const totalErrors = phaseErrors(done, 'total');
  const total = { median: quantile(totalErrors, 0.5), p95: quantile(totalErrors, 0.95) };
  const phases: FidelityVerdict['phases'] = {};
  for (const phase of PHASES) {
    const e = phaseErrors(done, phase);
    if (!e.length) continue;
    phases[phase] = { median: quantile(e, 0.5), p95: quantile(e, 0.95), resolutionMs: resolutionMs(phase, o.resolution, timeScale.min, o.iterations) };
  }
  const missed = judgedMedians(done, o)
    .filter((j) => j.phase !== 'total' && j.median > o.target)
    .map((j) => j.phase);
  const met = done.length > 0 && total.median <= o.target && missed.length === 0;
  return { target: o.target, met, total, phases, missed, timeScale, hostLoad: { max1m: loads.length ? Math.max(...loads) : NaN }, turns: done.length };
}

/**
 * What `met` judges, in this order: the total's median error over the done turns, then that
 * of every phase whose median prediction is above its resolution. The scale monitor judges
 * a window of turns by the same rule (docs/fidelity.md).
 */
export function judgedMedians(records: readonly TurnRecord[], o: { resolution?: Resolution | undefined; iterations: number }): { phase: DelayKey; median: number }[] {
  const done = records.filter((r) => r.status === 'done');
  const scales = done.map((r) => r.timeScale).filter((x): x is number => typeof x === 'number' && x > 0);
  const minTimeScale = scales.length ? Math.min(...scales) : NaN;
  const judged: { phase: DelayKey; median: number }[] = [{ phase: 'total', median: quantile(phaseErrors(done, 'total'), 0.5) }];
  for (const phase of PHASES) {
    const e = phaseErrors(done, phase);
    if (!e.length) continue;
    const predictedMs = quantile(done.map((r) => r.predicted.delay[phase] * 1000).sort((a, b) => a - b), 0.5);
    if (predictedMs > resolutionMs(phase, o.resolution, minTimeScale, o.iterations)) judged.push({ phase, median: quantile(e, 0.5) });
  }
  return judged;
}

/** |measured/predicted − 1| of a phase over the done turns that predict it, sorted. */
function phaseErrors(done: readonly TurnRecord[], phase: DelayKey): number[] {
  return done
    .filter((r) => r.predicted.delay[phase] > 0)
    .map((r) => Math.abs(r.measured.delay[phase] / r.predicted.delay[phase] - 1))
    .sort((a, b) => a - b);
}

/** `3%`, `0.4%`: as few digits as say it. */
export function shortPct(x: number): string {
  if (!Number.isFinite(x)) return '–';
  return `${Number((x * 100).toFixed(1))}%`;
}

/** The end-of-run verdict, one line: `fidelity met: 3% target, total 0.4%` or `fidelity MISSED: …`, naming the phases and the host's load. */
export function verdictLine(v: FidelityVerdict): string {
  const scale = Number.isFinite(v.timeScale.min) ? (v.timeScale.min === v.timeScale.max ? `; timeScale ${v.timeScale.min}` : `; timeScale ${v.timeScale.min}–${v.timeScale.max}`) : '';
  if (v.met) return `fidelity met: ${shortPct(v.target)} target, total ${shortPct(v.total.median)}${scale}`;
  const phases = v.missed.map((p) => `${p} ${shortPct(v.phases[p]!.median)}`);
  const load = Number.isFinite(v.hostLoad.max1m) ? ` (host load ${v.hostLoad.max1m.toFixed(2)} at most)` : '';
  if (v.turns === 0) return `fidelity MISSED: ${shortPct(v.target)} target, no finished turn to judge`;
  return `fidelity MISSED: ${shortPct(v.target)} target, total ${shortPct(v.total.median)}${phases.length ? `; ${phases.join(', ')}` : ''}${load}${scale}`;
}
