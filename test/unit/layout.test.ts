/**
 * The layout rules (docs/architecture.md §11): no import cycles under src/ and emulator/,
 * and src/ never imports emulator/. Relative imports only: packages cannot form a cycle
 * with our own files.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Each file's relative imports and re-exports (type-only ones too: they tie concepts just the same). */
function imports(file: string): string[] {
  const src = readFileSync(file, 'utf8');
  return [...src.matchAll(/^(?:import|export)\s[^'";]*?from\s+'(\.[^']+)'/gm)].map((m) => resolve(dirname(file), m[1]!.replace(/\.js$/, '.ts')));
}

const files = [...tsFiles(join(ROOT, 'src')), ...tsFiles(join(ROOT, 'emulator'))];
const graph = new Map(files.map((f) => [f, imports(f)]));
const rel = (p: string) => relative(ROOT, p);

function cycles(): string[] {
  const found: string[] = [];
  const state = new Map<string, 'open' | 'closed'>();
  const stack: string[] = [];
  const visit = (n: string): void => {
    state.set(n, 'open');
    stack.push(n);
    for (const d of graph.get(n) ?? []) {
      if (!graph.has(d)) continue;
      if (state.get(d) === 'open') found.push([...stack.slice(stack.indexOf(d)), d].map(rel).join(' → '));
      else if (!state.has(d)) visit(d);
    }
    stack.pop();
    state.set(n, 'closed');
  };
  for (const n of graph.keys()) if (!state.has(n)) visit(n);
  return found;
}

describe('layout', () => {
  it('has no import cycle under src/ and emulator/', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(cycles()).toEqual([]);
  });

  it('src/ never imports emulator/', () => {
    const wrong = files.filter((f) => rel(f).startsWith('src/')).flatMap((f) => graph.get(f)!.filter((d) => rel(d).startsWith('emulator/')).map((d) => `${rel(f)} → ${rel(d)}`));
    expect(wrong).toEqual([]);
  });
});
