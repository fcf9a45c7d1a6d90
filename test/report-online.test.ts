import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DELAY_KEYS, PHASES, type PhaseDelays } from '../src/cost.js';
import { Rng } from '../src/rng.js';
import type { Config, LinktraceConfig } from '../src/config.js';
import { nextQueue } from '../src/strategy/lyapunov.js';
import { loadConfig } from '../emulator/experiment/config-file.js';
import { comparedRun, type Comparison } from '../emulator/experiment/comparison.js';
import { headline } from '../emulator/format/compare-text.js';
import { buildManifest } from '../emulator/records/manifest.js';
import { keepTraces } from '../emulator/records/run-traces.js';
import { summarizeRun } from '../emulator/records/run-summary.js';
import { CSV_COLUMNS, csvRow, type TurnRecord } from '../emulator/records/turn-record.js';
import { budgetRows } from '../emulator/report/budget-rows.js';
import { loadReportInput } from '../emulator/report/inputs.js';
import { chartedDevices, GAP_K, linktraceRoundRows, turnSpans } from '../emulator/report/linktrace-rows.js';
import type { ReportRun } from '../emulator/report/inputs.js';
import { writeReport } from '../emulator/report/report.js';
import { ROOT } from './helpers/cli.js';
import { tempDir } from './helpers/emulation.js';

/**
 * The report's parts for a budgeted strategy (lyapunov, docs/strategies.md) and for a
 * linktrace run (docs/linktrace.md). No emulation: run directories are written by the
 * same code a run uses, with synthetic turns.
 */
function syntheticRun(dir: string, config: Config, strategy: string, linktrace: boolean): TurnRecord[] {
  const rng = Rng.of(11, 'report-online', strategy);
  const records: TurnRecord[] = [];
  for (let round = 1; round <= config.rounds; round++) {
    for (const d of config.devices) {
      const predicted = Object.fromEntries(DELAY_KEYS.map((k) => [k, 0])) as PhaseDelays;
      const measured = { ...predicted };
      for (const p of PHASES) {
        predicted[p] = 0.05 + rng.next();
        measured[p] = predicted[p] * (0.95 + rng.next() * 0.1);
      }
      predicted.total = PHASES.reduce((a, p) => a + predicted[p], 0);
      measured.total = PHASES.reduce((a, p) => a + measured[p], 0);
      const energy = { server: 1 + rng.next() * 4, deviceCompute: rng.next(), deviceTransmit: rng.next() };
      records.push({
        round, device: d.id, status: 'done', fault: '', startOffset: 0, cut: 2, serverFreqHz: 1e9, rateUpBps: 5e6, rateDownBps: 7e6,
        predicted: { delay: predicted, energy }, measured: { delay: measured, energy }, coordinatorWallS: 0, serverBusyWallS: 0, retries: 0,
        ...(linktrace ? { linktrace: { expectedTotal: predicted.total * 0.7, realisedBps: { adapterDown: 6e6, uplink: 4e6, downlink: 6e6, adapterUp: 4e6 } } } : {}),
      });
    }
  }
  const runId = `synthetic-${strategy.split(':')[0]}`;
  const network = { mode: 'userspace' as const, reason: 'synthetic', shaping: 'none', impairments: { delayMs: 0, jitterMs: 0, lossPct: 0, placement: 'none' as const, reason: 'none' } };
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(buildManifest({ runId, config, strategy, network, servers: {} })));
  writeFileSync(join(dir, 'summary.json'), JSON.stringify(summarizeRun({ runId, strategy, status: 'finished', config, records, network: 'userspace', wallSeconds: 1, rejected: {} })));
  writeFileSync(join(dir, 'turns.csv'), `${[CSV_COLUMNS.join(','), ...records.map(csvRow)].join('\n')}\n`);
  return records;
}

