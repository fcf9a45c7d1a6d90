import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { SystemModel } from '../../src/system-model.js';
import { loadConfig, readConfigFile } from '../experiment/config-file.js';
import { Interrupted, RunError, UsageError } from '../errors.js';
import { failedRuns, type ComparedRun } from '../experiment/comparison.js';
import { csvLine } from '../experiment/csv.js';
import { buildGrid } from '../experiment/grid.js';
import { experimentDir } from '../experiment/out-dir.js';
import { parseAxis, type OverrideValue } from '../experiment/overrides.js';
import { runComparison } from '../experiment/run-comparison.js';
import { buildStrategies, checkDecisions, CONFIG_STRATEGY, parseStrategies } from '../experiment/strategies.js';
import { splitStrategyAxes } from '../experiment/strategy-axes.js';
import { formatSweep } from '../format/compare-text.js';
import { abortOnSignals } from '../terminal/signals.js';
import { AGENTS_HELP, agentsOption } from './agents-option.js';

interface SweepOptions {
  set: string[];
  strategies: string;
  agents?: string;
}

export function registerSweep(program: Command): void {
  program
    .command('sweep')
    .description('emulate a grid of config changes (the cartesian product of every --set) for each strategy; one CSV with a row per point and strategy')
    .argument('<config>', 'experiment config (JSON or YAML)')
    .option('--set <path=values>', 'a JSON path into the config and comma-separated values, e.g. rounds=10,20, devices[0].bandwidthHz=2e6,5e6, strategy.weightDelay=0.2,0.8, devices.count=5,10 (a generated list); or a strategy\'s own parameter, lyapunov.energyBudgetJ=20,40 or card.weightDelay=0.1,0.9 (one run of that strategy per value, for its delay-vs-energy frontier); repeat for more axes', collect, [])
    .option('--strategies <specs>', `comma-separated strategies; "${CONFIG_STRATEGY}" is the config's own strategy, whose strategy.* keys --set changes`, CONFIG_STRATEGY)
    .option('--agents <names>', AGENTS_HELP)
    .option('-o, --out <dir>', 'where the runs go: <dir>/point-<k>/<n>-<strategy>/ and sweep.csv (default runs/sweep-<timestamp>/)')
    .action(async (configPath: string, opts: SweepOptions & { out?: string }) => {
      if (opts.set.length === 0) throw new UsageError('--set: give at least one path=values');
      const base = loadConfig(configPath);
      // `--set lyapunov.energyBudgetJ=…` expands that strategy; the other axes make the grid of config points
      const split = splitStrategyAxes(opts.set.map(parseAxis), parseStrategies('--strategies', opts.strategies));
      const axes = split.configAxes;
      const choices = split.choices;
      const strategyAxis = axes.find((a) => a.segments[0] === 'strategy');
      if (strategyAxis && !choices.includes(CONFIG_STRATEGY)) {
        // Named strategies take their own defaults, so the axis would change nothing.
        throw new UsageError(`--set ${strategyAxis.path}: changes the config's strategy, which --strategies does not run; add "${CONFIG_STRATEGY}" to --strategies or leave it out`);
      }
      // Every point and every strategy is checked before the first run starts.
      const points = [];
      for (const p of buildGrid(configPath, readConfigFile(configPath), axes)) {
        const system = new SystemModel(p.config);
        const strategies = await buildStrategies('--strategies', choices, system);
        checkDecisions(system, strategies);
        points.push({ ...p, system, strategies });
      }
      const agents = await agentsOption(opts.agents, base);
      const dir = experimentDir('sweep', opts.out);
      mkdirSync(dir, { recursive: true });
      const paths = axes.map((a) => a.path);
      const csv = join(dir, 'sweep.csv');
      writeFileSync(csv, `${csvLine([...paths, ...SWEEP_COLUMNS])}\n`);
      const runsTotal = points.reduce((n, p) => n + p.strategies.length, 0);
      process.stderr.write(`sweep: ${points.length} points × ${choices.length} strategies = ${runsTotal} runs in ${dir}/\n`);

      const signals = abortOnSignals();
      const rows: { values: OverrideValue[]; run: ComparedRun }[] = [];
      let interrupted = false;
      try {
        for (const [k, point] of points.entries()) {
          if (signals.signal.aborted) break;
          const values = point.assignment.map((a) => a.value);
          const pointDir = `point-${String(k + 1).padStart(String(points.length).length, '0')}`;
          const comparison = await runComparison({
            configPath,
            system: point.system,
            strategies: point.strategies,
            dir: join(dir, pointDir),
            overrides: Object.fromEntries(point.assignment.map((a) => [a.path, a.value])),
            ...agents,
            signal: signals.signal,
            label: `point ${k + 1}/${points.length} (${point.assignment.map((a) => `${a.path}=${a.value}`).join(' ')})`,
            onRun: (run) => {
              const row = { values, run: { ...run, run: join(pointDir, run.run) } };
              rows.push(row);
              appendFileSync(csv, `${sweepRow(row.values, row.run)}\n`);
            },
          });
          if (comparison.status === 'interrupted') interrupted = true;
        }
      } finally {
        signals.dispose();
      }
      writeFileSync(join(dir, 'sweep.json'), `${JSON.stringify({ config: configPath, configName: base.name, seed: base.seed, axes: paths, rows }, null, 2)}\n`);
      const { writeReport } = await import('../report/report.js');
      const report = rows.length ? await writeReport(dir).catch((err: Error) => `not written (${err.message})`) : 'not written (no finished run)';
      process.stdout.write(`${formatSweep(base, paths, rows, dir)}\nreport: ${report}\n`);
      if (interrupted) throw new Interrupted(signals.received() ?? 'signal');
      const failed = failedRuns(rows.map((r) => r.run));
      if (failed) throw new RunError(failed);
    });
}

const SWEEP_COLUMNS = ['strategy', 'run', 'status', 'predicted_avgRoundDelay', 'predicted_avgServerEnergy', 'measured_avgRoundDelay', 'measured_avgServerEnergy', 'turns'];

function sweepRow(values: readonly OverrideValue[], r: ComparedRun): string {
  return csvLine([...values, r.strategy, r.run, r.status, r.predicted.avgRoundDelay, r.predicted.avgServerEnergy, r.measured.avgRoundDelay, r.measured.avgServerEnergy, r.turns]);
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
