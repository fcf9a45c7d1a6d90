import { formatPath } from '../../src/issues.js';
import { UsageError } from '../errors.js';

/**
 * `--set path=v1,v2`: one axis of a sweep. The path is a JSON path into the experiment
 * file as its author wrote it (`rounds`, `devices[0].bandwidthHz`, `strategy.weightDelay`,
 * `devices.count` for a generated list); whether the key exists in the schema is left to
 * the config's own strict validation, which names unknown keys and broken rules.
 */
export type PathSegment = string | number;

export interface Axis {
  /** As the user wrote it; also the sweep.csv column name. */
  path: string;
  segments: PathSegment[];
  values: OverrideValue[];
}

export type OverrideValue = number | boolean | string;

/** One value per axis: a point of the grid. */
export type Assignment = { path: string; segments: PathSegment[]; value: OverrideValue }[];

export function parseAxis(text: string): Axis {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new UsageError(`--set ${text}: expected path=value[,value...]`);
  const path = text.slice(0, eq).trim();
  const list = text.slice(eq + 1);
  const values = list.split(',').map((v) => v.trim());
  if (values.some((v) => v === '')) throw new UsageError(`--set ${text}: an empty value in "${list}"`);
  return { path, segments: parsePath(path, text), values: values.map(parseValue) };
}

/** `devices[0].bandwidthHz` → ['devices', 0, 'bandwidthHz']. */
export function parsePath(path: string, option = path): PathSegment[] {
  const segments: PathSegment[] = [];
  const token = /(?:^|\.)([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]/y;
  let at = 0;
  while (at < path.length) {
    token.lastIndex = at;
    const m = token.exec(path);
    if (!m) {
      throw new UsageError(`--set ${option}: "${path}" is not a JSON path like devices[0].bandwidthHz (at "${path.slice(at)}")`);
    }
    segments.push(m[1] !== undefined ? m[1] : Number(m[2]));
    at = token.lastIndex;
  }
  if (segments.length === 0 || typeof segments[0] === 'number') throw new UsageError(`--set ${option}: the path must start with a key`);
  return segments;
}

/** Numbers when numeric, true/false as booleans, anything else a string (as in strategy specs). */
export function parseValue(text: string): OverrideValue {
  if (Number.isFinite(Number(text))) return Number(text);
  if (text === 'true' || text === 'false') return text === 'true';
  return text;
}

/**
 * A copy of the raw config with `value` at `segments`. Missing objects on the way are
 * created (the schema has defaults for them); a list item that is not there, or a key
 * into a list or a value, is an error here because validation could not say it as clearly.
 */
export function setAt(raw: unknown, segments: readonly PathSegment[], value: OverrideValue): unknown {
  const root = structuredClone(raw) as Record<string, unknown>;
  let node: unknown = root;
  segments.forEach((segment, i) => {
    const here = formatPath(segments.slice(0, i));
    const last = i === segments.length - 1;
    if (typeof segment === 'number') {
      if (!Array.isArray(node)) throw new Error(`${here} is not a list`);
      if (segment >= node.length) throw new Error(`${formatPath(segments.slice(0, i + 1))} does not exist (${here} has ${node.length} items)`);
      if (last) node[segment] = value;
      else node = node[segment];
      return;
    }
    if (Array.isArray(node)) {
      const hint = here === 'devices' && segment === 'count' ? '; devices.count applies to a generated list ({ "count": N, ... })' : `; use ${here}[i].${segment}`;
      throw new Error(`${here} is a list, not an object${hint}`);
    }
    if (typeof node !== 'object' || node === null) throw new Error(`${here} is ${JSON.stringify(node)}, not an object`);
    const obj = node as Record<string, unknown>;
    if (last) {
      obj[segment] = value;
      return;
    }
    if (obj[segment] === undefined) obj[segment] = typeof segments[i + 1] === 'number' ? [] : {};
    node = obj[segment];
  });
  return root;
}

export function describeAssignment(a: Assignment): string {
  return a.map((s) => `${s.path}=${s.value}`).join(' ');
}
