import { setMaxListeners } from 'node:events';
import type { NatsConnection } from '@nats-io/transport-node';
import { planRounds, type PlannedTurn } from '../../src/plan.js';
import { fixedTimeScale } from '../../src/resolution.js';
import type { Strategy } from '../../src/strategy/strategy.js';
import type { Device } from '../../src/system.js';
import type { SystemModel } from '../../src/system-model.js';
import { RunError } from '../errors.js';
import { decode, encode, replyMsg, type ReplyMsg } from '../protocol/messages.js';
import type { Link } from '../net/link.js';
import type { TurnRecord } from '../records/turn-record.js';
import { deviceActor, type ActorName, type Subjects } from '../protocol/subjects.js';
import { CoordinatorInbox } from './coordinator-inbox.js';
import { crashedTurn, expectCrash, restartCrashed, type PreparedTurn, type Supervision } from './crashed-turn.js';
import { runParallelRound } from './parallel-round.js';
import { turnMessages } from './turn-messages.js';
import { droppedRecord, turnRecord } from './turn-outcome.js';

export interface WallImpairment {
  delayWallMs: { adapters: number; smashed: number };
  jitterWallMs: number;
}

export interface CoordinatorOptions {
  controlTimeoutMs: number;
  /** Called with each finished turn before the next one starts (parallel mode: after its round, in config order). */
  onTurn: (record: TurnRecord, index: number) => Promise<void>;
  /** Called as a turn starts, for progress display. */
  onTurnStart?: (turn: PlannedTurn, index: number) => void;
  /** Userspace latency and jitter in wall ms per direction, scaled and floor-compensated (launcher/scale-choice.ts). */
  impairments?: { up: WallImpairment; down: WallImpairment };
  /** Process supervision for scheduled crashes; without it a crash fault fails the run. */
  supervision?: Supervision;
  /** Something went wrong outside a turn's own path (a link left held): fails the run. */
  onError?: (err: Error) => void;
  /** `round/device` of turns finished before a resume: skipped, the rest keep their plan. */
  done?: ReadonlySet<string>;
  /** Runs a turn's attempts (attempt n gets the signal that abandons it) until one is recorded: re-runs after a bus outage. */
  retry?: (attempt: (signal: AbortSignal, n: number) => Promise<TurnRecord>, signal: AbortSignal) => Promise<TurnRecord>;
}

/**
 * Owns the round loop (docs/architecture.md §1): for every turn it takes the strategy's decision
 * on that round's channel, sets the device's link, tells the server its frequency,
 * starts the turn on the device and turns the device's measurements into a record. In
 * parallel mode a round's turns run at once (parallel-round.ts); scheduled faults are
 * played as they come (a dropout skips the turn, crashed-turn.ts ends a crashed one).
 */
export class Coordinator {
  /** Per-turn work must not grow with N (docs/architecture.md §8): no scans of the device list. */
  readonly devices: ReadonlyMap<string, Device>;
  readonly inbox: CoordinatorInbox;

  constructor(
    private readonly nc: NatsConnection,
    private readonly subjects: Subjects,
    /** Replaced when "auto" changes the time scale between turns (rescale). */
    public system: SystemModel,
    private readonly strategy: Strategy,
    readonly links: ReadonlyMap<string, Link>,
    readonly options: CoordinatorOptions,
  ) {
    this.devices = new Map(system.config.devices.map((d) => [d.id, d]));
    this.inbox = new CoordinatorInbox(nc, subjects, links, (err) => options.onError?.(err));
  }

  async run(signal: AbortSignal): Promise<number> {
    const done = this.options.done;
    let index = done?.size ?? 0;
    // a parallel round has a request per device in flight, each listening for the abort
    setMaxListeners(4 * this.devices.size + 16, signal);
    await this.nc.flush(); // the inbox listens before any actor can ask it anything
    try {
      for (const round of planRounds(this.system, this.strategy)) {
        if (signal.aborted) break;
        // a resumed run skips what it recorded before; the rest keep their plan
        const todo = done ? { ...round, turns: round.turns.filter((t) => !done.has(`${t.round}/${t.device}`)) } : round;
        if (this.system.config.mode === 'parallel') {
          if (todo.turns.length === 0) continue;
          todo.turns.forEach((t, k) => this.options.onTurnStart?.(t, index + k));
          for (const record of await runParallelRound(this, todo, signal)) await this.options.onTurn(record, ++index);
          continue;
        }
        for (const planned of todo.turns) {
          if (signal.aborted) break;
          this.options.onTurnStart?.(planned, index);
          const record = await this.runSequentialTurn(planned, signal);
          await restartCrashed(this, [record], signal);
          await this.options.onTurn(record, ++index);
        }
      }
    } finally {
      await this.inbox.close();
    }
    return index;
  }

