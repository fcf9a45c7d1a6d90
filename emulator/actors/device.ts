import type { Msg } from '@nats-io/transport-node';
import { RunError } from '../errors.js';
import { turnKey } from '../protocol/turn-key.js';
import { adaptersSendingMsg, decode, deviceControlMsg, encode, gradientNoticeMsg, type PhaseWall, type TurnMsg, type TurnReportMsg } from '../protocol/messages.js';
import { deviceActor } from '../protocol/subjects.js';
import type { Phase } from '../../src/cost.js';
import { fromHostMs, hostNowMs } from '../transport/host-clock.js';
import { sendPayload, type SendOptions, type SendResult } from '../transport/transfer.js';
import { waitUntil } from '../transport/wait-until.js';
import { runWorkload } from './workload.js';
import { Actor, aheadOf, started, type ActorDeps } from './actor.js';
import { Mailbox } from './mailbox.js';
import { tags } from './tags.js';
import { trainedAdapters } from './adapter-training.js';
import { createHash } from 'node:crypto';
import { crashNow, startOutage } from './turn-faults.js';

/** A performance.now() reading of this process on the host clock. */
function toHostMs(localMs: number): number {
  return hostNowMs() - (performance.now() - localMs);
}

const MAX_QUEUED_TURNS = 4;

interface Notice {
  /** When the server's compute ended (performance.now() ms of this process). */
  doneAt: number;
  busyWallS: number;
  /** How long the job queued for the GPU (ms). */
  waitMs: number;
}

/**
 * A mobile device (docs/architecture.md §1): on each turn it receives the adapters of its blocks,
 * computes forward, sends the smashed data, waits for the gradient, computes backward
 * and returns its adapters. Each phase runs from where it starts to where it ends on the
 * host clock all actors share (transport/host-clock.ts): the turn starts when the server
 * says it does (its adapters leave that far ahead, docs/fidelity.md "Sending ahead"), the
 * uplink ends when the server has the last byte, the server phase
 * when its compute ends. So no request, ack or notice trip is counted in any phase, and
 * the phases add up to the turn exactly. In parallel mode the server phase is split into
 * the job's queue wait (the server's own timestamps) and its compute.
 */
export class DeviceActor extends Actor {
  private readonly notices = new Mailbox<Notice>();
  /**
   * A device runs one turn at a time: turn messages queue behind the one in progress (a
   * stray one fails fast and must not make the real one fail), at most a few deep.
   */
  private queue: Promise<void> = Promise.resolve();
  private queued = 0;
  /** What the turn in progress waits for, so that a failed turn stops waiting at once. */
  private readonly pending: string[] = [];
  /** The turn in progress; a later attempt of it (a re-run after a bus outage) abandons it instead of queueing behind it. */
  private current: { key: string; attempt: number; abort: AbortController } | undefined;
  /** The adapter transfer the turn in progress awaits: the only payload kept, and no more bytes than the server sends. */
  private adaptersExpected: { tag: string; maxBytes: number } | undefined;

  constructor(
    private readonly deviceId: string,
    deps: ActorDeps,
  ) {
    super(deviceActor(deviceId), deps, { keep: (tag, totalBytes) => tag === this.adaptersExpected?.tag && totalBytes <= this.adaptersExpected.maxBytes });
  }

  start(): void {
    const { nc, subjects } = this.deps;
    nc.subscribe(subjects.events(this.name), {
      callback: (err, msg) => {
        if (err) return void this.reject(undefined, 'event', `subscription error: ${err.message}`);
        const m = decode(gradientNoticeMsg, msg.data);
        if (!m.ok) return void this.reject(undefined, 'event', m.reason);
        this.notices.put(tags.gradient(m.value.turn, m.value.iteration), { doneAt: fromHostMs(m.value.at), busyWallS: m.value.busyWallS, waitMs: (m.value.waitWallS ?? 0) * 1000 });
      },
    });
    nc.subscribe(subjects.control(this.name), {
      callback: (err, msg) => (err ? this.reject(undefined, 'control', `subscription error: ${err.message}`) : void this.onControl(msg)),
    });
  }

  private async onControl(msg: Msg): Promise<void> {
    const m = decode(deviceControlMsg, msg.data);
    if (!m.ok) return this.reject(msg, 'control', m.reason);
    if (m.value.kind === 'shutdown') return this.acknowledgeShutdown(msg);
    if (m.value.kind === 'status') return this.answerStatus(msg);
    const turn = m.value;
    if (turn.turn.device !== this.deviceId) return this.reject(msg, 'control', `turn for another device`);
    const key = turnKey(turn.turn);
    if (this.current?.key === key && (turn.turn.attempt ?? 0) > this.current.attempt) this.abandonCurrent();
    if (this.queued >= MAX_QUEUED_TURNS) return this.reject(msg, 'control', 'busy with other turns');
    this.queued++;
    const previous = this.queue;
    let done!: () => void;
    this.queue = new Promise((r) => (done = r));
    await previous;
    const attempt = { key, attempt: turn.turn.attempt ?? 0, abort: new AbortController() };
    this.current = attempt;
    try {
      msg.respond(encode(await this.runTurn(turn, attempt.abort.signal)));
    } catch (err) {
      if (attempt.abort.signal.aborted) return void this.deps.log('info', 'turn abandoned', { turn: turn.turn });
      this.deps.log('error', 'turn failed', { turn: turn.turn, error: (err as Error).message });
      msg.respond(encode({ kind: 'error', message: `device ${this.deviceId}: ${(err as Error).message}` }));
    } finally {
      for (const tag of this.pending.splice(0)) {
        this.receiver.cancel(tag, 'turn failed');
        this.notices.cancel(tag);
      }
      if (this.current === attempt) this.current = undefined;
      this.queued--;
      done();
    }
  }

