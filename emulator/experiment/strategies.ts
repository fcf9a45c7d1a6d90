import { plan } from '../../src/plan.js';
import type { StrategyChoice } from '../../src/strategy/registry.js';
import { parseStrategyList } from '../../src/strategy/spec.js';
import { DecisionError, StrategyError, type Strategy } from '../../src/strategy/strategy.js';
import type { SystemModel } from '../../src/system-model.js';
import { RunError, UsageError } from '../errors.js';
import { loadModulesInto, resolveModulePaths } from './strategy-module.js';

/**
 * The item that stands for the config's own strategy with the config's parameters. A
 * strategy named on the command line takes its defaults, never the config's (docs/model.md
 * §1.5), so without it a sweep over `strategy.weightDelay` would change nothing.
 */
export const CONFIG_STRATEGY = 'config';

/** `--strategies` parsed once: the choices, where `config` is kept as a marker. */
export function parseStrategies(option: string, text: string): (StrategyChoice | typeof CONFIG_STRATEGY)[] {
  try {
    // a module's path on the command line is relative to the working directory
    return resolveModulePaths(parseStrategyList(text), process.cwd()).map((c) => {
      if (c.name !== CONFIG_STRATEGY) return c;
      if (Object.keys(c.params).length) throw new StrategyError(`"${CONFIG_STRATEGY}" takes no parameters: it is the config's strategy as written`);
      return CONFIG_STRATEGY;
    });
  } catch (err) {
    if (err instanceof StrategyError) throw new UsageError(`${option}: ${err.message}`);
    throw err;
  }
}

/** Loads the modules, then builds every strategy for this system before anything runs; a problem is bad input. */
export async function buildStrategies(option: string, choices: readonly (StrategyChoice | typeof CONFIG_STRATEGY)[], system: SystemModel): Promise<Strategy[]> {
  const resolved = choices.map((c) => (c === CONFIG_STRATEGY ? system.config.strategy : c));
  await loadModulesInto(system, resolved);
  try {
    return resolved.map((c) => system.strategy(c));
  } catch (err) {
    if (err instanceof StrategyError) throw new UsageError(`${option}: ${err.message}`);
    throw err;
  }
}

/** The one strategy of `plan`/`run`: the option's, else the config's. */
export async function buildStrategy(option: string, text: string | undefined, system: SystemModel): Promise<Strategy> {
  const choice = text === undefined ? system.config.strategy : parseStrategies(option, text);
  if (Array.isArray(choice) && choice.length !== 1) throw new UsageError(`${option}: "${text}" names ${choice.length} strategies, expected one`);
  const [strategy] = await buildStrategies(option, Array.isArray(choice) ? choice : [choice], system);
  return strategy as Strategy;
}

/**
 * Walks each strategy's plan before an emulation starts, so a module whose decisions
 * break the rules fails the run in one line (exit 1) with nothing launched and nothing
 * written (docs/strategies.md).
 */
export function checkDecisions(system: SystemModel, strategies: readonly Strategy[]): void {
  for (const strategy of strategies) {
    try {
      plan(system, strategy);
    } catch (err) {
      if (err instanceof DecisionError) throw new RunError(err.message);
      throw err;
    }
  }
}

/** The reference of a comparison: the first CARD-family strategy, else the first. */
export function referenceIndex(specs: readonly string[]): number {
  const i = specs.findIndex((s) => s.startsWith('card'));
  return i >= 0 ? i : 0;
}
