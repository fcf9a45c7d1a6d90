/**
 * Types of a sledge strategy module (docs/strategies.md). A module needs no sledge import:
 * its default export is a plain object. TypeScript users (or JSDoc
 * `@type {import('sledge/strategy').StrategyModule}`) get checking from these types.
 */

/** The edge server's GPU as a strategy sees it. */
export interface ServerInfo {
  readonly freqHz: { readonly min: number; readonly max: number };
  /** Effective switched capacitance: server energy = staticPowerW*C/f + kappa*C*f^2 for C GPU cycles. */
  readonly kappa: number;
  readonly staticPowerW: number;
  readonly flopsPerCycle: number;
}

/** What `create` is told once, before the first round. Frozen. */
export interface StrategyEnv {
  readonly seed: number;
  readonly rounds: number;
  readonly mode: 'sequential' | 'parallel';
  readonly server: ServerInfo;
  /** Device ids in config order: the order of a round's turns. */
  readonly devices: readonly string[];
  /** Feasible cuts of every device (ascending), by device id. */
  readonly feasibleCuts: Readonly<Record<string, readonly number[]>>;
}

/** A mobile device as configured (frozen). */
export interface DeviceInfo {
  readonly id: string;
  readonly freqHz: number;
  readonly flopsPerCycle: number;
  readonly kappa: number;
  readonly memoryBytes: number;
  readonly txPowerDbm: number;
  readonly distanceM?: number;
  readonly bandwidthHz?: number;
}

/** The seven phases of a turn, the server's queueing time (parallel mode; 0 here) and the total, in seconds. */
export interface PhaseDelays {
  adapterDown: number;
  deviceForward: number;
  uplink: number;
  server: number;
  downlink: number;
  deviceBackward: number;
  adapterUp: number;
  serverWait: number;
  total: number;
}

/** The analytic model's prediction of one turn (docs/model.md §1.4). */
export interface TurnPrediction {
  delay: PhaseDelays;
  energy: { server: number; deviceCompute: number; deviceTransmit: number };
}

/** One turn to decide. Frozen. */
export interface Turn {
  readonly round: number;
  readonly device: DeviceInfo;
  /** This round's link rates of this device, bit/s. */
  readonly rates: { readonly upBps: number; readonly downBps: number };
  /** Cuts that fit the device's memory, ascending, never empty. */
  readonly feasibleCuts: readonly number[];
  /** The model's phases and energies of this turn at `cut` and GPU frequency `freqHz` (Hz). */
  predict(cut: number, freqHz: number): TurnPrediction;
}

/** A decision: a cut in `turn.feasibleCuts` and a GPU frequency in `[server.freqHz.min, max]`. Anything else fails the plan or run. */
export interface Decision {
  cut: number;
  freqHz: number;
}

/** A round's planned (predicted) figures: its delay (s) and server energy (J); faulted turns count what they spent. */
export interface RoundFigures {
  delay: number;
  serverEnergy: number;
}

/** One walk through the rounds: keep state in the closure; every plan and run calls `create` anew. */
export interface Policy {
  /** Synchronous; called once per turn, devices in config order, rounds in order. */
  decide(turn: Turn): Decision;
  /** Optional: after each round, before the next round's first decision. */
  endRound?(round: number, figures: RoundFigures): void;
  /** Optional: numbers reported per round in `plan --json` (rounds[]) and the plan table, read before the round is decided. */
  state?(): Record<string, number>;
}

/** The default export of a strategy module. */
export interface StrategyModule<P extends Record<string, number | boolean | string> = Record<string, number | boolean | string>> {
  /** Shown in specs, tables and reports; letters, digits, _ and -, not a built-in's name. */
  name: string;
  /** One line for humans. */
  summary?: string;
  /** Defaults; `--strategy ./mine.mjs:key=value` and the config's keys override them (same type), unknown keys are refused. */
  params?: P;
  create(params: P, env: StrategyEnv): Policy;
}

/** Identity, for type inference without a JSDoc annotation: `export default defineStrategy({ ... })`. */
export declare function defineStrategy<P extends Record<string, number | boolean | string>>(module: StrategyModule<P>): StrategyModule<P>;
