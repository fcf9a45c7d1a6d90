import { PHASES } from '../../src/cost.js';
import type { TurnRecord } from '../records/turn-record.js';
import type { Source } from './rows.js';

/** A turn's phases in the order they happen, the GPU queue's wait before the server's compute. */
export const GANTT_PHASES = [...PHASES.slice(0, 3), 'serverWait', ...PHASES.slice(3)] as const;

export interface GanttRow {
  round: number;
  device: string;
  source: Source;
  phase: string;
  start: number;
  end: number;
  /** Large runs: the device's place among its round's slowest (1 = finished last). */
  rank?: number;
}

/** At most this many rounds get a Gantt panel: enough to see the queue, short enough to read. */
export const GANTT_ROUNDS = 6;

/**
 * One bar per phase of each turn of the first rounds, measured from the turn's start in
 * its round and predicted from 0 (the model starts every device at once). With several
 * iterations a phase is drawn as one bar of its summed time: the bars show how a turn's
 * time splits, not the interleaving of its iterations.
 */
export function ganttRows(turns: readonly TurnRecord[], slowest?: number): GanttRow[] {
  const rounds = [...new Set(turns.map((t) => t.round))].sort((a, b) => a - b).slice(0, GANTT_ROUNDS);
  const shown = new Set(rounds);
  let kept = turns.filter((t) => shown.has(t.round) && t.status !== 'dropped');
  // a large run: each round's `slowest` last finishers only, ranked (a row per device of 1,000 is unreadable)
  const rank = new Map<TurnRecord, number>();
  if (slowest !== undefined) {
    kept = rounds.flatMap((round) =>
      kept
        .filter((t) => t.round === round)
        .sort((a, b) => b.startOffset + b.measured.delay.total - (a.startOffset + a.measured.delay.total))
        .slice(0, slowest)
        .map((t, i) => (rank.set(t, i + 1), t)),
    );
  }
  return kept
    .flatMap((t) =>
      (['measured', 'predicted'] as const).flatMap((source) => {
        let at = source === 'measured' ? t.startOffset : 0;
        return GANTT_PHASES.filter((p) => t[source].delay[p] > 0).map((phase) => {
          const start = at;
          at += t[source].delay[phase];
          return { round: t.round, device: t.device, source, phase, start, end: at, ...(rank.has(t) ? { rank: rank.get(t) } : {}) };
        });
      }),
    );
}
