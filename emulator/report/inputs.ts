import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import type { buildManifest } from '../records/manifest.js';
import type { RunSummary } from '../records/run-summary.js';
import { parseTurnsCsv, type TurnRecord } from '../records/turn-record.js';
import { compareFileSchema } from './compare-file.js';

export type RunManifest = ReturnType<typeof buildManifest>;

/** One run as the report sees it: what it was (manifest), what it measured (turns), how it ended (summary). */
export interface ReportRun {
  /** The strategy spec: the name a reader recognises in legends and tables. */
  label: string;
  dir: string;
  manifest: RunManifest;
  summary: RunSummary;
  turns: TurnRecord[];
}

export interface ReportInput {
  kind: 'run' | 'compare';
  dir: string;
  /** The config path compare.json names (a single run has its config in the manifest). */
  configPath?: string;
  /** The run the others are measured against (CARD in a comparison); the only run otherwise. */
  reference: string;
  runs: ReportRun[];
  /** Runs a comparison names but that left no records (failed early, interrupted): reported, not fatal. */
  missing: { strategy: string; run: string; reason: string }[];
  /** compare.json's status when it is not 'finished'. */
  status?: string;
}

/** Reads a run directory (summary.json) or a comparison directory (compare.json). */
export function loadReportInput(dirArg: string): ReportInput {
  const dir = resolve(dirArg);
  const where = `report ${dirArg}`;
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`${where}: no such directory`);
  if (existsSync(join(dir, 'compare.json'))) return loadCompare(dir, where);
  if (existsSync(join(dir, 'summary.json'))) {
    const run = loadRun(dir, where);
    return { kind: 'run', dir, reference: run.label, runs: [run], missing: [] };
  }
  throw new UsageError(`${where}: no summary.json or compare.json here`);
}

function loadCompare(dir: string, where: string): ReportInput {
  const parsed = compareFileSchema.safeParse(readJson(join(dir, 'compare.json'), where));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UsageError(`${where}: compare.json is not a comparison (${issue?.path.join('.') || 'top'}: ${issue?.message ?? 'invalid'})`);
  }
  const file = parsed.data;
  const runs: ReportRun[] = [];
  const missing: ReportInput['missing'] = [];
  for (const s of file.strategies) {
    try {
      runs.push({ ...loadRun(join(dir, s.run), `${where}: run ${s.run}`), label: s.strategy });
    } catch (err) {
      // a comparison that lost a run still reports the others; one that lost all has nothing to show
      if (!(err instanceof UsageError)) throw err;
      missing.push({ strategy: s.strategy, run: s.run, reason: err.message });
    }
  }
  if (runs.length === 0) throw new UsageError(missing[0]?.reason ?? `${where}: compare.json lists no runs`);
  // compare names its reference; an older or hand-written file may not, and then CARD is it
  const reference = file.reference ?? runs.find((r) => r.label.startsWith('card'))?.label ?? (runs[0] as ReportRun).label;
  return {
    kind: 'compare',
    dir,
    reference,
    runs,
    missing,
    ...(file.config ? { configPath: file.config } : {}),
    ...(file.status && file.status !== 'finished' ? { status: file.status } : {}),
  };
}

function loadRun(dir: string, where: string): ReportRun {
  for (const f of ['manifest.json', 'summary.json', 'turns.csv']) {
    if (!existsSync(join(dir, f))) throw new UsageError(`${where}: no ${f} in ${dir}`);
  }
  const manifest = readJson(join(dir, 'manifest.json'), where) as RunManifest;
  const summary = readJson(join(dir, 'summary.json'), where) as RunSummary;
  if (typeof manifest?.runId !== 'string' || typeof manifest.config !== 'object') throw new UsageError(`${where}: manifest.json is not a sledge manifest`);
  if (typeof summary?.predicted !== 'object' || typeof summary.measured !== 'object') throw new UsageError(`${where}: summary.json is not a sledge run summary`);
  const turns = parseTurnsCsv(readFileSync(join(dir, 'turns.csv'), 'utf8'));
  return { label: summary.strategy ?? manifest.strategy, dir, manifest, summary, turns };
}

function readJson(path: string, where: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new UsageError(`${where}: cannot read ${path}: ${(err as Error).message}`);
  }
}