  /** Its waits fail now and its sends stop; the re-run queued behind it then starts. */
  private abandonCurrent(): void {
    this.current?.abort.abort();
    for (const tag of this.pending.splice(0)) {
      this.receiver.cancel(tag, 'turn run again');
      this.notices.cancel(tag);
    }
  }

  /** A wait of this turn: remembered for cancelling, and never an unhandled rejection if the turn fails first. */
  private waitFor<T>(tag: string, wait: Promise<T>): Promise<T> {
    this.pending.push(tag);
    wait.catch(() => undefined);
    return wait;
  }

  /**
   * `bytes` of payload, padded for the tc head start, plus `extraPad` (an outage's leak).
   * `turnStartMs`: the turn's start on this process's clock, time 0 of the uplink's schedule on a trace-following link.
   */
  private send(turn: TurnMsg, payload: 'adapters' | 'smashed', tag: string, bytes: number, extraPad: number, turnStartMs: number, signal?: AbortSignal, holdMs = 0, data?: Uint8Array, aheadMs = 0) {
    const { timeoutMs } = turn;
    const subject = this.deps.subjects.dataFrom(this.name);
    const opts: SendOptions = { subject, tag, bytes: this.padded(bytes, turn.padBytes, subject, tag) + extraPad, rateBps: turn.upRateBps, timeoutMs, ackTimeoutMs: timeoutMs, ...(signal ? { signal } : {}), ...(holdMs > 0 ? { holdMs } : {}), ...(data ? { data } : {}), ...(aheadMs > 0 ? { aheadMs } : {}) };
    if (turn.upSchedule) opts.trace = { schedule: turn.upSchedule, turnStartMs };
    const impairment = this.turnImpairment(tag, turn, payload);
    if (impairment) opts.impairment = impairment;
    return sendPayload(this.deps.nc, opts);
  }

  /**
   * A timed workload of `wallS`, with `send` started `aheadMs` before its end (the rest of
   * it a plain wait, so a spinning workload cannot hold the send's first chunk back).
   * Returns when the workload ended (performance.now() ms) and the started send (boxed: an
   * async function would otherwise wait for it), none when nothing was sent ahead.
   *
   * Sent ahead, the workload ends when its timer says, `aheadMs` after its first part did:
   * starting a large send (the first window of chunks copied and written) can hold the
   * event loop for several ms, and that is the transfer's cost, which its own phase
   * measures, not the compute's. A first part that ran late is still the compute's.
   */
  private async workloadThen<T>(wallS: number, aheadMs: number, send: () => Promise<T>): Promise<{ endedAt: number; sending?: Promise<T> }> {
    if (aheadMs <= 0) {
      await runWorkload(this.deps.workload, wallS);
      return { endedAt: performance.now() };
    }
    const start = performance.now();
    await runWorkload(this.deps.workload, Math.max(0, wallS - aheadMs / 1000));
    const endedAt = Math.max(start + wallS * 1000, performance.now() + aheadMs);
    const sending = started(send());
    await runWorkload('sleep', Math.max(0, endedAt - performance.now()) / 1000);
    return { endedAt, sending };
  }

