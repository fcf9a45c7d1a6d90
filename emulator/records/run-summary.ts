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
  /** Malformed or unexpected messages each actor rejected (and survived). */
  rejectedMessages: Record<string, number>;
}

export function summarizeRun(args: {
  runId: string;
  strategy: string;
  status: RunSummary['status'];
  config: Config;
  records: readonly TurnRecord[];
  network: 'tc' | 'userspace';
  wallSeconds: number;
  rejected: Record<string, number>;
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
    rejectedMessages: args.rejected,
  };
}
