import type { RunFiles } from './run-files.js';
import type { RunStore } from './run-store.js';
import type { TurnRecord } from './turn-record.js';

export interface Reconciled {
  /** Every finished turn once, in plan order. */
  records: TurnRecord[];
  /** Turns the CSV lacked (a crash after Redis took the turn, before the page cache reached the disk). */
  addedToCsv: number;
  /** Turns the stream lacked (a kill -9 between the CSV append and the XADD). */
  addedToStream: number;
}

/**
 * Before a resume, turns.csv and the Redis stream are made to hold the same turns: the
 * union of both, each (round, device) once, in plan order. A kill -9 can fall between the
 * CSV append and the XADD, and a crash of the machine can lose the CSV's tail while Redis
 * (fsync on every write) kept it, so either side may lack a turn; neither is trusted alone.
 * `seqOf` is a turn's 1-based place in the plan; a turn it does not know is not of this
 * run's plan and is dropped.
 */
export async function reconcileTurns(files: RunFiles, store: RunStore, seqOf: (r: TurnRecord) => number | undefined): Promise<Reconciled> {
  const fromCsv = files.readTurns();
  const fromStream = await store.records();
  const union = new Map<number, TurnRecord>();
  // The stream's JSON first: it is what Redis acknowledged, with every field.
  for (const { record } of fromStream) addOnce(union, record, seqOf);
  for (const record of fromCsv) addOnce(union, record, seqOf);
  const entries = [...union.entries()].sort((a, b) => a[0] - b[0]).map(([seq, record]) => ({ seq, record }));
  const records = entries.map((e) => e.record);

  const csvSeqs = fromCsv.map(seqOf);
  const addedToCsv = entries.length - new Set(csvSeqs.filter((s) => s !== undefined)).size;
  if (!sameSequence(csvSeqs, entries)) files.rewriteTurns(records);
  const streamSeqs = fromStream.map((e) => (seqOf(e.record) === e.seq ? e.seq : undefined));
  const addedToStream = entries.length - new Set(streamSeqs.filter((s) => s !== undefined)).size;
  if (!sameSequence(streamSeqs, entries)) await store.rewrite(entries);
  return { records, addedToCsv, addedToStream };
}

function addOnce(union: Map<number, TurnRecord>, record: TurnRecord, seqOf: (r: TurnRecord) => number | undefined): void {
  const seq = seqOf(record);
  if (seq !== undefined && !union.has(seq)) union.set(seq, { ...record, retries: record.retries ?? 0 });
}

/** Does a side hold exactly these turns, once each, in this order? */
function sameSequence(seqs: readonly (number | undefined)[], entries: readonly { seq: number }[]): boolean {
  return seqs.length === entries.length && seqs.every((s, i) => s === entries[i]!.seq);
}

/** A turn's 1-based place in the plan (rounds in order, devices in config order: planTurns), or undefined if the plan has no such turn. */
export function planSeq(deviceIds: readonly string[], rounds: number): (t: { round: number; device: string }) => number | undefined {
  const index = new Map(deviceIds.map((id, i) => [id, i]));
  return (t) => {
    const i = index.get(t.device);
    return i === undefined || !Number.isInteger(t.round) || t.round < 1 || t.round > rounds ? undefined : (t.round - 1) * deviceIds.length + i + 1;
  };
}
