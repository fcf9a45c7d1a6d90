/**
 * `sledge plan` as a user runs it: the built CLI in a child process. Bad input must exit 2
 * with one stderr line per problem naming its JSON path and nothing on stdout; `--json`
 * must print exactly one document of the shape of docs/cli.md.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, lines, ROOT, runCli } from './helpers/cli.js';

const PAPER = join(ROOT, 'configs', 'paper.json');
const TRACE = join(ROOT, 'configs', 'trace-example.json');
const PARALLEL = join(ROOT, 'configs', 'paper-parallel.json');
const FAULTS = join(ROOT, 'configs', 'faults-example.json');
const SIX = 'card,cut-only,fixed:cut=8,random,device-heavy,server-heavy';

let dir: string;
beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'sledge-cli-plan-'));
}, 180_000);
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A small valid config (3 devices, llama3.2-1b) that each bad case breaks in one way. */
function good(): Record<string, any> {
  return {
    name: 'cli-test',
    seed: 3,
    rounds: 2,
    model: { preset: 'llama3.2-1b' },
    training: { seqLen: 512, batch: 4 },
    server: { freqHz: { min: 2.1e8, max: 1.41e9 }, flopsPerCycle: 110000, kappa: 1e-25, txPowerDbm: 43 },
    devices: [
      { id: 'd1', freqHz: 6e8, flopsPerCycle: 2048, kappa: 1.5e-26, memoryBytes: 8e9, txPowerDbm: 23, distanceM: 100, bandwidthHz: 5e6 },
      { id: 'd2', freqHz: 1e9, flopsPerCycle: 2048, kappa: 1.5e-26, memoryBytes: 6e9, txPowerDbm: 23, distanceM: 180, bandwidthHz: 5e6 },
      { id: 'd3', freqHz: 4e8, flopsPerCycle: 1024, kappa: 2e-26, memoryBytes: 3e9, txPowerDbm: 20, distanceM: 60, bandwidthHz: 1e7 },
    ],
    channel: { model: 'shannon', fading: 'rayleigh', noiseDbmPerHz: -174, refLossDb: 15.3, pathLossExponent: 3.76 },
    strategy: { name: 'card', weightDelay: 0.5, energyScale: 0.1 },
    emulation: { timeScale: 0.01, payloadScale: 0.01 },
  };
}

const traced = (trace: unknown) => (c: Record<string, any>) => {
  c.channel = { model: 'trace', trace };
  for (const d of c.devices) {
    delete d.distanceM;
    delete d.bandwidthHz;
  }
};
const series = { upBps: [5e6, 6e6], downBps: [20e6] };

interface BadCase {
  name: string;
  edit?: (c: Record<string, any>) => void;
  text?: string; // raw file content instead of an edited config
  /** One pattern per expected stderr line (after "<file>: "), in any order. */
  problems: RegExp[];
}

