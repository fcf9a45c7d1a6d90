import type { TopLevelSpec } from 'vega-lite';
import { budgetChart } from './charts/budget.js';
import { cutsChart } from './charts/cuts.js';
import { fidelityChart } from './charts/fidelity.js';
import { phasesChart } from './charts/phases.js';
import { ganttChart } from './charts/gantt.js';
import { roundsChart } from './charts/rounds.js';
import { GANTT_ROUNDS, ganttRows } from './gantt-rows.js';
import { budgetRows } from './budget-rows.js';
import type { ReportInput } from './inputs.js';
import { deviceOrder, PER_DEVICE_MAX, phaseBreakdown, roundRows, SLOWEST_K, turnRows } from './rows.js';

/** A chart of the report: its id (stable, tests find it by it), its caption, and its spec. */
export interface Figure {
  id: string;
  title: string;
  caption: string;
  spec: TopLevelSpec;
}

/** The figures of every report; a parallel run adds 'fig-gantt'. */
export const FIGURE_IDS = ['fig-rounds', 'fig-phases', 'fig-cuts', 'fig-fidelity'] as const;

export function figuresOf(input: ReportInput): Figure[] {
  const strategies = input.runs.map((r) => r.label);
  const devices = deviceOrder(input.runs);
  const turns = turnRows(input.runs);
  const breakdown = phaseBreakdown(input);
  const compare = input.kind === 'compare';
  const cutRange = input.runs[0]?.manifest.config.training.cutRange;
  // a large run aggregates its per-device charts (rows.ts PER_DEVICE_MAX)
  const many = devices.length > PER_DEVICE_MAX;
  const figures: Figure[] = [
    {
      id: 'fig-rounds',
      title: 'Per-round delay and server energy',
      caption: `Each round's delay (the sum of its turns) and server energy${compare ? ', one colour per strategy' : ''}. Solid: measured by the emulator; dashed: predicted by the analytic model.`,
      spec: roundsChart(roundRows(input.runs), strategies),
    },
    {
      id: 'fig-phases',
      title: 'Phase breakdown of a turn',
      caption: `The mean measured turn ${compare ? 'of each strategy' : many ? `of all ${devices.length} devices, then of each of the ${SLOWEST_K} slowest devices (slowest first)` : 'of each device'}, stacked in the order the seven phases happen. The black tick marks the mean predicted turn total.`,
      spec: phasesChart(breakdown),
    },
    {
      id: 'fig-cuts',
      title: 'Cut decisions against the uplink rate',
      caption: `The cut layer decided for each turn against that turn's uplink rate, ${many ? `a point per turn of the ${devices.length} devices` : 'one colour per device'}${compare ? ', one panel per strategy (the same channel draws in every panel)' : ''}.`,
      spec: cutsChart(turns, { strategies, devices, ...(cutRange ? { cutRange } : {}) }),
    },
    {
      id: 'fig-fidelity',
      title: 'Predicted against measured',
      caption: `Every turn's measured total against its predicted total, ${compare ? 'one colour per strategy' : many ? `a point per turn of the ${devices.length} devices` : 'one colour per device'}. The dashed diagonal is y = x: points above it took longer than the model predicts.`,
      spec: fidelityChart(turns, compare ? { colour: 'strategy', domain: strategies } : { colour: 'device', domain: devices }),
    },
  ];
  const budgets = budgetRows(input.runs);
  if (budgets.length) {
    const budgeted = [...new Set(budgets.map((b) => b.strategy))];
    figures.push({
      id: 'fig-budget',
      title: 'Energy queue and budget (lyapunov)',
      caption: `Left: the virtual energy queue Q each round was decided with (0 in round 1; it grows by every round's planned server energy above the budget). Right: the running average server energy per round, predicted (dashed, what Q follows) and measured (solid), against the budget (dotted rule)${budgeted.length > 1 ? ', one colour per budgeted strategy' : ''}.`,
      spec: budgetChart(budgets, budgeted),
    });
  }
  const first = input.runs[0];
  if (!compare && first?.manifest.config.mode === 'parallel') {
    figures.push({
      id: 'fig-gantt',
      title: 'Parallel rounds, device by device',
      caption: `The first ${GANTT_ROUNDS} rounds, one row per device${many ? ` (the ${SLOWEST_K} that finished last in each round, slowest on top, of ${devices.length})` : ''}: each phase of its turn as it ran (upper bar, measured, from the moment its turn started) and as the model schedules it (lower bar, faded, every device starting at 0). serverWait is the time its job queued for the one GPU; a crashed turn ends at its crash.`,
      spec: many ? ganttChart(ganttRows(first.turns, SLOWEST_K), devices, true) : ganttChart(ganttRows(first.turns), devices),
    });
  }
  return figures;
}
