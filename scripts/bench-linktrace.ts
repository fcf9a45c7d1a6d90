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
import { existsSync, readFileSync } from 'node:fs';
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
    traces: { type: 'string', default: resolve(process.cwd(), '../shared/traces') },
    pair: { type: 'string', default: 'Verizon-LTE-short' },
    devices: { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '100' },
  },
});

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

planSection();
