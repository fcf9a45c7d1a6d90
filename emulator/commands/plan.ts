import type { Command } from 'commander';
import { plan as runPlan, type Plan } from '../../src/plan.js';
import { parseStrategy, parseStrategyList } from '../../src/strategy/spec.js';
import { StrategyError } from '../../src/strategy/strategy.js';
import { SystemModel } from '../../src/system-model.js';
import { loadConfig } from '../experiment/config-file.js';
import { UsageError } from '../errors.js';
import { formatComparison, formatPlan, reductions } from '../format/plan-text.js';

interface PlanOptions {
  strategy?: string;
  compare?: string;
  json?: boolean;
}

export function registerPlan(program: Command): void {
  program
    .command('plan')
    .description('the analytic model only: decisions, predicted phases and energies per turn (no processes)')
    .argument('<config>', 'experiment config (JSON or YAML)')
    .option('-s, --strategy <spec>', 'strategy, e.g. card:weightDelay=0.9 (default: the config\'s)')
    .option('-c, --compare <specs>', 'comma-separated strategies to compare on the same channel draws')
    .option('--json', 'print one JSON document instead of tables')
    .action((configPath: string, opts: PlanOptions) => {
      const config = loadConfig(configPath);
      const system = new SystemModel(config);
      if (opts.compare && opts.strategy) throw new UsageError('--strategy and --compare: give one or the other');
      if (opts.compare) {
        const plans = strategiesFrom('--compare', () => parseStrategyList(opts.compare!), system).map((s) => runPlan(system, s));
        const reference = plans.find((p) => p.strategy.startsWith('card')) ?? (plans[0] as Plan);
        if (opts.json) {
          const document = { reference: reference.strategy, reductions: reductions(reference, plans), plans };
          process.stdout.write(`${JSON.stringify(document)}\n`);
        } else {
          process.stdout.write(`${formatComparison(config, plans, reference)}\n`);
        }
        return;
      }
      const choice = opts.strategy ? () => [parseStrategy(opts.strategy!)] : () => [config.strategy];
      const [strategy] = strategiesFrom('--strategy', choice, system);
      const result = runPlan(system, strategy!);
      process.stdout.write(opts.json ? `${JSON.stringify(result)}\n` : `${formatPlan(config, result)}\n`);
    });
}

/** Parses and builds strategies; any problem is bad input named after the option. */
function strategiesFrom(option: string, parse: () => { name: string; params: Record<string, unknown> }[], system: SystemModel) {
  try {
    return parse().map((choice) => system.strategy(choice));
  } catch (err) {
    if (err instanceof StrategyError) throw new UsageError(`${option}: ${err.message}`);
    throw err;
  }
}
