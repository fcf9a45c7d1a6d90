import type { z } from 'zod';
import type { TurnCostModel } from '../cost.js';
import type { Device, Rates, Server } from '../system.js';

/** What a strategy decides for one turn: the cut layer and the server's GPU frequency. */
export interface Decision {
  cut: number;
  freqHz: number;
}

/** Everything a strategy may look at when it decides a turn. */
export interface TurnContext {
  round: number;
  device: Device;
  rates: Rates;
  /** Cuts that fit the device's memory, ascending, never empty. */
  feasibleCuts: readonly number[];
  cost: TurnCostModel;
  server: Server;
}

export interface Strategy {
  /** The canonical spec with every parameter resolved, e.g. `card:weightDelay=0.5,energyScale=1`. */
  readonly spec: string;
  decide(turn: TurnContext): Decision;
}

/** What a strategy may check once, before anything runs. */
export interface StrategyEnv {
  seed: number;
  server: Server;
  /** Feasible cuts of every device, by device id. */
  feasibleCuts: ReadonlyMap<string, readonly number[]>;
}

/**
 * One entry of the registry: a name, its parameters' schema (strict, with defaults) and
 * a factory. `create` throws StrategyError when the parameters cannot work for this
 * system (a fixed cut some device cannot hold, say).
 */
export interface StrategyDefinition<S extends z.ZodType = z.ZodType> {
  name: string;
  summary: string;
  params: S;
  create(params: z.output<S>, env: StrategyEnv): Strategy;
}

export class StrategyError extends Error {
  override name = 'StrategyError';
}

/** `name:key=value,...` with the parameters in the schema's order; a name alone when none. */
export function formatSpec(name: string, params: Record<string, unknown>): string {
  const pairs = Object.entries(params)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${v}`);
  return pairs.length ? `${name}:${pairs.join(',')}` : name;
}
