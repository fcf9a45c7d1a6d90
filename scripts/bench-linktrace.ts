/**
 * Benchmark of trace-following links (not a test; docs/linktrace.md "## Benchmark").
 *
 *   npm run bench:linktrace                      # plan section, then the emulation section
 *   node dist/scripts/bench-linktrace.js --plan-only
 *   node dist/scripts/bench-linktrace.js --traces DIR   # a Mahimahi pair DIR/X.up, DIR/X.down
 *
 * Plan: 1,000 generated devices × 100 rounds on the Verizon LTE pair, sequential and
 * parallel, CARD: wall time of the whole plan (aim < 1 s: prefix counts, no scans).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseTurnsCsv } from '../emulator/records/turn-record.js';
import { loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { parseConfig } from '../src/config.js';
import { plan } from '../src/plan.js';
import { SystemModel } from '../src/system-model.js';

const { values } = parseArgs({
  options: {
    'plan-only': { type: 'boolean', default: false },
    // Mahimahi's traces are not shipped (docs/linktrace.md says where to get them): no default
    traces: { type: 'string', default: process.env.SLEDGE_TRACES ?? '' },
    pair: { type: 'string', default: 'Verizon-LTE-short' },
    devices: { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '100' },
  },
});

if (!values.traces) {
  process.stderr.write('bench:linktrace: give --traces DIR (or SLEDGE_TRACES), the folder that holds a Mahimahi trace pair (docs/linktrace.md)\n');
  process.exit(2);
}
const upPath = resolve(values.traces, `${values.pair}.up`);
const downPath = resolve(values.traces, `${values.pair}.down`);
if (!existsSync(upPath) || !existsSync(downPath)) {
  process.stderr.write(`bench:linktrace: no trace pair ${upPath}, ${downPath} (give --traces DIR --pair NAME)\n`);
  process.exit(2);
}

function linktraceConfig(base: string, overrides: Record<string, unknown>) {
  const raw = JSON.parse(readFileSync(base, 'utf8')) as Record<string, unknown>;
  const r = parseConfig(
    { ...raw, channel: { model: 'linktrace', format: 'mahimahi', delayMs: 10, links: { default: { up: upPath, down: downPath, staggerS: 7 } } }, ...overrides },
    (p) => ({ text: readFileSync(resolve(dirname(base), p), 'utf8'), source: p }),
  );
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return r.config;
}

function planSection(): void {
  const count = Number(values.devices);
  const rounds = Number(values.rounds);
  const base = resolve('configs/paper-1000.json');
  const raw = JSON.parse(readFileSync(base, 'utf8')) as { devices: Record<string, unknown> };
  const { distanceM: _d, bandwidthHz: _b, ...devices } = raw.devices;
  process.stdout.write(`## plan: ${count} devices × ${rounds} rounds on ${values.pair}, card (load average ${loadavg()[0]!.toFixed(1)})\n`);
  const shannon = parseConfig({ ...raw, rounds, devices: { ...raw.devices, count } });
  if (!shannon.ok) throw new Error(shannon.errors.join('\n'));
  const cases = [
    ['shannon (the same plan without traces, for scale)', shannon.config],
    ...(['sequential', 'parallel'] as const).map((mode) => [`linktrace ${mode}`, linktraceConfig(base, { rounds, mode, devices: { ...devices, count } })] as const),
  ] as const;
  for (const [label, config] of cases) {
    const times: number[] = [];
    let turns = 0;
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      const system = new SystemModel(config);
      const p = plan(system, system.strategy());
      times.push(performance.now() - t0);
      turns = p.turns.length;
    }
    const best = Math.min(...times);
    process.stdout.write(`${label.padEnd(52)}  ${turns} turns  best of 3: ${best.toFixed(0)} ms  (${((turns / best) * 1000).toFixed(0)} turns/s)\n`);
  }
}

/** |x - 1| quantiles, nearest rank. */
function q(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)]! : NaN;
}
const pctOf = (x: number) => `${(100 * x).toFixed(1)}%`;