const BAD: BadCase[] = [
  { name: 'unknown top-level key', edit: (c) => (c.colour = 'blue'), problems: [/^colour: unknown key/] },
  { name: 'unknown nested key', edit: (c) => (c.server.freqHz.mid = 1e9), problems: [/^server\.freqHz\.mid: unknown key/] },
  { name: 'unknown key in a device', edit: (c) => (c.devices[2].gpu = true), problems: [/^devices\[2\]\.gpu: unknown key/] },
  { name: 'negative bandwidth', edit: (c) => (c.devices[1].bandwidthHz = -5e6), problems: [/^devices\[1\]\.bandwidthHz: must be > 0/] },
  { name: 'zero rounds', edit: (c) => (c.rounds = 0), problems: [/^rounds: must be >= 1/] },
  { name: 'non-integer batch', edit: (c) => (c.training.batch = 2.5), problems: [/^training\.batch: .*integer/] },
  { name: 'a string where a number belongs', edit: (c) => (c.devices[0].kappa = 'small'), problems: [/^devices\[0\]\.kappa: must be a number/] },
  { name: 'bad preset name', edit: (c) => (c.model.preset = 'llama9'), problems: [/^model\.preset: must be one of .*"llama3\.2-1b"/] },
  { name: 'preset and explicit mixed', edit: (c) => (c.model.layers = 12), problems: [/^model: .*preset.*layers/] },
  {
    name: 'explicit model missing a key',
    edit: (c) => (c.model = { layers: 4, hidden: 64, ffn: 256, heads: 4, kvHeads: 2, mlp: 'plain' }),
    problems: [/^model\.vocab: is required/],
  },
  {
    name: 'kvHeads not dividing heads',
    edit: (c) => (c.model = { layers: 4, hidden: 64, ffn: 256, heads: 4, kvHeads: 3, vocab: 1000, mlp: 'plain' }),
    problems: [/^model\.kvHeads: must divide heads/],
  },
  { name: 'cutRange beyond L-1', edit: (c) => (c.training.cutRange = [1, 16]), problems: [/^training\.cutRange: .*15/] },
  { name: 'cutRange reversed', edit: (c) => (c.training.cutRange = [9, 3]), problems: [/^training\.cutRange: /] },
  { name: 'infeasible device memory', edit: (c) => (c.devices[2].memoryBytes = 7e8), problems: [/^devices\[2\]\.memoryBytes: device "d3".*no cut/] },
  { name: 'duplicate device id', edit: (c) => (c.devices[2].id = 'd1'), problems: [/^devices\[2\]\.id: "d1" is already the id of devices\[0\]/] },
  { name: 'no devices', edit: (c) => (c.devices = []), problems: [/^devices: must have at least 1/] },
  { name: 'fading not in the enum', edit: (c) => (c.channel.fading = 'ricean'), problems: [/^channel\.fading: must be one of "none", "rayleigh"/] },
  { name: 'channel model not in the enum', edit: (c) => (c.channel.model = 'awgn'), problems: [/^channel\.model: must be one of/] },
  { name: 'trace missing a device', edit: traced({ d1: series, d3: series }), problems: [/^channel\.trace: .*"d2"/] },
  { name: 'trace CSV missing file', edit: traced('no-such-trace.csv'), problems: [/^channel\.trace: .*no-such-trace\.csv/] },
  { name: 'trace series empty', edit: traced({ d1: series, d2: { upBps: [], downBps: [1e6] }, d3: series }), problems: [/^channel\.trace\.d2\.upBps: must have at least 1/] },
  { name: 'shannon device missing distanceM', edit: (c) => delete c.devices[0].distanceM, problems: [/^devices\[0\]\.distanceM: is required by the shannon channel/] },
  { name: 'server freq min > max', edit: (c) => (c.server.freqHz.min = 2e9), problems: [/^server\.freqHz: min must be <= max/] },
  { name: 'weightDelay > 1', edit: (c) => (c.strategy.weightDelay = 1.5), problems: [/^strategy\.weightDelay: must be <= 1/] },
  { name: 'unknown strategy name', edit: (c) => (c.strategy = { name: 'greedy' }), problems: [/^strategy\.name: must be one of .*"card"/] },
  { name: 'fixed strategy infeasible', edit: (c) => (c.strategy = { name: 'fixed', cut: 12 }), problems: [/^strategy: .*cut.*12.*"d3"/] },
  { name: 'payloadScale above 1', edit: (c) => (c.emulation.payloadScale = 2), problems: [/^emulation\.payloadScale: must be <= 1/] },
  { name: 'invalid JSON', text: '{ "rounds": 2,, }', problems: [/not valid JSON/] },
  {
    name: 'several problems: every one is listed',
    edit: (c) => {
      c.devices[1].bandwidthHz = -5e6;
      c.devices[0].kappa = -1;
      c.training.batch = 0;
      c.server.freqHz.min = 2e9;
      c.channel.fading = 'ricean';
      c.strategy.weightDelay = 2;
      c.model.preset = 'gpt5';
    },
    problems: [
      /^devices\[1\]\.bandwidthHz: must be > 0/,
      /^devices\[0\]\.kappa: must be >= 0/,
      /^training\.batch: must be >= 1/,
      /^server\.freqHz: min must be <= max/,
      /^channel\.fading: must be one of/,
      /^strategy\.weightDelay: must be <= 1/,
      /^model\.preset: must be one of/,
    ],
  },
];

