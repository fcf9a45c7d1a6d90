import type { Config } from '../../src/config.js';
import type { Plan, PlannedTurn } from '../../src/plan.js';
import { num, pct, table } from './table.js';

export function describeConfig(config: Config): string {
  const model = config.model.preset ?? `${config.model.layers}-block ${config.model.mlp} model`;
  const c = config.channel;
  const channel = c.model === 'shannon' ? `shannon/${c.fading}` : c.model === 'linktrace' ? `linktrace/${c.format} (estimator ${c.estimator.kind === 'window' ? `window ${c.estimator.seconds} s` : 'mean'})` : 'trace';
  const latency = config.channel.delayMs > 0 ? `, latency ${config.channel.delayMs} ms` : '';
  const faults = config.faults.length ? `, ${config.faults.length} faults` : '';
  return `${config.name}: ${model}, ${config.devices.length} devices, ${config.rounds} rounds, ${config.mode}, ${channel} channel${latency}${faults}, seed ${config.seed}`;
}

/**
 * Per round: delay, server energy, the cuts chosen (devices in order; `-` a dropped
 * device, `x` after the cut a crashed turn) and the frequencies.
 */
export function formatPlan(config: Config, plan: Plan): string {
  const maxRows = 40;
  const linktrace = config.channel.model === 'linktrace';
  // what the strategy reports per round (lyapunov: its queue Q) and, beside it, the running
  // average server energy a budget is kept against (docs/strategies.md)
  const stateKeys = stateKeysOf(plan);
  const running = runningAverages(plan.rounds.map((r) => r.serverEnergy));
  const rows = plan.rounds.slice(0, maxRows).map((r, i) => {
    const turns = plan.turns.filter((t) => t.round === r.round);
    const taking = turns.filter((t) => t.status !== 'dropped');
    const freqs = [...new Set(taking.map((t) => num(t.serverFreqHz / 1e9, 3)))].join('/') || '-';
    const cuts = turns.length <= 12 ? turns.map(cutText).join(' ') : `${taking.length} turns, mean ${num(mean(taking.map((t) => t.cut)), 3)}`;
    const expected = linktrace ? [num(expectedRoundDelay(turns, config.mode))] : [];
    const state = stateKeys.length ? [...stateKeys.map((k) => num(r[k] ?? 0)), num(running[i] ?? 0)] : [];
    return [r.round, ...expected, num(r.delay), num(r.serverEnergy), ...state, cuts, freqs];
  });
  const linktraceHead = linktrace ? ['expected (s)'] : [];
  const delayHead = linktrace ? 'integrated (s)' : 'delay (s)';
  const stateHead = stateKeys.length ? [...stateKeys.map((k) => (k === 'Q' ? 'Q (J)' : k)), 'avg server energy so far (J)'] : [];
  const lines = [
    describeConfig(config),
    `strategy ${plan.strategy}`,
    '',
    table(
      ['round', ...linktraceHead, delayHead, 'server energy (J)', ...stateHead, `cuts (${deviceOrder(config)})`, 'server GHz'],
      rows,
      ['right', ...linktraceHead.map(() => 'right' as const), 'right', 'right', ...stateHead.map(() => 'right' as const), 'left', 'right'],
    ),
  ];
  if (plan.rounds.length > maxRows) lines.push(`… ${plan.rounds.length - maxRows} more rounds (--json for all)`);
  const s = plan.summary;
  lines.push(
    '',
    `avg round delay ${num(s.avgRoundDelay)} s, avg server energy ${num(s.avgServerEnergy)} J, avg device energy ${num(s.avgDeviceEnergy)} J per round`,
    `total: ${s.turns} turns, ${num(s.totalDelay)} s, server ${num(s.totalServerEnergy)} J, device compute ${num(s.totalDeviceComputeEnergy)} J, device transmit ${num(s.totalDeviceTransmitEnergy)} J`,
  );
  if (linktrace) {
    const expected = plan.rounds.map((r) => expectedRoundDelay(plan.turns.filter((t) => t.round === r.round), config.mode));
    const avg = mean(expected);
    lines.push(`expected (at the rates the strategy saw) avg round delay ${num(avg)} s; integrated on the traces ${num(s.avgRoundDelay)} s (${pct(s.avgRoundDelay / avg - 1)})`);
  }
  const budget = energyBudgetOf(plan.strategy);
  if (budget !== undefined) lines.push(budgetLine(s.avgServerEnergy, budget));
  if (config.faults.length) {
    const { done, dropped, crashed } = s.turnsByStatus;
    lines.push(`turns: ${done} done, ${dropped} dropped, ${crashed} crashed (faults: ${config.faults.length})`);
  }
  return lines.join('\n');
}