/** Emulation: configs/lte.json's 5 devices on the pair, tc, at auto; measured vs integrated, expected vs integrated. */
function emulateSection(): void {
  const dir = mkdtempSync(join(tmpdir(), 'bench-linktrace-'));
  const base = JSON.parse(readFileSync('configs/lte.json', 'utf8')) as Record<string, unknown>;
  process.stdout.write(`\n## emulation: ${values.pair}, 5 devices, ${values.rounds === '100' ? 1 : values.rounds} round(s), at auto (load average ${loadavg()[0]!.toFixed(1)})\n`);
  process.stdout.write('mode        network  transfer phases median/p95 |m/i-1|  per phase median (aD / up / down / aU)  turn total median/p95  median |expected/integrated-1|  step (ms emulated)  rate changes/s  wall (s)\n');
  for (const mode of ['sequential', 'parallel'] as const) {
    for (const network of ['tc', 'userspace'] as const) {
      const cfgPath = join(dir, `${mode}-${network}.json`);
      writeFileSync(cfgPath, JSON.stringify({
        ...base, name: `bench-${mode}-${network}`, mode, rounds: values.rounds === '100' ? 1 : Number(values.rounds),
        channel: { model: 'linktrace', format: 'mahimahi', delayMs: 10, links: { default: { up: upPath, down: downPath, staggerS: 7 } } },
        emulation: { timeScale: 'auto', fidelity: 0.05, wallBudgetS: 120, payloadScale: 0.1, network, workload: 'sleep' },
      }));
      const out = join(dir, `${mode}-${network}`);
      const t0 = performance.now();
      const r = spawnSync(process.execPath, ['dist/emulator/cli.js', 'run', cfgPath, '--out', out], { encoding: 'utf8' });
      const wall = (performance.now() - t0) / 1000;
      if (r.status !== 0) {
        process.stdout.write(`${mode.padEnd(11)} ${network.padEnd(8)} failed: ${(r.stderr || r.stdout).trim().split('\n').pop()}\n`);
        continue;
      }
      const rows = parseTurnsCsv(readFileSync(join(out, 'turns.csv'), 'utf8')).filter((t) => t.status === 'done');
      const transferPhases = ['adapterDown', 'uplink', 'downlink', 'adapterUp'] as const;
      const errorsOf = (p: (typeof transferPhases)[number]) => rows.map((t) => Math.abs(t.measured.delay[p] / t.predicted.delay[p] - 1));
      const phases = transferPhases.flatMap(errorsOf);
      const perPhase = transferPhases.map((p) => pctOf(q(errorsOf(p), 0.5))).join(' / ');
      const totals = rows.map((t) => Math.abs(t.measured.delay.total / t.predicted.delay.total - 1));
      const expected = rows.map((t) => Math.abs((t.linktrace?.expectedTotal ?? NaN) / t.predicted.delay.total - 1));
      const facts = existsSync(join(out, 'linktrace.json')) ? (JSON.parse(readFileSync(join(out, 'linktrace.json'), 'utf8')) as { stepS: number; changesPerWallS: number }) : undefined;
      process.stdout.write(
        `${mode.padEnd(11)} ${network.padEnd(8)} ${`${pctOf(q(phases, 0.5))} / ${pctOf(q(phases, 0.95))}`.padEnd(36)} ${perPhase.padEnd(39)} ${`${pctOf(q(totals, 0.5))} / ${pctOf(q(totals, 0.95))}`.padEnd(22)} ${pctOf(q(expected, 0.5)).padEnd(30)} ${facts ? (facts.stepS * 1000).toFixed(0) : '-'}`.padEnd(0) +
          `${''.padEnd(18)} ${facts ? facts.changesPerWallS.toFixed(0) : '-'}`.padEnd(16) + ` ${wall.toFixed(0)}\n`,
      );
    }
  }
  rmSync(dir, { recursive: true, force: true });
}

planSection();
if (!values['plan-only']) emulateSection();
