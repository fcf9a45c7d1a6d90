/**
 * Test helpers that deliberately do NOT reuse the code under test: an independent seeded
 * generator (so random configs do not depend on src/rng.ts), relative comparisons, a
 * golden-section minimiser and a random-config builder whose memory budgets come from
 * docs/model.md §1.1 written out again here.
 */
import { expect } from 'vitest';
import { parseConfig, type Config } from '../../src/config.js';

/** mulberry32, written out again so the tests' randomness is independent of src/rng.ts. */
export class TestRng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }
  logUniform(lo: number, hi: number): number {
    return Math.exp(this.uniform(Math.log(lo), Math.log(hi)));
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(0, xs.length - 1)] as T;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

/** |actual - expected| <= rel * |expected| (or <= rel when expected is 0). */
export function expectRel(actual: number, expected: number, rel = 1e-12, what = ''): void {
  const tol = rel * Math.max(Math.abs(expected), expected === 0 ? 1 : 0);
  if (!(Math.abs(actual - expected) <= tol)) {
    expect.fail(`${what ? `${what}: ` : ''}expected ${actual} to be within relative ${rel} of ${expected}`);
  }
}

/**
 * Minimum of a unimodal function on [lo, hi]: a coarse grid to bracket the minimum, then
 * golden-section search inside the bracket down to a relative width of 1e-12.
 */
