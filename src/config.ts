import { z } from 'zod';
import type { Trace } from './channel.js';
import { parseTraceCsv } from './channel.js';
import {
  deviceSchema,
  emulationSchema,
  linktraceSchema,
  modelSchema,
  serverSchema,
  shannonSchema,
  topSchema,
  traceSchema,
  trainingSchema,
} from './config-schema.js';
import { generateDevices, generatedDevicesSchema } from './devices.js';
import { resolveFaults, type Fault } from './faults.js';
import { formatIssues, formatPath, type Check } from './issues.js';
import type { LinkTrace } from './linktrace.js';
import { parseLinkTrace } from './linktrace-parse.js';
import { PRESET_NAMES, PRESETS, type ModelProfile, type PresetName } from './model.js';
import { SplitModel, type Training } from './split.js';
import { STRATEGIES, createStrategy, type StrategyChoice } from './strategy/registry.js';
import type { Mode } from './summary.js';
import type { Device, Server } from './system.js';
import { strategyEnv } from './strategy/strategy.js';

export type ShannonConfig = z.output<typeof shannonSchema>;
export type TraceConfig = Omit<z.output<typeof traceSchema>, 'trace'> & { trace: Trace; traceSource?: string };
/**
 * A trace-following channel with its trace files read and parsed, by the path the config
 * gives. `files` keeps each file's text as it was parsed: a run keeps a copy of exactly
 * those bytes in its directory, so that `sledge resume` plans on them again
 * (docs/linktrace.md, "Resume").
 */
export type LinktraceConfig = z.output<typeof linktraceSchema> & { traces: Map<string, LinkTrace>; files: Map<string, TraceText> };
export type ChannelConfig = ShannonConfig | TraceConfig | LinktraceConfig;
export type EmulationConfig = z.output<typeof emulationSchema>;

/** An experiment with every default filled in and every cross-check passed. */
export interface Config {
  name: string;
  seed: number;
  rounds: number;
  mode: Mode;
  model: ModelProfile & { preset?: PresetName };
  training: Training;
  server: Server;
  devices: Device[];
  channel: ChannelConfig;
  strategy: StrategyChoice;
  emulation: EmulationConfig;
  /** Scheduled faults (docs/model.md §1.7), checked against the devices and rounds; [] when none. */
  faults: Fault[];
}

/** A trace file as a TraceReader gives it: its text, the name errors use, and where it was found when it is a file. */
export interface TraceText {
  text: string;
  source: string;
  /** The file it was read from (resolved), for the manifest's reader; absent when not a file. */
  path?: string;
}

/** Reads a trace CSV named by the config (the caller does the I/O; src/ stays pure). */
export type TraceReader = (path: string) => TraceText;

export type ConfigResult = { ok: true; config: Config } | { ok: false; errors: string[] };

const MODEL_KEYS = ['layers', 'hidden', 'ffn', 'heads', 'kvHeads', 'vocab', 'mlp'] as const;
const REQUIRED = ['model', 'training', 'server', 'devices', 'channel'] as const;

/**
 * Validates a raw config and resolves it. Every problem is collected with its JSON path
 * (`devices[1].bandwidthHz: must be > 0`), so a user fixes a config in one pass.
 */
