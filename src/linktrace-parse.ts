import { LinkTrace, PACKET_BITS } from './linktrace.js';

/** The two trace formats a link can follow (docs/linktrace.md). */
export const LINK_TRACE_FORMATS = ['mahimahi', 'rates'] as const;
export type LinkTraceFormat = (typeof LINK_TRACE_FORMATS)[number];

export type ParsedLinkTrace = { trace: LinkTrace } | { error: string };

/** Parses a trace file's text; an error is one line naming `source:line`. */
export function parseLinkTrace(text: string, format: LinkTraceFormat, source: string): ParsedLinkTrace {
  return format === 'mahimahi' ? parseMahimahi(text, source) : parseRates(text, source);
}

/**
 * Mahimahi (`mm-link`): one integer per line, a millisecond timestamp, non-decreasing;
 * each line one 1500-byte delivery opportunity. P = the last timestamp. Blank lines are
 * skipped (Mahimahi's own files end with a newline).
 */
export function parseMahimahi(text: string, source: string): ParsedLinkTrace {
  const lines = text.split('\n');
  const times: number[] = [];
  let previous = 0;
  for (let i = 0; i < lines.length; i++) {
    const cell = (lines[i] as string).trim();
    if (cell === '') continue;
    const where = `${source}:${i + 1}`;
    if (!/^\d+$/.test(cell)) return { error: `${where}: "${clip(cell)}" is not a non-negative integer millisecond timestamp` };
    const t = Number(cell);
    if (t < previous) return { error: `${where}: ${t} is before the line above (${previous}): timestamps must not decrease` };
    times.push(t);
    previous = t;
  }
  if (times.length === 0) return { error: `${source}:1: empty trace: no timestamps` };
  if (previous === 0) return { error: `${source}:${lastLineNumber(lines)}: period 0: the last timestamp must be > 0` };
  return { trace: LinkTrace.fromTimes(times, source) };
}

/**
 * Rates CSV `seconds,bps` with a header: times strictly increasing from 0, each rate held
 * until the next row; the last row's rate holds as long as the step before it, which ends
 * the period. The capacity is turned into opportunities: the k-th where the bytes
 * delivered since the period's start reach 1500*k (a last partial packet is lost).
 */
export function parseRates(text: string, source: string): ParsedLinkTrace {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const header = (lines[0] ?? '').split(',').map((c) => c.trim());
  if (header[0] !== 'seconds' || header[1] !== 'bps' || header.length !== 2) {
    return { error: `${source}:1: the header must be "seconds,bps"` };
  }
  const rows: { s: number; bps: number; line: number }[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line === '') continue;
    const where = `${source}:${i + 1}`;
    const cells = line.split(',').map((c) => c.trim());
    if (cells.length !== 2) return { error: `${where}: expected two columns "seconds,bps"` };
    const s = Number(cells[0]);
    const bps = Number(cells[1]);
    if (cells[0] === '' || !Number.isFinite(s)) return { error: `${where}: seconds "${clip(cells[0] ?? '')}" is not a number` };
    if (cells[1] === '' || !Number.isFinite(bps) || bps < 0) return { error: `${where}: bps "${clip(cells[1] ?? '')}" is not a number >= 0` };
    const prev = rows[rows.length - 1];
    if (!prev && s !== 0) return { error: `${where}: the first row must be at 0 seconds` };
    if (prev && s <= prev.s) return { error: `${where}: ${s} s is not after the row above (${prev.s} s): times must increase` };
    rows.push({ s, bps, line: i + 1 });
  }
  if (rows.length === 0) return { error: `${source}:2: empty trace: no rows` };
  if (rows.length === 1) return { error: `${source}:${(rows[0] as { line: number }).line}: period 0: a single row has no step to repeat (give at least two rows)` };
  const last = rows[rows.length - 1]!;
  const periodS = last.s + (last.s - rows[rows.length - 2]!.s);
  const times: number[] = [];
  let bits = 0;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    const end = i + 1 < rows.length ? rows[i + 1]!.s : periodS;
    if (row.bps === 0) continue;
    const endBits = bits + row.bps * (end - row.s);
    // opportunity k is where the cumulative bits reach k*12000
    for (let k = Math.floor(bits / PACKET_BITS) + 1; k * PACKET_BITS <= endBits + 1e-6; k++) {
      times.push(1000 * (row.s + (k * PACKET_BITS - bits) / row.bps));
    }
    bits = endBits;
  }
  if (times.length === 0) return { error: `${source}:${last.line}: the trace carries not one 1500-byte packet in its period` };
  return { trace: LinkTrace.fromTimes(times, source, periodS * 1000) };
}

function lastLineNumber(lines: string[]): number {
  for (let i = lines.length - 1; i >= 0; i--) if ((lines[i] as string).trim() !== '') return i + 1;
  return 1;
}

function clip(s: string): string {
  return s.length > 24 ? `${s.slice(0, 24)}…` : s;
}
