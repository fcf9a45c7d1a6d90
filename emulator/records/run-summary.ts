import type { Config } from '../../src/config.js';
import { summarize, type Summary } from '../../src/summary.js';
import { fidelity, type PhaseFidelity } from './fidelity.js';
import type { TurnRecord } from './turn-record.js';

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
}): RunSummary {
  const { records, config } = args;
  const side = (which: 'predicted' | 'measured') => summarize(records.map((r) => ({ round: r.round, delay: r[which].delay, energy: r[which].energy })));
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
  };
}
