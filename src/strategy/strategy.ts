import type { z } from 'zod';
import type { TurnCost, TurnCostModel } from '../cost.js';
import type { Mode } from '../summary.js';
import type { Device, Rates, Server } from '../system.js';

/** What a strategy decides for one turn: the cut layer and the server's GPU frequency. */
export interface Decision {
  cut: number;
  freqHz: number;
}

/**
 * Everything a strategy may look at when it decides a turn (docs/strategies.md). Built-in
 * strategies and a user's module get the same turn; `cost` and `server` are the fast path
 * the built-ins search with, `predict` the same figures as plain objects.
 */
export interface TurnContext {
  round: number;
  device: Device;
  rates: Rates;
  /** Cuts that fit the device's memory, ascending, never empty. */
  feasibleCuts: readonly number[];
  cost: TurnCostModel;
  server: Server;
  /** The analytic model's phases and energies of this turn at cut `cut` and frequency `freqHz` (docs/model.md §1.4). */
  predict(cut: number, freqHz: number): TurnCost;
}

/** A round's planned (predicted) figures, as `endRound` sees them: faulted turns count what they spent. */
export interface RoundFigures {
  delay: number;
  serverEnergy: number;
}

/**
 * One walk through the rounds: a strategy's state lives here, so every plan (and the
 * emulator's coordinator) starts from round 1 with a fresh policy.
 */
export interface Policy {
  decide(turn: TurnContext): Decision;
  /** Called after each round, before the next round's first decision, with its planned figures. */
  endRound?(round: number, figures: RoundFigures): void;
  /** Figures the plan reports for the round about to be decided (lyapunov: `Q`), read before its first decision. */
  state?(): Record<string, number>;
}

/** Where a user's module came from: its absolute path and the sha256 of its content (the manifest records both). */
export interface ModuleSource {
  path: string;
  sha256: string;
}

/** A strategy with its parameters resolved, ready to plan with. */
export interface Strategy {
  /** The canonical spec with every parameter resolved, e.g. `card:weightDelay=0.5,energyScale=1`. */
  readonly spec: string;
  readonly name: string;
  readonly params: Readonly<Record<string, unknown>>;
  /** Present for a user's module. */
  readonly module?: ModuleSource;
  /** A fresh policy for one walk through the rounds. */
  start(): Policy;
}

/** What a strategy is told of the system before the first round (docs/strategies.md). */
export function strategyEnv(
  system: { seed: number; server: Server; devices: readonly { id: string }[]; rounds: number; mode: Mode },
  feasibleCuts: ReadonlyMap<string, readonly number[]>,
): StrategyEnv {
  return { seed: system.seed, server: system.server, feasibleCuts, devices: system.devices.map((d) => d.id), rounds: system.rounds, mode: system.mode };
}

/** What a strategy may check once, before anything runs. */
export interface StrategyEnv {
  seed: number;
  server: Server;
  /** Feasible cuts of every device, by device id. */
  feasibleCuts: ReadonlyMap<string, readonly number[]>;
  /** Device ids in config order (the order of the turns of a round). */
  devices: readonly string[];
  rounds: number;
  mode: Mode;
}

/**
 * One strategy, built in or a user's module (docs/strategies.md): a name, its parameters'
 * schema (strict, with defaults) and a factory of policies. `create` throws
 * StrategyError when the parameters cannot work for this system (a fixed cut some device
 * cannot hold, say).
 */
export interface StrategyDefinition<S extends z.ZodType = z.ZodType> {
  name: string;
  summary: string;
  params: S;
  create(params: z.output<S>, env: StrategyEnv): Policy;
  /** Present for a user's module. */
  module?: ModuleSource;
}

export class StrategyError extends Error {
  override name = 'StrategyError';
}

/**
 * A decision that breaks the rules (docs/model.md §1.5): an infeasible cut, a frequency
 * outside the GPU's range, a throw, a non-object. One line naming the strategy, the
 * round, the device and what was wrong.
 */
export class DecisionError extends StrategyError {
  override name = 'DecisionError';
  constructor(
    readonly strategy: string,
    readonly round: number,
    /** Absent when the problem is the round's (endRound), not a turn's. */
    readonly device: string | undefined,
    readonly problem: string,
  ) {
    super(`strategy ${strategy}, round ${round}${device === undefined ? '' : `, device ${device}`}: ${problem}`);
  }
}

/** How errors name a strategy: its spec, and a module's path too. */
export function strategyLabel(s: Pick<Strategy, 'spec' | 'name' | 'module'>): string {
  return s.module ? `${s.name} (${s.module.path})` : s.spec;
}

/** `name:key=value,...` with the parameters in the schema's order; a name alone when none. */
export function formatSpec(name: string, params: Record<string, unknown>): string {
  const pairs = Object.entries(params)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${v}`);
  return pairs.length ? `${name}:${pairs.join(',')}` : name;
}
