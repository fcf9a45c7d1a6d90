import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { RunError } from '../errors.js';
import { mapLimit } from '../net/exec.js';
import { decode, encode, readyMsg, replyMsg } from '../protocol/messages.js';
import type { ActorName, Subjects } from '../protocol/subjects.js';
import { logTail, type ManagedChild } from '../servers/child.js';
import type { Placement } from './placement.js';

export interface ActorSpec {
  actor: ActorName;
  placement: Placement;
}

export interface ActorPoolOptions {
  env: (actor: ActorName) => NodeJS.ProcessEnv;
  logFile: (actor: ActorName) => string;
  /** Actors started and not yet ready, at most. */
  concurrency: number;
  /** Each actor's own deadline, from its spawn to its announcement. */
  deadlineMs: number;
  onStarting?: (ready: number, total: number) => void;
  /** An actor died after it was ready and before the pool was stopped. */
  onUnexpectedExit: (actor: ActorName, how: string, logFile: string) => void;
}

interface Starting {
  resolve(): void;
  reject(e: Error): void;
}

/**
 * The run's actor processes (docs/architecture.md §8): started a bounded number at a time, each
 * with its own deadline, ready when its announcement (a request, repeated until answered:
 * none is ever lost) has been acknowledged. It then watches them: a process that dies
 * while the run needs it is reported once, naming it and its log.
 */
export class ActorPool {
  readonly children = new Map<ActorName, ManagedChild>();
  private readonly starting = new Map<ActorName, Starting>();
  private readonly placements = new Map<ActorName, Placement>();
  private sub: Subscription | undefined;
  private stopping = false;
  /** Processes whose death is scheduled (a crash fault): their exit is reported here, not as a failure. */
  private readonly doomed = new Map<ManagedChild, (how: string) => void>();
  /** Announcements from actors the pool never started (hostile or stale), dropped. */
  rejected = 0;

  constructor(
    private readonly nc: NatsConnection,
    private readonly subjects: Subjects,
    private readonly options: ActorPoolOptions,
  ) {}

  /** Listens for announcements; resolves once nats-server has the subscription, so none is missed. */
  async listen(): Promise<void> {
    this.sub = this.nc.subscribe(this.subjects.ready, { callback: (err, msg) => void (err ? this.rejected++ : this.onAnnouncement(msg)) });
    await this.nc.flush();
  }

  private onAnnouncement(msg: Msg): void {
    const m = decode(readyMsg, msg.data);
    const actor = m.ok ? (m.value.actor as ActorName) : undefined;
    if (!actor || !this.children.has(actor)) {
      this.rejected++;
      if (msg.reply) msg.respond(encode({ kind: 'error', message: 'not an actor of this run' }));
      return;
    }
    if (msg.reply) msg.respond(encode({ kind: 'ok' }));
    const waiting = this.starting.get(actor);
    this.starting.delete(actor);
    waiting?.resolve();
  }

  /** Starts every actor, `concurrency` at a time; rejects with the first that fails to come up. */
  async start(specs: readonly ActorSpec[], signal: AbortSignal): Promise<void> {
    let ready = 0;
    let failed = false;
    this.options.onStarting?.(0, specs.length);
    await mapLimit(specs, Math.max(1, this.options.concurrency), async (spec) => {
      if (failed) return; // the others stop taking new actors after the first failure
      if (signal.aborted) throw abortReason(signal);
      try {
        await this.startOne(spec, signal);
      } catch (err) {
        failed = true;
        throw err;
      }
      this.options.onStarting?.(++ready, specs.length);
    });
  }

  /** Starts (or starts again, after a crash) one actor and waits for its announcement. */
  async startOne(spec: ActorSpec, signal: AbortSignal): Promise<void> {
    const { actor, placement } = spec;
    const log = this.options.logFile(actor);
    const child = placement.spawn(actor, this.options.env(actor), log);
    this.children.set(actor, child);
    this.placements.set(actor, placement);
    const where = placement.name === 'local' ? '' : ` on ${placement.name}`;
    const readyNow = new Promise<void>((resolve, reject) => this.starting.set(actor, { resolve, reject }));
    const onAbort = () => this.starting.get(actor)?.reject(abortReason(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new RunError(`${actor}${where} (pid ${child.pid}) did not come up within ${this.options.deadlineMs / 1000} s; see ${log}`)), this.options.deadlineMs);
    });
    const died = child.exited.then(async ({ code, signal: sig }) => {
      const tail = await logTail(log);
      throw new RunError(`${actor}${where} exited with ${sig ? `signal ${sig}` : `code ${code}`} before it was ready; see ${log}${tail ? ` (${tail})` : ''}`);
    });
    try {
      await Promise.race([readyNow, deadline, died]);
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      this.starting.delete(actor);
      died.catch(() => undefined);
    }
    void child.exited.then(({ code, signal: sig }) => {
      if (this.stopping || this.children.get(actor) !== child) return;
      const expected = this.doomed.get(child);
      this.doomed.delete(child);
      if (expected) return expected(sig ? `signal ${sig}` : `code ${code}`);
      this.options.onUnexpectedExit(actor, `${actor.replace('.', ' ')}${where} (pid ${child.pid}) exited with ${sig ? `signal ${sig}` : `code ${code}`}`, log);
    });
  }

  /**
   * The actor's current process is about to die on purpose: resolves with how it exited
   * (`signal SIGKILL`) instead of failing the run. Restart it with `startOne`.
   */
  expectExit(actor: ActorName): { pid: number | undefined; exited: Promise<string> } {
    const child = this.children.get(actor);
    if (!child) throw new RunError(`${actor}: no such actor`);
    return { pid: child.pid, exited: new Promise<string>((resolve) => this.doomed.set(child, resolve)) };
  }

  placementOf(actor: ActorName): Placement | undefined {
    return this.placements.get(actor);
  }

  /** From here on an exit is expected. */
  expectExits(): void {
    this.stopping = true;
  }

  /** Asks every actor to stop and collects what each rejected, by reason. */
  async shutdown(): Promise<Record<string, Record<string, number>>> {
    this.expectExits();
    const counts: Record<string, Record<string, number>> = {};
    await mapLimit([...this.children.keys()], 64, async (actor) => {
      try {
        const msg = await this.nc.request(this.subjects.control(actor), encode({ kind: 'shutdown' }), { timeout: 2000 });
        const reply = decode(replyMsg, msg.data);
        if (reply.ok && reply.value.kind === 'ok') counts[actor] = reply.value.rejections ?? { all: reply.value.rejected ?? 0 };
      } catch {
        // it will be stopped by signal in stop()
      }
    });
    return counts;
  }

  async stop(): Promise<void> {
    this.expectExits();
    for (const s of this.starting.values()) s.reject(new RunError('stopping'));
    if (this.sub && !this.nc.isClosed()) this.sub.unsubscribe();
    await mapLimit([...this.children.values()], 256, (c) => c.stop());
  }
}

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new RunError('aborted');
}
