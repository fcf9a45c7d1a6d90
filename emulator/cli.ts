#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { registerPlan } from './commands/plan.js';
import { registerRun } from './commands/run.js';
import { registerResume } from './commands/resume.js';
import { registerDoctor } from './commands/doctor.js';
import { registerNet } from './commands/net.js';
import { registerReport } from './commands/report.js';
import { registerCompare } from './commands/compare.js';
import { registerSweep } from './commands/sweep.js';
import { registerWatch } from './commands/watch.js';
import { registerAgent } from './commands/agent.js';
import { registerTrace } from './commands/trace.js';
import { registerKeygen } from './commands/keygen.js';

const program = new Command();
program
  .name('sledge')
  .description('Split-Learning EDGe Emulator: CARD and its baselines, predicted and emulated')
  .option('--verbose', 'print stack traces of errors')
  .configureOutput({ outputError: (str, write) => write(`${str.trimEnd()} (sledge --help for usage)\n`) })
  .exitOverride();

registerPlan(program);
registerRun(program);
registerResume(program);
registerDoctor(program);
registerNet(program);
registerReport(program);
registerCompare(program);
registerSweep(program);
registerWatch(program);
registerAgent(program);
registerTrace(program);
registerKeygen(program);

function fail(err: unknown): never {
  const verbose = program.opts().verbose || process.argv.includes('--verbose');
  if (err instanceof CommanderError) {
    // commander printed its own one-line message; help and version are not errors
    process.exit(err.exitCode === 0 ? 0 : 2);
  }
  const e = err as Error & { exitCode?: number };
  process.stderr.write(`sledge: ${verbose && e.stack ? e.stack : e.message}\n`);
  process.exit(typeof e.exitCode === 'number' ? e.exitCode : 1);
}

try {
  await program.parseAsync(process.argv);
} catch (err) {
  fail(err);
}
