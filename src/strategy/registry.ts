import { formatIssues } from '../issues.js';
import { card } from './card.js';
import { cutOnly } from './cut-only.js';
import { deviceHeavy } from './device-heavy.js';
import { fixed } from './fixed.js';
import { lyapunov } from './lyapunov.js';
import { random } from './random.js';
import { serverHeavy } from './server-heavy.js';
import { formatSpec, StrategyError, type Strategy, type StrategyDefinition, type StrategyEnv } from './strategy.js';

/** Every strategy sledge knows; a new one is a file and a line here, or a user's module (docs/strategies.md). */
export const STRATEGIES: Record<string, StrategyDefinition> = {
  card,
  'cut-only': cutOnly,
  fixed,
  random,
  'device-heavy': deviceHeavy,
  'server-heavy': serverHeavy,
  lyapunov,
};

/** A strategy as named by a config or the command line, parameters not yet checked. */
export interface StrategyChoice {
  /** A built-in's name; for a user's module, its path until it is loaded. */
  name: string;
  params: Record<string, unknown>;
  /**
   * A user's module: its path, as written until the emulator resolves it (against the
   * config's directory, or the working directory on the command line) and loads it.
   */
  module?: string;
}

/** A name on the command line that is a module's path, not a built-in's name: it has a slash or a JavaScript extension. */
export function isModulePath(name: string): boolean {
  return /[\\/]/.test(name) || /\.(mjs|cjs|js)$/.test(name);
}

/** Loaded modules by their resolved path: the emulator fills it, src/ only reads it. */
export type LoadedModules = ReadonlyMap<string, StrategyDefinition>;

/** Checks the parameters against the strategy's schema (defaults filled) and builds it. */
export function createStrategy(choice: StrategyChoice, env: StrategyEnv, modules: LoadedModules = new Map()): Strategy {
  const definition = definitionOf(choice, modules);
  const parsed = definition.params.safeParse(choice.params, { reportInput: true });
  if (!parsed.success) {
    throw new StrategyError(`strategy "${definition.name}": ${formatIssues(parsed.error.issues).join('; ')}`);
  }
  const params = parsed.data as Record<string, unknown>;
  const create = () => definition.create(params, env);
  try {
    // once up front: a choice that cannot work for this system fails before anything runs
    create();
  } catch (err) {
    if (err instanceof StrategyError) throw new StrategyError(`strategy "${definition.name}": ${err.message}`);
    if (definition.module) throw new StrategyError(`strategy "${definition.name}" (${definition.module.path}): create threw: ${firstLine(err)}`);
    throw err;
  }
  return {
    spec: formatSpec(definition.name, params),
    name: definition.name,
    params,
    ...(definition.module ? { module: definition.module } : {}),
    start: create,
  };
}

function definitionOf(choice: StrategyChoice, modules: LoadedModules): StrategyDefinition {
  if (choice.module !== undefined) {
    const loaded = modules.get(choice.module);
    if (!loaded) throw new StrategyError(`strategy module ${choice.module}: not loaded`);
    return loaded;
  }
  const definition = STRATEGIES[choice.name];
  if (!definition) {
    throw new StrategyError(`unknown strategy "${choice.name}" (known: ${Object.keys(STRATEGIES).join(', ')}, or a module's path such as ./mine.mjs)`);
  }
  return definition;
}

/** An error's first line, `Name: message` (errors from another realm, e.g. a module's, are objects with a message). */
export function firstLine(err: unknown): string {
  const e = err as { name?: unknown; message?: unknown } | null;
  const isError = typeof e === 'object' && e !== null && typeof e.message === 'string';
  const name = isError && typeof e.name === 'string' && e.name !== 'Error' ? `${e.name}: ` : '';
  const text = isError ? `${name}${e.message as string}` : String(err);
  return text.split('\n')[0] ?? '';
}
