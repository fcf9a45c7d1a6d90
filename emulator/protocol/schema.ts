/**
 * A small validator for the JSON control messages of the bus. Actors load this instead
 * of zod: at 1,000 device processes every megabyte a process loads counts (zod is ~0.75 MB
 * of source and several MiB of heap per process), and the messages are a dozen flat
 * shapes. Objects are strict (an unknown key is refused), every check returns a reason
 * naming the path instead of throwing, and a valid message is returned as parsed.
 */
export interface Schema<T> {
  /** undefined when `v` is valid, else why not (with its path). */
  check(v: unknown, path: string): string | undefined;
  /** Phantom: carries T for `Infer`. */
  readonly _type?: T;
}

export type Infer<S> = S extends Schema<infer T> ? T : never;

interface NumberRule {
  int?: boolean;
  min?: number;
  gt?: number;
  max?: number;
}

const where = (path: string) => path || 'message';

export function num(rule: NumberRule = {}): Schema<number> {
  return {
    check(v, path) {
      if (typeof v !== 'number' || !Number.isFinite(v)) return `${where(path)}: expected a finite number`;
      if (rule.int && !Number.isSafeInteger(v)) return `${where(path)}: expected an integer`;
      if (rule.min !== undefined && v < rule.min) return `${where(path)}: must be >= ${rule.min}`;
      if (rule.gt !== undefined && v <= rule.gt) return `${where(path)}: must be > ${rule.gt}`;
      if (rule.max !== undefined && v > rule.max) return `${where(path)}: must be <= ${rule.max}`;
      return undefined;
    },
  };
}

export function str(rule: { min?: number; max?: number; re?: RegExp } = {}): Schema<string> {
  return {
    check(v, path) {
      if (typeof v !== 'string') return `${where(path)}: expected a string`;
      if (v.length < (rule.min ?? 0)) return `${where(path)}: too short`;
      if (v.length > (rule.max ?? 4096)) return `${where(path)}: too long`;
      if (rule.re && !rule.re.test(v)) return `${where(path)}: does not match ${rule.re}`;
      return undefined;
    },
  };
}

export function bool(): Schema<boolean> {
  return { check: (v, path) => (typeof v === 'boolean' ? undefined : `${where(path)}: expected a boolean`) };
}

export function lit<const L extends string>(value: L): Schema<L> {
  return { check: (v, path) => (v === value ? undefined : `${where(path)}: expected ${JSON.stringify(value)}`) };
}

export function oneOf<const L extends string>(values: readonly L[]): Schema<L> {
  return { check: (v, path) => ((values as readonly unknown[]).includes(v) ? undefined : `${where(path)}: expected one of ${values.join(', ')}`) };
}

export function nullable<T>(s: Schema<T>): Schema<T | null> {
  return { check: (v, path) => (v === null ? undefined : s.check(v, path)) };
}

/** A string → T map with at most `max` keys. */
export function record<T>(value: Schema<T>, max = 1024): Schema<Record<string, T>> {
  return {
    check(v, path) {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) return `${where(path)}: expected an object`;
      const keys = Object.keys(v);
      if (keys.length > max) return `${where(path)}: more than ${max} keys`;
      for (const k of keys) {
        const e = value.check((v as Record<string, unknown>)[k], `${path}.${k}`);
        if (e) return e;
      }
      return undefined;
    },
  };
}

/** An array of at most `max` items, each checked; the reason names the first bad one. */
export function list<T>(item: Schema<T>, max: number): Schema<T[]> {
  return {
    check(v, path) {
      if (!Array.isArray(v)) return `${where(path)}: expected an array`;
      // before any item is looked at: a long array costs nothing but this comparison
      if (v.length > max) return `${where(path)}: more than ${max} items`;
      for (let i = 0; i < v.length; i++) {
        const e = item.check(v[i], `${where(path)}[${i}]`);
        if (e) return e;
      }
      return undefined;
    },
  };
}

type Optional<T> = Schema<T> & { optional: true };

export function optional<T>(s: Schema<T>): Optional<T | undefined> {
  return { check: (v, path) => (v === undefined ? undefined : s.check(v, path)), optional: true };
}

type Shape = Record<string, Schema<unknown>>;
type OptionalKeys<S extends Shape> = { [K in keyof S]: S[K] extends { optional: true } ? K : never }[keyof S];
type ObjectOf<S extends Shape> = { [K in Exclude<keyof S, OptionalKeys<S>>]: Infer<S[K]> } & { [K in OptionalKeys<S>]?: Infer<S[K]> };
type Simplify<T> = { [K in keyof T]: T[K] };

/** A strict object: every key of the shape checked, any other key refused. */
export function obj<S extends Shape>(shape: S): Schema<Simplify<ObjectOf<S>>> {
  const keys = Object.keys(shape);
  return {
    check(v, path) {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) return `${where(path)}: expected an object`;
      for (const k of Object.keys(v)) if (!(k in shape)) return `${path ? `${path}.` : ''}${k}: unknown key`;
      for (const k of keys) {
        const e = shape[k]!.check((v as Record<string, unknown>)[k], path ? `${path}.${k}` : k);
        if (e) return e;
      }
      return undefined;
    },
  };
}

/** Objects told apart by their `kind`. */
export function byKind<M extends Record<string, Schema<{ kind: string }>>>(kinds: M): Schema<Infer<M[keyof M]>> {
  return {
    check(v, path) {
      const kind = typeof v === 'object' && v !== null ? (v as { kind?: unknown }).kind : undefined;
      const s = typeof kind === 'string' && Object.hasOwn(kinds, kind) ? kinds[kind] : undefined;
      if (!s) return `${path ? `${path}.` : ''}kind: expected one of ${Object.keys(kinds).join(', ')}`;
      return s.check(v, path);
    },
  };
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

export function parse<T>(schema: Schema<T>, v: unknown): Parsed<T> {
  const reason = schema.check(v, '');
  return reason === undefined ? { ok: true, value: v as T } : { ok: false, reason };
}
