import type { TopLevelSpec } from 'vega-lite';
import type { BudgetRow } from '../budget-rows.js';
import { SOURCE_DASH, THEME } from './theme.js';

/** A budgeted strategy (lyapunov): its queue Q per round, and the running average server energy against the budget (grey rule). */
export function budgetChart(rows: BudgetRow[], strategies: string[]): TopLevelSpec {
  const x = { field: 'round', type: 'quantitative' as const, title: 'round', axis: { tickMinStep: 1, format: 'd' } };
  const color = { field: 'strategy', type: 'nominal' as const, scale: { domain: strategies }, title: 'strategy', legend: { direction: 'vertical' as const, columns: 1 } };
  const averages = rows.flatMap((r) => [
    { strategy: r.strategy, round: r.round, source: 'predicted', avg: r.predictedAvg, budget: r.budget },
    ...(Number.isFinite(r.measuredAvg) ? [{ strategy: r.strategy, round: r.round, source: 'measured', avg: r.measuredAvg, budget: r.budget }] : []),
  ]);
  return {
    config: THEME,
    hconcat: [
      {
        width: 420,
        height: 240,
        data: { values: rows },
        mark: { type: 'line', point: true, strokeWidth: 1.8 },
        encoding: { x, y: { field: 'Q', type: 'quantitative', title: 'virtual energy queue Q (J)' }, color },
      },
      {
        width: 420,
        height: 240,
        data: { values: averages },
        layer: [
          {
            mark: { type: 'line', strokeWidth: 1.8 },
            encoding: {
              x,
              y: { field: 'avg', type: 'quantitative', title: 'running average server energy per round (J)' },
              color,
              strokeDash: { field: 'source', type: 'nominal', scale: SOURCE_DASH, title: 'line', legend: { symbolType: 'stroke', direction: 'vertical' as const, columns: 1 } },
            },
          },
          // the budget as a dotted rule in the strategy's colour (a sweep may compare budgets)
          { mark: { type: 'rule', strokeDash: [2, 2], opacity: 0.7 }, encoding: { y: { field: 'budget', type: 'quantitative' }, color } },
        ],
      },
    ],
  };
}
