/**
 * Runs the built CLI (`dist/emulator/cli.js`) as a user would, and makes
 * sure the build is not older than the sources first (tsc emits even when some file of
 * another work-in-progress does not type-check, so its exit status is not the test).
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = join(ROOT, 'dist', 'emulator', 'cli.js');

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

function newest(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return path.endsWith('.ts') ? st.mtimeMs : 0;
  return Math.max(0, ...readdirSync(path).map((e) => newest(join(path, e))));
}

/** Builds with tsc when dist is missing or older than src/ or emulator/. */
export function ensureBuilt(): void {
  const built = existsSync(CLI) ? statSync(CLI).mtimeMs : 0;
  const sources = Math.max(newest(join(ROOT, 'src')), newest(join(ROOT, 'emulator')));
  if (built >= sources) return;
  spawnSync(join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json'], { cwd: ROOT, stdio: 'ignore' });
  if (!existsSync(CLI)) throw new Error(`build did not produce ${CLI}`);
}

/**
 * Asynchronous on purpose: a test file of many synchronous spawns never lets the worker's
 * event loop turn, and vitest's worker then times out its own report to the main process.
 */
export function runCli(args: string[], opts: { cwd?: string } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [CLI, ...args], { cwd: opts.cwd ?? ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' }, timeout: 60_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(err);
      resolve({ status: err ? (err.code as number) : 0, stdout, stderr });
    });
  });
}

/** The non-empty lines of a stream. */
export function lines(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() !== '');
}
