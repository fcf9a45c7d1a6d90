/**
 * npm run bench:scale — N devices on one box (docs/architecture.md §8): runs configs/scale-1000.json
 * with N = 10, 100, 300 and 1,000 devices (one round) through the real CLI, and prints a
 * row per N: network set-up, actors ready, PSS per device process (median, max, sampled
 * from /proc/<pid>/smaps_rollup during the turns), peak host memory used above the idle
 * baseline, turns per second, fidelity of turn totals, teardown, and what was left behind.
 * Not a test: figures to read.
 * Usage: node dist/scripts/bench-scale.js [N,N,...] [network] [config]
 *        node dist/scripts/bench-scale.js idle [N,N,...] [windowS]   (idle CPU and start-up of N actors, scripts/scale-idle.ts)
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPrefix } from '../emulator/net/names.js';
import { num, pct, table } from '../emulator/format/table.js';

if (process.argv[2] === 'idle') {
  const { runIdleBench } = await import('./scale-idle.js');
  await runIdleBench((process.argv[3] ?? '50,200').split(',').map(Number), Number(process.argv[4] ?? 30));
  process.exit(0);
}
const sizes = (process.argv[2] ?? '10,100,300,1000').split(',').map(Number);
const network = process.argv[3] ?? 'tc';
const base = JSON.parse(readFileSync(process.argv[4] ?? 'configs/scale-1000.json', 'utf8'));
const cli = new URL('../emulator/cli.js', import.meta.url).pathname;
const out = mkdtempSync(join(tmpdir(), 'sledge-bench-scale-'));

interface Row {
  n: number;
  network: number;
  actors: number;
  pssMedian: number;
  pssMax: number;
  peakMiB: number;
  turnsPerS: number;
  median: number;
  p95: number;
  /** Median over the turns of d1..d10 only: the same turns at every N, so N is the only change. */
  firstTen: number;
  teardown: number;
  leftovers: string;
}

function memUsedMiB(): number {
  const m = readFileSync('/proc/meminfo', 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(m)?.[1] ?? 0);
  return (kb('MemTotal') - kb('MemAvailable')) / 1024;
}

/** Device processes: the bundled actor with the device flags (the server runs without them). */
function devicePids(): number[] {
  const pids: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const argv = readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0');
      if (argv.some((a) => a.endsWith('actor.mjs')) && (process.env.BENCH_ALL_ACTORS || argv.includes('--lite-mode'))) pids.push(Number(e));
    } catch {
      // gone
    }
  }
  return pids;
}

function pssMiB(pid: number): number | undefined {
  try {
    const kb = /^Pss:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1];
    return kb === undefined ? undefined : Number(kb) / 1024;
  } catch {
    return undefined;
  }
}

function leftovers(runId: string): string {
  const prefix = runPrefix(runId);
  const found: string[] = [];
  const links = readdirSync('/sys/class/net').filter((n) => n.startsWith(prefix));
  if (links.length) found.push(`${links.length} links`);
  const ns = existsSync('/run/netns') ? readdirSync('/run/netns').filter((n) => n.startsWith(prefix)) : [];
  if (ns.length) found.push(`${ns.length} netns`);
  const procs = readdirSync('/proc').filter((e) => /^\d+$/.test(e)).filter((e) => {
    try {
      return readFileSync(`/proc/${e}/cmdline`, 'utf8').includes(runId);
    } catch {
      return false;
    }
  });
  if (procs.length) found.push(`${procs.length} processes`);
  const tmp = readdirSync(tmpdir()).filter((d) => d.startsWith(`sledge-${runId}`));
  if (tmp.length) found.push(`${tmp.length} temp dirs`);
  return found.length ? found.join(', ') : 'none';
}

function firstTenMedian(csv: string): number {
  const [header, ...lines] = readFileSync(csv, 'utf8').trim().split('\n');
  const cols = (header ?? '').split(',');
  const at = (name: string) => cols.indexOf(name);
  const errors = lines
    .map((l) => l.split(','))
    .filter((r) => /^d([1-9]|10)$/.test(r[at('device')] ?? ''))
    .map((r) => Math.abs(Number(r[at('measured_total')]) / Number(r[at('predicted_total')]) - 1))
    .sort((a, b) => a - b);
  return errors[Math.floor(errors.length / 2)] ?? NaN;
}

async function runOne(n: number): Promise<Row> {
  const dir = join(out, `n${n}`);
  const cfg = join(out, `scale-${n}.json`);
  writeFileSync(cfg, JSON.stringify({ ...base, name: `scale-${n}`, devices: { ...base.devices, count: n }, emulation: { ...base.emulation, network } }));
  const baseline = memUsedMiB();
  let peak = baseline;
  const pss = new Map<number, number>();
  let turning = false;
  const child = spawn(process.execPath, [cli, 'run', cfg, '--out', dir, '--json'], { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr.on('data', (d: Buffer) => {
    if (/actor processes ready/.test(d.toString())) turning = true;
  });
  const sampler = setInterval(() => {
    peak = Math.max(peak, memUsedMiB());
    if (!turning) return;
    for (const pid of devicePids()) {
      const v = pssMiB(pid);
      if (v !== undefined) pss.set(pid, Math.max(pss.get(pid) ?? 0, v));
    }
  }, 3000);
  const code = await new Promise<number | null>((r) => child.on('close', r));
  clearInterval(sampler);
  const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
  if (code !== 0) console.error(`N=${n}: exit ${code}: ${summary.error ?? summary.status}`);
  const total = summary.fidelity?.total ?? { median: NaN, p95: NaN };
  const values = [...pss.values()].sort((a, b) => a - b);
  const firstTen = firstTenMedian(join(dir, 'turns.csv'));
  return {
    n,
    network: summary.stages.network ?? NaN,
    actors: summary.stages.actors ?? NaN,
    pssMedian: values[Math.floor(values.length / 2)] ?? NaN,
    pssMax: values.at(-1) ?? NaN,
    peakMiB: peak - baseline,
    turnsPerS: summary.turnsDone / (summary.stages.turns ?? NaN),
    median: total.median,
    p95: total.p95,
    firstTen,
    teardown: summary.stages.teardown ?? NaN,
    leftovers: leftovers(summary.runId),
  };
}

const rows: Row[] = [];
try {
  for (const n of sizes) {
    rows.push(await runOne(n));
    console.error(`N=${n} done`);
  }
} finally {
  rmSync(out, { recursive: true, force: true });
}
console.log(`\n${network} mode, ${base.model.preset ?? 'model'}, 1 round, timeScale ${base.emulation.timeScale}, payloadScale ${base.emulation.payloadScale}`);
console.log(
  table(
    ['devices', 'network s', 'ready s', 'PSS med MiB', 'PSS max MiB', 'peak mem MiB', 'turns/s', 'total median', 'total p95', 'd1-d10 median', 'teardown s', 'leftovers'],
    rows.map((r) => [String(r.n), num(r.network, 3), num(r.actors, 3), num(r.pssMedian, 3), num(r.pssMax, 3), num(r.peakMiB, 4), num(r.turnsPerS, 3), pct(r.median), pct(r.p95), pct(r.firstTen), num(r.teardown, 3), r.leftovers]),
  ),
);