  /**
   * "auto" adapting to the host's load (docs/fidelity.md): the following turns run at the
   * system's new time scale, with the latency injected at that scale. Called between
   * turns (parallel mode: between rounds), never during one.
   */
  rescale(system: SystemModel, impairments: CoordinatorOptions['impairments']): void {
    this.system = system;
    this.options.impairments = impairments;
  }

  wallRate(bps: number): number {
    return (bps * this.system.config.emulation.payloadScale) / fixedTimeScale(this.system.config.emulation);
  }

  /** A sequential turn: its link set, then run — again, with the next attempt number, when a bus outage interrupted it. */
  private runSequentialTurn(planned: PlannedTurn, signal: AbortSignal): Promise<TurnRecord> {
    const attempt = async (s: AbortSignal, n: number) => {
      if (planned.status !== 'dropped') await this.links.get(planned.device)!.setRates(this.wallRate(planned.rateUpBps), this.wallRate(planned.rateDownBps));
      return this.runTurn(planned, s, n);
    };
    return this.options.retry ? this.options.retry(attempt, signal) : attempt(signal, 0);
  }

  /** One turn on links already set: prepare the server, start the device, record what it measured. */
  async runTurn(planned: PlannedTurn, signal: AbortSignal, attempt = 0, started?: PreparedTurn): Promise<TurnRecord> {
    if (planned.status === 'dropped') return droppedRecord(planned);
    const { msgs, at, doomed } = started ?? (await this.prepareTurn(planned, signal, attempt));
    const reply = this.request(deviceActor(planned.device), msgs.turn, msgs.timeoutMs, signal);
    if (doomed) return crashedTurn(this, planned, reply, doomed, at, signal);
    const report = await reply;
    if (report.kind !== 'report') throw new RunError(`device ${planned.device}: unexpected reply to a turn`);
    const record = turnRecord(this.system, this.devices.get(planned.device)!, planned, { phases: report.phases, serverBusyWallS: report.serverBusyWallS, coordinatorWallS: (performance.now() - at) / 1000 });
    return Object.assign(record, { startAt: report.startAt, retries: attempt });
  }

  /** The server told of the turn (and, for a scheduled crash, the device's death expected); the device not started yet. */
  async prepareTurn(planned: PlannedTurn, signal: AbortSignal, attempt = 0): Promise<PreparedTurn> {
    const link = this.links.get(planned.device)!;
    const parallel = this.system.config.mode === 'parallel';
    const msgs = turnMessages(this.system, planned, link, { fedAvg: parallel, attempt, controlTimeoutMs: this.options.controlTimeoutMs, impairments: this.options.impairments });
    if (planned.fault?.kind === 'outage') await link.prepareOutages?.();
    const at = performance.now();
    await this.request('server', msgs.prepare, this.options.controlTimeoutMs, signal);
    const doomed = planned.fault?.kind === 'crash' ? expectCrash(this, planned) : undefined;
    return { msgs, at, doomed };
  }

  /** Request/reply with a timeout, abandoned at once when the run is aborted. */
  async request(actor: ActorName, body: unknown, timeoutMs: number, signal: AbortSignal): Promise<ReplyMsg> {
    const subject = this.subjects.control(actor);
    let onAbort = () => undefined as void;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(signal.reason instanceof Error ? signal.reason : new RunError('run aborted'));
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
    let msg;
    try {
      msg = await Promise.race([this.nc.request(subject, encode(body), { timeout: timeoutMs }), aborted]);
    } catch (err) {
      if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : err;
      const timedOut = /timeout/i.test((err as Error).message) || /timeout/i.test(String((err as { code?: string }).code));
      throw new RunError(`${actor}: ${timedOut ? `no answer within ${timeoutMs} ms` : (err as Error).message}`);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
    const reply = decode(replyMsg, msg.data);
    if (!reply.ok) throw new RunError(`${actor}: malformed reply (${reply.reason})`);
    if (reply.value.kind === 'error') throw new RunError(reply.value.message);
    return reply.value;
  }
}
