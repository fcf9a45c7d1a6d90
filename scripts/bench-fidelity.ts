/**
 * npm run bench:fidelity — one table: `timeScale: "auto"` at a 3% target in tc mode, per
 * row the chosen scales (min/max over the run, payloadScale), the wall time, the turn-total
 * error (median / p95 of |measured/predicted − 1|), the worst phase's median, whether the
 * target was met, and the host's 1-minute load average before and after the row (the
 * figures mean nothing without it). Not a test: figures to read (docs/fidelity.md §Benchmark).
 *
 * Rows (argv[2], comma-separated; default all):
 *   seq10, seq100, seq1000  generated population (configs/scale-1000.json's draws), sequential
 *   par10, par100           configs/paper-parallel.json's devices repeated, 3 rounds
 *   local4, agent4          4 devices of paper-parallel local, and behind the agent named by
 *                           SLEDGE_BENCH_AGENT (needs NATS_URL and REDIS_URL; skipped without)
 *   start, start-busy       configs/paper.json (npm start) alone, and beside a process that holds one core
 * Usage: node dist/scripts/bench-fidelity.js [rows] [target, default 0.03] [wallBudgetS per row, default 180; 'none' for none]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../src/config.js';
import { SystemModel } from '../src/system-model.js';
import { loadConfig } from '../emulator/experiment/config-file.js';
import { runEmulation, type EmulationOptions } from '../emulator/launcher/emulation.js';
import { tcModeMissing, probeCapabilities } from '../emulator/net/probe.js';
import { num, table } from '../emulator/format/table.js';
import { shortPct } from '../emulator/records/fidelity-verdict.js';
import { abortOnSignals } from '../emulator/terminal/signals.js';
import { agentsOption } from '../emulator/commands/agents-option.js';

const ALL = ['seq10', 'seq100', 'seq1000', 'par10', 'par100', 'local4', 'agent4', 'start', 'start-busy'];
const rows = (process.argv[2] ?? ALL.join(',')).split(',');
const target = Number(process.argv[3] ?? 0.03);
const budget = process.argv[4] === 'none' ? undefined : Number(process.argv[4] ?? 180);
const signals = abortOnSignals();
const out = mkdtempSync(join(tmpdir(), 'sledge-bench-fidelity-'));

function auto(config: Config, ownBudget = false): Config {
  config.emulation = { ...config.emulation, timeScale: 'auto', fidelity: target, network: 'tc' };
  if (ownBudget) return config;
  if (budget === undefined) delete config.emulation.wallBudgetS;
  else config.emulation.wallBudgetS = budget;
  return config;
}

/** configs/scale-1000.json's population drawn for `n` devices, enough rounds for 30 turns. */
function sequential(n: number): Config {
  const raw = JSON.parse(readFileSync('configs/scale-1000.json', 'utf8'));
  const path = join(out, `seq-${n}.json`);
  writeFileSync(path, JSON.stringify({ ...raw, devices: { ...raw.devices, count: n } }));
  const config = loadConfig(path);
  config.rounds = Math.max(1, Math.ceil(30 / n));
  config.name = `seq-${n}`;
  return auto(config);
}

/** configs/paper-parallel.json with its five devices repeated to `n` (ids d1..dn), three rounds. */
function parallel(n: number, name = `par-${n}`): Config {
  const config = loadConfig('configs/paper-parallel.json');
  const five = config.devices;
  config.devices = Array.from({ length: n }, (_, i) => ({ ...five[i % five.length]!, id: `d${i + 1}` }));
  config.rounds = 3;
  config.name = name;
  return auto(config);
}

function paper(): Config {
  // npm start as it is: its own wall budget
  return auto(loadConfig('configs/paper.json'), true);
}

const load = () => num(loadavg()[0] as number, 3);

async function row(label: string, config: Config, extra: Partial<EmulationOptions> = {}): Promise<(string | number)[]> {
  const before = load();
  const system = new SystemModel(config);
  const result = await runEmulation(system, system.strategy(), { outDir: join(out, label), signal: signals.signal, onStatus: (l) => process.stderr.write(`[${label}] ${l}\n`), ...extra });
  const after = load();
  if (result.status !== 'finished') return [label, config.devices.length, `${before} → ${after}`, shortPct(target), '–', '–', '–', '–', '–', `${result.status}: ${result.error?.message ?? ''}`];
  const s = result.summary;
  const v = s.fidelity;
  const worst = Object.entries(v.phases).filter(([, p]) => p.resolutionMs < Infinity).reduce((a, b) => (b[1].median > a[1].median ? b : a));
  const scale = v.timeScale.min === v.timeScale.max ? String(v.timeScale.min) : `${v.timeScale.min}/${v.timeScale.max}`;
  return [label, config.devices.length, `${before} → ${after}`, shortPct(target), `${scale} (× ${s.payloadScale})`, num(s.wallSeconds, 3), `${shortPct(v.total.median)} / ${shortPct(v.total.p95)}`, `${worst[0]} ${shortPct(worst[1].median)}`, v.met ? 'yes' : 'no', s.scaleChanges.filter((c) => c.from !== c.to).length];
}

const done: (string | number)[][] = [];
const skipped: string[] = [];
try {
  const missing = tcModeMissing(await probeCapabilities());
  if (missing.length) throw new Error(`tc mode is not available here (missing ${missing.join(', ')})`);
  for (const r of rows) {
    if (signals.signal.aborted) break;
    if (r.startsWith('seq')) done.push(await row(r, sequential(Number(r.slice(3)))));
    else if (r.startsWith('par')) done.push(await row(r, parallel(Number(r.slice(3)))));
    else if (r === 'local4') done.push(await row(r, parallel(4, 'local-4')));
    else if (r === 'agent4') {
      const name = process.env.SLEDGE_BENCH_AGENT;
      if (!name || !process.env.NATS_URL || !process.env.REDIS_URL) {
        skipped.push('agent4 (set SLEDGE_BENCH_AGENT, NATS_URL and REDIS_URL: an agent on a namespace host)');
        continue;
      }
      const config = parallel(4, 'agent-4');
      const { agents } = await agentsOption(name, config);
      done.push(await row(r, config, { natsUrl: process.env.NATS_URL, redisUrl: process.env.REDIS_URL, ...(process.env.NATS_LEAF_URL ? { natsLeafUrl: process.env.NATS_LEAF_URL } : {}), ...(agents ? { agents } : {}) }));
    } else if (r === 'start') done.push(await row(r, paper()));
    else if (r === 'start-busy') {
      const spinner = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
      try {
        done.push(await row(r, paper()));
      } finally {
        if (spinner.pid) process.kill(spinner.pid, 'SIGKILL');
      }
    } else skipped.push(`${r} (unknown row; rows are ${ALL.join(',')})`);
  }
} finally {
  console.log(`\ntimeScale "auto" at ${shortPct(target)} in tc, wallBudgetS ${budget ?? 'none'} per row; load = 1-minute load average before → after the row (2 cores)`);
  console.log(table(['row', 'devices', 'load', 'target', 'timeScale min/max (payloads)', 'wall s', 'total median / p95', 'worst phase median', 'met', 'scale changes'], done));
  for (const s of skipped) console.log(`not run: ${s}`);
  signals.dispose();
  rmSync(out, { recursive: true, force: true });
}
