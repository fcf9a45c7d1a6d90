import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Strategy } from '../../src/strategy/strategy.js';
import type { SystemModel } from '../../src/system-model.js';
import type { HostsOptions } from '../launcher/run-hosts.js';
import { progressReporter } from '../terminal/progress.js';
import { comparedRun, compareReductions, type ComparedRun, type Comparison, type RunOfComparison } from './comparison.js';
import { csvLine } from './csv.js';
import type { OverrideValue } from './overrides.js';
import { runSubdir } from './out-dir.js';
import { referenceIndex } from './strategies.js';

export interface ComparisonOptions {
  configPath: string;
  system: SystemModel;
  strategies: readonly Strategy[];
  dir: string;
  overrides?: Record<string, OverrideValue>;
  /** Aborted by Ctrl-C: the current run stops cleanly and no further one starts. */
  signal: AbortSignal;
  /** Where this comparison stands in a larger experiment, e.g. `point 2/4`; empty for a plain one. */
  label: string;
  onRun?: (run: ComparedRun) => void;
  /** `--agents`: every run of the comparison places its devices the same way. */
  agents?: HostsOptions;
}

/**
 * The emulation once per strategy on the same config (same seed, so the same channel
 * draws), one after the other because the runs share the machine's cores and a run's
 * timing is its measurement. compare.json and compare.csv are rewritten after every run,
 * so an interrupted or crashed comparison keeps what finished.
 */
export async function runComparison(opts: ComparisonOptions): Promise<Comparison> {
  const { system, strategies, dir } = opts;
  const specs = strategies.map((s) => s.spec);
  const reference = specs[referenceIndex(specs)] as string;
  const done: { index: number; run: RunOfComparison }[] = [];
  const document = (): Comparison => {
    const runs = done.map((d) => d.run);
    const ref = done.find((d) => d.index === referenceIndex(specs))?.run;
    const statuses = runs.map((r) => r.summary.status);
    return {
      config: opts.configPath,
      configName: system.config.name,
      seed: system.config.seed,
      ...(opts.overrides ? { overrides: opts.overrides } : {}),
      status: statuses.includes('interrupted') ? 'interrupted' : statuses.includes('failed') ? 'failed' : 'finished',
      reference,
      strategies: runs.map((r) => r.compared),
      reductions: compareReductions(ref, runs),
    };
  };

  for (const [index, strategy] of strategies.entries()) {
    if (opts.signal.aborted) break;
    const sub = runSubdir(index, strategies.length, strategy.spec);
    const label = `${opts.label ? `${opts.label} ` : ''}[${index + 1}/${strategies.length}] ${sub.replace(/^\d+-/, '')}`;
    process.stderr.write(`${label}: ${strategy.spec} → ${join(dir, sub)}\n`);
    const progress = progressReporter(system.config.rounds, label);
    const { runEmulation } = await import('../launcher/emulation.js');
    const result = await runEmulation(system, strategy, {
      outDir: join(dir, sub),
      ...(process.env.NATS_URL ? { natsUrl: process.env.NATS_URL } : {}),
      ...(process.env.REDIS_URL ? { redisUrl: process.env.REDIS_URL } : {}),
      ...(process.env.NATS_LEAF_URL ? { natsLeafUrl: process.env.NATS_LEAF_URL } : {}),
      ...(opts.agents ? { agents: opts.agents } : {}),
      signal: opts.signal,
      onProgress: progress.update,
      onStarting: progress.starting,
      onStatus: (line) => process.stderr.write(`${label}: ${line}\n`),
    }).finally(() => progress.stop());
    if (result.status === 'failed') process.stderr.write(`${label}: failed: ${result.error?.message ?? 'unknown error'}\n`);
    const run = { compared: comparedRun(sub, result.summary), summary: result.summary };
    done.push({ index, run });
    writeComparison(dir, document());
    opts.onRun?.(run.compared);
    if (result.status === 'interrupted') break;
  }
  return document();
}

const CSV_COLUMNS = [
  'strategy', 'run', 'runId', 'status', 'turns',
  'predicted_avgRoundDelay', 'predicted_avgServerEnergy', 'measured_avgRoundDelay', 'measured_avgServerEnergy',
  'predicted_delayReduction', 'predicted_serverEnergyReduction', 'measured_delayReduction', 'measured_serverEnergyReduction',
];

/** compare.json, and compare.csv with a row per run and the reference's reductions against it. */
export function writeComparison(dir: string, c: Comparison): void {
  writeFileSync(join(dir, 'compare.json'), `${JSON.stringify(c, null, 2)}\n`);
  const rows = c.strategies.map((r) => {
    const red = c.reductions.find((x) => x.run === r.run);
    return csvLine([
      r.strategy, r.run, r.runId, r.status, r.turns,
      r.predicted.avgRoundDelay, r.predicted.avgServerEnergy, r.measured.avgRoundDelay, r.measured.avgServerEnergy,
      red?.predicted.delay, red?.predicted.serverEnergy, red?.measured.delay, red?.measured.serverEnergy,
    ]);
  });
  writeFileSync(join(dir, 'compare.csv'), `${[CSV_COLUMNS.join(','), ...rows].join('\n')}\n`);
}
