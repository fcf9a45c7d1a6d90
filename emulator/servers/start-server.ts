/**
 * What starting nats-server and redis-server have in common: pick a free port, write the
 * config, spawn, poll until an authenticated client gets in, and retry on a fresh port
 * if another process grabbed ours in between.
 */
import { RunError } from '../errors.js';
import { spawnManaged, logTail, sleep, type ManagedChild } from './child.js';
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

export async function startServer(spec: ServerSpec): Promise<{ child: ManagedChild; port: number }> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort(spec.host).catch((err: unknown) => {
      throw new RunError(`${spec.name}: cannot bind ${spec.host}: ${err instanceof Error ? err.message : String(err)}`);
    });
    const child = spawnManaged(spec.name, spec.bin, await spec.configure(port), spec.logFile);
    const failure = await waitReady(spec, child, port);
    if (!failure) return { child, port };
    await child.stop();
    const tail = await logTail(spec.logFile);
    if (attempt < PORT_ATTEMPTS && /address already in use/i.test(tail)) continue;
    throw new RunError(`${spec.name} on ${hostPort(spec.host, port)} ${failure}; see ${spec.logFile}${tail ? `: ${tail}` : ''}`);
  }
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

function exitReason(e: { code: number | null; signal: string | null }): string {
  return `exited during startup (${e.signal ?? `code ${e.code}`})`;
}
