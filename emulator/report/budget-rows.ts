import { nextQueue } from '../../src/strategy/lyapunov.js';
import { energyBudgetOf, runningAverages } from '../format/plan-text.js';
import type { ReportRun } from './inputs.js';
import { roundRows } from './rows.js';

/**
 * A budgeted run (lyapunov, docs/strategies.md) round by round: the virtual queue Q the
 * round was decided with, and the running average server energy against the budget.
 * Q is recomputed from the run's predicted round energies with the strategy's own update
 * (src/strategy/lyapunov.ts nextQueue): those are the planned figures its endRound saw,
 * so this is the Q of `sledge plan --json` without planning again.
 */
export interface BudgetRow {
  strategy: string;
  round: number;
  /** Q at the round's decisions (0 in round 1). */
  Q: number;
  /** Running average server energy per round up to this round: predicted (what Q follows) and measured. */
  predictedAvg: number;
  measuredAvg: number;
  budget: number;
}

export function budgetRows(runs: readonly ReportRun[]): BudgetRow[] {
  return runs.flatMap((run) => {
    const budget = energyBudgetOf(run.label);
    if (budget === undefined) return [];
    const rows = roundRows([run]);
    const predicted = rows.filter((r) => r.source === 'predicted');
    const measured = rows.filter((r) => r.source === 'measured');
    const pAvg = runningAverages(predicted.map((r) => r.serverEnergy));
    const mAvg = runningAverages(measured.map((r) => r.serverEnergy));
    let Q = 0;
    return predicted.map((r, i) => {
      const row = { strategy: run.label, round: r.round, Q, predictedAvg: pAvg[i] as number, measuredAvg: mAvg[i] ?? NaN, budget };
      Q = nextQueue(Q, r.serverEnergy, budget);
      return row;
    });
  });
}
