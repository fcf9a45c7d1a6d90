import type { Config } from '../../src/config.js';
import type { ComparedRun, Comparison } from '../experiment/comparison.js';
import type { OverrideValue } from '../experiment/overrides.js';
import { budgetLine, describeConfig, energyBudgetOf } from './plan-text.js';
import { num, pct, table } from './table.js';

/**
 * The end of `sledge compare`: every strategy's predicted and measured figures, then the
 * reference's reductions against each other strategy in the form of the paper's headline
 * ("x% lower average training delay and y% lower server energy than the benchmarks").
 */
export function formatComparisonRuns(config: Config, c: Comparison, dir: string, planned: number): string {
  const lines = [
    describeConfig(config),
    `${c.strategies.length}${c.strategies.length < planned ? ` of ${planned}` : ''} emulation runs in ${dir}/ (measured in emulated seconds = wall ÷ timeScale ${config.emulation.timeScale === 'auto' ? '(auto: chosen per run, in each manifest)' : config.emulation.timeScale}; payloads × ${config.emulation.payloadScale})`,
    '',
    figuresTable(c.strategies),
    '',
  ];
  // a budgeted strategy (lyapunov) is judged on its average server energy against its budget
  const budgeted = c.strategies.flatMap((r) => {
    const budget = energyBudgetOf(r.strategy);
    return budget === undefined ? [] : [`${r.strategy}: predicted ${budgetLine(r.predicted.avgServerEnergy, budget)}; measured ${budgetLine(r.measured.avgServerEnergy, budget).replace(/^energy budget \S+ J per round: /, '')}`];
  });
  if (budgeted.length) lines.push(...budgeted, '');
  if (c.reductions.length === 0) {
    lines.push(`no reductions: the reference ${c.reference} ${c.strategies.some((r) => r.strategy === c.reference && r.status === 'finished') ? 'has no other finished run to compare with' : 'did not finish'}`);
  } else {
    lines.push(headline(c));
  }
  lines.push('', `compare.json, compare.csv and a directory per run: ${dir}/`);
  return lines.join('\n');
}

/** The reference's reductions only: what reproduce-paper prints as the paper's headline. */
export function headline(c: Comparison): string {
  // a linktrace comparison (docs/linktrace.md): "predicted" is the integrated (true) delay, and each strategy also expected one
  const expected = expectedDelayReductions(c);
  const rows: (string | number)[][] = c.reductions.map((r) => [
    r.strategy,
    ...(expected ? [expected.get(r.run) === undefined ? '-' : pct(expected.get(r.run) as number)] : []),
    pct(r.predicted.delay),
    pct(r.measured.delay),
    pct(r.predicted.serverEnergy),
    pct(r.measured.serverEnergy),
  ]);
  if (c.reductions.length > 1) {
    const mean = (f: (r: Comparison['reductions'][number]) => number) => pct(c.reductions.reduce((a, r) => a + f(r), 0) / c.reductions.length);
    const known = expected ? c.reductions.map((r) => expected.get(r.run)).filter((x): x is number => x !== undefined) : [];
    rows.push([
      'mean over benchmarks',
      ...(expected ? [known.length === c.reductions.length ? pct(known.reduce((a, x) => a + x, 0) / known.length) : '-'] : []),
      mean((r) => r.predicted.delay),
      mean((r) => r.measured.delay),
      mean((r) => r.predicted.serverEnergy),
      mean((r) => r.measured.serverEnergy),
    ]);
  }
  const delayHead = expected
    ? ['avg training delay reduction\nexpected', '\nintegrated', '\nmeasured']
    : ['avg training delay reduction\npredicted', '\nmeasured'];
  return [
    `${c.reference} against each benchmark: reduction = 1 - ${shortName(c.reference)}/benchmark, same channel draws`,
    ...(expected ? ['linktrace: "expected" is what each strategy believed at the rates it saw, "integrated" what the traces allowed (the true delay)'] : []),
    table(['\nbenchmark', ...delayHead, 'server energy reduction\npredicted', '\nmeasured'], rows),
  ].join('\n');
}

/** Per benchmark run, 1 - reference/benchmark on the expected average round delay; undefined unless the reference expected one. */
function expectedDelayReductions(c: Comparison): Map<string, number> | undefined {
  const ref = c.strategies.find((r) => r.strategy === c.reference)?.expected;
  if (!ref) return undefined;
  const out = new Map<string, number>();
  for (const r of c.reductions) {
    const other = c.strategies.find((s) => s.run === r.run)?.expected;
    if (other && other.avgRoundDelay > 0) out.set(r.run, 1 - ref.avgRoundDelay / other.avgRoundDelay);
  }
  return out;
}

/** A run's strategy, its averages predicted beside measured, and its turns: the columns of RUN_HEAD. */
const RUN_HEAD = ['\nstrategy', 'avg round delay (s)\npredicted', '\nmeasured', 'avg server energy (J)\npredicted', '\nmeasured', '\nturns'];

function runCells(r: ComparedRun): (string | number)[] {
  return [
    r.status === 'finished' ? r.strategy : `${r.strategy} (${r.status})`,
    num(r.predicted.avgRoundDelay),
    num(r.measured.avgRoundDelay),
    num(r.predicted.avgServerEnergy),
    num(r.measured.avgServerEnergy),
    r.turns,
  ];
}

function figuresTable(runs: readonly ComparedRun[]): string {
  // linktrace: each run's expected average round delay beside the integrated and measured ones
  if (runs.some((r) => r.expected)) {
    const rows = runs.map((r) => {
      const [strategy, ...rest] = runCells(r);
      return [strategy as string, r.expected ? num(r.expected.avgRoundDelay) : '-', ...rest, r.run];
    });
    const head = ['\nstrategy', 'avg round delay (s)\nexpected', '\nintegrated', '\nmeasured', 'avg server energy (J)\npredicted', '\nmeasured', '\nturns', '\nrun'];
    return table(head, rows, ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'left']);
  }
  const rows = runs.map((r) => [...runCells(r), r.run]);
  return table([...RUN_HEAD, '\nrun'], rows, ['left', 'right', 'right', 'right', 'right', 'right', 'left']);
}

/** The end of `sledge sweep`: a row per point and strategy. */
export function formatSweep(config: Config, paths: readonly string[], rows: readonly { values: OverrideValue[]; run: ComparedRun }[], dir: string): string {
  const body = rows.map(({ values, run }) => [...values.map(String), ...runCells(run)]);
  const head = [...paths.map((p) => `\n${p}`), ...RUN_HEAD];
  return [
    `${describeConfig(config)} (before --set)`,
    '',
    table(head, body, head.map((_, i) => (i === paths.length ? 'left' : 'right'))),
    '',
    `sweep.csv and a directory per point (compare.json, a directory per run): ${dir}/`,
  ].join('\n');
}

function shortName(spec: string): string {
  return spec.split(':')[0] ?? spec;
}
