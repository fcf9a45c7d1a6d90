import type { TopLevelSpec } from 'vega-lite';
import { SOURCE_DASH, THEME } from './theme.js';

/** One run of a sweep as the frontier draws it: a strategy's average delay against its average server energy. */
export interface FrontierRow {
  /** The strategy's name (card, lyapunov, a module's): one colour, one line through its parameter values. */
  family: string;
  strategy: string;
  /** The sweep point (config axes), when the sweep has several. */
  point: string;
  source: 'measured' | 'predicted';
  energy: number;
  delay: number;
}

/**
 * The delay-vs-energy frontier (docs/strategies.md): every run of a sweep at (average
 * server energy per round, average round delay), one colour per strategy family, its runs
 * joined in order of energy; lower-left is better, so a family whose line lies below
 * another's dominates it over that range of energy. Measured solid, predicted dashed.
 */
export function frontierChart(rows: FrontierRow[], families: string[]): TopLevelSpec {
  const color = { field: 'family', type: 'nominal' as const, scale: { domain: families }, title: 'strategy', legend: { direction: 'vertical' as const, columns: 1 } };
  return {
    config: THEME,
    data: { values: rows },
    width: 520,
    height: 320,
    encoding: {
      x: { field: 'energy', type: 'quantitative', title: 'average server energy per round (J)', scale: { zero: false } },
      y: { field: 'delay', type: 'quantitative', title: 'average round delay (emulated s)', scale: { zero: false } },
      color,
    },
    layer: [
      {
        mark: { type: 'line', strokeWidth: 1.8 },
        encoding: {
          order: { field: 'energy', type: 'quantitative' },
          strokeDash: { field: 'source', type: 'nominal', scale: SOURCE_DASH, title: 'line', legend: { direction: 'vertical', columns: 1 } },
          detail: [{ field: 'point', type: 'nominal' }, { field: 'source', type: 'nominal' }],
        },
      },
      {
        mark: { type: 'point', filled: true, size: 40 },
        encoding: {
          shape: { field: 'source', type: 'nominal', scale: { domain: ['measured', 'predicted'], range: ['circle', 'triangle-up'] }, title: 'point' },
          tooltip: [{ field: 'strategy' }, { field: 'point' }, { field: 'energy' }, { field: 'delay' }],
        },
      },
    ],
  };
}
