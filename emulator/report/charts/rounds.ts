import type { TopLevelSpec } from 'vega-lite';
import type { RoundRow } from '../rows.js';
import { SOURCE_DASH, THEME } from './theme.js';

/** Per-round delay and server energy, side by side: a colour per strategy, measured solid and predicted dashed. */
export function roundsChart(rows: RoundRow[], strategies: string[]): TopLevelSpec {
  const panel = (field: 'delay' | 'serverEnergy', title: string) => {
    const x = { field: 'round', type: 'quantitative' as const, title: 'round', axis: { tickMinStep: 1, format: 'd' } };
    const y = { field, type: 'quantitative' as const, title };
    const color = {
      field: 'strategy',
      type: 'nominal' as const,
      scale: { domain: strategies },
      title: 'strategy',
      legend: { symbolType: 'stroke', symbolSize: 320, symbolStrokeWidth: 2.5, direction: 'vertical' as const, columns: 1 },
    };
    const dash = { field: 'source', type: 'nominal' as const, scale: SOURCE_DASH, title: 'line', legend: { symbolType: 'stroke', symbolSize: 320, symbolStrokeWidth: 2, direction: 'vertical' as const, columns: 1 } };
    return {
      width: 420,
      height: 240,
      encoding: { x, y, color },
      // Lines and points as two layers: a line mark with a point overlay would draw the
      // dash legend with invisible symbols, and the legend must show which line is which.
      layer: [{ mark: { type: 'line' as const, strokeWidth: 1.8 }, encoding: { strokeDash: dash } }, { mark: { type: 'point' as const, filled: true, size: 22 } }],
    };
  };
  return {
    config: THEME,
    data: { values: rows },
    hconcat: [panel('delay', 'round delay (emulated s)'), panel('serverEnergy', 'server energy per round (J)')],
  };
}
