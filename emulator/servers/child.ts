/**
 * The embedded servers are child processes of the launcher. They must not outlive it, so
 * every one is registered here; the launcher (which owns the signal and exit handlers)
 * calls `stopAll()` on its orderly paths and `killAllSync()` from `process.on('exit')`,
 * where nothing asynchronous can run any more.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { constants, openSync, closeSync } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { isSignallablePid, signalPid } from '../net/procs.js';

const KILL_AFTER_MS = 2000;

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the process could not be started at all (ENOENT, EACCES). */
  spawnError?: Error;
}

export interface ManagedChild {
  readonly name: string;
  /** Undefined when the spawn failed: there is no process to signal. */
  readonly pid: number | undefined;
  /** Resolves when the process has exited (never rejects). */
  readonly exited: Promise<ChildExit>;
  hasExited(): boolean;
  /** SIGTERM, then SIGKILL after 2 s; idempotent. */
  stop(): Promise<void>;
}

const live = new Set<ManagedChild>();

export interface SpawnOptions {
  env?: NodeJS.ProcessEnv;
  /**
   * The child's stdin is a pipe whose other end only this process holds and never writes:
   * when this process dies, even by SIGKILL, the kernel closes it and the child reads EOF.
   * That is how an actor notices that its launcher is gone, as an event instead of a
   * timer polling its parent pid (docs/architecture.md §8: 1,000 idle actors must not wake up).
   */
  lifeline?: boolean;
}

/** Starts `file args` with stdout and stderr appended to `logFile`: early failures (a bad config) go there too. */
export function spawnManaged(name: string, file: string, args: string[], logFile: string, options: SpawnOptions = {}): ManagedChild {
  const logFd = openSync(logFile, 'a');
  let proc: ChildProcess;
  try {
    // Its own process group: a terminal's Ctrl-C reaches the launcher only, which then
    // stops the children in order instead of losing NATS mid-record.
    proc = spawn(file, args, { stdio: [options.lifeline ? 'pipe' : 'ignore', logFd, logFd], detached: true, env: options.env ?? process.env });
  } finally {
    closeSync(logFd);
  }
  // A child that exits closes its end: writing is never done, but an EPIPE must not throw.
  proc.stdin?.on('error', () => undefined);
  const pid = isSignallablePid(proc.pid) ? proc.pid : undefined;
  // Without a pid the spawn failed: the child is born exited and nothing is ever signalled.
  let done = pid === undefined;
  const exited = new Promise<ChildExit>((resolve) => {
    proc.once('exit', (code, signal) => {
      done = true;
      resolve({ code, signal });
    });
    // A spawn failure (ENOENT, EACCES) emits 'error' and may never emit 'exit'.
    proc.once('error', (err) => {
      done = true;
      resolve({ code: null, signal: null, spawnError: err });
    });
  });
  let stopping: Promise<void> | undefined;
  const child: ManagedChild = {
    name,
    pid,
    exited,
    hasExited: () => done,
    stop() {
      stopping ??= (async () => {
        if (!done) {
          signalPid(pid, 'SIGTERM');
          const timer = setTimeout(() => signalPid(pid, 'SIGKILL'), KILL_AFTER_MS);
          await exited;
          clearTimeout(timer);
        }
        live.delete(child);
      })();
      return stopping;
    },
  };
  if (pid !== undefined) live.add(child);
  void exited.then(() => {
    if (!stopping) live.delete(child);
  });
  return child;
}

export async function stopAll(): Promise<void> {
  await Promise.all([...live].map((c) => c.stop()));
}

export function killAllSync(): void {
  for (const c of live) if (!c.hasExited()) signalPid(c.pid, 'SIGKILL');
  live.clear();
}

/** How many children are registered (alive or not yet reaped): for tests and diagnostics. */
export function liveCount(): number {
  return live.size;
}

/** Root's PATH often lacks the sbin directories where Debian puts nats-server. */
const EXTRA_DIRS = ['/usr/sbin', '/usr/local/sbin', '/usr/local/bin', '/usr/bin', '/sbin', '/bin'];

export async function findExecutable(name: string): Promise<string | undefined> {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...EXTRA_DIRS];
  for (const dir of dirs) {
    const candidate = join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export async function logTail(logFile: string, lines = 3): Promise<string> {
  try {
    const text = await readFile(logFile, 'utf8');
    return text.trim().split('\n').slice(-lines).join(' | ');
  } catch {
    return '';
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
