import type { Command } from 'commander';
import { SystemModel } from '../../src/system-model.js';
import { loadConfig } from '../experiment/config-file.js';
import { Interrupted, RunError } from '../errors.js';
import { experimentDir } from '../experiment/out-dir.js';
import { failedRuns } from '../experiment/comparison.js';
import { runComparison } from '../experiment/run-comparison.js';
import { buildStrategies, checkDecisions, parseStrategies } from '../experiment/strategies.js';
import { describeConfig } from '../format/plan-text.js';
import { formatComparisonRuns } from '../format/compare-text.js';
import { abortOnSignals } from '../terminal/signals.js';
import { AGENTS_HELP, agentsOption } from './agents-option.js';

interface CompareOptions {
  strategies: string;
  out?: string;
  json?: boolean;
  agents?: string;
}

export function registerCompare(program: Command): void {
  program
    .command('compare')
    .description('emulate the same config once per strategy (same seed, same channel draws) and compare: predicted and measured, with the reference\'s reductions')
    .argument('<config>', 'experiment config (JSON or YAML)')
    .requiredOption('--strategies <specs>', 'comma-separated strategies, e.g. card,cut-only,fixed:cut=8,random ("config" = the config\'s own); the reference is the first card one, else the first')
    .option('-o, --out <dir>', 'where the runs go: <dir>/<n>-<strategy>/ and compare.json, compare.csv (default runs/compare-<timestamp>/)')
    .option('--json', 'print compare.json instead of the tables')
    .option('--agents <names>', AGENTS_HELP)
    .action(async (configPath: string, opts: CompareOptions) => {
      const config = loadConfig(configPath);
      const system = new SystemModel(config);
      const strategies = await buildStrategies('--strategies', parseStrategies('--strategies', opts.strategies), system);
      checkDecisions(system, strategies);
      const agents = await agentsOption(opts.agents, config);
      const dir = experimentDir('compare', opts.out);
      process.stderr.write(`${describeConfig(config)}\ncomparing ${strategies.length} strategies in ${dir}/\n`);
      const signals = abortOnSignals();
      const comparison = await runComparison({ configPath, system, strategies, dir, ...agents, signal: signals.signal, label: '' }).finally(() => signals.dispose());
      process.stdout.write(opts.json ? `${JSON.stringify(comparison, null, 2)}\n` : `${formatComparisonRuns(config, comparison, dir, strategies.length)}\n`);
      if (comparison.status === 'interrupted') throw new Interrupted(signals.received() ?? 'signal');
      const failed = failedRuns(comparison.strategies);
      if (failed) throw new RunError(failed);
    });
}
