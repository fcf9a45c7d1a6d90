import type { TopLevelSpec } from 'vega-lite';
import type { GanttRow } from '../gantt-rows.js';
import { GANTT_PHASES } from '../gantt-rows.js';
import { THEME } from './theme.js';

/**
 * Parallel mode's rounds as Gantt charts (one panel per round): a row per device, its
 * phases end to end from where its turn started, the queue wait for the GPU as a phase
 * of its own; in each row the measured bar on top and the predicted one (faded) under it.
 */
export function ganttChart(rows: GanttRow[], devices: string[], ranked = false): TopLevelSpec {
  // a large run's rows are each round's slowest devices, slowest on top: sorted by rank, not by a device list
  const sort = ranked ? { field: 'rank', op: 'min' as const } : devices;
  return {
    config: THEME,
    data: { values: rows },
    facet: { row: { field: 'round', type: 'ordinal', title: 'round', header: { labelAngle: 0 } } },
    spec: {
      width: 640,
      height: { step: 22 },
      mark: { type: 'bar', height: { band: 0.45 } },
      encoding: {
        y: { field: 'device', type: 'nominal', sort, title: ranked ? 'device (slowest first)' : 'device' },
        yOffset: { field: 'source', type: 'nominal', sort: ['measured', 'predicted'] },
        x: { field: 'start', type: 'quantitative', title: 'time from the round start (emulated s)' },
        x2: { field: 'end' },
        color: { field: 'phase', type: 'nominal', scale: { domain: [...GANTT_PHASES], scheme: 'tableau10' }, title: 'phase' },
        opacity: { condition: { test: "datum.source === 'predicted'", value: 0.45 }, value: 1 },
      },
    },
    resolve: { scale: { y: 'independent' } },
  };
}
