import { z } from 'zod';
import type { Device } from '../system.js';
import { STRATEGIES } from './registry.js';
import { StrategyError, type Decision, type ModuleSource, type Policy, type RoundFigures, type StrategyDefinition, type StrategyEnv, type TurnContext } from './strategy.js';

/**
 * A user's module made into a StrategyDefinition (docs/strategies.md): the same contract
 * the built-ins have. The emulator imports the file (emulator/experiment/strategy-module.ts);
 * this checks the shape of what it exported, already loaded, so src/ stays pure.
 *
 * The module sees plain, frozen copies (the env, each device, the feasible cuts), so it
 * cannot change the system the planner works on; `predict` is the cost model's.
 */
export function moduleDefinition(exported: unknown, source: ModuleSource): StrategyDefinition {
  const where = `strategy module ${source.path}`;
  if (typeof exported !== 'object' || exported === null) {
    throw new StrategyError(`${where}: its default export must be an object { name, params?, create(params, env) }, not ${describe(exported)}`);
  }
  const m = exported as { name?: unknown; params?: unknown; create?: unknown; summary?: unknown };
  if (typeof m.name !== 'string' || !/^[A-Za-z][A-Za-z0-9_-]{0,63}$/.test(m.name)) {
    throw new StrategyError(`${where}: "name" must be a string of letters, digits, _ and - starting with a letter (it names the strategy in specs and tables)`);
  }
  if (STRATEGIES[m.name]) throw new StrategyError(`${where}: name "${m.name}" is a built-in strategy's; choose another`);
  if (typeof m.create !== 'function') throw new StrategyError(`${where}: "create" must be a function create(params, env) returning { decide(turn) }`);
  if (m.params !== undefined && (typeof m.params !== 'object' || m.params === null || Array.isArray(m.params))) {
    throw new StrategyError(`${where}: "params" must be an object of defaults, e.g. { step: 1 }`);
  }
  const defaults = (m.params ?? {}) as Record<string, unknown>;
  const create = m.create as (params: Record<string, unknown>, env: unknown) => unknown;
  const name = m.name;
  return {
    name,
    summary: typeof m.summary === 'string' ? m.summary : `a user's module (${source.path})`,
    params: paramsSchema(defaults),
    module: source,
    create(params, env) {
      const made = create.call(exported, { ...(params as Record<string, unknown>) }, userEnv(env));
      if (typeof made !== 'object' || made === null || typeof (made as { decide?: unknown }).decide !== 'function') {
        throw new StrategyError(`create must return an object with decide(turn), not ${describe(made)}`);
      }
      return userPolicy(made as UserPolicy, env);
    },
  };
}

interface UserPolicy {
  decide(turn: unknown): unknown;
  endRound?(round: number, figures: { delay: number; serverEnergy: number }): void;
  state?(): Record<string, number>;
}

/** Parameters the module declares by their defaults: a number stays a number, a key it does not declare is refused. */
function paramsSchema(defaults: Record<string, unknown>): z.ZodType {
  const shape: Record<string, z.ZodType> = {};
  for (const [key, value] of Object.entries(defaults)) {
    const base: z.ZodType = typeof value === 'number' ? z.number() : typeof value === 'boolean' ? z.boolean() : typeof value === 'string' ? z.string() : z.unknown();
    shape[key] = base.default(value);
  }
  return z.strictObject(shape);
}

function userEnv(env: StrategyEnv) {
  const { freqHz, kappa, staticPowerW, flopsPerCycle } = env.server;
  return deepFreeze({
    seed: env.seed,
    rounds: env.rounds,
    mode: env.mode,
    server: { freqHz: { min: freqHz.min, max: freqHz.max }, kappa, staticPowerW, flopsPerCycle },
    devices: [...env.devices],
    feasibleCuts: Object.fromEntries([...env.feasibleCuts].map(([id, cuts]) => [id, [...cuts]])),
  });
}

/** The module's decide on a turn of frozen copies; its endRound as is. */
function userPolicy(made: UserPolicy, env: StrategyEnv): Policy {
  const devices = new Map<string, Readonly<Device>>();
  const cuts = new Map([...env.feasibleCuts].map(([id, c]) => [id, Object.freeze([...c])]));
  const deviceOf = (d: Device) => {
    let copy = devices.get(d.id);
    if (!copy) devices.set(d.id, (copy = Object.freeze({ ...d })));
    return copy;
  };
  return {
    decide: (turn: TurnContext) =>
      made.decide(
        Object.freeze({
          round: turn.round,
          device: deviceOf(turn.device),
          rates: Object.freeze({ upBps: turn.rates.upBps, downBps: turn.rates.downBps }),
          feasibleCuts: cuts.get(turn.device.id) ?? Object.freeze([...turn.feasibleCuts]),
          predict: (cut: number, freqHz: number) => turn.predict(cut, freqHz),
        }),
      ) as Decision,
    ...(typeof made.endRound === 'function' ? { endRound: (round: number, figures: RoundFigures) => made.endRound!(round, { delay: figures.delay, serverEnergy: figures.serverEnergy }) } : {}),
    ...(typeof made.state === 'function' ? { state: () => numbersOf(made.state!()) } : {}),
  };
}

/** What a module's state() reports, kept to finite numbers so plans stay JSON. */
function numbersOf(value: unknown): Record<string, number> {
  if (typeof value !== 'object' || value === null) return {};
  return Object.fromEntries(Object.entries(value).filter(([, v]) => typeof v === 'number' && Number.isFinite(v))) as Record<string, number>;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** A value as a one-line error shows it. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return typeof (value as { then?: unknown }).then === 'function' ? 'a Promise (decide must be synchronous)' : 'an object';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value === 'function') return 'a function';
  return `${typeof value} ${String(value)}`;
}
