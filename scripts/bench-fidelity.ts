/**
 * npm run bench:fidelity — how closely the emulator follows the analytic model: runs
 * configs/paper.json (or argv[2]) in tc and userspace mode at timeScale "auto" and at fixed
 * scales, and prints per run the calibrated floor (median and p95, wall ms), the time
 * scale, the wall time and every phase's median and p95 |measured/predicted − 1|; then
 * the host's load. Not a test: figures to read.
 * Then configs/paper-parallel.json with its devices repeated to 10 and 100 (parallel mode:
 * every round's jobs queue for one GPU), where |measured − predicted| in emulated seconds is
 * the figure that means something for serverWait.
 * Usage: node dist/scripts/bench-fidelity.js [config] [auto,0.02,0.05,0.2] [tc,userspace] [parallel device counts, e.g. 10,100 or none] [parallel timeScales, default 0.05,0.2]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../src/config.js';
import { SystemModel } from '../src/system-model.js';
import { loadConfig } from '../emulator/experiment/config-file.js';
import { runEmulation } from '../emulator/launcher/emulation.js';
import { tcModeMissing, probeCapabilities } from '../emulator/net/probe.js';
import type { RunSummary } from '../emulator/records/run-summary.js';
import { num, pct, table } from '../emulator/format/table.js';
import { abortOnSignals } from '../emulator/terminal/signals.js';
import { UsageError } from '../emulator/errors.js';

const configPath = process.argv[2] ?? 'configs/paper.json';
const scales = process.argv[3] === 'none' ? [] : (process.argv[3] ?? 'auto,0.02,0.05,0.2').split(',').map((s) => (s === 'auto' ? 'auto' : Number(s)));
const networks = (process.argv[4] ?? 'tc,userspace').split(',') as ('tc' | 'userspace')[];
const parallelCounts = process.argv[5] === 'none' ? [] : (process.argv[5] ?? '10,100').split(',').map(Number);
const parallelScales = (process.argv[6] ?? '0.05,0.2').split(',').map(Number);
const signals = abortOnSignals();
const out = mkdtempSync(join(tmpdir(), 'sledge-bench-fidelity-'));

async function runOne(network: 'tc' | 'userspace', timeScale: number | 'auto'): Promise<RunSummary> {
  const config = loadConfig(configPath);
  config.emulation.network = network;
  config.emulation.timeScale = timeScale;
  if (timeScale !== 'auto') delete config.emulation.wallBudgetS;
  const system = new SystemModel(config);
  const load = loadavg()[0] as number;
  const result = await runEmulation(system, system.strategy(), { outDir: join(out, `${network}-${timeScale}`), signal: signals.signal });
  if (result.status !== 'finished') throw result.error ?? new Error(result.status);
  const s = result.summary;
  console.log(`\n${config.name}, ${network}, timeScale ${timeScale === 'auto' ? `auto → ${s.timeScale}` : s.timeScale}: ${s.turnsDone} turns, wall ${num(s.wallSeconds, 3)} s, load ${num(load, 2)} → ${num(loadavg()[0] as number, 2)}`);
  console.log(`floor per transfer median ${num(s.floor!.transfer.medianMs, 3)} ms, p95 ${num(s.floor!.transfer.p95Ms, 3)} ms (wall)`);
  console.log(table(['phase', 'median', 'p95'], s.fidelityByPhase.map((f) => [f.belowResolution ? `${f.phase} *` : f.phase, pct(f.median), pct(f.p95)])));
  return s;
}

/** The paper's parallel scenario with its five devices repeated to `n` (ids d1..dn), three rounds. */
function parallelOf(n: number, timeScale: number): Config {
  const config = loadConfig('configs/paper-parallel.json');
  const five = config.devices;
  config.devices = Array.from({ length: n }, (_, i) => ({ ...five[i % five.length]!, id: `d${i + 1}` }));
  config.rounds = 3;
  config.name = `${config.name}-${n}`;
  config.emulation.timeScale = timeScale;
  return config;
}

async function runParallel(n: number, timeScale: number): Promise<void> {
  const config = parallelOf(n, timeScale);
  const system = new SystemModel(config);
  const result = await runEmulation(system, system.strategy(), { outDir: join(out, `parallel-${n}-${timeScale}`), signal: signals.signal });
  if (result.status !== 'finished') throw result.error ?? new Error(result.status);
  const s = result.summary;
  console.log(`\n${config.name} (parallel, ${n} devices): timeScale ${timeScale}, ${s.network} network, ${s.turnsDone} turns, wall ${num(s.wallSeconds, 3)} s`);
  console.log(table(['phase', 'median |m/p-1|', 'p95 |m/p-1|', 'median |m-p| (s)', 'p95 |m-p| (s)'], s.fidelityByPhase.map((f) => [f.phase, f.n ? pct(f.median) : '–', f.n ? pct(f.p95) : '–', num(f.absMedian, 3), num(f.absP95, 3)])));
}

const rows: (string | number)[][] = [];
try {
  const missing = tcModeMissing(await probeCapabilities());
  for (const network of networks) {
    if (network === 'tc' && missing.length) {
      console.log(`\ntc: skipped (missing ${missing.join(', ')})`);
      continue;
    }
    for (const timeScale of scales) {
      const s = await runOne(network, timeScale).catch((err: Error) => {
        // "auto" refusing the budget on a loaded host is a result too
        if (!(err instanceof UsageError)) throw err;
        const would = /timeScale ([\d.]+) would \(about ([\d.]+) s/.exec(err.message);
        console.log(`\n${network}, timeScale ${timeScale}: ${err.message}`);
        rows.push([network, String(timeScale), '–', '–', would ? `refused: ${would[1]} would take ${would[2]} s` : 'refused']);
        return undefined;
      });
      if (!s) continue;
      const f = Object.fromEntries(s.fidelityByPhase.map((x) => [x.phase, x]));
      const cell = (phase: string) => `${pct(f[phase]!.median)} / ${pct(f[phase]!.p95)}${f[phase]!.belowResolution ? ' *' : ''}`;
      rows.push([network, timeScale === 'auto' ? `auto→${s.timeScale}` : String(timeScale), `${num(s.floor!.transfer.medianMs, 2)} / ${num(s.floor!.transfer.p95Ms, 2)}`, num(s.wallSeconds, 3), ...['adapterDown', 'deviceForward', 'uplink', 'server', 'downlink', 'deviceBackward', 'adapterUp', 'total'].map(cell)]);
    }
  }
  console.log(`\nmedian / p95 of |measured/predicted − 1| per phase (* below the emulator's resolution); floor in wall ms; load average now ${loadavg().map((x) => num(x, 2)).join(' ')}`);
  console.log(table(['network', 'timeScale', 'floor med / p95', 'wall s', 'adapterDown', 'deviceForward', 'uplink', 'server', 'downlink', 'deviceBackward', 'adapterUp', 'total'], rows));
  for (const n of parallelCounts) for (const timeScale of parallelScales) await runParallel(n, timeScale);
} finally {
  signals.dispose();
  rmSync(out, { recursive: true, force: true });
}
