/**
 * What starting nats-server and redis-server have in common: pick a free port, write the
 * config, spawn, poll until an authenticated client gets in, and retry on a fresh port
 * if another process grabbed ours in between. A started server can be restarted on the
 * same port with the same config, so that its clients reconnect to the address they know
 * (docs/architecture.md §9).
 */
import { RunError } from '../errors.js';
import { spawnManaged, logTail, sleep, type ChildExit, type ManagedChild } from './child.js';
import { freePort, hostPort } from './free-port.js';

const READY_WITHIN_MS = 10_000;
const PORT_ATTEMPTS = 3;

export interface ServerSpec {
  name: string;
  bin: string;
  host: string;
  logFile: string;
  /** Writes the config for `port` and returns the command-line arguments. */
  configure(port: number): Promise<string[]>;
  /** True once an authenticated client is served; false (not throwing) while not yet up. */
  probe(port: number): Promise<boolean>;
}

/** One embedded server: the process currently serving its port, and how to replace it. */
export class RunningServer {
  private stopped = false;

  private constructor(
    private readonly spec: ServerSpec,
    readonly port: number,
    private readonly args: string[],
    private current: ManagedChild,
  ) {}

  static async start(spec: ServerSpec): Promise<RunningServer> {
    for (let attempt = 1; ; attempt++) {
      const port = await freePort(spec.host).catch((err: unknown) => {
        throw new RunError(`${spec.name}: cannot bind ${spec.host}: ${err instanceof Error ? err.message : String(err)}`);
      });
      const args = await spec.configure(port);
      const child = spawnManaged(spec.name, spec.bin, args, spec.logFile);
      const failure = await waitReady(spec, child, port);
      if (!failure) return new RunningServer(spec, port, args, child);
      await child.stop();
      const tail = await logTail(spec.logFile);
      if (attempt < PORT_ATTEMPTS && /address already in use/i.test(tail)) continue;
      throw new RunError(`${spec.name} on ${hostPort(spec.host, port)} ${failure}; see ${spec.logFile}${tail ? `: ${tail}` : ''}`);
    }
  }

  get name(): string {
    return this.spec.name;
  }

  /** The pid of the process serving now (it changes on restart). */
  get pid(): number | undefined {
    return this.current.pid;
  }

  /** The process serving now; its `exited` is what a supervisor watches. */
  get child(): ManagedChild {
    return this.current;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /**
   * Stops the current process if it still runs and starts a new one on the same port with
   * the same config (and so the same credentials). Throws a RunError when the new one is
   * not ready, e.g. because another process took the port meanwhile; it may be retried.
   */
  async restart(): Promise<void> {
    if (this.stopped) throw new RunError(`${this.spec.name}: stopped, not restarting`);
    await this.current.stop();
    if (this.stopped) throw new RunError(`${this.spec.name}: stopped during restart`);
    const child = spawnManaged(this.spec.name, this.spec.bin, this.args, this.spec.logFile);
    this.current = child;
    const failure = await waitReady(this.spec, child, this.port);
    if (this.stopped) await child.stop(); // stop() came while we waited: it must win
    if (!failure && !this.stopped) return;
    await child.stop();
    const tail = await logTail(this.spec.logFile);
    throw new RunError(`${this.spec.name} restart on ${hostPort(this.spec.host, this.port)} ${failure ?? 'abandoned: stopped meanwhile'}; see ${this.spec.logFile}${tail ? `: ${tail}` : ''}`);
  }

  /** Ends the server for good (a supervisor then stops restarting it); idempotent. */
  stop(): Promise<void> {
    this.stopped = true;
    return this.current.stop();
  }
}

/** What EmbeddedNats and EmbeddedRedis share: the live view of a RunningServer. */
export interface ServerHandle {
  host: string;
  port: number;
  /** The serving process (it changes on restart; undefined only after a failed restart). */
  readonly pid: number | undefined;
  readonly child: ManagedChild;
  /** True once stop() was called: a supervisor no longer restarts it. */
  readonly stopped: boolean;
  /** The server's own log, kept where the caller asked. */
  logFile: string;
  /** Replaces the process on the same host:port with the same config and credentials (RunningServer.restart). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** `fields` plus the handle's live getters (defined, not copied, so they follow restarts). */
export function serverHandle<T extends object>(server: RunningServer, fields: T & { host: string; logFile: string }): T & ServerHandle {
  return Object.defineProperties(fields, {
    port: { value: server.port, enumerable: true },
    pid: { get: () => server.pid, enumerable: true },
    child: { get: () => server.child },
    stopped: { get: () => server.isStopped },
    restart: { value: () => server.restart() },
    stop: { value: () => server.stop() },
  }) as T & ServerHandle;
}

/** Undefined when ready, else why not. */
async function waitReady(spec: ServerSpec, child: ManagedChild, port: number): Promise<string | undefined> {
  const deadline = performance.now() + READY_WITHIN_MS;
  let backoff = 10;
  while (performance.now() < deadline) {
    if (child.hasExited()) return exitReason(await child.exited);
    if (await spec.probe(port)) return undefined;
    if (child.hasExited()) return exitReason(await child.exited);
    await sleep(backoff);
    backoff = Math.min(backoff * 2, 250);
  }
  return `did not accept an authenticated client within ${READY_WITHIN_MS / 1000} s`;
}

export function exitReason(e: ChildExit): string {
  if (e.spawnError) return `could not be started (${e.spawnError.message})`;
  return `exited during startup (${e.signal ?? `code ${e.code}`})`;
}