export function parseConfig(raw: unknown, readTrace?: TraceReader): ConfigResult {
  const errors: string[] = [];
  const check = <S extends z.ZodType>(schema: S, value: unknown, path: PropertyKey[]): z.output<S> | undefined => {
    const r = schema.safeParse(value, { reportInput: true });
    if (r.success) return r.data;
    errors.push(...formatIssues(r.error.issues, path));
    return undefined;
  };

  // a top-level problem must not hide the sections' problems: fall back and go on checking
  const checkedTop = check(topSchema, raw, []);
  const top = checkedTop ?? fallbackTop(raw);
  if (!top) return { ok: false, errors };
  for (const key of REQUIRED) if (top[key] === undefined) errors.push(`${key}: is required`);

  const model = top.model === undefined ? undefined : resolveModel(check(modelSchema, top.model, ['model']), errors);
  const trainingIn = top.training === undefined ? undefined : check(trainingSchema, top.training, ['training']);
  const server = top.server === undefined ? undefined : check(serverSchema, top.server, ['server']);
  const emulation = check(emulationSchema, top.emulation, ['emulation']);
  const devices = top.devices === undefined ? undefined : resolveDevices(top.devices, top.seed, check, errors);
  const channel = top.channel === undefined ? undefined : resolveChannel(top.channel, check, errors, readTrace);

  if (server && server.freqHz.min > server.freqHz.max) errors.push('server.freqHz: min must be <= max');

  let training: Training | undefined;
  if (model && trainingIn) {
    const [lo, hi] = trainingIn.cutRange ?? [1, model.layers - 1];
    if (lo > hi || hi > model.layers - 1) {
      errors.push(`training.cutRange: must be [lo, hi] with 1 <= lo <= hi <= ${model.layers - 1} (the model has ${model.layers} blocks)`);
    } else {
      training = { ...trainingIn, cutRange: [lo, hi] };
    }
  }

  if (devices && channel) checkChannelNeeds(devices, channel, server, errors);

  const strategy = resolveStrategyChoice(top.strategy, check, errors);
  const ids = devices?.map((d) => d.id);
  const faults = resolveFaults(top.faults, ids, checkedTop?.rounds, check, errors);

  let split: SplitModel | undefined;
  const feasibleCuts = new Map<string, number[]>();
  if (model && training && devices) {
    split = new SplitModel(model, training);
    devices.forEach((d, i) => {
      const cuts = split!.feasibleCuts(d.memoryBytes);
      if (cuts.length === 0) {
        const need = split!.deviceMemoryBytes(training!.cutRange[0]);
        errors.push(
          `devices[${i}].memoryBytes: device "${d.id}" with ${fmt(d.memoryBytes)} B holds no cut in [${training!.cutRange.join(', ')}] (cut ${training!.cutRange[0]} needs ${fmt(need)} B)`,
        );
      }
      feasibleCuts.set(d.id, cuts);
    });
  }

  // a module is checked once the emulator has loaded it (emulator/experiment/strategy-module.ts)
  if (errors.length === 0 && server && devices && strategy && strategy.module === undefined) {
    try {
      createStrategy(strategy, strategyEnv({ seed: top.seed, server, devices, rounds: top.rounds, mode: top.mode }, feasibleCuts));
    } catch (err) {
      errors.push(`strategy: ${(err as Error).message.replace(/^strategy "[^"]*": /, '')}`);
    }
  }

  if (errors.length || !model || !training || !server || !devices || !channel || !emulation || !strategy || !faults) {
    return { ok: false, errors: errors.length ? errors : ['config: incomplete'] };
  }
  return {
    ok: true,
    config: { name: top.name, seed: top.seed, rounds: top.rounds, mode: top.mode, model, training, server, devices, channel, strategy, emulation, faults },
  };
}

/** The top level with its scalar fields defaulted, for checking the sections of a config whose top level failed. */
function fallbackTop(raw: unknown): z.output<typeof topSchema> | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const r = raw as Record<string, unknown>;
  const seed = topSchema.shape.seed.safeParse(r.seed);
  const mode = topSchema.shape.mode.safeParse(r.mode);
  const strategy = topSchema.shape.strategy.safeParse(r.strategy);
  return {
    ...r,
    name: 'sledge',
    seed: seed.success ? seed.data : 1,
    rounds: 1,
    mode: mode.success ? mode.data : 'sequential',
    strategy: strategy.success ? strategy.data : { name: 'card' },
  } as z.output<typeof topSchema>;
}

function resolveModel(m: z.output<typeof modelSchema> | undefined, errors: string[]): Config['model'] | undefined {
  if (!m) return undefined;
  const explicit = MODEL_KEYS.filter((k) => m[k] !== undefined);
  if (m.preset !== undefined) {
    if (explicit.length) {
      errors.push(`model: give either "preset" or an explicit architecture, not both (${explicit.join(', ')})`);
      return undefined;
    }
    if (!(PRESET_NAMES as string[]).includes(m.preset)) {
      errors.push(`model.preset: must be one of ${PRESET_NAMES.map((p) => JSON.stringify(p)).join(', ')}`);
      return undefined;
    }
    const preset = m.preset as PresetName;
    return { ...PRESETS[preset], preset };
  }
  const missing = MODEL_KEYS.filter((k) => m[k] === undefined);
  if (missing.length === MODEL_KEYS.length) {
    errors.push(`model: give "preset" (${PRESET_NAMES.join(', ')}) or ${MODEL_KEYS.join(', ')}`);
    return undefined;
  }
  for (const k of missing) errors.push(`model.${k}: is required for an explicit architecture`);
  if (missing.length) return undefined;
  const profile = m as ModelProfile;
  if (profile.heads % profile.kvHeads !== 0) {
    errors.push('model.kvHeads: must divide heads');
    return undefined;
  }
  return profile;
}

function resolveDevices(raw: unknown, seed: number, check: Check, errors: string[]): Device[] | undefined {
  if (!Array.isArray(raw)) {
    const spec = check(generatedDevicesSchema, raw, ['devices']);
    return spec ? generateDevices(spec, seed) : undefined;
  }
  if (raw.length === 0) {
    errors.push('devices: must have at least 1 item');
    return undefined;
  }
  const devices = raw.map((d, i) => check(deviceSchema, d, ['devices', i]));
  const seen = new Map<string, number>();
  devices.forEach((d, i) => {
    if (!d) return;
    const first = seen.get(d.id);
    if (first !== undefined) errors.push(`devices[${i}].id: "${d.id}" is already the id of devices[${first}]`);
    else seen.set(d.id, i);
  });
  return devices.every((d) => d !== undefined) ? (devices as Device[]) : undefined;
}

