import type { TopLevelSpec } from 'vega-lite';
import { PER_DEVICE_MAX, type TurnRow } from '../rows.js';
import { THEME } from './theme.js';

/**
 * Each turn's cut against its uplink rate, a colour per device; a comparison gets one
 * panel per strategy (same channel draws, different decisions). Rates span decades under
 * Rayleigh fading, hence the log axis.
 */
export function cutsChart(rows: TurnRow[], opts: { strategies: string[]; devices: string[]; cutRange?: [number, number] }): TopLevelSpec {
  // a colour per device only while a reader can tell them apart (rows.ts PER_DEVICE_MAX)
  const perDevice = opts.devices.length <= PER_DEVICE_MAX;
  const plot = {
    width: opts.strategies.length > 1 ? 260 : 520,
    height: 220,
    mark: perDevice ? { type: 'point' as const, filled: true, size: 46, opacity: 0.75 } : { type: 'point' as const, filled: true, size: 24, opacity: 0.35 },
    encoding: {
      x: {
        field: 'rateUpMbps',
        type: 'quantitative' as const,
        scale: { type: 'log' as const, nice: false, padding: 8 },
        axis: { format: '~g', tickCount: 6 },
        title: 'uplink rate (Mbit/s)',
      },
      y: {
        field: 'cut',
        type: 'quantitative' as const,
        title: 'cut layer',
        axis: { tickMinStep: 1, format: 'd' },
        scale: { ...(opts.cutRange ? { domain: opts.cutRange } : { zero: false }), padding: 8 },
      },
      ...(perDevice ? { color: { field: 'device', type: 'nominal' as const, scale: { domain: opts.devices }, title: 'device', legend: { columns: Math.min(opts.devices.length, 10) } } } : {}),
    },
  };
  if (opts.strategies.length <= 1) return { config: THEME, data: { values: rows }, ...plot };
  return {
    config: THEME,
    data: { values: rows },
    facet: { field: 'strategy', type: 'nominal', sort: opts.strategies, title: null },
    columns: 3,
    // an axis per panel: a facet's shared row axis is placed from estimated label widths
    // (there is no canvas to measure text in Node) and drifts away from the plots
    resolve: { axis: { y: 'independent' } },
    spec: plot,
  };
}
