import type { TopLevelSpec } from 'vega-lite';
import type { RoundRow } from '../rows.js';
import { SOURCE_DASH, THEME } from './theme.js';

/** Per-round delay and server energy, side by side: a colour per strategy, measured solid and predicted dashed. */
export function roundsChart(rows: RoundRow[], strategies: string[]): TopLevelSpec {
  const panel = (field: 'delay' | 'serverEnergy', title: string) => ({
    width: 420,
    height: 240,
    mark: { type: 'line' as const, point: { size: 28 }, strokeWidth: 1.8 },
    encoding: {
      x: { field: 'round', type: 'quantitative' as const, title: 'round', axis: { tickMinStep: 1, format: 'd' } },
      y: { field, type: 'quantitative' as const, title },
      // stroke symbols in the legends, so that "predicted" shows as the dashed line it is
      color: { field: 'strategy', type: 'nominal' as const, scale: { domain: strategies }, title: 'strategy', legend: { symbolType: 'stroke', columns: 2 } },
      strokeDash: { field: 'source', type: 'nominal' as const, scale: SOURCE_DASH, title: 'line', legend: { symbolType: 'stroke', symbolStrokeColor: '#333', symbolStrokeWidth: 2 } },
    },
  });
  return {
    config: THEME,
    data: { values: rows },
    hconcat: [panel('delay', 'round delay (emulated s)'), panel('serverEnergy', 'server energy per round (J)')],
  };
}
