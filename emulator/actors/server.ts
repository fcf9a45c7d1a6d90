import type { Msg } from '@nats-io/transport-node';
import { decode, encode, serverControlMsg, type PrepareMsg } from '../protocol/messages.js';
import { deviceActor } from '../protocol/subjects.js';
import { turnKey } from '../protocol/turn-key.js';
import { hostNowMs } from '../transport/host-clock.js';
import { sendPayload, type SendOptions, type SendResult } from '../transport/transfer.js';
import { Actor, aheadOf, started, type ActorDeps } from './actor.js';
import { AdapterHub } from './adapter-hub.js';
import { GpuQueue } from './gpu-queue.js';
import { drawKey, tags } from './tags.js';
import { startOutage } from './turn-faults.js';

interface PreparedTurn {
  prepare: PrepareMsg;
  /** Abandons it (a later attempt, a crash, too many prepared). */
  abort: AbortController;
  /**
   * performance.now() when the turn started: when its adapters left, time 0 of the
   * downlink's schedule on a trace-following link (docs/linktrace.md). Its prepare until
   * then; only a device that never asks for its adapters leaves it there.
   */
  startedAt: number;
}

/** A turn may wait this long for its next payload; the coordinator's turn timeout is the real bound. */
const PAYLOAD_WAIT_MS = 24 * 3600 * 1000;
/** Turns prepared and not finished, at most: parallel mode prepares one per device of a round. */
const MAX_PREPARED = 2048;

/**
 * The edge server (docs/architecture.md §1): the adapter hub and the GPU. For each turn it sends
 * the device the newest adapters of blocks 1..cut, and per iteration receives the
 * smashed data, "computes" at the decided frequency (a timed workload: a lower
 * frequency is a longer phase), announces the gradient and sends it; then it takes the
 * device's updated adapters back (adapter-hub.ts: in sequential mode they hand over to
 * the next turn at once). Jobs of concurrent turns (parallel mode) share one GPU queue; at
 * the end of a parallel round the coordinator asks for the FedAvg of the adapters the
 * round returned.
 */
export class ServerActor extends Actor {
  /** The prepared turn of each (round, device), and what abandons it when the coordinator runs it again after a bus outage. */
  private readonly turns = new Map<string, PreparedTurn>();
  private readonly gpu: GpuQueue;
  private readonly hub = new AdapterHub();

  constructor(deps: ActorDeps) {
    super('server', deps, { keep: (tag, totalBytes) => this.keepAdapters(tag, totalBytes) });
    this.gpu = new GpuQueue(deps.workload);
  }

  start(): void {
    this.deps.nc.subscribe(this.deps.subjects.control('server'), {
      callback: (err, msg) => (err ? this.reject(undefined, 'control', `subscription error: ${err.message}`) : this.onControl(msg)),
    });
    // devices ask for their adapters on subjects of their own (docs/trust.md): only that, only for themselves
    this.deps.nc.subscribe(this.deps.subjects.toServerFrom('device.*'), {
      callback: (err, msg) => (err ? this.reject(undefined, 'control', `subscription error: ${err.message}`) : this.onControl(msg, msg.subject.slice(msg.subject.lastIndexOf('.') + 1))),
    });
  }

  private onControl(msg: Msg, fromDevice?: string): void {
    const m = decode(serverControlMsg, msg.data);
    if (!m.ok) return this.reject(msg, 'control', m.reason);
    const c = m.value;
    if (fromDevice !== undefined && (c.kind !== 'adapters' || c.turn.device !== fromDevice)) return this.reject(msg, 'control', `device ${fromDevice} may ask only for its own adapters`);
    if (c.kind === 'shutdown') return this.acknowledgeShutdown(msg);
    if (c.kind === 'status') return this.answerStatus(msg);
    if (c.kind === 'average') {
      msg.respond(encode({ kind: 'averaged', round: c.round, ...this.hub.average(c.round) }));
      return;
    }
    const key = turnKey(c.turn);
    if (c.kind === 'prepare') return this.prepare(msg, key, c);
    if (c.kind === 'discard') {
      this.giveUp(key, 'the device crashed');
      msg.respond(encode({ kind: 'ok' }));
      return;
    }
    const entry = this.turns.get(key);
    if (!entry || (entry.prepare.turn.attempt ?? 0) !== (c.turn.attempt ?? 0)) return this.reject(msg, 'control', `no prepared turn ${key}`);
    const turn = entry.prepare;
    // The turn starts `ahead` ms from now and its adapters leave now (docs/fidelity.md, "Sending ahead"): they land when the model's would.
    const ahead = aheadOf(turn, 'adapterDown', 1);
    const at = performance.now() + ahead;
    entry.startedAt = at;
    const adapters = this.hub.adaptersFor(turn.adapterBytes, turn.cut);
    msg.respond(encode({ kind: 'sending', at: hostNowMs() + ahead, version: adapters.version }));
    void this.sendAt(entry, 'adapterDown', at, tags.adaptersDown(turn.turn), turn.adapterBytes, 1, adapters.data, ahead).catch((err) =>
      this.deps.log('error', 'adapter send failed', { turn: turn.turn, error: (err as Error).message }),
    );
  }

