import type { Config } from '../../src/config.js';
import type { Plan, PlannedTurn } from '../../src/plan.js';
import { num, pct, table } from './table.js';

export function describeConfig(config: Config): string {
  const model = config.model.preset ?? `${config.model.layers}-block ${config.model.mlp} model`;
  const channel = config.channel.model === 'shannon' ? `shannon/${config.channel.fading}` : 'trace';
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
  const rows = plan.rounds.slice(0, maxRows).map((r) => {
    const turns = plan.turns.filter((t) => t.round === r.round);
    const taking = turns.filter((t) => t.status !== 'dropped');
    const freqs = [...new Set(taking.map((t) => num(t.serverFreqHz / 1e9, 3)))].join('/') || '-';
    const cuts = turns.length <= 12 ? turns.map(cutText).join(' ') : `${taking.length} turns, mean ${num(mean(taking.map((t) => t.cut)), 3)}`;
    return [r.round, num(r.delay), num(r.serverEnergy), cuts, freqs];
  });
  const lines = [
    describeConfig(config),
    `strategy ${plan.strategy}`,
    '',
    table(['round', 'delay (s)', 'server energy (J)', `cuts (${deviceOrder(config)})`, 'server GHz'], rows, ['right', 'right', 'right', 'left', 'right']),
  ];
  if (plan.rounds.length > maxRows) lines.push(`… ${plan.rounds.length - maxRows} more rounds (--json for all)`);
  const s = plan.summary;
  lines.push(
    '',
    `avg round delay ${num(s.avgRoundDelay)} s, avg server energy ${num(s.avgServerEnergy)} J, avg device energy ${num(s.avgDeviceEnergy)} J per round`,
    `total: ${s.turns} turns, ${num(s.totalDelay)} s, server ${num(s.totalServerEnergy)} J, device compute ${num(s.totalDeviceComputeEnergy)} J, device transmit ${num(s.totalDeviceTransmitEnergy)} J`,
  );
  if (config.faults.length) {
    const { done, dropped, crashed } = s.turnsByStatus;
    lines.push(`turns: ${done} done, ${dropped} dropped, ${crashed} crashed (faults: ${config.faults.length})`);
  }
  return lines.join('\n');
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
