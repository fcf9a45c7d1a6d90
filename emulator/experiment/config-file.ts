import { readFileSync } from 'node:fs';
import { dirname, extname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { parseConfig, type Config } from '../../src/config.js';
import { UsageError } from '../errors.js';

/**
 * Reads a JSON or YAML experiment file and validates it. A trace CSV is resolved
 * relative to the config file. Every problem becomes one line naming the file and the
 * JSON path; together they are one UsageError (exit 2) and nothing else happens.
 */
export function loadConfig(path: string): Config {
  const raw = readConfigFile(path);
  const base = dirname(resolve(path));
  const result = parseConfig(raw, (tracePath) => {
    const full = resolve(base, tracePath);
    return { text: readFileSync(full, 'utf8'), source: tracePath, path: full };
  });
  if (!result.ok) throw new UsageError(result.errors.map((e) => `${path}: ${e}`).join('\n'));
  // a strategy module is named relative to the config, as a trace CSV is (docs/strategies.md)
  const { strategy } = result.config;
  if (strategy.module !== undefined) result.config.strategy = { ...strategy, name: resolve(base, strategy.module), module: resolve(base, strategy.module) };
  return result.config;
}

export function readConfigFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`${path}: cannot read config: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const yaml = ['.yaml', '.yml'].includes(extname(path).toLowerCase());
  try {
    return yaml ? parseYaml(text) : JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${path}: not valid ${yaml ? 'YAML' : 'JSON'}: ${(err as Error).message.split('\n')[0]}`);
  }
}
