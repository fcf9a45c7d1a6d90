/**
 * Keeps an embedded server up (docs/architecture.md §9: "if nats-server dies, the embedded one is
 * restarted on the same address"): when its process exits without stop() having been
 * called, it is restarted on the same host:port with the same config, after a backoff
 * that doubles on each failed attempt, up to a limit of restarts; every restart (and
 * giving up) is reported so the launcher can log it and rerun the interrupted turn.
 */
import { sleep, type ChildExit, type ManagedChild } from './child.js';

/** What EmbeddedNats and EmbeddedRedis offer. */
export interface Restartable {
  readonly child: ManagedChild;
  readonly stopped: boolean;
  restart(): Promise<void>;
}

export interface RestartEvent {
  /** The child's name, e.g. 'nats-server'. */
  server: string;
  /** 1-based count of restart attempts so far. */
  attempt: number;
  /** How the previous process ended. */
  exit: ChildExit;
  ok: boolean;
  /** Why the attempt failed (ok false). */
  error?: string;
  /** The new process (ok true). */
  pid?: number;
}

export interface SupervisorOptions {
  /** Attempts in all before giving up (default 5). */
  maxRestarts?: number;
  /** Wait before the first attempt after an exit, ms (default 100); doubles after each failed attempt up to maxBackoffMs. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Called after every attempt. */
  onRestart?(e: RestartEvent): void;
  /** Called once when the limit is reached and the server stays down. */
  onGiveUp?(e: { server: string; attempts: number; exit: ChildExit }): void;
}

export interface Supervisor {
  /** Attempts made so far. */
  readonly attempts: number;
  /** Ends supervision (the server itself keeps running); stopping the server ends it too. */
  stop(): void;
  /** Resolves when supervision has ended (stopped, server stopped, or given up). */
  readonly done: Promise<void>;
}

export function supervise(server: Restartable, opts: SupervisorOptions = {}): Supervisor {
  const maxRestarts = opts.maxRestarts ?? 5;
  const maxBackoffMs = opts.maxBackoffMs ?? 5000;
  let attempts = 0;
  let ended = false;
  let end!: () => void;
  const ending = new Promise<undefined>((r) => (end = () => r(undefined)));
  const over = () => ended || server.stopped;

  const loop = async (): Promise<void> => {
    let backoff = opts.backoffMs ?? 100;
    for (;;) {
      const child = server.child;
      const exit = await Promise.race([child.exited, ending]);
      if (!exit || over()) return;
      if (attempts >= maxRestarts) return opts.onGiveUp?.({ server: child.name, attempts, exit });
      await sleep(backoff);
      if (over()) return;
      attempts++;
      try {
        await server.restart();
        backoff = opts.backoffMs ?? 100;
        opts.onRestart?.({ server: child.name, attempt: attempts, exit, ok: true, ...(server.child.pid !== undefined ? { pid: server.child.pid } : {}) });
      } catch (err) {
        if (over()) return;
        backoff = Math.min(backoff * 2, maxBackoffMs);
        opts.onRestart?.({ server: child.name, attempt: attempts, exit, ok: false, error: err instanceof Error ? err.message : String(err) });
      }
    }
  };
  const done = loop();
  return {
    get attempts() {
      return attempts;
    },
    stop() {
      ended = true;
      end();
    },
    done,
  };
}
