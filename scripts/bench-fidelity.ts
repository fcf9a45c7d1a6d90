/**
 * npm run bench:fidelity — how closely the emulator follows the analytic model: runs
 * configs/paper.json (or argv[2]) at two time scales and prints, per phase, the median
 * and p95 of |measured/predicted − 1| and the wall time. Not a test: figures to read.
 * Usage: node dist/scripts/bench-fidelity.js [config] [timeScale,timeScale] [network]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SystemModel } from '../src/system-model.js';
import { loadConfig } from '../emulator/experiment/config-file.js';
import { runEmulation } from '../emulator/launcher/emulation.js';
import { num, pct, table } from '../emulator/format/table.js';
import { abortOnSignals } from '../emulator/terminal/signals.js';

const configPath = process.argv[2] ?? 'configs/paper.json';
const scales = (process.argv[3] ?? '0.05,0.2').split(',').map(Number);
const network = process.argv[4] as 'tc' | 'userspace' | 'auto' | undefined;
const signals = abortOnSignals();
const out = mkdtempSync(join(tmpdir(), 'sledge-bench-fidelity-'));

try {
  for (const timeScale of scales) {
    const config = loadConfig(configPath);
    config.emulation.timeScale = timeScale;
    if (network) config.emulation.network = network;
    const system = new SystemModel(config);
    const result = await runEmulation(system, system.strategy(), { outDir: join(out, String(timeScale)), signal: signals.signal });
    if (result.status !== 'finished') throw result.error ?? new Error(result.status);
    const s = result.summary;
    console.log(`\n${config.name}: timeScale ${timeScale}, payloadScale ${config.emulation.payloadScale}, ${s.network} network, ${s.turnsDone} turns, wall ${num(s.wallSeconds, 3)} s`);
    console.log(`avg round delay predicted ${num(s.predicted.avgRoundDelay)} s, measured ${num(s.measured.avgRoundDelay)} s; avg server energy predicted ${num(s.predicted.avgServerEnergy)} J, measured ${num(s.measured.avgServerEnergy)} J`);
    console.log(table(['phase', 'median |m/p-1|', 'p95 |m/p-1|'], s.fidelity.map((f) => [f.phase, pct(f.median), pct(f.p95)])));
  }
} finally {
  signals.dispose();
  rmSync(out, { recursive: true, force: true });
}
