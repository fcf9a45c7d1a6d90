import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { firstLine, type StrategyChoice } from '../../src/strategy/registry.js';
import { moduleDefinition } from '../../src/strategy/module.js';
import { StrategyError, type StrategyDefinition } from '../../src/strategy/strategy.js';
import type { SystemModel } from '../../src/system-model.js';
import { UsageError } from '../errors.js';

/**
 * Loads users' strategy modules (docs/strategies.md). Importing a file is not pure, so it
 * happens here; src/ receives the loaded object and checks its shape
 * (src/strategy/module.ts). A module is read once per process and path: its sha256 is
 * the one the manifest records, and the import URL carries it, so a file changed on disk
 * is imported anew rather than served from Node's module cache.
 */
const loaded = new Map<string, Promise<StrategyDefinition>>();

/** Reads, hashes, imports and checks one module; every problem is one line (UsageError, exit 2). */
export function loadStrategyModule(path: string): Promise<StrategyDefinition> {
  const full = resolve(path);
  let pending = loaded.get(full);
  if (!pending) {
    pending = importModule(full);
    loaded.set(full, pending);
  }
  return pending;
}

async function importModule(path: string): Promise<StrategyDefinition> {
  const where = `strategy module ${path}`;
  let content: Buffer;
  try {
    content = readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`${where}: ${code === 'ENOENT' ? 'no such file' : `cannot read (${code ?? (err as Error).message})`}`);
  }
  const sha256 = moduleHash(content);
  let exported: unknown;
  try {
    const mod = (await import(`${pathToFileURL(path).href}?sha256=${sha256}`)) as { default?: unknown };
    exported = mod.default;
  } catch (err) {
    throw new UsageError(`${where}: cannot load: ${firstLine(err)}${locationOf(err, path)}`);
  }
  try {
    return moduleDefinition(exported, { path, sha256 });
  } catch (err) {
    if (err instanceof StrategyError) throw new UsageError(err.message);
    throw err;
  }
}

export function moduleHash(content: Buffer | string): string {
  return createHash('sha256').update(content).digest('hex');
}

/** The sha256 of a module's content as it is on disk now, or undefined when it cannot be read. */
export function currentHash(path: string): string | undefined {
  try {
    return moduleHash(readFileSync(path));
  } catch {
    return undefined;
  }
}

/** A syntax error's line, when V8 names it in the stack (`file:///…/mine.mjs:12`). */
function locationOf(err: unknown, path: string): string {
  const stack = err instanceof Error ? (err.stack ?? '') : '';
  const name = path.split(/[\\/]/).pop() ?? path;
  const m = stack.match(new RegExp(`${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?:\\?[^:\\s]*)?:(\\d+)`));
  return m ? ` (line ${m[1]})` : '';
}

/** Choices with every module path made absolute against `base` (the config's directory, or the working directory). */
export function resolveModulePaths<C extends StrategyChoice>(choices: readonly C[], base: string): C[] {
  return choices.map((c) => (c.module !== undefined ? { ...c, module: resolve(base, c.module) } : c));
}

/** Loads the modules the choices name into the system, so system.strategy() can build them. */
export async function loadModulesInto(system: SystemModel, choices: readonly StrategyChoice[]): Promise<void> {
  for (const c of choices) {
    if (c.module === undefined || system.modules.has(c.module)) continue;
    system.modules.set(c.module, await loadStrategyModule(c.module));
  }
}
