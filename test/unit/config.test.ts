/** The config (docs/config.md) at the library level: defaults, generated devices, every problem listed. */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { generateDevices } from '../../src/devices.js';
import { mustParse } from './helpers.js';

const base = () => ({
  name: 'cfg',
  seed: 11,
  rounds: 2,
  model: { preset: 'gpt2-small' },
  training: { seqLen: 128, batch: 2 },
  server: { freqHz: { min: 2e8, max: 1.4e9 }, flopsPerCycle: 1e5, kappa: 1e-25, txPowerDbm: 43 },
  devices: [
    { id: 'a', freqHz: 1e9, flopsPerCycle: 1024, kappa: 1e-26, memoryBytes: 4e9, txPowerDbm: 23, distanceM: 50, bandwidthHz: 5e6 },
    { id: 'b', freqHz: 1e9, flopsPerCycle: 1024, kappa: 1e-26, memoryBytes: 4e9, txPowerDbm: 23, distanceM: 80, bandwidthHz: 5e6 },
  ] as Record<string, unknown>[],
  channel: { model: 'shannon', noiseDbmPerHz: -174, refLossDb: 15.3, pathLossExponent: 3.76 } as Record<string, unknown>,
  emulation: {},
});

function errorsOf(raw: unknown): string[] {
  const r = parseConfig(raw);
  if (r.ok) expect.fail('expected the config to be refused');
  return r.errors;
}

describe('defaults (docs/config.md)', () => {
  it('fills every documented default', () => {
    const c = mustParse(base());
    expect(c.mode).toBe('sequential');
    expect(c.training).toEqual({
      seqLen: 128,
      batch: 2,
      iterations: 1,
      backwardFactor: 2,
      bytesPerActivation: 2,
      bytesPerWeight: 2,
      activationFactor: 16,
      lora: { rank: 8, matricesPerLayer: 2, bytesPerParam: 2 },
      cutRange: [1, 11], // [1, L-1] for gpt2-small's 12 blocks
    });
    expect(c.server.staticPowerW).toBe(0);
    expect(c.channel).toMatchObject({ model: 'shannon', fading: 'rayleigh' });
    expect(c.emulation).toMatchObject({ timeScale: 1, payloadScale: 1, network: 'auto', workload: 'sleep' });
    expect(c.strategy).toEqual({ name: 'card', params: {} });
    expect(c.model).toMatchObject({ preset: 'gpt2-small', layers: 12, hidden: 768 });
  });

  it('sections with defaults may be left out (emulation, mode, strategy, name, seed)', () => {
    const raw: Record<string, unknown> = base();
    delete raw.emulation;
    delete raw.name;
    delete raw.seed;
    const r = parseConfig(raw);
    expect(r.ok ? [] : r.errors).toEqual([]);
    if (r.ok) expect(r.config.emulation).toMatchObject({ timeScale: 1, payloadScale: 1, network: 'auto', workload: 'sleep' });
  });

  it('a missing required section is named in plain words', () => {
    const raw: Record<string, unknown> = base();
    delete raw.server;
    delete raw.channel;
    const errors = errorsOf(raw);
    expect(errors).toContain('server: is required');
    expect(errors).toContain('channel: is required');
  });

  it('an explicit architecture resolves as given', () => {
    const c = mustParse({ ...base(), model: { layers: 4, hidden: 64, ffn: 256, heads: 4, kvHeads: 2, vocab: 1000, mlp: 'plain' } });
    expect(c.model).toEqual({ layers: 4, hidden: 64, ffn: 256, heads: 4, kvHeads: 2, vocab: 1000, mlp: 'plain' });
    expect(c.training.cutRange).toEqual([1, 3]);
  });
});

