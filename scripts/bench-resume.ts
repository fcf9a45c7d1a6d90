/**
 * npm run bench:resume — what a kill -9 costs (docs/architecture.md §9): runs a config through the
 * CLI, kills the launcher with -9 half-way, runs `sledge net clean` and `sledge resume`,
 * and prints the wall time from the kill to the resumed run's first new turn, then the
 * fidelity (|measured/predicted − 1| per phase) of the resumed turns beside the same turns
 * of an uninterrupted run of the same config. Not a test: figures to read.
 * Usage: node dist/scripts/bench-resume.js [config] [timeScale] [network]
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readConfigFile } from '../emulator/experiment/config-file.js';
import { fidelity } from '../emulator/records/fidelity.js';
import { parseTurnsCsv, type TurnRecord } from '../emulator/records/turn-record.js';
import { num, pct, table } from '../emulator/format/table.js';

const CLI = new URL('../emulator/cli.js', import.meta.url).pathname;
const configPath = process.argv[2] ?? 'configs/paper.json';
const timeScale = Number(process.argv[3] ?? '0.05');
const network = process.argv[4] ?? 'auto';
const out = mkdtempSync(join(tmpdir(), 'sledge-bench-resume-'));

const turnsOf = (dir: string): TurnRecord[] => {
  try {
    return parseTurnsCsv(readFileSync(join(dir, 'turns.csv'), 'utf8'));
  } catch {
    return [];
  }
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const cli = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });

try {
  const raw = readConfigFile(configPath) as { emulation?: Record<string, unknown>; rounds: number; devices: unknown[] };
  raw.emulation = { ...raw.emulation, timeScale, network };
  const config = join(out, 'config.json');
  writeFileSync(config, JSON.stringify(raw));

  const whole = join(out, 'whole');
  if (cli(['run', config, '--out', whole]).status !== 0) throw new Error('the uninterrupted run failed');
  const total = turnsOf(whole).length;

  const killed = join(out, 'killed');
  const launcher = spawn(process.execPath, [CLI, 'run', config, '--out', killed], { stdio: 'ignore' });
  while (turnsOf(killed).length < Math.floor(total / 2)) await sleep(20);
  launcher.kill('SIGKILL');
  const killedAt = performance.now();
  const before = turnsOf(killed).length;
  const runId = (JSON.parse(readFileSync(join(killed, 'manifest.json'), 'utf8')) as { runId: string }).runId;
  cli(['net', 'clean', '--run', runId]);
  const cleanedAt = performance.now();
  const resume = spawn(process.execPath, [CLI, 'resume', killed], { stdio: 'ignore' });
  const ended = new Promise<number | null>((r) => resume.on('exit', (code) => r(code)));
  while (turnsOf(killed).length <= before) await sleep(5);
  const firstNewAt = performance.now();
  if ((await ended) !== 0) throw new Error('the resumed run failed');

  const resumed = turnsOf(killed).slice(before);
  const sameTurns = turnsOf(whole).slice(before);
  console.log(`\n${configPath}: ${total} turns, timeScale ${timeScale}, network ${network}; killed after ${before} turns`);
  console.log(`kill -9 → first new turn: ${num((firstNewAt - killedAt) / 1000, 3)} s wall (net clean ${num((cleanedAt - killedAt) / 1000, 3)} s, resume start-up and the turn itself the rest)`);
  const a = fidelity(resumed);
  const b = fidelity(sameTurns);
  console.log(table(['phase', 'resumed median', 'resumed p95', 'uninterrupted median', 'uninterrupted p95'], a.map((f, i) => [f.phase, pct(f.median), pct(f.p95), pct(b[i]!.median), pct(b[i]!.p95)])));
  const predictedSame = resumed.every((r, i) => JSON.stringify(r.predicted) === JSON.stringify(sameTurns[i]!.predicted) && r.cut === sameTurns[i]!.cut);
  console.log(`predicted values of the resumed turns identical to the uninterrupted run's: ${predictedSame ? 'yes' : 'NO'}`);
} finally {
  rmSync(out, { recursive: true, force: true });
}