export function argminNumeric(f: (x: number) => number, lo: number, hi: number): number {
  const n = 2000;
  let bestI = 0;
  let bestV = Infinity;
  for (let i = 0; i <= n; i++) {
    const v = f(lo + ((hi - lo) * i) / n);
    if (v < bestV) {
      bestV = v;
      bestI = i;
    }
  }
  let a = lo + ((hi - lo) * Math.max(0, bestI - 1)) / n;
  let b = lo + ((hi - lo) * Math.min(n, bestI + 1)) / n;
  const g = (Math.sqrt(5) - 1) / 2;
  let c = b - g * (b - a);
  let d = a + g * (b - a);
  let fc = f(c);
  let fd = f(d);
  while (b - a > 1e-12 * Math.max(Math.abs(a), Math.abs(b))) {
    if (fc <= fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - g * (b - a);
      fc = f(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + g * (b - a);
      fd = f(d);
    }
  }
  const x = (a + b) / 2;
  // the ends of the range are candidates too (a clamped optimum sits there exactly)
  return [lo, x, hi].reduce((best, y) => (f(y) < f(best) ? y : best), x);
}

/** docs/model.md §1.1 device memory M(l), written out independently of src/split.ts. */
export function memoryNeed(
  m: { layers: number; hidden: number; ffn: number; heads: number; kvHeads: number; vocab: number; mlp: 'gated' | 'plain' },
  t: { seqLen: number; batch: number; bytesPerWeight: number; bytesPerActivation: number; activationFactor: number },
  l: number,
): number {
  const h = m.hidden;
  const hkv = (h * m.kvHeads) / m.heads;
  const pBlock = 2 * h * h + 2 * h * hkv + (m.mlp === 'gated' ? 3 : 2) * h * m.ffn;
  return (m.vocab * h + l * pBlock) * t.bytesPerWeight + l * t.batch * t.seqLen * h * t.activationFactor * t.bytesPerActivation;
}

export const PRESET_ARCH = {
  'gpt2-small': { layers: 12, hidden: 768, ffn: 3072, heads: 12, kvHeads: 12, vocab: 50257, mlp: 'plain' },
  'gpt2-large': { layers: 36, hidden: 1280, ffn: 5120, heads: 20, kvHeads: 20, vocab: 50257, mlp: 'plain' },
  'llama2-7b': { layers: 32, hidden: 4096, ffn: 11008, heads: 32, kvHeads: 32, vocab: 32000, mlp: 'gated' },
  'llama3.2-1b': { layers: 16, hidden: 2048, ffn: 8192, heads: 32, kvHeads: 8, vocab: 128256, mlp: 'gated' },
  'tinyllama-1.1b': { layers: 22, hidden: 2048, ffn: 5632, heads: 32, kvHeads: 4, vocab: 32000, mlp: 'gated' },
} as const;

export interface RandomConfig {
  raw: Record<string, any>;
  config: Config;
}

/** Parses a raw config and fails the test with the problems if it does not validate. */
export function mustParse(raw: unknown): Config {
  const r = parseConfig(raw);
  if (!r.ok) expect.fail(`config did not validate:\n${r.errors.join('\n')}`);
  return r.config;
}

/**
 * A random, valid config: presets or explicit models, a random cut range (or the
 * default), devices listed or generated, memories from "only the first cut fits" to
 * "everything fits", shannon (rayleigh or none) or an inline trace, static power on or
 * off, and CARD's weight and scale anywhere in their ranges (0 and 1 included).
 */
export function randomRawConfig(rng: TestRng, seed = rng.int(0, 2 ** 31)): Record<string, any> {
  const presetNames = Object.keys(PRESET_ARCH) as (keyof typeof PRESET_ARCH)[];
  let arch: { layers: number; hidden: number; ffn: number; heads: number; kvHeads: number; vocab: number; mlp: 'gated' | 'plain' };
  let model: Record<string, unknown>;
  if (rng.chance(0.5)) {
    const p = rng.pick(presetNames);
    arch = PRESET_ARCH[p];
    model = { preset: p };
  } else {
    const heads = rng.pick([1, 2, 4, 8]);
    const kvHeads = rng.pick([1, 2, 4, 8].filter((k) => heads % k === 0));
    arch = {
      layers: rng.int(2, 24),
      hidden: heads * rng.int(4, 64),
      ffn: rng.int(16, 2048),
      heads,
      kvHeads,
      vocab: rng.int(100, 50000),
      mlp: rng.pick(['gated', 'plain'] as const),
    };
    model = { ...arch };
  }
  const L = arch.layers;
  const training: Record<string, any> = {
    seqLen: rng.pick([16, 64, 128, 256, 512]),
    batch: rng.int(1, 8),
    iterations: rng.int(1, 3),
    backwardFactor: rng.uniform(1, 3),
    bytesPerActivation: rng.pick([1, 2, 4]),
    bytesPerWeight: rng.pick([1, 2, 4]),
    activationFactor: rng.uniform(0, 32),
    lora: { rank: rng.pick([4, 8, 16]), matricesPerLayer: rng.int(1, 4), bytesPerParam: 2 },
  };
  let lo = 1;
  let hi = L - 1;
  if (rng.chance(0.5)) {
    lo = rng.int(1, L - 1);
    hi = rng.int(lo, L - 1);
    training.cutRange = [lo, hi];
  }
  const tFull = { ...training } as any;
  const minMem = memoryNeed(arch, tFull, lo);
  const maxMem = memoryNeed(arch, tFull, hi);
  const memory = () => (rng.chance(0.2) ? maxMem * 1.5 : rng.uniform(minMem, maxMem * 1.1));

  const fMin = rng.logUniform(5e7, 1e9);
  const server = {
    freqHz: { min: fMin, max: fMin * rng.uniform(1, 10) },
    flopsPerCycle: rng.logUniform(1e3, 3e5),
    kappa: rng.logUniform(1e-28, 1e-23),
    staticPowerW: rng.chance(0.5) ? 0 : rng.uniform(0, 100),
    txPowerDbm: rng.uniform(30, 46),
  };
  const count = rng.int(1, 6);
  const useTrace = rng.chance(0.3);
  let devices: unknown;
  const ids: string[] = [];
  if (!useTrace && rng.chance(0.3)) {
    devices = {
      count,
      freqHz: { uniform: [1e8, 3e9] },
      flopsPerCycle: { uniform: [64, 1e5] },
      kappa: rng.logUniform(1e-28, 1e-25),
      memoryBytes: { uniform: [minMem, minMem + (maxMem - minMem) * 1.1] },
      txPowerDbm: { uniform: [10, 26] },
      distanceM: { uniform: [10, 500] },
      bandwidthHz: { uniform: [1e5, 2e7] },
    };
    for (let i = 1; i <= count; i++) ids.push(`d${i}`);
  } else {
    devices = Array.from({ length: count }, (_, i) => {
      const id = `dev-${i}`;
      ids.push(id);
      return {
        id,
        freqHz: rng.logUniform(1e8, 3e9),
        flopsPerCycle: rng.logUniform(64, 1e5),
        kappa: rng.logUniform(1e-28, 1e-25),
        memoryBytes: memory(),
        txPowerDbm: rng.uniform(10, 26),
        ...(useTrace ? {} : { distanceM: rng.uniform(10, 500), bandwidthHz: rng.logUniform(1e5, 2e7) }),
      };
    });
  }
  const channel = useTrace
    ? {
        model: 'trace',
        trace: Object.fromEntries(
          ids.map((id) => [
            id,
            {
              upBps: Array.from({ length: rng.int(1, 5) }, () => rng.logUniform(1e5, 1e9)),
              downBps: Array.from({ length: rng.int(1, 5) }, () => rng.logUniform(1e5, 1e9)),
            },
          ]),
        ),
      }
    : {
        model: 'shannon',
        fading: rng.pick(['none', 'rayleigh']),
        noiseDbmPerHz: rng.uniform(-180, -160),
        refLossDb: rng.uniform(10, 40),
        pathLossExponent: rng.uniform(2, 4),
      };
  const weightDelay = rng.chance(0.15) ? rng.pick([0, 1]) : rng.next();
  return {
    name: 'random',
    seed,
    rounds: rng.int(1, 4),
    model,
    training,
    server,
    devices,
    channel,
    strategy: { name: 'card', weightDelay, energyScale: rng.logUniform(1e-3, 1e2) },
    // given explicitly: leaving it out is refused today (see config.test.ts, "sections with defaults may be left out")
    emulation: {},
  };
}

/**
 * The small explicit model of formulas.test.ts ("an explicit small model by hand": L=4,
 * h=64, I=3) pinned at cut 2, f = 1e9 and a 1/4 Mbit/s trace for every device, so that
 * every turn has the phases worked out there. `extra` overrides top-level keys.
 */
export function smallModelConfig(ids: readonly string[], extra: Record<string, unknown> = {}): Record<string, any> {
  return {
    name: 'small-by-hand',
    seed: 5,
    rounds: 1,
    model: { layers: 4, hidden: 64, ffn: 256, heads: 4, kvHeads: 2, vocab: 1000, mlp: 'plain' },
    training: { seqLen: 8, batch: 2, iterations: 3, lora: { rank: 4, matricesPerLayer: 2, bytesPerParam: 2 }, cutRange: [2, 2] },
    server: { freqHz: { min: 1e8, max: 2e9 }, flopsPerCycle: 100, kappa: 1e-26, staticPowerW: 5 },
    devices: ids.map((id) => ({ id, freqHz: 1e9, flopsPerCycle: 4, kappa: 1e-27, memoryBytes: 1e6, txPowerDbm: 20 })),
    channel: { model: 'trace', trace: Object.fromEntries(ids.map((id) => [id, { upBps: [1e6], downBps: [4e6] }])) },
    strategy: { name: 'fixed', cut: 2, freqHz: 1e9 },
    emulation: {},
    ...extra,
  };
}
