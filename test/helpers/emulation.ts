import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Helpers for tests that run the real CLI: configs, processes, and what a run leaves behind. */
export const CLI = new URL('../../dist/emulator/cli.js', import.meta.url).pathname;
const PAPER = new URL('../../configs/paper.json', import.meta.url).pathname;

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The paper's scenario cut down: `devices` devices, `rounds` rounds, scaled to run in seconds. */
export function smallConfig(opts: { devices?: number; rounds?: number; network?: 'userspace' | 'tc' | 'auto'; timeScale?: number } = {}) {
  const paper = JSON.parse(readFileSync(PAPER, 'utf8'));
  return {
    ...paper,
    name: 'test-small',
    rounds: opts.rounds ?? 3,
    devices: paper.devices.slice(0, opts.devices ?? 3),
    emulation: { timeScale: opts.timeScale ?? 0.1, payloadScale: 0.01, network: opts.network ?? 'userspace', workload: 'sleep', controlTimeoutS: 10 },
  };
}

export async function tempDir(label: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `sledge-test-${label}-`));
}

export function writeJson(path: string, value: unknown): string {
  writeFileSync(path, JSON.stringify(value, null, 2));
  return path;
}

export function startCli(args: string[], env: NodeJS.ProcessEnv = {}): { child: ChildProcess; done: Promise<CliResult> } {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<CliResult>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  return { child, done };
}

export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return startCli(args, env).done;
}

/** Rows of turns.csv as objects of strings. */
export function readTurns(dir: string): Record<string, string>[] {
  const path = join(dir, 'turns.csv');
  if (!existsSync(path)) return [];
  const [header, ...lines] = readFileSync(path, 'utf8').trim().split('\n');
  const cols = (header ?? '').split(',');
  return lines.filter(Boolean).map((l) => Object.fromEntries(l.split(',').map((v, i) => [cols[i], v])));
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/**
 * Processes that belong to a run: actors carry SLEDGE_RUN_ID in their environment, the
 * embedded servers `sledge-<runId>` in their command line.
 */
export function processesOfRun(runId: string): { pid: number; what: string }[] {
  const found: { pid: number; what: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
      const environ = readFileSync(`/proc/${entry}/environ`, 'utf8');
      if (cmdline.includes(`sledge-${runId}`) || environ.includes(`SLEDGE_RUN_ID=${runId}\0`)) found.push({ pid: Number(entry), what: cmdline.trim() });
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found;
}

/** The actor process of a run, found by its environment. */
export function actorPid(runId: string, actor: string): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const environ = readFileSync(`/proc/${entry}/environ`, 'utf8');
      if (environ.includes(`SLEDGE_RUN_ID=${runId}\0`) && environ.includes(`SLEDGE_ACTOR=${actor}\0`)) return Number(entry);
    } catch {
      // not readable
    }
  }
  return undefined;
}

export function tempDirsOfRun(runId: string): string[] {
  return readdirSync(tmpdir()).filter((d) => d.startsWith(`sledge-${runId}`));
}

export async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 30_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function runIdOf(dir: string): string | undefined {
  const manifest = join(dir, 'manifest.json');
  if (!existsSync(manifest)) return undefined;
  return (JSON.parse(readFileSync(manifest, 'utf8')) as { runId: string }).runId;
}

/** The (round/device) keys of a run's turns, in file order. */
export function turnKeys(rows: readonly Record<string, string>[]): string[] {
  return rows.map((t) => `${t.round}/${t.device}`);
}

/** Every (round/device) of a plan of `rounds` rounds over these devices, in plan order. */
export function planKeys(rounds: number, devices: readonly string[]): string[] {
  return Array.from({ length: rounds }, (_, r) => devices.map((d) => `${r + 1}/${d}`)).flat();
}

/** Waits until the run in `out` has at least `n` turns in turns.csv. */
export function turnsAtLeast(out: string, n: number, timeoutMs = 60_000): Promise<true> {
  return waitFor(`${n} finished turns in ${out}`, () => readTurns(out).length >= n, timeoutMs);
}

/** The pid of the embedded nats-server or redis-server of a run (its config lives in the run's temp dir). */
export function serverPid(runId: string, server: 'nats-server' | 'redis-server'): number | undefined {
  return processesOfRun(runId).find((p) => p.what.startsWith(server) || p.what.includes(`/${server} `))?.pid;
}