describe('report: lyapunov queue and budget', () => {
  let dir: string;
  let records: TurnRecord[];
  const BUDGET = 6;

  beforeAll(async () => {
    dir = await tempDir('report-lyapunov');
    const raw = JSON.parse(readFileSync(join(ROOT, 'configs', 'paper.json'), 'utf8'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...raw, rounds: 4 }));
    records = syntheticRun(dir, loadConfig(join(dir, 'config.json')), `lyapunov:energyBudgetJ=${BUDGET}`, false);
  });
  afterAll(() => dir && rmSync(dir, { recursive: true, force: true }));

  it('Q per round is the strategy\'s update on the planned round energies, 0 in round 1', () => {
    const rows = budgetRows(loadReportInput(dir).runs);
    const energies = [1, 2, 3, 4].map((r) => records.filter((t) => t.round === r).reduce((a, t) => a + t.predicted.energy.server, 0));
    let Q = 0;
    expect(rows.map((r) => r.round)).toEqual([1, 2, 3, 4]);
    rows.forEach((row, i) => {
      expect(row.Q).toBeCloseTo(Q, 9);
      expect(row.predictedAvg).toBeCloseTo(energies.slice(0, i + 1).reduce((a, e) => a + e, 0) / (i + 1), 9);
      expect(row.budget).toBe(BUDGET);
      Q = nextQueue(Q, energies[i] as number, BUDGET);
    });
    expect(rows[1]!.Q).toBeGreaterThan(0);
  });

  it('the report has the budget figure', async () => {
    const html = readFileSync(await writeReport(dir), 'utf8');
    expect(html).toContain('id="fig-budget"');
    expect(html).not.toContain('id="linktrace-rounds"');
  });
});

describe('report and compare: a linktrace run', () => {
  let dir: string;
  let records: TurnRecord[];
  let config: Config;

  beforeAll(async () => {
    dir = await tempDir('report-linktrace');
    config = loadConfig(join(ROOT, 'configs', 'lte.json'));
    records = syntheticRun(dir, config, 'card', true);
  });
  afterAll(() => dir && rmSync(dir, { recursive: true, force: true }));

  it('a sequential turn starts when the previous one ends on the integrated clock', () => {
    const spans = turnSpans(loadReportInput(dir).runs[0]!);
    expect(spans).toHaveLength(records.length);
    expect(spans[0]!.start).toBe(0);
    for (let i = 1; i < spans.length; i++) expect(spans[i]!.start).toBeCloseTo(spans[i - 1]!.end, 9);
  });

  it('expected, integrated and measured round delays are the sums of the turns', () => {
    const rows = linktraceRoundRows(loadReportInput(dir).runs);
    expect(rows).toHaveLength(config.rounds);
    for (const row of rows) {
      const turns = records.filter((t) => t.round === row.round);
      expect(row.integrated).toBeCloseTo(turns.reduce((a, t) => a + t.predicted.delay.total, 0), 6);
      expect(row.expected).toBeCloseTo(turns.reduce((a, t) => a + t.linktrace!.expectedTotal, 0), 6);
      expect(row.measured).toBeCloseTo(turns.reduce((a, t) => a + t.measured.delay.total, 0), 6);
    }
  });

  it('the report has the round table and a capacity chart per device', async () => {
    const html = readFileSync(await writeReport(dir), 'utf8');
    expect(html).toContain('id="linktrace-rounds"');
    const fig = html.slice(html.indexOf('id="fig-linktrace"'));
    expect(html).toContain('id="fig-linktrace"');
    expect(fig).not.toContain('class="warn"');
    for (const d of config.devices) expect(fig).toContain(`${d.id} (offset`);
    expect(html).not.toContain('id="fig-budget"');
  });

  it('the capacity charts come from the traces the run kept when the config\'s paths lead nowhere; without them the figure says so', async () => {
    const kept = await tempDir('report-kept-traces');
    try {
      // the config's paths lead nowhere from here, as after moving the run to another machine
      const channel = config.channel as LinktraceConfig;
      const moved = (p: string) => `elsewhere/${p}`;
      const links = Object.fromEntries(Object.entries(channel.links).map(([id, l]) => [id, { ...l, up: moved(l.up), down: moved(l.down) }]));
      const movedChannel = { ...channel, links, files: new Map([...channel.files].map(([p, f]) => [moved(p), f])) };
      syntheticRun(kept, { ...config, channel: movedChannel }, 'card', true);
      // what a run writes: the copies, recorded in the manifest (records/run-traces.ts)
      const manifest = JSON.parse(readFileSync(join(kept, 'manifest.json'), 'utf8')) as Record<string, unknown>;
      writeFileSync(join(kept, 'manifest.json'), JSON.stringify({ ...manifest, linktrace: { traces: keepTraces(kept, movedChannel) } }));
      const figure = async () => {
        const html = readFileSync(await writeReport(kept), 'utf8');
        return html.slice(html.indexOf('id="fig-linktrace"'));
      };
      const fig = await figure();
      expect(fig).not.toContain('class="warn"');
      for (const d of config.devices) expect(fig).toContain(`${d.id} (offset`);
      rmSync(join(kept, 'traces', 'lte-a.up'));
      expect(await figure()).toContain('Trace file "elsewhere/traces/lte-a.up" not in the run\'s traces/');
    } finally {
      rmSync(kept, { recursive: true, force: true });
    }
  });

  it('compare prints the expected reduction beside the integrated one', () => {
    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
    const ref = comparedRun('1-card', summary);
    const other = { ...comparedRun('2-fixed', { ...summary, strategy: 'fixed:cut=2' }), expected: { avgRoundDelay: ref.expected!.avgRoundDelay * 2, avgServerEnergy: 1 } };
    expect(ref.expected!.avgRoundDelay).toBeCloseTo(summary.predicted.avgRoundDelay * 0.7, 6);
    const c: Comparison = {
      config: 'lte.json', configName: 'lte', seed: 1, status: 'finished', reference: 'card', strategies: [ref, other],
      reductions: [{ strategy: 'fixed:cut=2', run: '2-fixed', predicted: { delay: 0.1, serverEnergy: 0 }, measured: { delay: 0.1, serverEnergy: 0 } }],
    };
    const text = headline(c);
    expect(text).toContain('expected');
    expect(text).toContain('integrated');
    expect(text).toContain('50.0%');
  });
});

