import type { Config } from '../../src/config.js';
import { summarize, type Summary } from '../../src/summary.js';
import { fidelity, type PhaseFidelity } from './fidelity.js';
import type { TurnRecord } from './turn-record.js';
import type { Restart } from '../launcher/faults.js';

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
  timeScale: number;
  payloadScale: number;
  turnsPlanned: number;
  turnsDone: number;
  predicted: Summary;
  measured: Summary;
  fidelity: PhaseFidelity[];
  wallSeconds: number;
  /** Wall seconds of each stage: network set-up, bus, actors ready, turns, teardown (filled in after it). */
  stages: Record<string, number>;
  /** Malformed or unexpected messages the actors rejected (and survived): per actor, and per reason over all actors. */
  rejectedMessages: Record<string, number>;
  rejectedByReason: Record<string, number>;
  /** Device processes that died on schedule (crash faults) and were started again. */
  restarts: Restart[];
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
}): RunSummary {
  const { records, config } = args;
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
    timeScale: config.emulation.timeScale,
    payloadScale: config.emulation.payloadScale,
    turnsPlanned: config.rounds * config.devices.length,
    turnsDone: records.length,
    predicted: side('predicted'),
    measured: side('measured'),
    fidelity: fidelity(records),
    wallSeconds: args.wallSeconds,
    stages: args.stages ?? {},
    ...rejectionTotals(args.rejected),
    restarts: args.restarts ?? [],
  };
}
