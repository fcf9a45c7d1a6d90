import type { TopLevelSpec } from 'vega-lite';
import { PER_DEVICE_MAX, type TurnRow } from '../rows.js';
import { THEME } from './theme.js';

/**
 * Measured against predicted turn totals with the identity line: points on the line are
 * turns the emulator reproduced exactly. Both axes share one domain so the line is the
 * diagonal.
 */
export function fidelityChart(rows: TurnRow[], opts: { colour: 'strategy' | 'device'; domain: string[] }): TopLevelSpec {
  const hi = Math.max(0, ...rows.flatMap((r) => [r.predicted, r.measured])) * 1.05 || 1;
  const scale = { domain: [0, hi], nice: false };
  // a colour per device only while a reader can tell them apart (rows.ts PER_DEVICE_MAX)
  const coloured = opts.colour === 'strategy' || opts.domain.length <= PER_DEVICE_MAX;
  return {
    config: THEME,
    width: 420,
    height: 420,
    layer: [
      {
        data: { values: [{ v: 0 }, { v: hi }] },
        mark: { type: 'line', color: '#888', strokeDash: [4, 4], strokeWidth: 1.2 },
        encoding: {
          x: { field: 'v', type: 'quantitative', scale, title: 'predicted turn total (emulated s)' },
          y: { field: 'v', type: 'quantitative', scale, title: 'measured turn total (emulated s)' },
        },
      },
      {
        data: { values: rows },
        mark: coloured ? { type: 'point', filled: true, size: 40, opacity: 0.7 } : { type: 'point', filled: true, size: 24, opacity: 0.35 },
        encoding: {
          x: { field: 'predicted', type: 'quantitative', scale },
          y: { field: 'measured', type: 'quantitative', scale },
          ...(coloured
            ? { color: { field: opts.colour, type: 'nominal', scale: { domain: opts.domain }, title: opts.colour, legend: { columns: opts.colour === 'device' ? Math.min(opts.domain.length, 10) : 2 } } }
            : {}),
        },
      },
    ],
  };
}
