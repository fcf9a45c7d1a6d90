import type { Strategy } from '../../src/strategy/strategy.js';
import type { SystemModel } from '../../src/system-model.js';
import type { EmulationOptions } from '../launcher/emulation.js';
import { FidelityMissed, Interrupted, RunError } from '../errors.js';
import { verdictLine } from '../records/fidelity-verdict.js';
import { formatRunResult } from '../format/run-text.js';
import { progressReporter } from '../terminal/progress.js';
import { abortOnSignals } from '../terminal/signals.js';

/**
 * What `sledge run` and `sledge resume` share once they know the system and strategy:
 * the bus from the environment, progress on the terminal, the emulation, its report,
 * and the exit status (130 interrupted, 1 failed).
 */
export async function emulateAndReport(system: SystemModel, strategy: Strategy, opts: Pick<EmulationOptions, 'outDir' | 'resume' | 'agents'> & { json?: boolean | undefined; strict?: boolean | undefined }): Promise<void> {
  // loaded here, not at start-up: the bus clients and the report's charts are most of what
  // every other command would otherwise load for nothing (docs/cli.md)
  const [{ runEmulation }, { writeReport }] = await Promise.all([import('../launcher/emulation.js'), import('../report/report.js')]);
  const signals = abortOnSignals();
  const progress = progressReporter(system.config.rounds);
  const result = await runEmulation(system, strategy, {
    ...(opts.outDir ? { outDir: opts.outDir } : {}),
    ...(opts.resume ? { resume: opts.resume } : {}),
    ...(opts.agents ? { agents: opts.agents } : {}),
    ...(process.env.NATS_URL ? { natsUrl: process.env.NATS_URL } : {}),
    ...(process.env.NATS_LEAF_URL ? { natsLeafUrl: process.env.NATS_LEAF_URL } : {}),
    ...(process.env.REDIS_URL ? { redisUrl: process.env.REDIS_URL } : {}),
    signal: signals.signal,
    onProgress: progress.update,
    onStarting: progress.starting,
    onStatus: (line) => process.stderr.write(`${line}\n`),
  }).finally(() => {
    progress.stop();
    signals.dispose();
  });
  // docs/architecture.md §7: every run leaves a report beside its records; a run that recorded
  // nothing has nothing to chart, and a report that fails never fails the run.
  const report = result.records.length ? await writeReport(result.dir).catch((err: Error) => `not written (${err.message})`) : 'not written (no finished turn)';
  process.stdout.write(opts.json ? `${JSON.stringify(result.summary, null, 2)}\n` : `${formatRunResult(result)}\nreport: ${report}\n`);
  if (result.status === 'interrupted') throw new Interrupted(signals.received() ?? 'signal');
  if (result.status === 'failed') throw new RunError(`run failed: ${result.error?.message ?? 'unknown error'}${result.records.length ? `; continue it with sledge resume ${result.dir}` : ''}`);
  // a finished run exits 0 whatever its fidelity; --strict makes a missed target exit 3
  if (opts.strict && !result.summary.fidelity.met) throw new FidelityMissed(verdictLine(result.summary.fidelity));
}