/** What the strategy believed a round would take (trace-following links): the sum, or in parallel mode the latest, of its turns' expected totals. */
export function expectedRoundDelay(turns: readonly PlannedTurn[], mode: Config['mode']): number {
  const totals = turns.map((t) => t.expectedDelay?.total ?? t.delay.total);
  return mode === 'parallel' ? Math.max(0, ...totals) : totals.reduce((a, b) => a + b, 0);
}

/** The keys a strategy reported per round (lyapunov: Q), in the order it gave them. */
function stateKeysOf(plan: Plan): string[] {
  const keys = new Set<string>();
  for (const r of plan.rounds) for (const k of Object.keys(r)) if (!ROUND_KEYS.has(k)) keys.add(k);
  return [...keys];
}
const ROUND_KEYS = new Set(['round', 'delay', 'serverEnergy', 'deviceEnergy']);

/** The average of the first i+1 values, for every i. */
export function runningAverages(xs: readonly number[]): number[] {
  let sum = 0;
  return xs.map((x, i) => (sum += x) / (i + 1));
}

/** The energy budget of a `lyapunov:energyBudgetJ=…` spec, else undefined. */
export function energyBudgetOf(spec: string): number | undefined {
  const m = /^lyapunov:(?:.*,)?energyBudgetJ=([^,]+)/.exec(spec);
  const budget = m ? Number(m[1]) : NaN;
  return Number.isFinite(budget) ? budget : undefined;
}

/** Whether the average server energy per round kept the budget, in one line. */
export function budgetLine(avgServerEnergy: number, budget: number): string {
  const over = avgServerEnergy / budget - 1;
  return `energy budget ${num(budget)} J per round: average ${num(avgServerEnergy)} J, ${over <= 0 ? `met (${pct(-over)} under)` : `${pct(over)} over`}`;
}

function cutText(t: PlannedTurn): string {
  if (t.status === 'dropped') return '-';
  return t.status === 'crashed' ? `${t.cut}x` : String(t.cut);
}

function deviceOrder(config: Config): string {
  const ids = config.devices.map((d) => d.id);
  return ids.length <= 12 ? ids.join(' ') : `${ids.length} devices`;
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / Math.max(xs.length, 1);
}

export interface Reduction {
  strategy: string;
  delay: number;
  serverEnergy: number;
}

/** CARD's reduction against each other plan: 1 - ours/theirs, for delay and server energy. */
export function reductions(reference: Plan, plans: Plan[]): Reduction[] {
  return plans
    .filter((p) => p !== reference)
    .map((p) => ({
      strategy: p.strategy,
      delay: 1 - reference.summary.avgRoundDelay / p.summary.avgRoundDelay,
      serverEnergy: 1 - reference.summary.avgServerEnergy / p.summary.avgServerEnergy,
    }));
}

export function formatComparison(config: Config, plans: Plan[], reference: Plan): string {
  const red = new Map(reductions(reference, plans).map((r) => [r.strategy, r]));
  const rows = plans.map((p) => {
    const r = red.get(p.strategy);
    return [
      p.strategy,
      num(p.summary.avgRoundDelay),
      num(p.summary.avgServerEnergy),
      num(p.summary.avgDeviceEnergy),
      r ? pct(r.delay) : 'reference',
      r ? pct(r.serverEnergy) : 'reference',
    ];
  });
  return [
    describeConfig(config),
    '',
    table(
      ['strategy', 'avg round delay (s)', 'avg server energy (J)', 'avg device energy (J)', `${shortName(reference.strategy)} delay reduction`, `${shortName(reference.strategy)} energy reduction`],
      rows,
    ),
    '',
    'reduction = 1 - reference/strategy on the same channel draws (analytic model, predicted)',
  ].join('\n');
}

function shortName(spec: string): string {
  return spec.split(':')[0] ?? spec;
}
