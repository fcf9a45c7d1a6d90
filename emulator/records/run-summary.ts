import type { Config } from '../../src/config.js';
import type { ScaleFacts } from '../launcher/scale-choice.js';
import type { ScaleChange } from '../launcher/scale-monitor.js';
import { summarize, type Summary } from '../../src/summary.js';
import type { FloorStats, Resolution } from '../../src/resolution.js';
import { fidelity, type PhaseFidelity } from './fidelity.js';
import { fidelityVerdict, type FidelityVerdict } from './fidelity-verdict.js';
import type { TurnRecord } from './turn-record.js';
import type { Restart } from '../launcher/crash-supervisor.js';

/**
 * summary.json: predicted and measured side by side, over the same finished turns (an
 * interrupted run compares like with like), with the fidelity of every phase.
 */
export interface RunSummary {
  runId: string;
  status: 'finished' | 'interrupted' | 'failed';
  error?: string;
  strategy: string;
  network: 'tc' | 'userspace';
  /** The run's wall seconds per emulated second: "auto" only if the run ended before it was chosen. */
  timeScale: number | 'auto';
  timeScaleRequested: number | 'auto';
  /** The target |measured/predicted − 1| of every phase's median (emulation.fidelity). */
  fidelityTarget: number;
  /** The calibrated per-transfer and per-workload floor, wall ms; null if the run ended before calibrating. */
  floor: { transfer: FloorStats; compute: FloorStats; byPhase: Resolution['transfer'] } | null;
  payloadScale: number;
  turnsPlanned: number;
  turnsDone: number;
  predicted: Summary;
  measured: Summary;
  /** A linktrace run (docs/linktrace.md): what the strategy expected at the rates it saw; `predicted` is then the integrated (true) side. */
  expected?: Summary;
  /** Whether the run met the fidelity it declared (docs/fidelity.md): what turns.csv gives, judged against the target. */
  fidelity: FidelityVerdict;
  /** Every phase's |measured/predicted − 1| and |measured − predicted| in detail (the tables of the end-of-run text and the report). */
  fidelityByPhase: PhaseFidelity[];
  wallSeconds: number;
  /** Wall seconds of each stage: network set-up, bus, actors ready, turns, teardown (filled in after it). */
  stages: Record<string, number>;
  /** Malformed or unexpected messages the actors rejected (and survived): per actor, and per reason over all actors. */
  rejectedMessages: Record<string, number>;
  rejectedByReason: Record<string, number>;
  /** Device processes that died on schedule (crash faults) and were started again. */
  restarts: Restart[];
  /** The time scale changes "auto" made while the run ran, each with its reason (also in manifest.json). */
  scaleChanges: ScaleChange[];
}

/** Per actor and reason → per actor totals and per reason totals. */
function rejectionTotals(byActor: Record<string, Record<string, number>>): Pick<RunSummary, 'rejectedMessages' | 'rejectedByReason'> {
  const perActor: Record<string, number> = {};
  const perReason: Record<string, number> = {};
  for (const [actor, reasons] of Object.entries(byActor)) {
    perActor[actor] = 0;
    for (const [reason, n] of Object.entries(reasons)) {
      perActor[actor] += n;
      perReason[reason] = (perReason[reason] ?? 0) + n;
    }
  }
  return { rejectedMessages: perActor, rejectedByReason: perReason };
}

export function summarizeRun(args: {
  runId: string;
  strategy: string;
  status: RunSummary['status'];
  config: Config;
  records: readonly TurnRecord[];
  network: 'tc' | 'userspace';
  wallSeconds: number;
  stages?: Record<string, number>;
  rejected: Record<string, Record<string, number>>;
  error?: string | undefined;
  restarts?: Restart[];
  scale?: ScaleFacts | undefined;
  scaleChanges?: ScaleChange[];
}): RunSummary {
  const { records, config, scale } = args;
  const resolution = scale?.floor.resolution;
  const context = resolution && { resolution, timeScale: scale.timeScale.chosen, iterations: config.training.iterations };
  // in parallel mode a measured finish is the turn's start in its round plus its total (the model's schedule starts all at 0)
  const finish = (r: TurnRecord, which: 'predicted' | 'measured') => (which === 'measured' ? r.startOffset : 0) + r[which].delay.total;
  const side = (which: 'predicted' | 'measured') =>
    summarize(records.map((r) => ({ round: r.round, status: r.status, delay: { total: finish(r, which) }, energy: r[which].energy })), config.mode);
  return {
    runId: args.runId,
    status: args.status,
    ...(args.error ? { error: args.error } : {}),
    strategy: args.strategy,
    network: args.network,
    timeScale: scale?.timeScale.chosen ?? config.emulation.timeScale,
    timeScaleRequested: scale?.timeScale.requested ?? config.emulation.timeScale,
    fidelityTarget: config.emulation.fidelity,
    floor: scale ? { transfer: scale.floor.transfer, compute: scale.floor.resolution.compute, byPhase: scale.floor.resolution.transfer } : null,
    payloadScale: config.emulation.payloadScale,
    turnsPlanned: config.rounds * config.devices.length,
    turnsDone: records.length,
    predicted: side('predicted'),
    measured: side('measured'),
    ...(records.some((r) => r.linktrace)
      ? { expected: summarize(records.map((r) => ({ round: r.round, status: r.status, delay: { total: r.linktrace?.expectedTotal ?? r.predicted.delay.total }, energy: r.predicted.energy })), config.mode) }
      : {}),
    fidelity: fidelityVerdict(records, { target: config.emulation.fidelity, resolution, iterations: config.training.iterations }),
    fidelityByPhase: fidelity(records, context),
    wallSeconds: args.wallSeconds,
    stages: args.stages ?? {},
    ...rejectionTotals(args.rejected),
    restarts: args.restarts ?? [],
    scaleChanges: args.scaleChanges ?? [],
  };
}