describe('generated devices', () => {
  const spec = {
    count: 25,
    freqHz: { uniform: [3e8, 1.2e9] as [number, number] },
    flopsPerCycle: 2048,
    kappa: { uniform: [1e-26, 2e-26] as [number, number] },
    memoryBytes: { uniform: [3e9, 8e9] as [number, number] },
    txPowerDbm: { uniform: [20, 23] as [number, number] },
    distanceM: { uniform: [50, 300] as [number, number] },
    bandwidthHz: 5e6,
  };

  it('ids d1..dN, every field within its bounds, fixed fields copied', () => {
    const ds = generateDevices(spec, 42);
    expect(ds.map((d) => d.id)).toEqual(Array.from({ length: 25 }, (_, i) => `d${i + 1}`));
    for (const d of ds) {
      expect(d.freqHz).toBeGreaterThanOrEqual(3e8);
      expect(d.freqHz).toBeLessThanOrEqual(1.2e9);
      expect(d.kappa).toBeGreaterThanOrEqual(1e-26);
      expect(d.kappa).toBeLessThanOrEqual(2e-26);
      expect(d.memoryBytes).toBeGreaterThanOrEqual(3e9);
      expect(d.memoryBytes).toBeLessThanOrEqual(8e9);
      expect(d.txPowerDbm).toBeGreaterThanOrEqual(20);
      expect(d.txPowerDbm).toBeLessThanOrEqual(23);
      expect(d.distanceM).toBeGreaterThanOrEqual(50);
      expect(d.distanceM).toBeLessThanOrEqual(300);
      expect(d.flopsPerCycle).toBe(2048);
      expect(d.bandwidthHz).toBe(5e6);
    }
    // the draws really vary, and fields are not drawn from one shared number
    expect(new Set(ds.map((d) => d.freqHz)).size).toBe(25);
    const pos = (x: number, lo: number, hi: number) => (x - lo) / (hi - lo);
    expect(ds.some((d) => Math.abs(pos(d.freqHz, 3e8, 1.2e9) - pos(d.memoryBytes, 3e9, 8e9)) > 0.1)).toBe(true);
  });

  it('deterministic per seed; another seed draws others; more devices do not move the first ones', () => {
    expect(generateDevices(spec, 42)).toEqual(generateDevices(spec, 42));
    const other = generateDevices(spec, 43);
    expect(other.map((d) => d.freqHz)).not.toEqual(generateDevices(spec, 42).map((d) => d.freqHz));
    expect(generateDevices({ ...spec, count: 40 }, 42).slice(0, 25)).toEqual(generateDevices(spec, 42));
  });

  it('a degenerate range [x, x] gives x', () => {
    const ds = generateDevices({ ...spec, count: 3, freqHz: { uniform: [5e8, 5e8] } }, 1);
    expect(ds.map((d) => d.freqHz)).toEqual([5e8, 5e8, 5e8]);
  });

  it('through the config: uses the config seed', () => {
    const raw = { ...base(), devices: { ...spec, count: 6 } };
    const c = mustParse(raw);
    expect(c.devices).toEqual(generateDevices({ ...spec, count: 6 }, 11));
    expect(mustParse({ ...raw, seed: 12 }).devices).not.toEqual(c.devices);
  });

  it('bad generated specs name the field', () => {
    expect(errorsOf({ ...base(), devices: { ...spec, memoryBytes: { uniform: [8e9, 3e9] } } })).toEqual(['devices.memoryBytes.uniform: must be [lo, hi] with lo <= hi']);
    expect(errorsOf({ ...base(), devices: { ...spec, count: 0 } })).toEqual(['devices.count: must be >= 1']);
    expect(errorsOf({ ...base(), devices: { ...spec, colour: 'red' } })).toEqual(['devices.colour: unknown key']);
    expect(errorsOf({ ...base(), devices: { ...spec, freqHz: { uniform: [-1, 1e9] } } }).join('\n')).toMatch(/^devices\.freqHz/);
  });
});

describe('every problem is listed, each with its JSON path', () => {
  it('several problems in several sections', () => {
    const raw = base();
    raw.devices[1]!.bandwidthHz = -5e6;
    raw.devices[0]!.kappa = 'small';
    (raw.server.freqHz as { min: number }).min = 2e9;
    (raw.training as Record<string, unknown>).batch = 2.5;
    raw.channel.fading = 'ricean';
    const errors = errorsOf(raw);
    expect(errors.sort()).toEqual(
      [
        'channel.fading: must be one of "none", "rayleigh"',
        'devices[0].kappa: must be a number',
        'devices[1].bandwidthHz: must be > 0',
        'server.freqHz: min must be <= max',
        'training.batch: must be an integer',
      ].sort(),
    );
  });

  it('a problem at the top level does not hide the problems inside the sections', () => {
    const raw: Record<string, any> = { ...base(), rounds: 0, colour: 'blue' };
    raw.devices[1].bandwidthHz = -5e6;
    const errors = errorsOf(raw);
    expect(errors).toContain('rounds: must be >= 1');
    expect(errors).toContain('colour: unknown key');
    expect(errors).toContain('devices[1].bandwidthHz: must be > 0');
  });
});
