import type { Command } from 'commander';
import { plan as runPlan, type Plan } from '../../src/plan.js';
import { DecisionError, type Strategy } from '../../src/strategy/strategy.js';
import { SystemModel } from '../../src/system-model.js';
import { loadConfig } from '../experiment/config-file.js';
import { buildStrategies, buildStrategy, parseStrategies } from '../experiment/strategies.js';
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
    .option('-s, --strategy <spec>', "strategy, e.g. card:weightDelay=0.9, lyapunov:energyBudgetJ=40 or ./mine.mjs:step=2 (default: the config's)")
    .option('-c, --compare <specs>', 'comma-separated strategies to compare on the same channel draws')
    .option('--json', 'print one JSON document instead of tables')
    .action(async (configPath: string, opts: PlanOptions) => {
      const config = loadConfig(configPath);
      const system = new SystemModel(config);
      if (opts.compare && opts.strategy) throw new UsageError('--strategy and --compare: give one or the other');
      if (opts.compare) {
        const strategies = await buildStrategies('--compare', parseStrategies('--compare', opts.compare), system);
        const plans = strategies.map((s) => planned(system, s));
        const reference = plans.find((p) => p.strategy.startsWith('card')) ?? (plans[0] as Plan);
        if (opts.json) {
          const document = { reference: reference.strategy, reductions: reductions(reference, plans), plans };
          process.stdout.write(`${JSON.stringify(document)}\n`);
        } else {
          process.stdout.write(`${formatComparison(config, plans, reference)}\n`);
        }
        return;
      }
      const strategy = await buildStrategy('--strategy', opts.strategy, system);
      const result = planned(system, strategy);
      process.stdout.write(opts.json ? `${JSON.stringify(result)}\n` : `${formatPlan(config, result)}\n`);
    });
}

/** A plan; a decision that breaks the rules is bad input here (exit 2), one line naming strategy, round and device. */
function planned(system: SystemModel, strategy: Strategy): Plan {
  try {
    return runPlan(system, strategy);
  } catch (err) {
    if (err instanceof DecisionError) throw new UsageError(err.message);
    throw err;
  }
}