describe('sledge plan: bad configs exit 2, one stderr line per problem naming its path, nothing on stdout', () => {
  it.each(BAD.map((b, i) => [b.name, i] as const))('%s', async (_name, i) => {
    const bad = BAD[i]!;
    const file = join(dir, `bad-${i}.json`);
    if (bad.text !== undefined) writeFileSync(file, bad.text);
    else {
      const c = good();
      bad.edit!(c);
      writeFileSync(file, JSON.stringify(c, null, 2));
    }
    const r = await runCli(['plan', file]);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    const got = lines(r.stderr);
    expect(got, r.stderr).toHaveLength(bad.problems.length);
    // every line: "[sledge: ]<file>: <path>: <rule>", no stack trace
    const bodies = got.map((l) => {
      expect(l).not.toMatch(/^\s+at /);
      const m = /^(?:sledge: )?(.*?): (.*)$/.exec(l);
      expect(m?.[1], l).toBe(file);
      return m![2]!;
    });
    for (const p of bad.problems) expect(bodies.some((b) => p.test(b)), `${p} in\n${r.stderr}`).toBe(true);
  });

  it('a top-level problem does not hide the problems in the sections', async () => {
    const c = good();
    c.rounds = 0;
    c.devices[1].bandwidthHz = -5e6;
    const file = join(dir, 'top-and-nested.json');
    writeFileSync(file, JSON.stringify(c));
    const r = await runCli(['plan', file]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/rounds: must be >= 1/);
    expect(r.stderr).toMatch(/devices\[1\]\.bandwidthHz: must be > 0/);
    expect(lines(r.stderr)).toHaveLength(2);
  });

  it('a config file that does not exist', async () => {
    const r = await runCli(['plan', join(dir, 'nope.json')]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/nope\.json: cannot read config/);
  });

  it('a config without the sections that have defaults plans (emulation, strategy, mode, name, seed)', async () => {
    const c = good();
    delete c.emulation;
    delete c.strategy;
    delete c.name;
    delete c.seed;
    const file = join(dir, 'minimal.json');
    writeFileSync(file, JSON.stringify(c));
    const r = await runCli(['plan', file, '--json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).strategy).toBe('card:weightDelay=0.5,energyScale=1');
  });

  it('YAML works too, and its problems are named the same way', async () => {
    const file = join(dir, 'bad.yaml');
    const c = good();
    c.devices[1].bandwidthHz = -1;
    writeFileSync(file, JSON.stringify(c)); // JSON is YAML
    const r = await runCli(['plan', file]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/devices\[1\]\.bandwidthHz: must be > 0/);
  });
});

describe('sledge plan: bad faults exit 2, one line naming the JSON path', () => {
  const cases: [string, unknown, RegExp][] = [
    ['unknown device', [{ kind: 'dropout', device: 'd9', rounds: [1] }], /^faults\[0\]\.device: no device "d9"/],
    ['round outside 1..rounds', [{ kind: 'crash', device: 'd1', round: 3, phase: 'uplink' }], /^faults\[0\]\.round: must be <= 2/],
    ['dropout round 0', [{ kind: 'dropout', device: 'd1', rounds: [0] }], /^faults\[0\]\.rounds\[0\]: must be >= 1/],
    ['outage on a compute phase', [{ kind: 'outage', device: 'd2', round: 1, phase: 'deviceForward', seconds: 2 }], /^faults\[0\]\.phase: .*transfer phase/],
    [
      'overlapping faults on one turn',
      [
        { kind: 'crash', device: 'd2', round: 2, phase: 'uplink' },
        { kind: 'outage', device: 'd2', round: 2, phase: 'downlink', seconds: 1 },
      ],
      /^faults\[1\]\.round: round 2 of device "d2" already has a fault \(faults\[0\]\)/,
    ],
    ['unknown key', [{ kind: 'outage', device: 'd1', round: 1, phase: 'uplink', seconds: 1, rate: 0 }], /^faults\[0\]\.rate: unknown key/],
    ['seconds <= 0', [{ kind: 'outage', device: 'd1', round: 1, phase: 'uplink', seconds: -1 }], /^faults\[0\]\.seconds: must be > 0/],
    ['unknown kind', [{ kind: 'flood', device: 'd1', round: 1 }], /^faults\[0\]\.kind: must be one of/],
  ];
  it.each(cases)('%s', async (name, faults, pattern) => {
    const file = join(dir, `bad-faults-${name.replace(/\W+/g, '-')}.json`);
    writeFileSync(file, JSON.stringify({ ...good(), faults }));
    const r = await runCli(['plan', file]);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    const got = lines(r.stderr);
    expect(got, r.stderr).toHaveLength(1);
    expect(got[0]!.replace(/^(?:sledge: )?.*?\.json: /, '')).toMatch(pattern);
  });
});

describe('sledge plan: bad arguments exit 2 with one line naming the problem', () => {
  const cases: [string, string[], RegExp][] = [
    ['--strategy fixed:cut=99', ['--strategy', 'fixed:cut=99'], /--strategy: .*fixed.*99.*infeasible.*"d1"/],
    ['--strategy nope', ['--strategy', 'nope'], /--strategy: .*unknown strategy "nope"/],
    ['--compare =1', ['--compare', '=1'], /--compare: .*=1/],
    ['--compare card,=1', ['--compare', 'card,=1'], /--compare: .*=1/],
    ['--compare energyScale=1,card', ['--compare', 'energyScale=1,card'], /--compare: .*energyScale=1/],
    ['--strategy card:weightDelay=2', ['--strategy', 'card:weightDelay=2'], /--strategy: .*card.*weightDelay/],
    ['--strategy card:bogus=1', ['--strategy', 'card:bogus=1'], /--strategy: .*bogus/],
    ['--strategy with two strategies', ['--strategy', 'card,random'], /--strategy: /],
    ['--strategy and --compare together', ['--strategy', 'card', '--compare', 'random'], /--strategy and --compare/],
    ['unknown option', ['--frobnicate'], /unknown option '--frobnicate'/],
  ];
  it.each(cases)('%s', async (_name, args, pattern) => {
    const r = await runCli(['plan', PAPER, ...args]);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(pattern);
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });

  it('every argument error is one line (docs/cli.md: "Errors are one clear line on stderr")', async () => {
    for (const args of [['--frobnicate'], ['--strategy', 'nope'], []]) {
      const r = await runCli(['plan', ...(args.length ? [PAPER, ...args] : [])]);
      expect(r.status).toBe(2);
      expect(lines(r.stderr), r.stderr).toHaveLength(1);
    }
  });

  it('--verbose adds the stack', async () => {
    const r = await runCli(['--verbose', 'plan', PAPER, '--strategy', 'nope']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^\s+at /m);
  });
});

// ---------------------------------------------------------------------------------------

const TURN_KEYS = ['cut', 'delay', 'device', 'energy', 'rateDownBps', 'rateUpBps', 'round', 'serverFreqHz', 'status'];
const PHASE_KEYS = ['adapterDown', 'deviceForward', 'uplink', 'server', 'downlink', 'deviceBackward', 'adapterUp'];
const DELAY_KEYS = [...PHASE_KEYS, 'serverWait', 'total'];
const ENERGY_KEYS = ['server', 'deviceCompute', 'deviceTransmit'];

function close(a: number, b: number, rel = 1e-12): boolean {
  return Math.abs(a - b) <= rel * Math.max(Math.abs(a), Math.abs(b));
}

/** Checks one plan document (no faults) against docs/cli.md. */
function checkPlanShape(doc: any, devices: string[], rounds: number, mode: 'sequential' | 'parallel' = 'sequential'): void {
  expect(Object.keys(doc).sort()).toEqual(['rounds', 'strategy', 'summary', 'turns']);
  expect(typeof doc.strategy).toBe('string');
  expect(doc.turns).toHaveLength(rounds * devices.length);
  doc.turns.forEach((t: any, i: number) => {
    expect(Object.keys(t).sort()).toEqual(TURN_KEYS);
    expect(t.status).toBe('done');
    expect(t.round).toBe(Math.floor(i / devices.length) + 1);
    expect(t.device).toBe(devices[i % devices.length]);
    expect(Number.isInteger(t.cut)).toBe(true);
    for (const k of ['serverFreqHz', 'rateUpBps', 'rateDownBps']) expect(t[k]).toBeGreaterThan(0);
    expect(Object.keys(t.delay).sort()).toEqual([...DELAY_KEYS].sort());
    expect(Object.keys(t.energy).sort()).toEqual([...ENERGY_KEYS].sort());
    for (const k of PHASE_KEYS) expect(t.delay[k]).toBeGreaterThan(0);
    if (mode === 'sequential') expect(t.delay.serverWait).toBe(0);
    else expect(t.delay.serverWait).toBeGreaterThanOrEqual(0);
    for (const k of ENERGY_KEYS) expect(t.energy[k]).toBeGreaterThanOrEqual(0);
    const phases = PHASE_KEYS.reduce((a, k) => a + t.delay[k], 0) + t.delay.serverWait;
    expect(close(t.delay.total, phases), `turn ${i}: total ${t.delay.total} != sum of phases + serverWait ${phases}`).toBe(true);
  });
  expect(doc.rounds.map((r: any) => r.round)).toEqual(Array.from({ length: rounds }, (_, i) => i + 1));
  for (const r of doc.rounds) {
    expect(r).toHaveProperty('delay');
    expect(r).toHaveProperty('serverEnergy');
    const ts = doc.turns.filter((t: any) => t.round === r.round);
    const delay = mode === 'sequential' ? ts.reduce((a: number, t: any) => a + t.delay.total, 0) : Math.max(...ts.map((t: any) => t.delay.total));
    expect(close(r.delay, delay)).toBe(true);
    expect(close(r.serverEnergy, ts.reduce((a: number, t: any) => a + t.energy.server, 0))).toBe(true);
  }
  const mean = (k: string) => doc.rounds.reduce((a: number, r: any) => a + r[k], 0) / rounds;
  expect(close(doc.summary.avgRoundDelay, mean('delay'))).toBe(true);
  expect(close(doc.summary.avgServerEnergy, mean('serverEnergy'))).toBe(true);
}

describe('sledge plan --json', () => {
  const paper = JSON.parse(readFileSync(PAPER, 'utf8'));
  const ids = paper.devices.map((d: any) => d.id);

  it('prints exactly one JSON document of the documented shape', async () => {
    const r = await runCli(['plan', PAPER, '--json']);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    const doc = JSON.parse(r.stdout);
    checkPlanShape(doc, ids, paper.rounds);
    // the config's strategy, its frequency from the closed form: cbrt(0.5 / (2*0.5*0.1*1e-25)) = cbrt(5e25) = 368.4 MHz
    expect(doc.strategy).toBe('card:weightDelay=0.5,energyScale=0.1');
    for (const t of doc.turns) expect(close(t.serverFreqHz ** 3, 5e25, 1e-12)).toBe(true);
  });

  it('the chosen strategy is the one printed and used', async () => {
    const r = await runCli(['plan', PAPER, '--strategy', 'fixed:cut=3,freqHz=9e8', '--json']);
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout);
    checkPlanShape(doc, ids, paper.rounds);
    expect(doc.strategy).toBe('fixed:cut=3,freqHz=900000000');
    expect(new Set(doc.turns.map((t: any) => `${t.cut}@${t.serverFreqHz}`))).toEqual(new Set(['3@900000000']));
  });

  it('--compare --json: every plan, the reference and the reductions computed from the plans', async () => {
    const r = await runCli(['plan', PAPER, '--compare', SIX, '--json']);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    const doc = JSON.parse(r.stdout);
    expect(Object.keys(doc).sort()).toEqual(['plans', 'reductions', 'reference']);
    expect(doc.plans.map((p: any) => p.strategy)).toEqual([
      'card:weightDelay=0.5,energyScale=1',
      'cut-only:weightDelay=0.5,energyScale=1',
      'fixed:cut=8',
      'random',
      'device-heavy',
      'server-heavy',
    ]);
    for (const p of doc.plans) checkPlanShape(p, ids, paper.rounds);
    // the same channel draws for every strategy
    for (const p of doc.plans) {
      expect(p.turns.map((t: any) => [t.rateUpBps, t.rateDownBps])).toEqual(doc.plans[0].turns.map((t: any) => [t.rateUpBps, t.rateDownBps]));
    }
    expect(doc.reference).toBe('card:weightDelay=0.5,energyScale=1');
    const ref = doc.plans[0].summary;
    expect(doc.reductions.map((x: any) => x.strategy)).toEqual(doc.plans.slice(1).map((p: any) => p.strategy));
    doc.reductions.forEach((x: any, i: number) => {
      const other = doc.plans[i + 1].summary;
      expect(close(x.delay, 1 - ref.avgRoundDelay / other.avgRoundDelay)).toBe(true);
      expect(close(x.serverEnergy, 1 - ref.avgServerEnergy / other.avgServerEnergy)).toBe(true);
    });
    // CARD at its own weights is at least as good as each of the others on its objective, turn by turn
    const J = (t: any) => 0.5 * t.delay.total + 0.5 * 1 * t.energy.server;
    for (const p of doc.plans.slice(1)) {
      p.turns.forEach((t: any, i: number) => expect(J(doc.plans[0].turns[i])).toBeLessThanOrEqual(J(t) * (1 + 1e-9)));
    }
  });

  it('the compare table lists all six strategies and the reductions', async () => {
    const table = await runCli(['plan', PAPER, '--compare', SIX]);
    expect(table.status).toBe(0);
    expect(table.stderr).toBe('');
    const json = JSON.parse((await runCli(['plan', PAPER, '--compare', SIX, '--json'])).stdout);
    const rows = lines(table.stdout);
    for (const p of json.plans) {
      const row = rows.find((l) => l.startsWith(`${p.strategy} `));
      expect(row, `no row for ${p.strategy} in\n${table.stdout}`).toBeDefined();
      const red = json.reductions.find((x: any) => x.strategy === p.strategy);
      if (red) {
        expect(row).toContain(`${(red.delay * 100).toFixed(1)}%`);
        expect(row).toContain(`${(red.serverEnergy * 100).toFixed(1)}%`);
      } else {
        expect(row).toContain('reference');
      }
    }
    expect(table.stdout).toMatch(/delay reduction/);
    expect(table.stdout).toMatch(/energy reduction/);
  });

  it('the default table output names the strategy and gives the summary', async () => {
    const r = await runCli(['plan', PAPER]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('card:weightDelay=0.5,energyScale=0.1');
    expect(r.stdout).toMatch(/avg round delay [\d.]+ s, avg server energy [\d.]+ J/);
    const doc = JSON.parse((await runCli(['plan', PAPER, '--json'])).stdout);
    expect(r.stdout).toContain(`avg round delay ${Number(doc.summary.avgRoundDelay.toPrecision(4))} s`);
  });
});

describe('configs/trace-example.json', () => {
  it('plans on the CSV trace beside it, each round taking the CSV row of its index (t-1) mod 10', async () => {
    const config = JSON.parse(readFileSync(TRACE, 'utf8'));
    expect(config.channel).toMatchObject({ model: 'trace', trace: 'trace-example.csv' });
    const csv = lines(readFileSync(join(ROOT, 'configs', 'trace-example.csv'), 'utf8'));
    expect(csv[0]).toBe('round,device,upBps,downBps');
    const rows = new Map(csv.slice(1).map((l) => {
      const [round, device, up, down] = l.split(',');
      return [`${round}/${device}`, [Number(up), Number(down)]];
    }));
    const csvRounds = Math.max(...csv.slice(1).map((l) => Number(l.split(',')[0])));
    expect(csvRounds).toBe(10);
    // run from another directory: the CSV is found relative to the config
    const r = await runCli(['plan', TRACE, '--json'], { cwd: dir });
    expect(r.status, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    const ids = config.devices.map((d: any) => d.id);
    expect(ids.length).toBeGreaterThanOrEqual(3);
    expect(ids.length).toBeLessThanOrEqual(4);
    checkPlanShape(doc, ids, config.rounds);
    expect(config.rounds).toBeGreaterThan(csvRounds); // so that the cycle is exercised
    for (const t of doc.turns) {
      const [up, down] = rows.get(`${((t.round - 1) % csvRounds) + 1}/${t.device}`)!;
      expect(t.rateUpBps).toBe(up);
      expect(t.rateDownBps).toBe(down);
    }
    const c = await runCli(['plan', TRACE, '--compare', SIX.replace('fixed:cut=8', 'fixed:cut=4')]);
    expect(c.status, c.stderr).toBe(0);
    expect(c.stdout).toContain('trace');
  });
});

describe('configs/paper-parallel.json and configs/faults-example.json', () => {
  it('parallel: the documented shape, rounds last as long as their latest device, --compare works', async () => {
    const config = JSON.parse(readFileSync(PARALLEL, 'utf8'));
    expect(config.mode).toBe('parallel');
    const r = await runCli(['plan', PARALLEL, '--json']);
    expect(r.status, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    checkPlanShape(doc, config.devices.map((d: any) => d.id), config.rounds, 'parallel');
    expect(doc.summary.mode).toBe('parallel');
    // same decisions and energy as sequential, shorter rounds
    const seq = JSON.parse((await runCli(['plan', PAPER, '--json'])).stdout);
    expect(doc.turns.map((t: any) => t.cut)).toEqual(seq.turns.map((t: any) => t.cut));
    expect(close(doc.summary.avgServerEnergy, seq.summary.avgServerEnergy)).toBe(true);
    expect(doc.summary.avgRoundDelay).toBeLessThan(seq.summary.avgRoundDelay);
    const c = await runCli(['plan', PARALLEL, '--compare', SIX]);
    expect(c.status, c.stderr).toBe(0);
    expect(c.stdout).toContain('parallel');
    expect(lines(c.stdout).filter((l) => /^(card|cut-only|fixed|random|device-heavy|server-heavy)/.test(l))).toHaveLength(6);
  });

  it('faults: a status per turn, the counts in the summary and the table', async () => {
    const config = JSON.parse(readFileSync(FAULTS, 'utf8'));
    expect(config.faults.map((f: any) => f.kind).sort()).toEqual(['crash', 'dropout', 'outage']);
    const r = await runCli(['plan', FAULTS, '--json']);
    expect(r.status, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.turns).toHaveLength(config.rounds * config.devices.length);
    const crash = config.faults.find((f: any) => f.kind === 'crash');
    const outage = config.faults.find((f: any) => f.kind === 'outage');
    const drop = config.faults.find((f: any) => f.kind === 'dropout');
    const at = (round: number, device: string) => doc.turns.find((t: any) => t.round === round && t.device === device);
    expect(crash.phase).toBe('uplink');
    expect(at(crash.round, crash.device).status).toBe('crashed');
    // I = 1: the phases before the uplink are done, the uplink and after are 0, so is the server energy
    const c = at(crash.round, crash.device);
    expect(c.delay.uplink).toBe(0);
    expect(c.energy.server).toBe(0);
    expect(close(c.delay.total, c.delay.adapterDown + c.delay.deviceForward)).toBe(true);
    for (const round of drop.rounds) expect(at(round, drop.device)).toMatchObject({ status: 'dropped', cut: 0, serverFreqHz: 0, delay: { total: 0 } });
    expect(outage).toMatchObject({ phase: 'downlink', seconds: 2 });
    // the faults example is the paper's own setting, without latency
    const clean = JSON.parse((await runCli(['plan', join(ROOT, 'configs', 'paper-nolatency.json'), '--json'])).stdout);
    const o = at(outage.round, outage.device);
    const before = clean.turns.find((t: any) => t.round === outage.round && t.device === outage.device);
    expect(o.status).toBe('done');
    expect(close(o.delay.downlink, before.delay.downlink + 2)).toBe(true);
    const n = config.rounds * config.devices.length;
    expect(doc.summary.turnsByStatus).toEqual({ done: n - drop.rounds.length - 1, dropped: drop.rounds.length, crashed: 1 });
    const table = await runCli(['plan', FAULTS]);
    expect(table.status).toBe(0);
    expect(table.stdout).toContain(`turns: ${n - drop.rounds.length - 1} done, ${drop.rounds.length} dropped, 1 crashed`);
  });
});
