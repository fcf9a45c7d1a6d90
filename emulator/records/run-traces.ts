import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { LinktraceConfig } from '../../src/config.js';

/**
 * The trace files of a linktrace run (docs/linktrace.md "Resume"), kept in its directory:
 * `runs/<id>/traces/<name>`, each recorded in manifest.json's `linktrace.traces` under the
 * path the config gives, with its sha256 and size.
 *
 * Copies, not only paths and hashes: a run directory is what a researcher archives and
 * moves between machines with its results, and a path to a file beside the config (often
 * relative, in a checkout that moves on) would make a run resumable only where it started
 * and only while nobody edits the trace. Mahimahi traces are a few hundred KB, less than a
 * run's logs. The copy is the text the run parsed and planned on (LinktraceConfig.files),
 * not the file read again, so a file edited after the config was read cannot slip in. The
 * sha256 guards the copy: `sledge resume` plans the remaining turns on it only if it is
 * still those bytes, since the finished turns were planned and paced on them.
 */
export interface TraceRecord {
  /** The copy, relative to the run directory: `traces/<name>`. */
  file: string;
  /** Where the run read it at its start, for the manifest's reader: resume reads only the copy. */
  from?: string;
  sha256: string;
  bytes: number;
}

/** Records by the path the config gives (`channel.links.*.up`/`down`). */
export type TraceRecords = Record<string, TraceRecord>;

export const TRACES_DIR = 'traces';
/** What a record may name: a plain file under traces/, never a path out of the run directory (a manifest is input too). */
const COPY_NAME = /^traces\/[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

export function traceHash(content: Buffer | string): string {
  return createHash('sha256').update(content).digest('hex');
}

/**
 * Writes the copy of every trace file of the channel into `dir/traces/` and returns their
 * records. Each copy is written to a temporary name and renamed, so a crash leaves no
 * half-written trace behind a manifest (which is written after, by the caller).
 */
export function keepTraces(dir: string, channel: Pick<LinktraceConfig, 'files'>): TraceRecords {
  const records: [string, TraceRecord][] = [];
  const taken = new Set<string>();
  mkdirSync(join(dir, TRACES_DIR), { recursive: true });
  for (const [configPath, file] of channel.files) {
    const name = freeName(copyName(configPath), taken);
    taken.add(name);
    const content = Buffer.from(file.text, 'utf8');
    const target = join(dir, TRACES_DIR, name);
    writeFileSync(`${target}.tmp`, content);
    renameSync(`${target}.tmp`, target);
    records.push([configPath, { file: `${TRACES_DIR}/${name}`, ...(file.path !== undefined ? { from: file.path } : {}), sha256: traceHash(content), bytes: content.length }]);
  }
  // defined, not assigned: a config path is any string ("__proto__" too)
  return Object.fromEntries(records);
}

/** The copy's name: the file's own name, its characters kept to a safe few. */
function copyName(configPath: string): string {
  const safe = basename(configPath.replaceAll('\\', '/')).replace(/[^A-Za-z0-9._-]/g, '_').replace(/^[.-]+/, '').slice(0, 100);
  return safe === '' ? 'trace' : safe;
}

/** Two config paths with one file name (`a/x.up`, `b/x.up`) get `x.up` and `2-x.up`. */
function freeName(name: string, taken: ReadonlySet<string>): string {
  if (!taken.has(name)) return name;
  for (let k = 2; ; k++) if (!taken.has(`${k}-${name}`)) return `${k}-${name}`;
}

/** Why manifest.json's `linktrace.traces` cannot be used. */
export type TraceRecordsReason =
  /** A run started before runs kept their traces (or a manifest edited): nothing to resume on. */
  | { kind: 'absent' }
  | { kind: 'malformed'; detail: string }
  /** The config names a trace the records do not have. */
  | { kind: 'unrecorded'; configPath: string };

/** Decodes `linktrace.traces` of a manifest, checking it covers every path the config's links name. */
export function traceRecordsOf(value: unknown, configPaths: readonly string[]): { ok: true; records: TraceRecords } | { ok: false; reason: TraceRecordsReason } {
  if (value === undefined) return { ok: false, reason: { kind: 'absent' } };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, reason: { kind: 'malformed', detail: 'is not an object of config path → { file, sha256, bytes }' } };
  const records: [string, TraceRecord][] = [];
  for (const [configPath, r] of Object.entries(value as Record<string, unknown>)) {
    const rec = r as Partial<TraceRecord> | null;
    const bad = (what: string) => ({ ok: false as const, reason: { kind: 'malformed' as const, detail: `"${configPath}": ${what}` } });
    if (typeof rec !== 'object' || rec === null) return bad('is not { file, sha256, bytes }');
    if (typeof rec.file !== 'string' || !COPY_NAME.test(rec.file)) return bad(`file must be traces/<name>, not ${JSON.stringify(rec.file)}`);
    if (typeof rec.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(rec.sha256)) return bad('sha256 is not 64 hex digits');
    if (!Number.isSafeInteger(rec.bytes) || (rec.bytes as number) < 0) return bad('bytes is not a count');
    if (rec.from !== undefined && typeof rec.from !== 'string') return bad('from is not a path');
    records.push([configPath, { file: rec.file, ...(rec.from !== undefined ? { from: rec.from } : {}), sha256: rec.sha256, bytes: rec.bytes as number }]);
  }
  const byPath: TraceRecords = Object.fromEntries(records);
  const unrecorded = configPaths.find((p) => !Object.hasOwn(byPath, p));
  if (unrecorded !== undefined) return { ok: false, reason: { kind: 'unrecorded', configPath: unrecorded } };
  return { ok: true, records: byPath };
}

