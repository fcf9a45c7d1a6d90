import type { StrategyChoice } from '../../src/strategy/registry.js';
import { parseStrategyList } from '../../src/strategy/spec.js';
import { StrategyError, type Strategy } from '../../src/strategy/strategy.js';
import type { SystemModel } from '../../src/system-model.js';
import { UsageError } from '../errors.js';

/**
 * The item that stands for the config's own strategy with the config's parameters. A
 * strategy named on the command line takes its defaults, never the config's (docs/model.md
 * §1.5), so without it a sweep over `strategy.weightDelay` would change nothing.
 */
export const CONFIG_STRATEGY = 'config';

/** `--strategies` parsed once: the choices, where `config` is kept as a marker. */
export function parseStrategies(option: string, text: string): (StrategyChoice | typeof CONFIG_STRATEGY)[] {
  try {
    return parseStrategyList(text).map((c) => {
      if (c.name !== CONFIG_STRATEGY) return c;
      if (Object.keys(c.params).length) throw new StrategyError(`"${CONFIG_STRATEGY}" takes no parameters: it is the config's strategy as written`);
      return CONFIG_STRATEGY;
    });
  } catch (err) {
    if (err instanceof StrategyError) throw new UsageError(`${option}: ${err.message}`);
    throw err;
  }
}

/** Builds every strategy for this system before anything runs; a problem is bad input. */
export function buildStrategies(option: string, choices: readonly (StrategyChoice | typeof CONFIG_STRATEGY)[], system: SystemModel): Strategy[] {
  try {
    return choices.map((c) => system.strategy(c === CONFIG_STRATEGY ? system.config.strategy : c));
  } catch (err) {
    if (err instanceof StrategyError) throw new UsageError(`${option}: ${err.message}`);
    throw err;
  }
}

/** The reference of a comparison: the first CARD-family strategy, else the first. */
export function referenceIndex(specs: readonly string[]): number {
  const i = specs.findIndex((s) => s.startsWith('card'));
  return i >= 0 ? i : 0;
}