  /**
   * A prepare for a (round, device) already prepared is refused, unless it is a later
   * attempt (the coordinator re-runs a turn a bus outage interrupted): that one abandons
   * the earlier, so the same turn is served once at a time.
   */
  private prepare(msg: Msg, key: string, c: PrepareMsg): void {
    const earlier = this.turns.get(key);
    if (earlier && (c.turn.attempt ?? 0) <= (earlier.prepare.turn.attempt ?? 0)) return this.reject(msg, 'control', `already prepared: ${key}`);
    if (earlier) this.giveUp(key, 'turn run again');
    const entry: PreparedTurn = { prepare: c, abort: new AbortController(), startedAt: performance.now() };
    this.turns.set(key, entry);
    if (this.turns.size > MAX_PREPARED) this.giveUp(this.turns.keys().next().value as string, 'turn given up');
    msg.respond(encode({ kind: 'ok' }));
    void this.serveTurn(entry)
      .catch((err) => this.deps.log(entry.abort.signal.aborted ? 'info' : 'error', entry.abort.signal.aborted ? 'turn abandoned' : 'turn failed', { turn: c.turn, error: (err as Error).message }))
      .finally(() => {
        if (this.turns.get(key) === entry) this.turns.delete(key);
      });
  }

  /** Only the adapters of a prepared turn are kept, and no more bytes than it sends. */
  private keepAdapters(tag: string, totalBytes: number): boolean {
    const key = drawKey(tag);
    const turn = key.startsWith('adapters-up/') ? this.turns.get(key.slice('adapters-up/'.length))?.prepare : undefined;
    return turn !== undefined && totalBytes <= turn.adapterBytes + turn.padBytes + (turn.outage?.padBytes ?? 0);
  }

  /** Stops serving an unfinished turn: its waits fail and its sends stop. A flood of prepares for turns that never come cannot grow the hub either. */
  private giveUp(key: string, why: string): void {
    const entry = this.turns.get(key);
    if (!entry) return;
    this.turns.delete(key);
    entry.abort.abort();
    const turn = entry.prepare;
    for (let i = 1; i <= turn.iterations; i++) this.receiver.cancel(tags.smashed(turn.turn, i), why);
    this.receiver.cancel(tags.adaptersUp(turn.turn), why);
    this.deps.log('warn', 'gave up an unfinished prepared turn', { turn: key, why });
  }

  /** A transfer of `phase` starting at `phaseStart` (performance.now() ms), through the turn's outage if it has one there. */
  private async sendAt(entry: PreparedTurn, phase: string, phaseStart: number, tag: string, bytes: number, iteration: number, data?: Uint8Array, aheadMs = 0) {
    const { prepare: turn, abort: { signal } } = entry;
    const hit = turn.outage?.phase === phase && iteration === 1 ? turn.outage : undefined;
    const hold = hit ? await startOutage(this.deps.nc, this.deps.subjects, this.name, turn.turn, hit, phaseStart, PAYLOAD_WAIT_MS) : { holdMs: 0, padBytes: 0 };
    const subject = this.deps.subjects.data(deviceActor(turn.turn.device));
    const opts: SendOptions = { subject, tag, bytes: this.padded(bytes, turn.padBytes, subject, tag) + hold.padBytes, rateBps: turn.downRateBps, timeoutMs: PAYLOAD_WAIT_MS, ackTimeoutMs: PAYLOAD_WAIT_MS, signal };
    if (hold.holdMs > 0) opts.holdMs = hold.holdMs;
    if (aheadMs > 0) opts.aheadMs = aheadMs;
    if (data) opts.data = data;
    if (turn.downSchedule) opts.trace = { schedule: turn.downSchedule, turnStartMs: entry.startedAt };
    const impairment = this.turnImpairment(tag, turn, phase === 'adapterDown' ? 'adapters' : 'smashed');
    if (impairment) opts.impairment = impairment;
    return sendPayload(this.deps.nc, opts);
  }

  private async serveTurn(entry: PreparedTurn): Promise<void> {
    const { prepare: turn, abort: { signal } } = entry;
    const { nc, subjects } = this.deps;
    for (let i = 1; i <= turn.iterations; i++) {
      const smashed = await this.receiver.expect(tags.smashed(turn.turn, i), PAYLOAD_WAIT_MS);
      // a device scheduled to die at the server phase never gets its job run (docs/model.md §1.7)
      if (turn.crashAt === 'server' && i === 1) return;
      // the gradient leaves ahead of the job's end by the floor the latency cannot absorb (docs/fidelity.md)
      const ahead = aheadOf(turn, 'downlink', i, turn.computeWallS * 1000);
      let sentAhead: Promise<SendResult> | undefined;
      const gradient = (endsAt: number) => (sentAhead = started(this.sendAt(entry, 'downlink', endsAt, tags.gradient(turn.turn, i), turn.smashedBytes, i, undefined, ahead)));
      const job = await this.gpu.run(turn.computeWallS, smashed.completedAt, ahead > 0 ? { ms: ahead, start: gradient } : undefined);
      if (signal.aborted) return;
      const waitWallS = (job.startedAt - job.arrivedAt) / 1000;
      nc.publish(subjects.events(deviceActor(turn.turn.device)), encode({ kind: 'gradient', turn: turn.turn, iteration: i, busyWallS: job.busyWallS, waitWallS, at: hostNowMs() - (performance.now() - job.endedAt) }));
      if (turn.crashAt === 'downlink' && i === 1) return;
      await (sentAhead ?? this.sendAt(entry, 'downlink', job.endedAt, tags.gradient(turn.turn, i), turn.smashedBytes, i));
    }
    const adapters = await this.receiver.expect(tags.adaptersUp(turn.turn), PAYLOAD_WAIT_MS);
    if (signal.aborted) return;
    // round 0 is the calibration (launcher/calibrate.ts): it trains nothing
    if (!adapters.data || turn.turn.round === 0) return;
    const returned = adapters.data.subarray(0, turn.adapterBytes);
    if (turn.fedAvg === true) this.hub.add(returned, turn.cut);
    else this.hub.handOver(returned, turn.cut, turn.turn.round);
  }
}
