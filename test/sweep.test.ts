import { existsSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cartesian } from '../emulator/experiment/grid.js';
import { parseAxis, parsePath, setAt } from '../emulator/experiment/overrides.js';
import { ensureBuilt } from './helpers/cli.js';
import { parseCsv } from './helpers/csv.js';
import { runCli, smallConfig, tempDir, writeJson } from './helpers/emulation.js';

describe('--set paths and the grid', () => {
  it('parses paths as the config is written', () => {
    expect(parsePath('devices[0].bandwidthHz')).toEqual(['devices', 0, 'bandwidthHz']);
    expect(parsePath('strategy.weightDelay')).toEqual(['strategy', 'weightDelay']);
    expect(() => parsePath('devices..x')).toThrow(/not a JSON path/);
    expect(() => parsePath('[0].x')).toThrow(/start with a key/);
  });

  it('parses values as numbers, booleans or strings', () => {
    expect(parseAxis('rounds=2,3e1').values).toEqual([2, 30]);
    expect(parseAxis('emulation.network=tc,userspace').values).toEqual(['tc', 'userspace']);
    expect(parseAxis('x=true,false').values).toEqual([true, false]);
    expect(() => parseAxis('rounds')).toThrow(/path=value/);
  });

  it('sets a copy, creates missing objects and refuses what cannot be there', () => {
    const raw = { rounds: 2, devices: [{ id: 'd1', bandwidthHz: 1 }] };
    expect(setAt(raw, ['devices', 0, 'bandwidthHz'], 5)).toEqual({ rounds: 2, devices: [{ id: 'd1', bandwidthHz: 5 }] });
    expect(raw.devices[0]!.bandwidthHz).toBe(1);
    expect(setAt(raw, ['emulation', 'timeScale'], 0.1)).toMatchObject({ emulation: { timeScale: 0.1 } });
    expect(() => setAt(raw, ['devices', 3, 'bandwidthHz'], 5)).toThrow(/devices\[3\] does not exist/);
    expect(() => setAt(raw, ['devices', 'count'], 5)).toThrow(/generated list/);
    expect(() => setAt(raw, ['rounds', 'x'], 5)).toThrow(/not an object/);
  });

  it('makes the cartesian product, first axis slowest', () => {
    const points = cartesian([parseAxis('a=1,2'), parseAxis('b=x,y')]).map((p) => p.map((s) => s.value).join(''));
    expect(points).toEqual(['1x', '1y', '2x', '2y']);
  });
});

describe('sledge sweep', () => {
  let dir: string;
  let config: string;

  beforeAll(async () => {
    ensureBuilt();
    dir = await tempDir('sweep');
    config = writeJson(join(dir, 'small.json'), smallConfig({ devices: 2, rounds: 2, timeScale: 0.05 }));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('runs two values of two keys for each strategy: four points per strategy in sweep.csv', async () => {
    const out = join(dir, 'grid');
    const r = await runCli(['sweep', config, '--set', 'rounds=2,3', '--set', 'strategy.weightDelay=0.2,0.8', '--strategies', 'config,server-heavy', '--out', out]);
    expect(r.stderr).not.toMatch(/failed/);
    expect(r.code).toBe(0);

    const rows = parseCsv(readFileSync(join(out, 'sweep.csv'), 'utf8'));
    expect(rows).toHaveLength(8);
    const points = (name: string) => rows.filter((row) => row.strategy!.split(':')[0] === name).map((row) => `${row.rounds}/${row['strategy.weightDelay']}`);
    expect(points('card')).toEqual(['2/0.2', '2/0.8', '3/0.2', '3/0.8']);
    expect(points('server-heavy')).toEqual(['2/0.2', '2/0.8', '3/0.2', '3/0.8']);
    for (const row of rows) {
      expect(row.status).toBe('finished');
      expect(Number(row.turns)).toBe(Number(row.rounds) * 2);
      // "config" is the config's CARD with the point's weightDelay, not CARD's defaults.
      if (row.strategy!.startsWith('card')) expect(row.strategy).toBe(`card:weightDelay=${row['strategy.weightDelay']},energyScale=0.1`);
      const summary = JSON.parse(readFileSync(join(out, row.run!, 'summary.json'), 'utf8'));
      expect(summary.strategy).toBe(row.strategy);
      expect(Number(row.predicted_avgRoundDelay)).toBe(summary.predicted.avgRoundDelay);
      expect(Number(row.measured_avgServerEnergy)).toBe(summary.measured.avgServerEnergy);
    }
    const point4 = JSON.parse(readFileSync(join(out, 'point-4', 'compare.json'), 'utf8'));
    expect(point4.overrides).toEqual({ rounds: 3, 'strategy.weightDelay': 0.8 });
  });

  it('refuses a path the config schema does not have, before any run (exit 2)', async () => {
    const out = join(dir, 'bad-path');
    const r = await runCli(['sweep', config, '--set', 'rounds=2,3', '--set', 'devices[0].bandwidthHertz=1e6,2e6', '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(/^sledge: --set devices\[0\]\.bandwidthHertz=1000000: .*devices\[0\]\.bandwidthHertz: unknown key$/);
    expect(existsSync(out)).toBe(false);
  });

  it('refuses a value that makes the config invalid, naming the --set (exit 2)', async () => {
    const out = join(dir, 'bad-value');
    const r = await runCli(['sweep', config, '--set', 'rounds=2,0', '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--set rounds=0: .*rounds: must be >= 1/);
    expect(existsSync(out)).toBe(false);
  });
});