/** Why a kept trace cannot be planned on again. */
export type TraceCopyReason =
  | { kind: 'missing' }
  | { kind: 'unreadable'; code: string }
  /** Its bytes are not the ones the run started on. */
  | { kind: 'changed'; sha256: string; bytes: number };

/** Reads a kept trace and checks it against its record: its text, or why not. */
export function readTraceCopy(dir: string, record: TraceRecord): { ok: true; text: string } | { ok: false; reason: TraceCopyReason } {
  let content: Buffer;
  try {
    content = readFileSync(join(dir, record.file));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    return { ok: false, reason: code === 'ENOENT' ? { kind: 'missing' } : { kind: 'unreadable', code } };
  }
  const sha256 = traceHash(content);
  if (sha256 !== record.sha256) return { ok: false, reason: { kind: 'changed', sha256, bytes: content.length } };
  return { ok: true, text: content.toString('utf8') };
}

/** One line for a kept trace that cannot be used: the file and what is wrong with it. */
export function describeTraceCopy(dir: string, configPath: string, record: TraceRecord, reason: TraceCopyReason, runId: string): string {
  const where = `trace ${join(dir, record.file)} (the config's "${configPath}")`;
  const then = `sha256 ${record.sha256.slice(0, 12)}…, ${record.bytes} bytes`;
  switch (reason.kind) {
    case 'missing':
      return `${where}: no such file; run ${runId} was planned on it (${then}): put it back, or start a new run`;
    case 'unreadable':
      return `${where}: cannot read (${reason.code})`;
    case 'changed':
      return `${where}: changed since run ${runId} started (${then} then, sha256 ${reason.sha256.slice(0, 12)}…, ${reason.bytes} bytes now); resume needs the trace its finished turns were planned on: restore it, or start a new run`;
  }
}

/** One line for a manifest whose `linktrace.traces` cannot be used. */
export function describeTraceRecords(manifestPath: string, reason: TraceRecordsReason, runId: string): string {
  switch (reason.kind) {
    case 'absent':
      return `${manifestPath}: run ${runId} follows link traces but its manifest records no trace files (linktrace.traces; runs started before sledge kept them cannot be resumed): start a new run`;
    case 'malformed':
      return `${manifestPath}: linktrace.traces ${reason.detail}`;
    case 'unrecorded':
      return `${manifestPath}: linktrace.traces has no record of the trace "${reason.configPath}" the config names`;
  }
}
