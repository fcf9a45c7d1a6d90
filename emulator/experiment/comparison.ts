import type { Plan } from '../../src/plan.js';
import type { Summary } from '../../src/summary.js';
import { reductions } from '../format/plan-text.js';
import type { RunSummary } from '../records/run-summary.js';
import type { OverrideValue } from './overrides.js';

/** The two figures the paper reports, per round on average. */
export interface Figures {
  avgRoundDelay: number;
  avgServerEnergy: number;
}

export interface ComparedRun {
  strategy: string;
  /** Subdirectory of the comparison holding the run's records. */
  run: string;
  runId: string;
  status: RunSummary['status'];
  turns: number;
  predicted: Figures;
  measured: Figures;
  /** A linktrace run: the figures the strategy expected at the rates it saw (its energy is the integrated one; docs/linktrace.md). */
  expected?: Figures;
}

export interface ComparedReduction {
  strategy: string;
  run: string;
  predicted: { delay: number; serverEnergy: number };
  measured: { delay: number; serverEnergy: number };
}

/** compare.json: what ran, on which config and seed, and the reference's reductions. */
export interface Comparison {
  config: string;
  configName: string;
  seed: number;
  /** A sweep point's `--set` values; absent for a plain comparison. */
  overrides?: Record<string, OverrideValue>;
  status: 'finished' | 'interrupted' | 'failed';
  reference: string;
  strategies: ComparedRun[];
  reductions: ComparedReduction[];
}

export function comparedRun(run: string, summary: RunSummary): ComparedRun {
  const figures = (s: Summary): Figures => ({ avgRoundDelay: s.avgRoundDelay, avgServerEnergy: s.avgServerEnergy });
  return { strategy: summary.strategy, run, runId: summary.runId, status: summary.status, turns: summary.turnsDone, predicted: figures(summary.predicted), measured: figures(summary.measured), ...(summary.expected ? { expected: figures(summary.expected) } : {}) };
}

/** A run of the comparison with its whole summary, as the reductions need it. */
export interface RunOfComparison {
  compared: ComparedRun;
  summary: RunSummary;
}

/**
 * 1 - reference/strategy for delay and server energy, predicted and measured, against
 * every other finished run, by the same formula as `sledge plan --compare`. Only finished
 * runs count: an interrupted one averages fewer rounds, which is not the same experiment.
 */
export function compareReductions(reference: RunOfComparison | undefined, runs: readonly RunOfComparison[]): ComparedReduction[] {
  if (!reference || reference.summary.status !== 'finished') return [];
  const others = runs.filter((r) => r !== reference && r.summary.status === 'finished');
  // Each side of a run is a plan's summary: the same turns summarized the same way.
  const side = (which: 'predicted' | 'measured') => {
    const asPlan = (r: RunOfComparison): Plan => ({ strategy: r.summary.strategy, turns: [], rounds: [], summary: r.summary[which] });
    const ref = asPlan(reference);
    return reductions(ref, [ref, ...others.map(asPlan)]);
  };
  const predicted = side('predicted');
  const measured = side('measured');
  return others.map((r, i) => ({
    strategy: r.summary.strategy,
    run: r.compared.run,
    predicted: { delay: predicted[i]!.delay, serverEnergy: predicted[i]!.serverEnergy },
    measured: { delay: measured[i]!.delay, serverEnergy: measured[i]!.serverEnergy },
  }));
}

/** One line naming the runs that failed (their logs say why), or undefined when none did. */
export function failedRuns(runs: readonly ComparedRun[]): string | undefined {
  const failed = runs.filter((r) => r.status === 'failed');
  if (failed.length === 0) return undefined;
  return `${failed.length} of ${runs.length} runs failed: ${failed.map((r) => r.run).join(', ')} (see their summary.json and logs/)`;
}
