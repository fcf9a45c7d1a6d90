import type { Command } from 'commander';
import { loadStoredRun } from '../launcher/resume.js';
import { describeConfig } from '../format/plan-text.js';
import { emulateAndReport } from './emulate.js';
import { resumedAgents } from './agents-option.js';

export function registerResume(program: Command): void {
  program
    .command('resume')
    .description('continue an interrupted, failed or killed run (after `sledge net clean`): its config, seed and strategy from the manifest, finished turns kept')
    .argument('<run-dir>', 'the run directory, e.g. runs/<run-id>')
    .option('--json', 'print summary.json instead of the table')
    .option('--strict', 'exit 3 when the run finished but missed its fidelity target (emulation.fidelity)')
    .action(async (dir: string, opts: { json?: boolean; strict?: boolean }) => {
      const run = await loadStoredRun(dir);
      const agents = await resumedAgents(run.placement, run.system.config, dir);
      process.stderr.write(`${describeConfig(run.system.config)}\nstrategy ${run.strategy.spec}\nresuming ${run.runId} in ${dir}\n`);
      await emulateAndReport(run.system, run.strategy, { resume: { runId: run.runId, dir }, json: opts.json, strict: opts.strict, ...agents });
    });
}
