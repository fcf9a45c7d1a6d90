import type { TopLevelSpec } from 'vega-lite';
import { PHASES } from '../../../src/cost.js';
import type { PhaseBreakdown } from '../rows.js';
import { PHASE_SCHEME, THEME } from './theme.js';

/** The mean measured turn as a stack of its seven phases, with a tick at the predicted total. */
export function phasesChart(b: PhaseBreakdown): TopLevelSpec {
  // strategy specs are long labels and the caption names the grouping; a device axis keeps its short title
  const y = { field: 'group', type: 'nominal' as const, sort: b.groups, title: b.groupBy === 'device' ? 'device' : null, axis: { labelLimit: 420 } };
  return {
    config: THEME,
    width: 640,
    height: { step: 26 },
    layer: [
      {
        data: { values: b.phases },
        mark: { type: 'bar' },
        encoding: {
          y,
          x: { field: 'seconds', type: 'quantitative', stack: 'zero', title: 'mean turn (emulated s)' },
          color: { field: 'phase', type: 'nominal', scale: { domain: [...PHASES], scheme: PHASE_SCHEME }, title: 'phase (measured)' },
          order: { field: 'order', type: 'quantitative' },
        },
      },
      {
        data: { values: b.predictedTotals },
        mark: { type: 'tick', color: '#111', thickness: 2.5, bandSize: 22 },
        encoding: { y, x: { field: 'seconds', type: 'quantitative' } },
      },
    ],
  };
}
