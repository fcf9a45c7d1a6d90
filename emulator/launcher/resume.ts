import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StrategyChoice } from '../../src/strategy/registry.js';
import { parseStrategy } from '../../src/strategy/spec.js';
import type { Strategy } from '../../src/strategy/strategy.js';
import { SystemModel } from '../../src/system-model.js';
import { UsageError } from '../errors.js';
import type { TraceReader } from '../../src/config.js';
import { configFromManifest } from '../records/manifest-config.js';
import { describeTraceCopy, describeTraceRecords, readTraceCopy, traceRecordsOf } from '../records/run-traces.js';
import type { StrategyModuleFacts } from '../records/manifest.js';
import { currentHash, loadModulesInto } from '../experiment/strategy-module.js';

/** What `sledge resume` continues: the run as its manifest describes it. */
export interface StoredRun {
  runId: string;
  dir: string;
  system: SystemModel;
  strategy: Strategy;
  /** Device → host when the run used agents (docs/architecture.md §10); absent when every device ran here. */
  placement?: Record<string, string>;
}

/** Files whose presence makes a directory a run's: `sledge run --out` refuses it, `sledge resume` takes it. */
export function holdsRun(dir: string): boolean {
  return existsSync(join(dir, 'manifest.json'));
}

/**
 * Reads a run directory for `sledge resume` (docs/architecture.md §9): the config, seed and
 * strategy come from manifest.json, checked as a config file would be. A run whose
 * summary says it finished is refused; any other state (interrupted, failed, or no
 * summary at all after a kill -9) is continued.
 */
export async function loadStoredRun(dir: string): Promise<StoredRun> {
  if (!holdsRun(dir)) throw new UsageError(`${dir}: not a run directory (no manifest.json)`);
  const manifest = readJson(join(dir, 'manifest.json')) as { runId?: unknown; strategy?: unknown; strategyModule?: unknown; config?: unknown; placement?: unknown; linktrace?: { traces?: unknown } } | undefined;
  if (!manifest || typeof manifest.runId !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(manifest.runId) || typeof manifest.strategy !== 'string') {
    throw new UsageError(`${join(dir, 'manifest.json')}: not a sledge manifest (runId, strategy)`);
  }
  const summary = readJson(join(dir, 'summary.json')) as { status?: unknown; turnsDone?: unknown } | undefined;
  if (summary?.status === 'finished') throw new UsageError(`${dir}: run ${manifest.runId} already finished (${String(summary.turnsDone)} turns): nothing to resume`);
  const parsed = configFromManifest(manifest.config, keptTraces(dir, manifest, manifest.runId));
  if (!parsed.ok) throw new UsageError(parsed.errors.map((e) => `${join(dir, 'manifest.json')}: ${e}`).join('\n'));
  const system = new SystemModel(parsed.config);
  let strategy: Strategy;
  const choice = manifest.strategyModule === undefined ? undefined : await recordedModule(manifest.strategyModule, system, join(dir, 'manifest.json'), manifest.runId);
  try {
    strategy = system.strategy(choice ?? parseStrategy(manifest.strategy));
  } catch (err) {
    throw new UsageError(`${join(dir, 'manifest.json')}: strategy "${manifest.strategy}": ${(err as Error).message}`);
  }
  const placement = recordedPlacement(manifest.placement, system, join(dir, 'manifest.json'));
  return { runId: manifest.runId, dir, system, strategy, ...(placement ? { placement } : {}) };
}

/**
 * A linktrace run's trace files (docs/linktrace.md "Resume"): the copies its directory
 * keeps (records/run-traces.ts), each checked against the sha256 the manifest recorded
 * before anything starts, since the finished turns were planned on those bytes and the
 * rest must be planned on them too. Every copy that is missing or changed is one line
 * naming it (UsageError, exit 2). Undefined for a run on another channel.
 */
function keptTraces(dir: string, manifest: { config?: unknown; linktrace?: { traces?: unknown } }, runId: string): TraceReader | undefined {
  const channel = (manifest.config as { channel?: { model?: unknown; links?: unknown } } | null)?.channel;
  if (channel?.model !== 'linktrace') return undefined;
  const paths = linkPaths(channel.links);
  const decoded = traceRecordsOf(manifest.linktrace?.traces, paths);
  if (!decoded.ok) throw new UsageError(describeTraceRecords(join(dir, 'manifest.json'), decoded.reason, runId));
  const texts = new Map<string, string>();
  const problems: string[] = [];
  for (const path of paths) {
    const record = decoded.records[path]!;
    const copy = readTraceCopy(dir, record);
    if (copy.ok) texts.set(path, copy.text);
    else problems.push(describeTraceCopy(dir, path, record, copy.reason, runId));
  }
  if (problems.length) throw new UsageError(problems.join('\n'));
  return (path) => {
    const text = texts.get(path);
    if (text === undefined) throw new Error('not a trace of this run');
    return { text, source: path, path: join(dir, decoded.records[path]!.file) };
  };
}

/** The trace paths a manifest's links name, each once; a malformed `links` is left to the config's validation. */
function linkPaths(links: unknown): string[] {
  if (typeof links !== 'object' || links === null) return [];
  const paths = Object.values(links).flatMap((l) => [(l as { up?: unknown } | null)?.up, (l as { down?: unknown } | null)?.down]);
  return [...new Set(paths.filter((p): p is string => typeof p === 'string'))];
}

/**
 * The user's module the run was started with (docs/strategies.md): loaded from the path
 * the manifest records, and refused when its content is not the content the run began
 * with, since the finished turns were decided by that code.
 */
async function recordedModule(value: unknown, system: SystemModel, file: string, runId: string): Promise<StrategyChoice> {
  const m = value as Partial<StrategyModuleFacts> | null;
  if (typeof m !== 'object' || m === null || typeof m.path !== 'string' || typeof m.sha256 !== 'string' || typeof m.params !== 'object' || m.params === null) {
    throw new UsageError(`${file}: strategyModule is not { name, path, sha256, params }`);
  }
  const now = currentHash(m.path);
  if (now === undefined) throw new UsageError(`strategy module ${m.path}: no such file; run ${runId} was started with it (sha256 ${m.sha256.slice(0, 12)}…)`);
  if (now !== m.sha256) {
    throw new UsageError(`strategy module ${m.path}: changed since run ${runId} started (sha256 ${m.sha256.slice(0, 12)}… then, ${now.slice(0, 12)}… now); resume needs the module that decided its finished turns: restore it, or start a new run`);
  }
  await loadModulesInto(system, [{ name: m.path, params: {}, module: m.path }]);
  return { name: m.path, params: { ...(m.params as Record<string, unknown>) }, module: m.path };
}

/** The manifest's `placement`, checked: every device of the config on a host with an agent's name (or `local`). */
function recordedPlacement(value: unknown, system: SystemModel, file: string): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  const bad = (why: string) => new UsageError(`${file}: placement ${why}`);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad('is not an object of device → host');
  const placement = value as Record<string, unknown>;
  for (const d of system.config.devices) {
    const host = placement[d.id];
    if (typeof host !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(host)) throw bad(`names no valid host for device ${d.id}`);
  }
  return Object.fromEntries(system.config.devices.map((d) => [d.id, placement[d.id] as string]));
}

function readJson(path: string): unknown {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    throw new UsageError(`${path}: not valid JSON`);
  }
}
