/**
 * npm run bench:fidelity — how closely the emulator follows the analytic model: runs
 * configs/paper.json (or argv[2]) at two time scales, then configs/paper-parallel.json
 * with its devices repeated to 10 and 100 (parallel mode: every round's jobs queue for
 * one GPU), and prints, per phase, the median and p95 of |measured/predicted − 1|, the
 * median and p95 of |measured − predicted| in emulated seconds (the figure that means
 * something for serverWait, often predicted near 0), and the wall time. Not a test:
 * figures to read.
 * Usage: node dist/scripts/bench-fidelity.js [config] [timeScale,timeScale or none] [network] [parallel device counts, e.g. 10,100 or none] [parallel timeScales, default 0.05,0.2]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../src/config.js';
import { SystemModel } from '../src/system-model.js';
import { loadConfig } from '../emulator/experiment/config-file.js';
import { runEmulation } from '../emulator/launcher/emulation.js';
import { num, pct, table } from '../emulator/format/table.js';
import { abortOnSignals } from '../emulator/terminal/signals.js';

const configPath = process.argv[2] ?? 'configs/paper.json';
const scales = process.argv[3] === 'none' ? [] : (process.argv[3] ?? '0.05,0.2').split(',').map(Number);
const network = process.argv[4] as 'tc' | 'userspace' | 'auto' | undefined;
const parallelCounts = process.argv[5] === 'none' ? [] : (process.argv[5] ?? '10,100').split(',').map(Number);
const parallelScales = (process.argv[6] ?? '0.05,0.2').split(',').map(Number);
const signals = abortOnSignals();
const out = mkdtempSync(join(tmpdir(), 'sledge-bench-fidelity-'));

async function bench(config: Config, label: string): Promise<void> {
  if (network) config.emulation.network = network;
  const system = new SystemModel(config);
  const result = await runEmulation(system, system.strategy(), { outDir: join(out, label), signal: signals.signal });
  if (result.status !== 'finished') throw result.error ?? new Error(result.status);
  const s = result.summary;
  console.log(`\n${config.name} (${config.mode ?? 'sequential'}, ${config.devices.length} devices): timeScale ${config.emulation.timeScale}, payloadScale ${config.emulation.payloadScale}, ${s.network} network, ${s.turnsDone} turns, wall ${num(s.wallSeconds, 3)} s`);
  console.log(`avg round delay predicted ${num(s.predicted.avgRoundDelay)} s, measured ${num(s.measured.avgRoundDelay)} s; avg server energy predicted ${num(s.predicted.avgServerEnergy)} J, measured ${num(s.measured.avgServerEnergy)} J`);
  console.log(
    table(
      ['phase', 'median |m/p-1|', 'p95 |m/p-1|', 'median |m-p| (s)', 'p95 |m-p| (s)'],
      s.fidelity.map((f) => [f.phase, f.n ? pct(f.median) : '–', f.n ? pct(f.p95) : '–', num(f.absMedian, 3), num(f.absP95, 3)]),
    ),
  );
}

/** The paper's parallel scenario with its five devices repeated to `n` (ids d1..dn), three rounds. */
function parallelOf(n: number): Config {
  const config = loadConfig('configs/paper-parallel.json');
  const five = config.devices;
  config.devices = Array.from({ length: n }, (_, i) => ({ ...five[i % five.length]!, id: `d${i + 1}` }));
  config.rounds = 3;
  config.name = `${config.name}-${n}`;
  return config;
}

try {
  for (const timeScale of scales) {
    const config = loadConfig(configPath);
    config.emulation.timeScale = timeScale;
    await bench(config, String(timeScale));
  }
  for (const n of parallelCounts) {
    for (const timeScale of parallelScales) {
      const config = parallelOf(n);
      config.emulation.timeScale = timeScale;
      await bench(config, `parallel-${n}-${timeScale}`);
    }
  }
} finally {
  signals.dispose();
  rmSync(out, { recursive: true, force: true });
}