function resolveChannel(raw: unknown, check: Check, errors: string[], readTrace?: TraceReader): ChannelConfig | undefined {
  const kind = (raw as { model?: unknown } | null)?.model;
  if (kind === 'shannon') return check(shannonSchema, raw, ['channel']);
  if (kind === 'linktrace') return resolveLinktrace(raw, check, errors, readTrace);
  if (kind !== 'trace') {
    errors.push('channel.model: must be one of "shannon", "trace", "linktrace"');
    return undefined;
  }
  const c = check(traceSchema, raw, ['channel']);
  if (!c) return undefined;
  if (typeof c.trace !== 'string') return { ...c, trace: c.trace };
  if (!readTrace) {
    errors.push(`channel.trace: the CSV file "${c.trace}" cannot be read here`);
    return undefined;
  }
  let file: TraceText;
  try {
    file = readTrace(c.trace);
  } catch (err) {
    errors.push(`channel.trace: cannot read "${c.trace}": ${(err as Error).message}`);
    return undefined;
  }
  const parsed = parseTraceCsv(file.text, file.source);
  if ('errors' in parsed) {
    errors.push(...parsed.errors.map((e) => `channel.trace: ${e}`));
    return undefined;
  }
  return { ...c, trace: parsed.trace, traceSource: c.trace };
}

/** Reads and parses every trace file a linktrace channel names, each once; errors name the file and line. */
function resolveLinktrace(raw: unknown, check: Check, errors: string[], readTrace?: TraceReader): LinktraceConfig | undefined {
  const c = check(linktraceSchema, raw, ['channel']);
  if (!c) return undefined;
  const before = errors.length;
  const traces = new Map<string, LinkTrace>();
  const files = new Map<string, TraceText>();
  for (const [id, link] of Object.entries(c.links)) {
    if (id !== 'default' && link.staggerS !== 0) errors.push(`${formatPath(['channel', 'links', id, 'staggerS'])}: only "default" staggers (a listed device has its own offsetS)`);
    for (const dir of ['up', 'down'] as const) {
      const path = link[dir];
      if (traces.has(path)) continue;
      const where = formatPath(['channel', 'links', id, dir]);
      if (!readTrace) {
        errors.push(`${where}: the trace file "${path}" cannot be read here`);
        continue;
      }
      let file: TraceText;
      try {
        file = readTrace(path);
      } catch (err) {
        errors.push(`${where}: cannot read "${path}": ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
        continue;
      }
      const parsed = parseLinkTrace(file.text, c.format, file.source);
      if ('error' in parsed) errors.push(`${where}: ${parsed.error}`);
      else {
        traces.set(path, parsed.trace);
        files.set(path, file);
      }
    }
  }
  return errors.length === before ? { ...c, traces, files } : undefined;
}

function checkChannelNeeds(devices: Device[], channel: ChannelConfig, server: Server | undefined, errors: string[]): void {
  if (channel.model === 'linktrace') {
    if (channel.links.default) return;
    devices.forEach((d, i) => {
      if (!channel.links[d.id]) errors.push(`channel.links: no link for device "${d.id}" (devices[${i}]) and no "default"`);
    });
    return;
  }
  if (channel.model === 'trace') {
    devices.forEach((d, i) => {
      if (!channel.trace[d.id]) errors.push(`channel.trace: no series for device "${d.id}" (devices[${i}])`);
    });
    return;
  }
  devices.forEach((d, i) => {
    for (const key of ['bandwidthHz', 'distanceM'] as const) {
      if (d[key] === undefined) errors.push(`${formatPath(['devices', i, key])}: is required by the shannon channel`);
    }
  });
  if (server && server.txPowerDbm === undefined) errors.push('server.txPowerDbm: is required by the shannon channel (downlink)');
}

function resolveStrategyChoice(raw: { name?: string | undefined; module?: string | undefined } & Record<string, unknown>, check: Check, errors: string[]): StrategyChoice | undefined {
  const { name: named, module, ...params } = raw;
  if (module !== undefined) return { name: module, params, module };
  const name = named ?? 'card';
  const definition = STRATEGIES[name];
  if (!definition) {
    errors.push(`strategy.name: must be one of ${Object.keys(STRATEGIES).map((s) => JSON.stringify(s)).join(', ')}`);
    return undefined;
  }
  return check(definition.params, params, ['strategy']) === undefined ? undefined : { name, params };
}

function fmt(x: number): string {
  return x.toPrecision(3);
}
