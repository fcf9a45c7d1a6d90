import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { newRunId } from '../launcher/run-id.js';
import { UsageError } from '../errors.js';

/**
 * Where an experiment writes: `runs/<kind>-<timestamp>` unless given. A directory that
 * already holds files is refused, so runs of two experiments never mix in one table.
 */
export function experimentDir(kind: 'compare' | 'sweep', out: string | undefined): string {
  const dir = out ?? join('runs', `${kind}-${newRunId()}`);
  if (existsSync(dir) && readdirSync(dir).length > 0) throw new UsageError(`--out ${dir}: exists and is not empty`);
  return dir;
}

/** `01-card`: the run's place in the list (zero-padded so listings sort) and its strategy's name. */
export function runSubdir(index: number, count: number, spec: string): string {
  const name = spec.split(':')[0] ?? spec;
  return `${String(index + 1).padStart(String(count).length, '0')}-${name}`;
}
