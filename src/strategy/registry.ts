import { formatIssues } from '../issues.js';
import { card } from './card.js';
import { cutOnly } from './cut-only.js';
import { deviceHeavy } from './device-heavy.js';
import { fixed } from './fixed.js';
import { random } from './random.js';
import { serverHeavy } from './server-heavy.js';
import { StrategyError, type Strategy, type StrategyDefinition, type StrategyEnv } from './strategy.js';

/** Every strategy sledge knows; a new one is a file and a line here. */
export const STRATEGIES: Record<string, StrategyDefinition> = {
  card,
  'cut-only': cutOnly,
  fixed,
  random,
  'device-heavy': deviceHeavy,
  'server-heavy': serverHeavy,
};

/** A strategy as named by a config or the command line, parameters not yet checked. */
export interface StrategyChoice {
  name: string;
  params: Record<string, unknown>;
}

/** Checks the parameters against the strategy's schema (defaults filled) and builds it. */
export function createStrategy(choice: StrategyChoice, env: StrategyEnv): Strategy {
  const definition = STRATEGIES[choice.name];
  if (!definition) {
    throw new StrategyError(`unknown strategy "${choice.name}" (known: ${Object.keys(STRATEGIES).join(', ')})`);
  }
  const parsed = definition.params.safeParse(choice.params, { reportInput: true });
  if (!parsed.success) {
    throw new StrategyError(`strategy "${choice.name}": ${formatIssues(parsed.error.issues).join('; ')}`);
  }
  try {
    return definition.create(parsed.data, env);
  } catch (err) {
    if (err instanceof StrategyError) throw new StrategyError(`strategy "${choice.name}": ${err.message}`);
    throw err;
  }
}
