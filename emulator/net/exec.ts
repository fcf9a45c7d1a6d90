import { spawn } from 'node:child_process';
import { RunError } from '../errors.js';

/** What a command printed; a Runner resolves with it when the command exits 0. */
export interface CommandResult {
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs one argv without a shell. Injectable so that tests can prove that bad input is
 * refused before anything runs, and so that a remote agent could run the same commands.
 */
export type Runner = (argv: readonly string[], options?: { stdin?: string }) => Promise<CommandResult>;

/** A failed `ip`/`tc` (or other) command: the argv, its exit status and its stderr. */
export class NetCommandError extends RunError {
  constructor(
    readonly argv: readonly string[],
    readonly status: number | string,
    readonly stderr: string,
    readonly stdin?: string,
  ) {
    const detail = stderr.trim().split('\n').slice(0, 4).join(' | ');
    super(`${argv.join(' ')} failed (${status})${detail ? `: ${detail}` : ''}`);
    this.name = 'NetCommandError';
  }
}

export const spawnRunner: Runner = (argv, options = {}) =>
  new Promise((resolve, reject) => {
    const [file, ...args] = argv;
    if (file === undefined) {
      reject(new RunError('empty command'));
      return;
    }
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e: NodeJS.ErrnoException) => reject(new NetCommandError(argv, e.code ?? 'spawn', e.message, options.stdin)));
    child.on('close', (code, signal) => {
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      if (code === 0) resolve({ stdout, stderr });
      else reject(new NetCommandError(argv, code ?? signal ?? 'unknown', stderr, options.stdin));
    });
    // A command that exits before reading stdin must not crash us with EPIPE.
    child.stdin.on('error', () => {});
    child.stdin.end(options.stdin ?? '');
  });

/** Runs `fn` over `items` with at most `limit` in flight; the first rejection wins. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Like mapLimit but never stops early: every item runs, failures are collected. */
export async function settleLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<unknown[]> {
  const errors: unknown[] = [];
  await mapLimit(items, limit, async (item) => {
    try {
      await fn(item);
    } catch (e) {
      errors.push(e);
    }
  });
  return errors;
}

/** One line of an `ip -batch`/`tc -batch` file, as tokens. */
export type BatchLine = readonly string[];

const BATCH_TOKEN = /^[A-Za-z0-9_.:/-]+$/;

/**
 * Serialises batch lines. The tokens come from validated names and numbers already;
 * this re-checks them because a batch file is parsed by splitting on whitespace, and a
 * token with a space, quote, `#` or newline would change what runs.
 */
export function batchInput(lines: readonly BatchLine[]): string {
  return lines
    .map((line) => {
      for (const token of line) {
        if (!BATCH_TOKEN.test(token)) throw new RunError(`refusing unsafe batch token ${JSON.stringify(token)}`);
      }
      return line.join(' ');
    })
    .join('\n')
    .concat('\n');
}
