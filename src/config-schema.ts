import { z } from 'zod';

/** Section schemas of the experiment config (docs/config.md): strict, ranges checked. */
const positive = () => z.number().gt(0);
const posInt = () => z.number().int().min(1);

export const modelSchema = z.strictObject({
  preset: z.string().optional(),
  layers: z.number().int().min(2).optional(),
  hidden: posInt().optional(),
  ffn: posInt().optional(),
  heads: posInt().optional(),
  kvHeads: posInt().optional(),
  vocab: posInt().optional(),
  mlp: z.enum(['gated', 'plain']).optional(),
});

export const trainingSchema = z.strictObject({
  seqLen: posInt(),
  batch: posInt(),
  iterations: posInt().default(1),
  backwardFactor: positive().default(2),
  bytesPerActivation: positive().default(2),
  bytesPerWeight: positive().default(2),
  activationFactor: z.number().min(0).default(16),
  lora: z
    .strictObject({
      rank: posInt().default(8),
      matricesPerLayer: posInt().default(2),
      bytesPerParam: positive().default(2),
    })
    .default({ rank: 8, matricesPerLayer: 2, bytesPerParam: 2 }),
  cutRange: z.tuple([posInt(), posInt()]).optional(),
});

export const serverSchema = z.strictObject({
  freqHz: z.strictObject({ min: positive(), max: positive() }),
  flopsPerCycle: positive(),
  kappa: positive(),
  staticPowerW: z.number().min(0).default(0),
  txPowerDbm: z.number().optional(),
});

/** Every device field but the id, so the generated form can reuse the rules. */
export const deviceFields = {
  freqHz: positive(),
  flopsPerCycle: positive(),
  kappa: z.number().min(0),
  memoryBytes: positive(),
  txPowerDbm: z.number(),
  distanceM: positive().optional(),
  bandwidthHz: positive().optional(),
};
export type DeviceField = keyof typeof deviceFields;

export const deviceSchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and - (it becomes a NATS subject token)'),
  ...deviceFields,
  /** The host it runs on with `sledge run --agents`: an agent's name, or "local" (the launcher's). */
  agent: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'an agent name: letters, digits, _ and -').optional(),
});

const impairments = {
  delayMs: z.number().min(0).default(0),
  jitterMs: z.number().min(0).default(0),
  lossPct: z.number().min(0).lt(100).default(0),
};

export const shannonSchema = z.strictObject({
  model: z.literal('shannon'),
  fading: z.enum(['none', 'rayleigh']).default('rayleigh'),
  noiseDbmPerHz: z.number(),
  refLossDb: z.number(),
  pathLossExponent: positive(),
  ...impairments,
});

const seriesSchema = z.strictObject({
  upBps: z.array(positive()).min(1),
  downBps: z.array(positive()).min(1),
});

export const traceSchema = z.strictObject({
  model: z.literal('trace'),
  trace: z.union([z.string().min(1), z.record(z.string(), seriesSchema)]),
  ...impairments,
});

const linkSchema = z.strictObject({
  up: z.string().min(1).describe('path of the uplink trace, relative to the config file'),
  down: z.string().min(1).describe('path of the downlink trace, relative to the config file'),
  offsetS: z.number().min(0).default(0).describe('seconds into the traces at run time 0'),
  staggerS: z.number().min(0).default(0).describe('"default" only: device k (0-based place in the device list) starts k*staggerS later in the traces'),
});

/** A link that follows a capacity trace in time within turns (docs/linktrace.md). */
export const linktraceSchema = z.strictObject({
  model: z.literal('linktrace'),
  format: z.enum(['mahimahi', 'rates']).default('mahimahi').describe('trace file format: Mahimahi delivery opportunities, or a seconds,bps CSV'),
  estimator: z
    .discriminatedUnion('kind', [
      z.strictObject({ kind: z.literal('window'), seconds: positive().default(1) }),
      z.strictObject({ kind: z.literal('mean') }),
    ])
    .default({ kind: 'window', seconds: 1 })
    .describe('the rate a strategy sees at a turn\'s start: the past window\'s capacity, or the trace\'s long-run mean'),
  links: z.record(z.string(), linkSchema).describe('per device id, or "default" for every device not listed'),
  ...impairments,
});

/**
 * `timeScale: "auto"` is chosen at run start from the plan and the calibrated floor
 * (src/time-scale.ts), together with payloadScale: the config's payloadScale is then the
 * preferred one, raised or lowered so that every transfer stays enough frames long and every
 * wall rate stays where htb and the bus are exact (docs/fidelity.md); the monitor may slow
 * the scale while the run runs. `fidelity` is the target |measured/predicted − 1| of every
 * phase's median, and `wallBudgetS` bounds the wall seconds of the turns, so only "auto"
 * takes it (a budget too small is used at its slowest scale, never refused).
 */
export const emulationSchema = z
  .strictObject({
    timeScale: z.union([positive(), z.literal('auto')]).default(1),
    fidelity: positive().lt(1).default(0.02),
    wallBudgetS: positive().optional(),
    payloadScale: positive().max(1).default(1),
    network: z.enum(['auto', 'tc', 'userspace']).default('auto'),
    workload: z.enum(['sleep', 'spin']).default('sleep'),
    controlTimeoutS: positive().default(30),
    /** How long NATS or Redis may stay unreachable before the run fails (docs/architecture.md §9); it can then be resumed. */
    busDownS: positive().default(60),
  })
  .refine((e) => e.wallBudgetS === undefined || e.timeScale === 'auto', { path: ['wallBudgetS'], message: 'applies only to timeScale "auto"' })
  .default({ timeScale: 1, fidelity: 0.02, payloadScale: 1, network: 'auto', workload: 'sleep', controlTimeoutS: 30, busDownS: 60 });

export const topSchema = z.strictObject({
  name: z.string().min(1).default('sledge'),
  seed: z.number().int().min(0).max(2 ** 32 - 1).default(1),
  rounds: z.number().int().min(1).max(1_000_000),
  mode: z.enum(['sequential', 'parallel']).default('sequential'),
  model: z.unknown().optional(),
  training: z.unknown().optional(),
  server: z.unknown().optional(),
  devices: z.unknown().optional(),
  channel: z.unknown().optional(),
  /** A built-in by `name`, or a user's module by `module` (a path relative to the config), with its parameters beside (docs/strategies.md). */
  strategy: z
    .looseObject({ name: z.string().optional(), module: z.string().min(1).optional() })
    .refine((s) => (s.name === undefined) !== (s.module === undefined), { message: 'give either "name" (a built-in strategy) or "module" (the path of your own), not both' })
    .default({ name: 'card' }),
  emulation: z.unknown().optional(),
  faults: z.unknown().optional(),
});
