import type { Command } from 'commander';
import { parseStrategy } from '../../src/strategy/spec.js';
import { StrategyError } from '../../src/strategy/strategy.js';
import { SystemModel } from '../../src/system-model.js';
import { loadConfig } from '../experiment/config-file.js';
import { holdsRun } from '../launcher/resume.js';
import { UsageError } from '../errors.js';
import { describeConfig } from '../format/plan-text.js';
import { emulateAndReport } from './emulate.js';
import { AGENTS_HELP, agentsOption } from './agents-option.js';

interface RunOptions {
  strategy?: string;
  out?: string;
  json?: boolean;
  strict?: boolean;
  agents?: string;
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('emulate: a process per device and for the edge server over NATS, links shaped, records in Redis and runs/<id>/')
    .argument('<config>', 'experiment config (JSON or YAML)')
    .option('-s, --strategy <spec>', "strategy, e.g. card:weightDelay=0.9 (default: the config's)")
    .option('-o, --out <dir>', 'where the records go (default runs/<run-id>/)')
    .option('--json', 'print summary.json instead of the table')
    .option('--strict', 'exit 3 when the run finished but missed its fidelity target (emulation.fidelity)')
    .option('--agents <names>', AGENTS_HELP)
    .action(async (configPath: string, opts: RunOptions) => {
      // another run's records are never overwritten: that run is continued, not restarted
      if (opts.out && holdsRun(opts.out)) throw new UsageError(`--out ${opts.out}: already holds a run; continue it with sledge resume ${opts.out}, or choose another directory`);
      const config = loadConfig(configPath);
      const system = new SystemModel(config);
      let strategy;
      try {
        strategy = system.strategy(opts.strategy ? parseStrategy(opts.strategy) : config.strategy);
      } catch (err) {
        if (err instanceof StrategyError) throw new UsageError(`--strategy: ${err.message}`);
        throw err;
      }
      const agents = await agentsOption(opts.agents, config);
      process.stderr.write(`${describeConfig(config)}\nstrategy ${strategy.spec}\n`);
      await emulateAndReport(system, strategy, { outDir: opts.out, json: opts.json, strict: opts.strict, ...agents });
    });
}