  async runTurn(turn: TurnMsg, signal?: AbortSignal): Promise<TurnReportMsg> {
    const { timeoutMs } = turn;
    const { nc, subjects, workload } = this.deps;
    const p: PhaseWall = { adapterDown: 0, deviceForward: 0, uplink: 0, serverWait: 0, server: 0, downlink: 0, deviceBackward: 0, adapterUp: 0, total: 0 };
    let busy = 0;
    let t0 = performance.now();
    // a scheduled fault acts at its phase's first start only
    const starting = async (phase: Phase, i = 1) => {
      if (turn.crashAt !== phase || i !== 1) return;
      p.total = performance.now() - t0;
      await crashNow(nc, subjects, turn.turn, phase, p, toHostMs(t0));
    };
    const outage = (phase: Phase, at: number, i = 1) =>
      turn.outage?.phase === phase && i === 1 ? startOutage(nc, subjects, this.name, turn.turn, turn.outage, at, timeoutMs) : Promise.resolve({ holdMs: 0, padBytes: 0 });

    await starting('adapterDown');
    // no more than the server sends for this turn: the adapters, its tc head start and an outage's leak
    this.adaptersExpected = { tag: tags.adaptersDown(turn.turn), maxBytes: turn.adapterBytes + (turn.downPadBytes ?? 0) + (turn.outage?.padBytes ?? 0) };
    const adapters = this.waitFor(tags.adaptersDown(turn.turn), this.receiver.expect(tags.adaptersDown(turn.turn), timeoutMs));
    const reply = await nc.request(subjects.toServerFrom(this.name), encode({ kind: 'adapters', turn: turn.turn }), { timeout: timeoutMs });
    const sending = decode(adaptersSendingMsg, reply.data);
    if (!sending.ok) throw new RunError(`the server's reply to the adapter request: ${sending.reason}`);
    t0 = fromHostMs(sending.value.at);
    const down = await adapters;
    this.adaptersExpected = undefined;
    // Sent ahead, a transfer can land before its phase starts when the floor was shorter this
    // time than the amount sent ahead: it then ends as its phase starts (docs/fidelity.md).
    let mark = Math.max(down.completedAt, t0);
    p.adapterDown = mark - t0;
    // nor does the forward start before the turn has: the adapters came early, not the turn
    if (mark > performance.now()) await waitUntil(mark, signal);
    const adapterData = (down.data ?? new Uint8Array(0)).subarray(0, turn.adapterBytes);
    this.deps.log('info', 'adapters received', { turn: turn.turn, version: sending.value.version, bytes: adapterData.length, sha256: createHash('sha256').update(adapterData).digest('hex') });
    let adaptersSent: Promise<SendResult> | undefined;

    for (let i = 1; i <= turn.iterations; i++) {
      await starting('deviceForward', i);
      const gradient = this.waitFor(tags.gradient(turn.turn, i), this.receiver.expect(tags.gradient(turn.turn, i), timeoutMs));
      const notice = this.waitFor(tags.gradient(turn.turn, i), this.notices.take(tags.gradient(turn.turn, i), timeoutMs));
      // the smashed data leaves ahead of the forward's end by the floor the latency cannot absorb (docs/fidelity.md)
      const upAhead = aheadOf(turn, 'uplink', i, turn.forwardWallS * 1000);
      const smashed = () => this.send(turn, 'smashed', tags.smashed(turn.turn, i), turn.smashedBytes, 0, t0, signal, 0, undefined, upAhead);
      const forward = await this.workloadThen(turn.forwardWallS, upAhead, smashed);
      const sentAhead = forward.sending;
      const forwardDone = forward.endedAt;
      p.deviceForward += forwardDone - mark;

      await starting('uplink', i);
      const hold = sentAhead ? { holdMs: 0, padBytes: 0 } : await outage('uplink', forwardDone, i);
      const sent = await (sentAhead ?? this.send(turn, 'smashed', tags.smashed(turn.turn, i), turn.smashedBytes, hold.padBytes, t0, signal, hold.holdMs));
      const delivered = Math.max(sent.deliveredAt, forwardDone);
      p.uplink += delivered - forwardDone;

      await starting('server', i);
      // The server phase ends when its compute does; the downlink follows it. Its queue wait is the server's own measure.
      const n = await notice;
      const serverDone = Math.max(n.doneAt, delivered);
      const wait = Math.min(n.waitMs, serverDone - delivered);
      p.serverWait += wait;
      p.server += serverDone - delivered - wait;
      busy += n.busyWallS;
      await starting('downlink', i);
      const received = await gradient;
      const gradientDone = Math.max(received.completedAt, serverDone);
      p.downlink += gradientDone - serverDone;

      await starting('deviceBackward', i);
      // the last backward: the trained adapters leave ahead of its end, as the smashed data does
      const backAhead = i === turn.iterations ? aheadOf(turn, 'adapterUp', 1, turn.backwardWallS * 1000) : 0;
      const adaptersUp = () => this.send(turn, 'adapters', tags.adaptersUp(turn.turn), turn.adapterBytes, 0, t0, signal, 0, trainedAdapters(adapterData, this.deviceId), backAhead);
      const backward = await this.workloadThen(turn.backwardWallS, backAhead, adaptersUp);
      adaptersSent = backward.sending;
      mark = backward.endedAt;
      p.deviceBackward += mark - gradientDone;
    }

    await starting('adapterUp');
    const hold = adaptersSent ? { holdMs: 0, padBytes: 0 } : await outage('adapterUp', mark);
    const up = await (adaptersSent ?? this.send(turn, 'adapters', tags.adaptersUp(turn.turn), turn.adapterBytes, hold.padBytes, t0, signal, hold.holdMs, trainedAdapters(adapterData, this.deviceId)));
    const upDone = Math.max(up.deliveredAt, mark);
    p.adapterUp = upDone - mark;
    p.total = upDone - t0;

    const seconds = Object.fromEntries(Object.entries(p).map(([k, v]) => [k, v / 1000])) as PhaseWall;
    return { kind: 'report', turn: turn.turn, phases: seconds, serverBusyWallS: busy, rejected: this.rejectedCount, startAt: toHostMs(t0), pid: process.pid };
  }

  override async close(): Promise<void> {
    this.notices.close('device shutting down');
    await super.close();
  }
}
