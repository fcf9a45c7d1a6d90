/**
 * Benchmark of the analytic planner (not a test): a generated 1,000-device, llama2-7b,
 * 100-round config on a shannon/rayleigh channel, planned with every strategy; prints the
 * wall time of each and its turns per second. Aim: CARD under 100 ms. Also a user's module
 * (scripts/bench-smallest.mjs, the same decisions as server-heavy, so the difference is the
 * module call's overhead per turn), examples/strategies/rotor.mjs and lyapunov
 * (docs/strategies.md "## Benchmark").
 *
 *   npm run bench:plan                 # 1000 devices, 100 rounds, 3 repetitions
 *   node dist/scripts/bench-plan.js --devices 200 --rounds 50 --repeat 5
 *   node dist/scripts/bench-plan.js --write configs/paper-1000.json   # also save the config
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadModulesInto, resolveModulePaths } from '../emulator/experiment/strategy-module.js';
import { parseArgs } from 'node:util';
import { parseConfig } from '../src/config.js';
import { plan } from '../src/plan.js';
import { parseStrategyList } from '../src/strategy/spec.js';
import { SystemModel } from '../src/system-model.js';

// scripts/ and examples/ from dist/scripts/: two levels up is the repository
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MODULE = `${ROOT}scripts/bench-smallest.mjs`;
const ROTOR = `${ROOT}examples/strategies/rotor.mjs`;

const { values } = parseArgs({
  options: {
    devices: { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '100' },
    repeat: { type: 'string', default: '3' },
    strategies: { type: 'string', default: `card,cut-only,fixed:cut=2,random,device-heavy,server-heavy,lyapunov:energyBudgetJ=25000,V=100,${MODULE},${ROTOR}` },
    write: { type: 'string' },
  },
});
const count = Number(values.devices);
const rounds = Number(values.rounds);
const repeat = Math.max(1, Number(values.repeat));

/** The paper's setting scaled up: heterogeneous devices drawn from the seed. */
export function benchConfig(deviceCount: number, roundCount: number): Record<string, unknown> {
  return {
    name: `paper-${deviceCount}`,
    seed: 2025,
    rounds: roundCount,
    mode: 'sequential',
    model: { preset: 'llama2-7b' },
    training: {
      seqLen: 512,
      batch: 4,
      iterations: 1,
      backwardFactor: 2,
      bytesPerActivation: 2,
      bytesPerWeight: 2,
      activationFactor: 16,
      lora: { rank: 8, matricesPerLayer: 2, bytesPerParam: 2 },
    },
    server: { freqHz: { min: 2.1e8, max: 1.41e9 }, flopsPerCycle: 110000, kappa: 1e-25, staticPowerW: 20, txPowerDbm: 43 },
    // llama2-7b: M(l) = 262 MB + l * 673 MB, so 2-24 GB holds cuts 1..2 up to 1..31
    devices: {
      count: deviceCount,
      freqHz: { uniform: [3e8, 1.5e9] },
      flopsPerCycle: { uniform: [1024, 8192] },
      kappa: { uniform: [1e-26, 2e-26] },
      memoryBytes: { uniform: [2e9, 24e9] },
      txPowerDbm: { uniform: [18, 23] },
      distanceM: { uniform: [30, 400] },
      bandwidthHz: { uniform: [1e6, 2e7] },
    },
    channel: { model: 'shannon', fading: 'rayleigh', noiseDbmPerHz: -174, refLossDb: 15.3, pathLossExponent: 3.76 },
    strategy: { name: 'card', weightDelay: 0.5, energyScale: 0.1 },
    emulation: { timeScale: 0.001, payloadScale: 0.001, network: 'auto', workload: 'sleep' },
  };
}

const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;

const raw = benchConfig(count, rounds);
if (values.write) {
  writeFileSync(values.write, `${JSON.stringify(raw, null, 2)}\n`);
  console.log(`wrote ${values.write}`);
}

let t0 = process.hrtime.bigint();
const parsed = parseConfig(raw);
if (!parsed.ok) {
  console.error(parsed.errors.join('\n'));
  process.exit(2);
}
const system = new SystemModel(parsed.config);
const setupMs = ms(t0);
const turns = count * rounds;
const cuts = [...system.feasibleCuts.values()];
const meanCuts = cuts.reduce((a, c) => a + c.length, 0) / cuts.length;

console.log(`bench:plan — ${count} devices (generated), llama2-7b, ${rounds} rounds, shannon/rayleigh: ${turns.toLocaleString('en')} turns, ${meanCuts.toFixed(1)} feasible cuts per device on average`);
console.log(`node ${process.version}, ${repeat} run(s) per strategy; config validation + system set-up ${setupMs.toFixed(0)} ms\n`);

const rows: string[][] = [['strategy', 'first run (ms)', `best of ${repeat} (ms)`, 'turns/s (best)', 'avg round delay (s)', 'avg server energy (J)']];
const times = new Map<string, number>();
const choices = resolveModulePaths(parseStrategyList(values.strategies!), process.cwd());
await loadModulesInto(system, choices);
const bests = new Map<string, number>();
for (const choice of choices) {
  const strategy = system.strategy(choice);
  let first = 0;
  let best = Infinity;
  let summary = { avgRoundDelay: 0, avgServerEnergy: 0 };
  for (let i = 0; i < repeat; i++) {
    t0 = process.hrtime.bigint();
    const p = plan(system, strategy);
    const t = ms(t0);
    if (i === 0) first = t;
    best = Math.min(best, t);
    summary = p.summary;
  }
  times.set(strategy.name, first);
  bests.set(strategy.name, best);
  rows.push([
    strategy.spec,
    first.toFixed(0),
    best.toFixed(0),
    Math.round(turns / (best / 1000)).toLocaleString('en'),
    summary.avgRoundDelay.toPrecision(5),
    summary.avgServerEnergy.toPrecision(5),
  ]);
}

const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
for (const r of rows) console.log(r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '));

const card = bests.get('card');
if (card !== undefined) {
  console.log(`\nCARD: ${card.toFixed(0)} ms best of ${repeat} for ${turns.toLocaleString('en')} turns (aim: < 100 ms) — ${card < 100 ? 'OK' : 'SLOWER THAN THE AIM'}`);
}
const perTurnUs = (ms: number) => ((ms * 1000) / turns).toFixed(3);
const builtin = bests.get('server-heavy');
const mod = bests.get('bench-smallest');
if (builtin !== undefined && mod !== undefined) {
  console.log(`module call overhead: bench-smallest (a module deciding as server-heavy does) ${perTurnUs(mod)} µs/turn vs built-in server-heavy ${perTurnUs(builtin)} µs/turn: ${perTurnUs(mod - builtin)} µs per turn`);
}
for (const name of ['lyapunov', 'rotor']) {
  const t = bests.get(name);
  if (t !== undefined && card !== undefined) console.log(`${name}: ${perTurnUs(t)} µs/turn, CARD ${perTurnUs(card)} µs/turn (${(t / card).toFixed(2)}×)`);
}