describe('linktrace turns on the run clock, pure', () => {
  const turn = (round: number, device: string, integrated: number, expected: number) =>
    ({ round, device, startOffset: 0, predicted: { delay: { total: integrated } }, measured: { delay: { total: integrated } }, linktrace: { expectedTotal: expected } }) as unknown as TurnRecord;
  const run = (mode: 'sequential' | 'parallel', n: number, turns: TurnRecord[]) =>
    ({ label: 'card', manifest: { config: { mode, devices: Array.from({ length: n }, (_, i) => ({ id: `d${i}` })) } }, turns }) as unknown as ReportRun;

  it('parallel: every turn of a round starts at the end of the previous round\'s last', () => {
    const spans = turnSpans(run('parallel', 2, [turn(1, 'd0', 3, 3), turn(1, 'd1', 5, 5), turn(2, 'd0', 2, 2), turn(2, 'd1', 1, 1)]));
    expect(spans.map((s) => [s.start, s.end])).toEqual([[0, 3], [0, 5], [5, 7], [5, 6]]);
  });

  it('above 20 devices, the GAP_K with the largest |expected - integrated| are charted', () => {
    const turns = Array.from({ length: 30 }, (_, i) => turn(1, `d${i}`, 10, 10 + (i % 7 === 0 ? i + 1 : 0.01)));
    const r = run('sequential', 30, turns);
    expect(chartedDevices(r, turnSpans(r))).toEqual(['d28', 'd21', 'd14', 'd7', 'd0'].slice(0, GAP_K));
    const small = run('sequential', 3, turns.slice(0, 3));
    expect(chartedDevices(small, turnSpans(small))).toEqual(['d0', 'd1', 'd2']);
  });
});
