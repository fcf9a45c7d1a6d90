import { existsSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from './helpers/cli.js';
import { parseCsv } from './helpers/csv.js';
import { readTurns, runCli, smallConfig, tempDir, writeJson } from './helpers/emulation.js';

/**
 * `sledge compare` end to end: one real emulation per strategy on the same config, and
 * the reductions in compare.json recomputed here from the runs' own summary.json.
 */
describe('sledge compare', () => {
  let dir: string;
  let config: string;

  beforeAll(async () => {
    ensureBuilt();
    dir = await tempDir('compare');
    config = writeJson(join(dir, 'small.json'), smallConfig({ devices: 3, rounds: 2, timeScale: 0.05 }));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('runs three strategies, each in its own directory, and reduces against the CARD run', async () => {
    const out = join(dir, 'three');
    const r = await runCli(['compare', config, '--strategies', 'server-heavy,card,fixed:cut=4', '--out', out]);
    expect(r.stderr).not.toMatch(/failed/);
    expect(r.code).toBe(0);

    const doc = JSON.parse(readFileSync(join(out, 'compare.json'), 'utf8'));
    expect(doc.config).toBe(config);
    expect(doc.configName).toBe('test-small');
    expect(doc.seed).toBe(42);
    expect(doc.status).toBe('finished');
    expect(doc.strategies.map((s: { run: string }) => s.run)).toEqual(['1-server-heavy', '2-card', '3-fixed']);
    // The reference is the CARD run even when it is not listed first.
    expect(doc.reference).toBe('card:weightDelay=0.5,energyScale=1');

    const summaries = new Map<string, { strategy: string; status: string; runId: string; predicted: Record<string, number>; measured: Record<string, number> }>();
    for (const s of doc.strategies) {
      const runDir = join(out, s.run);
      expect(readTurns(runDir)).toHaveLength(6);
      const summary = JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8'));
      expect(summary.status).toBe('finished');
      expect(s).toMatchObject({ strategy: summary.strategy, runId: summary.runId, status: 'finished' });
      for (const side of ['predicted', 'measured'] as const) {
        expect(s[side].avgRoundDelay).toBe(summary[side].avgRoundDelay);
        expect(s[side].avgServerEnergy).toBe(summary[side].avgServerEnergy);
      }
      summaries.set(s.strategy, summary);
    }

    const ref = summaries.get(doc.reference)!;
    expect(doc.reductions.map((x: { strategy: string }) => x.strategy)).toEqual(['server-heavy', 'fixed:cut=4']);
    for (const red of doc.reductions) {
      const other = summaries.get(red.strategy)!;
      for (const side of ['predicted', 'measured'] as const) {
        expect(red[side].delay).toBeCloseTo(1 - ref[side].avgRoundDelay! / other[side].avgRoundDelay!, 12);
        expect(red[side].serverEnergy).toBeCloseTo(1 - ref[side].avgServerEnergy! / other[side].avgServerEnergy!, 12);
      }
    }

    // Same seed, same channel draws: every run saw the same rates turn by turn.
    const rates = doc.strategies.map((s: { run: string }) => readTurns(join(out, s.run)).map((t) => `${t.rateUpBps}/${t.rateDownBps}`));
    expect(rates[1]).toEqual(rates[0]);
    expect(rates[2]).toEqual(rates[0]);

    const csv = parseCsv(readFileSync(join(out, 'compare.csv'), 'utf8'));
    expect(csv.map((row) => row.strategy)).toEqual(doc.strategies.map((s: { strategy: string }) => s.strategy));
    const fixedRow = csv.find((row) => row.run === '3-fixed')!;
    expect(Number(fixedRow.measured_serverEnergyReduction)).toBeCloseTo(doc.reductions[1].measured.serverEnergy, 12);
    expect(Number(fixedRow.predicted_avgRoundDelay)).toBe(summaries.get('fixed:cut=4')!.predicted.avgRoundDelay);

    expect(r.stdout).toContain('against each benchmark');
    expect(r.stdout).toMatch(/server-heavy\s+-?\d+\.\d%/);
  });

  it('refuses an unknown strategy before anything runs (exit 2)', async () => {
    const out = join(dir, 'bad');
    const r = await runCli(['compare', config, '--strategies', 'card,fastest', '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^sledge: --strategies: .*fastest/);
    expect(existsSync(out)).toBe(false);
  });
});
