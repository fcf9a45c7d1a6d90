import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseConfig, type Config } from '../../src/config.js';
import { UsageError } from '../errors.js';
import { describeAssignment, setAt, type Assignment, type Axis } from './overrides.js';

/** One point of a sweep: its assignment of every axis and the config it makes. */
export interface GridPoint {
  assignment: Assignment;
  config: Config;
}

/**
 * Every point of the grid (cartesian product, the first axis varying slowest), each
 * validated before anything runs: first every value alone, so an error names the one
 * `--set` at fault, then the combinations, which can fail together (a device count and
 * a cut range, say).
 */
export function buildGrid(configPath: string, raw: unknown, axes: readonly Axis[]): GridPoint[] {
  const seen = new Set<string>();
  for (const axis of axes) {
    if (seen.has(axis.path)) throw new UsageError(`--set ${axis.path}: given twice`);
    seen.add(axis.path);
    for (const value of axis.values) configAt(configPath, raw, [{ path: axis.path, segments: axis.segments, value }]);
  }
  return cartesian(axes).map((assignment) => ({ assignment, config: configAt(configPath, raw, assignment) }));
}

export function cartesian(axes: readonly Axis[]): Assignment[] {
  let points: Assignment[] = [[]];
  for (const axis of axes) {
    points = points.flatMap((p) => axis.values.map((value) => [...p, { path: axis.path, segments: axis.segments, value }]));
  }
  return points;
}

/** The config with the assignment applied, validated as strictly as a file is. */
function configAt(configPath: string, raw: unknown, assignment: Assignment): Config {
  const where = `--set ${describeAssignment(assignment)}`;
  let changed = raw;
  for (const a of assignment) {
    try {
      changed = setAt(changed, a.segments, a.value);
    } catch (err) {
      throw new UsageError(`${where}: ${(err as Error).message}`);
    }
  }
  // Trace CSVs are named relative to the config file, as loadConfig reads them.
  const base = dirname(resolve(configPath));
  const result = parseConfig(changed, (tracePath) => ({ text: readFileSync(resolve(base, tracePath), 'utf8'), source: tracePath, path: resolve(base, tracePath) }));
  if (!result.ok) throw new UsageError(`${where}: ${configPath}: ${result.errors.join('; ')}`);
  return result.config;
}
