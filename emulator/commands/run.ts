import type { Command } from 'commander';
import { parseStrategy } from '../../src/strategy/spec.js';
import { StrategyError } from '../../src/strategy/strategy.js';
import { SystemModel } from '../../src/system-model.js';
import { loadConfig } from '../experiment/config-file.js';
import { runEmulation } from '../launcher/emulation.js';
import { Interrupted, RunError, UsageError } from '../errors.js';
import { describeConfig } from '../format/plan-text.js';
import { formatRunResult } from '../format/run-text.js';
import { progressReporter } from '../terminal/progress.js';
import { writeReport } from '../report/report.js';
import { abortOnSignals } from '../terminal/signals.js';
import { AGENTS_HELP, agentsOption } from './agents-option.js';

interface RunOptions {
  strategy?: string;
  out?: string;
  json?: boolean;
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
    .option('--agents <names>', AGENTS_HELP)
    .action(async (configPath: string, opts: RunOptions) => {
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
      const signals = abortOnSignals();
      const progress = progressReporter(config.rounds);
      const result = await runEmulation(system, strategy, {
        ...(opts.out ? { outDir: opts.out } : {}),
        ...(process.env.NATS_URL ? { natsUrl: process.env.NATS_URL } : {}),
        ...(process.env.REDIS_URL ? { redisUrl: process.env.REDIS_URL } : {}),
        ...agents,
        signal: signals.signal,
        onProgress: progress.update,
        onStarting: progress.starting,
        onStatus: (line) => process.stderr.write(`${line}\n`),
      }).finally(() => {
        progress.stop();
        signals.dispose();
      });
      // DESIGN.md 4.5: every run leaves a report beside its records; a run that recorded
      // nothing has nothing to chart, and a report that fails never fails the run.
      const report = result.records.length ? await writeReport(result.dir).catch((err: Error) => `not written (${err.message})`) : 'not written (no finished turn)';
      process.stdout.write(opts.json ? `${JSON.stringify(result.summary, null, 2)}\n` : `${formatRunResult(result)}\nreport: ${report}\n`);
      if (result.status === 'interrupted') throw new Interrupted(signals.received() ?? 'signal');
      if (result.status === 'failed') throw new RunError(`run failed: ${result.error?.message ?? 'unknown error'}`);
    });
}
