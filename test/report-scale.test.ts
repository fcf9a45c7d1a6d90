import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DELAY_KEYS, PHASES, type PhaseDelays } from '../src/cost.js';
import { Rng } from '../src/rng.js';
import { loadConfig } from '../emulator/experiment/config-file.js';
import { buildManifest } from '../emulator/records/manifest.js';
import { summarizeRun } from '../emulator/records/run-summary.js';
import { CSV_COLUMNS, csvRow, type TurnRecord } from '../emulator/records/turn-record.js';
import { FIGURE_IDS, figuresOf } from '../emulator/report/figures.js';
import { loadReportInput } from '../emulator/report/inputs.js';
import { writeReport } from '../emulator/report/report.js';
import { ROOT } from './helpers/cli.js';
import { tempDir } from './helpers/emulation.js';

/**
 * The report of a 1,000-device run (docs/architecture.md §8). No emulation: the run directory
 * (manifest.json, summary.json, turns.csv) is written here by the same code a run uses,
 * with synthetic turns, for configs/scale-1000.json in sequential and in parallel mode.
 * Per-device charts must aggregate at this size: a spec with a per-device expression
 * 1,000 entries deep overflows Vega's expression compiler.
 */
const N = 1000;
const ROUNDS = 2;

function syntheticRun(dir: string, mode: 'sequential' | 'parallel'): void {
  const raw = JSON.parse(readFileSync(join(ROOT, 'configs', 'scale-1000.json'), 'utf8'));
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify({ ...raw, mode, rounds: ROUNDS, devices: { ...raw.devices, count: N }, emulation: { ...raw.emulation, timeScale: 0.05 } }));
  const config = loadConfig(file);
  const rng = Rng.of(7, 'report-scale', mode);
  const records: TurnRecord[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    let offset = 0;
    for (const d of config.devices) {
      const predicted = Object.fromEntries(DELAY_KEYS.map((k) => [k, 0])) as PhaseDelays;
      const measured = { ...predicted };
      for (const p of PHASES) {
        predicted[p] = 0.05 + rng.next() * 2;
        measured[p] = predicted[p] * (0.95 + rng.next() * 0.15);
      }
      if (mode === 'parallel') measured.serverWait = predicted.serverWait = rng.next();
      predicted.total = DELAY_KEYS.filter((k) => k !== 'total').reduce((a, k) => a + predicted[k], 0);
      measured.total = DELAY_KEYS.filter((k) => k !== 'total').reduce((a, k) => a + measured[k], 0);
      const energy = { server: 1 + rng.next(), deviceCompute: rng.next(), deviceTransmit: rng.next() };
      records.push({
        round,
        device: d.id,
        status: 'done',
        fault: '',
        startOffset: mode === 'parallel' ? (offset += rng.next() * 0.01) : 0,
        cut: 1 + Math.floor(rng.next() * 8),
        serverFreqHz: 1e9,
        rateUpBps: 1e6 + rng.next() * 5e7,
        rateDownBps: 1e7,
        predicted: { delay: predicted, energy },
        measured: { delay: measured, energy },
        coordinatorWallS: measured.total * 0.05,
        serverBusyWallS: measured.server * 0.05,
        retries: 0,
      });
    }
  }
  const runId = `synthetic-${mode}`;
  const network = { mode: 'userspace' as const, reason: 'synthetic', shaping: 'none', impairments: { delayMs: 0, jitterMs: 0, lossPct: 0, placement: 'none' as const, reason: 'none' } };
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(buildManifest({ runId, config, strategy: 'card', network, servers: {} })));
  const summary = summarizeRun({ runId, strategy: 'card', status: 'finished', config, records, network: 'userspace', wallSeconds: 1, rejected: {} });
  writeFileSync(join(dir, 'summary.json'), JSON.stringify(summary));
  writeFileSync(join(dir, 'turns.csv'), `${[CSV_COLUMNS.join(','), ...records.map(csvRow)].join('\n')}\n`);
}

describe('the report at 1,000 devices', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await tempDir('report-scale');
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const mode of ['sequential', 'parallel'] as const) {
    it(`renders every figure of a ${mode} run, aggregated instead of one row or colour per device`, async () => {
      const run = join(dir, mode);
      mkdirSync(run, { recursive: true });
      syntheticRun(run, mode);
      const path = await writeReport(run);
      const html = readFileSync(path, 'utf8');
      const ids = [...FIGURE_IDS, ...(mode === 'parallel' ? ['fig-gantt'] : [])];
      for (const id of ids) expect(html, id).toMatch(new RegExp(`id="${id}"[\\s\\S]*?<svg`));
      // no legend or axis lists the devices: at most the k slowest are named
      const named = new Set(html.match(/>d\d+<\/text>/g) ?? []);
      expect(named.size).toBeLessThanOrEqual(40);
      // and no encoding (a colour domain, a sort order) lists the devices; the data may name them
      const encodings = (spec: unknown) => JSON.stringify(spec, (key, value) => (key === 'values' ? undefined : value));
      for (const f of figuresOf(loadReportInput(run))) expect(encodings(f.spec).match(/"d\d+"/g)?.length ?? 0, f.id).toBeLessThanOrEqual(40);
    }, 300_000);
  }
});
