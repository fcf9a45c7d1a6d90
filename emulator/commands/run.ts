import type { Command } from 'commander';
import { SystemModel } from '../../src/system-model.js';
import { loadConfig } from '../experiment/config-file.js';
import { buildStrategy, checkDecisions } from '../experiment/strategies.js';
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
      const strategy = await buildStrategy('--strategy', opts.strategy, system);
      checkDecisions(system, [strategy]);
      const agents = await agentsOption(opts.agents, config);
      process.stderr.write(`${describeConfig(config)}\nstrategy ${strategy.spec}\n`);
      await emulateAndReport(system, strategy, { outDir: opts.out, json: opts.json, strict: opts.strict, ...agents });
    });
}
