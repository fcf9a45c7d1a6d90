import { PHASES, type PhaseDelays, type TransferPhase, type TurnEnergy } from '../../src/cost.js';
import type { PlannedTurn } from '../../src/plan.js';
import { fixedTimeScale } from '../../src/resolution.js';
import { dbmToWatts, type Device } from '../../src/system.js';
import type { SystemModel } from '../../src/system-model.js';
import { ZERO_ENERGY } from '../../src/turn-fault.js';
import { RunError } from '../errors.js';
import type { Link } from '../net/link.js';
import { OUTAGE_LEAK_BYTES } from '../net/outage.js';
import type { OutageSpec, PhaseWall, PrepareMsg, ReplyMsg, TurnMsg } from '../protocol/messages.js';
import { deviceActor } from '../protocol/subjects.js';
import { faultLabel, type TurnRecord } from '../records/turn-record.js';
import type { ControlChannel } from './control.js';
import type { CoordinatorInbox } from './inbox.js';

/**
 * Userspace latency and jitter of one direction in wall ms, scaled and floor-compensated
 * (launcher/scale-choice.ts): the floor comes off the latency, and what the latency cannot
 * absorb is sent ahead (`aheadWallMs`, docs/fidelity.md "Sending ahead").
 */
export interface WallImpairment {
  delayWallMs: { adapters: number; smashed: number };
  jitterWallMs: number;
  aheadWallMs: { adapters: number; smashed: number };
}

/**
 * The launcher's side of a scheduled crash (emulator/launcher/crash-supervisor.ts): it watches the
 * device's process, which is expected to die, and starts it again where it ran.
 */
export interface Supervision {
  /** The device's current process is about to die on purpose: resolves with how it exited. */
  expectCrash(deviceId: string): { pid: number | undefined; exited: Promise<string> };
  /** Starts the device again; resolves once the new process has announced itself. */
  restart(deviceId: string, round: number, signal: AbortSignal): Promise<void>;
}

/** What a turn needs from the run around it; the coordinator builds it once. */
export interface TurnContext {
  /** Replaced between turns when "auto" changes the time scale (Coordinator.rescale). */
  system: SystemModel;
  /** Per-turn work must not grow with N (docs/architecture.md §8): lookups, no scans of the device list. */
  readonly devices: ReadonlyMap<string, Device>;
  readonly links: ReadonlyMap<string, Link>;
  readonly control: ControlChannel;
  readonly inbox: CoordinatorInbox;
  impairments?: { up: WallImpairment; down: WallImpairment } | undefined;
  /** Process supervision for scheduled crashes; without it a crash fault fails the run. */
  readonly supervision?: Supervision | undefined;
}

/**
 * - prepared: the server was told of the turn (and a scheduled crash is expected); the device not yet started;
 * - started: the device was sent the turn;
 * - done: the device reported its measurements;
 * - crashed: its device died as scheduled, measured up to the crash;
 * - dropped: the device takes no part this round; nothing is sent.
 */
export type TurnState = 'prepared' | 'started' | 'done' | 'dropped' | 'crashed';

type Doomed = ReturnType<Supervision['expectCrash']>;

/**
 * One turn as the coordinator plays it (docs/architecture.md §4): told to the server,
 * started on the device, turned into a record from what the actors measured. A turn whose
 * device is scheduled to crash ends when process supervision sees the exit, not on a
 * timeout. Links are set before a turn is prepared; that is the rounds' job.
 */
export class Turn {
  private current: TurnState;
  private reply: Promise<ReplyMsg> | undefined;

  private constructor(
    private readonly ctx: TurnContext,
    readonly planned: PlannedTurn,
    readonly attempt: number,
    private readonly msgs: TurnMessages | undefined,
    /** performance.now() when the server was told. */
    private readonly at: number,
    private readonly doomed: Doomed | undefined,
  ) {
    this.current = msgs ? 'prepared' : 'dropped';
  }

  get state(): TurnState {
    return this.current;
  }

  /** Tells the server of the turn; a dropped turn is made without a word to anyone. */
  static async prepare(ctx: TurnContext, planned: PlannedTurn, signal: AbortSignal, attempt = 0): Promise<Turn> {
    if (planned.status === 'dropped') return new Turn(ctx, planned, attempt, undefined, 0, undefined);
    const link = ctx.links.get(planned.device)!;
    const parallel = ctx.system.config.mode === 'parallel';
    const msgs = turnMessages(ctx.system, planned, link, { fedAvg: parallel, attempt, controlTimeoutMs: ctx.control.timeoutMs, impairments: ctx.impairments });
    if (planned.fault?.kind === 'outage') await link.prepareOutages?.();
    const at = performance.now();
    await ctx.control.server(msgs.prepare, signal);
    let doomed: Doomed | undefined;
    if (planned.fault?.kind === 'crash') {
      if (!ctx.supervision) throw new RunError(`device ${planned.device}: a crash is scheduled in round ${planned.round} but nothing supervises the processes`);
      doomed = ctx.supervision.expectCrash(planned.device);
    }
    return new Turn(ctx, planned, attempt, msgs, at, doomed);
  }

  /** Prepares, starts and ends one turn on links already set. */
  static async run(ctx: TurnContext, planned: PlannedTurn, signal: AbortSignal, attempt = 0): Promise<TurnRecord> {
    const turn = await Turn.prepare(ctx, planned, signal, attempt);
    turn.start(signal);
    return turn.end(signal);
  }

  /** Sends the turn to its device. */
  start(signal: AbortSignal): void {
    if (this.current !== 'prepared') return;
    // a trace-following link steps along its trace from the turn's planned start (docs/linktrace.md)
    const link = this.ctx.links.get(this.planned.device)!;
    link.follow?.(this.planned.start ?? 0);
    this.reply = this.ctx.control.request(deviceActor(this.planned.device), this.msgs!.turn, this.msgs!.timeoutMs, signal);
    // a doomed turn is decided by the exit; the request to a dead process fails later
    if (this.doomed) this.reply.catch(() => undefined);
    this.current = 'started';
  }

  /** Waits for the device's report (or its scheduled crash) and makes the turn's record. */
  async end(signal: AbortSignal): Promise<TurnRecord> {
    if (this.current === 'dropped') return droppedRecord(this.planned);
    try {
      return await this.ended(signal);
    } finally {
      this.ctx.links.get(this.planned.device)!.unfollow?.();
    }
  }

  private async ended(signal: AbortSignal): Promise<TurnRecord> {
    if (this.current !== 'started') throw new Error(`turn ${this.planned.round}/${this.planned.device} ended while ${this.current}`);
    if (this.doomed) return this.crashed(this.doomed, signal);
    const report = await this.reply!;
    if (report.kind !== 'report') throw new RunError(`device ${this.planned.device}: unexpected reply to a turn`);
    const record = this.record({ phases: report.phases, serverBusyWallS: report.serverBusyWallS });
    this.current = 'done';
    return Object.assign(record, { startAt: report.startAt, retries: this.attempt });
  }

  /**
   * A turn that ends in its device's scheduled crash: the coordinator learns of it from
   * process supervision (the child's exit), not from a timeout; the phases up to the crash
   * come from the device's last report. The server then forgets the turn, so its adapters
   * never reach the average. The restart comes after the turn (or the round): it is not
   * part of any turn's time.
   */
  private async crashed(doomed: Doomed, signal: AbortSignal): Promise<TurnRecord> {
    const { planned, ctx } = this;
    const survived = this.reply!.then(() => {
      throw new RunError(`device ${planned.device} finished round ${planned.round} although a crash was scheduled`);
    });
    survived.catch(() => undefined);
    const how = await Promise.race([doomed.exited, survived]);
    if (how !== 'signal SIGKILL') throw new RunError(`device ${planned.device} (pid ${doomed.pid}) exited with ${how}, not the scheduled SIGKILL`);
    const words = await ctx.inbox.crashReport(planned.round, planned.device, ctx.control.timeoutMs);
    await ctx.control.server({ kind: 'discard', turn: { round: planned.round, device: planned.device } }, signal);
    const record = this.record({ phases: words.phases, serverBusyWallS: words.phases.server });
    this.current = 'crashed';
    return Object.assign(record, { startAt: words.startAt });
  }

  private record(m: { phases: PhaseWall; serverBusyWallS: number }): TurnRecord {
    return measuredRecord(this.ctx.system, this.ctx.devices.get(this.planned.device)!, this.planned, { ...m, coordinatorWallS: (performance.now() - this.at) / 1000 });
  }
}

/** Restarts the devices whose turns crashed, before their next turn. */
export async function restartCrashed(ctx: TurnContext, records: readonly TurnRecord[], signal: AbortSignal): Promise<void> {
  for (const r of records) if (r.status === 'crashed') await ctx.supervision!.restart(r.device, r.round, signal);
}

interface TurnMessages {
  prepare: PrepareMsg;
  turn: TurnMsg;
  timeoutMs: number;
}

/**
 * A planned turn as the server and the device are told it: durations in wall seconds
 * (× timeScale), bytes × payloadScale, rates × payloadScale / timeScale, so transfers
 * scale exactly like compute; and its fault, if any, in the actors' terms: the phase at
 * which the device dies, or the outage each sender must go through.
 */
export function turnMessages(system: SystemModel, planned: PlannedTurn, link: Link, o: { fedAvg: boolean; attempt: number; controlTimeoutMs: number; impairments?: { up: WallImpairment; down: WallImpairment } | undefined }): TurnMessages {
  const { config, split } = system;
  const { payloadScale } = config.emulation;
  const timeScale = fixedTimeScale(config.emulation);
  const I = config.training.iterations;
  // userspace: the senders pace themselves, at the seen rates or along the trace over this turn
  const paced = link.pacing?.({ startS: planned.start ?? 0, totalS: planned.delay.total });
  const pad = link.padding();
  // a re-run after a bus outage carries its attempt, so the actors abandon the earlier one
  const turn = { round: planned.round, device: planned.device, ...(o.attempt ? { attempt: o.attempt } : {}) };
  const bytes = {
    adapterBytes: Math.round(split.adapterBytes(planned.cut) * payloadScale),
    smashedBytes: Math.round(split.smashedBytes * payloadScale),
  };
  const fault = planned.fault;
  const crashAt = fault?.kind === 'crash' ? fault.phase : null;
  const outage = fault?.kind === 'outage' ? outageSpec(fault.phase, fault.seconds * timeScale, link) : null;
  // the predicted total already holds the outage's seconds and the queue's wait
  const timeoutMs = Math.ceil(planned.delay.total * timeScale * 1000 * 3) + o.controlTimeoutMs;
  const prepare: PrepareMsg = {
    kind: 'prepare',
    turn,
    cut: planned.cut,
    freqHz: planned.serverFreqHz,
    iterations: I,
    computeWallS: (planned.delay.server / I) * timeScale,
    ...bytes,
    downRateBps: paced?.down.rateBps ?? null,
    ...(paced?.down.schedule ? { downSchedule: paced.down.schedule } : {}),
    padBytes: pad.downBytes,
    crashAt,
    outage,
    fedAvg: o.fedAvg,
    ...o.impairments?.down,
  };
  const message: TurnMsg = {
    kind: 'turn',
    turn,
    cut: planned.cut,
    iterations: I,
    forwardWallS: (planned.delay.deviceForward / I) * timeScale,
    backwardWallS: (planned.delay.deviceBackward / I) * timeScale,
    ...bytes,
    upRateBps: paced?.up.rateBps ?? null,
    ...(paced?.up.schedule ? { upSchedule: paced.up.schedule } : {}),
    padBytes: pad.upBytes,
    downPadBytes: pad.downBytes,
    timeoutMs,
    crashAt,
    outage,
    ...o.impairments?.up,
  };
  return { prepare, turn: message, timeoutMs };
}

/** Kernel-held where the link can hold (tc), else held by the sender's pacer. */
function outageSpec(phase: TransferPhase, wallS: number, link: Link): OutageSpec {
  return link.hold ? { phase, wallS, by: 'kernel', padBytes: OUTAGE_LEAK_BYTES } : { phase, wallS, by: 'pacer', padBytes: 0 };
}

/** What the actors measured of one turn, in wall seconds. */
export interface Measured {
  phases: PhaseWall;
  serverBusyWallS: number;
  coordinatorWallS: number;
}

/**
 * A turn's record from its measurements: phases in emulated seconds and the energies they
 * imply. A crashed turn is measured up to its crash (the device's last report), so its
 * energies are those of the phases it completed, as the model charges them.
 */
export function measuredRecord(system: SystemModel, device: Device, planned: PlannedTurn, m: Measured): TurnRecord {
  const { config } = system;
  const timeScale = fixedTimeScale(config.emulation);
  const delay = Object.fromEntries(Object.entries(m.phases).map(([k, v]) => [k, v / timeScale])) as PhaseDelays;
  const f = planned.serverFreqHz;
  const busy = m.serverBusyWallS / timeScale;
  // The server's energy from its measured busy time: cycles = busy · f.
  const serverCycles = busy * f;
  const deviceCycles = (delay.deviceForward + delay.deviceBackward) * device.freqHz;
  const energy: TurnEnergy = {
    server: config.server.staticPowerW * busy + config.server.kappa * serverCycles * f * f,
    deviceCompute: device.kappa * deviceCycles * device.freqHz ** 2,
    deviceTransmit: dbmToWatts(device.txPowerDbm) * (delay.uplink + delay.adapterUp),
  };
  return {
    ...identity(planned),
    predicted: { delay: planned.delay, energy: planned.energy },
    measured: { delay, energy },
    coordinatorWallS: m.coordinatorWallS,
    serverBusyWallS: m.serverBusyWallS,
    timeScale,
    ...(planned.expectedDelay ? { linktrace: { expectedTotal: planned.expectedDelay.total, realisedBps: realisedRates(system, planned, delay) } } : {}),
  };
}

/**
 * The mean rate each transfer phase realised (docs/linktrace.md): its modelled bits over
 * its measured time less the latency and any outage (time on air, as the model counts it).
 */
function realisedRates(system: SystemModel, planned: PlannedTurn, measured: PhaseDelays): Record<TransferPhase, number> {
  const { split, config } = system;
  const I = config.training.iterations;
  const d = config.channel.delayMs / 1000;
  const outage = (p: TransferPhase) => (planned.fault?.kind === 'outage' && planned.fault.phase === p ? planned.fault.seconds : 0);
  const rate = (p: TransferPhase, bits: number, transfers: number) => {
    const air = measured[p] - transfers * d - outage(p);
    return air > 0 ? bits / air : 0;
  };
  const adapterBits = 8 * split.adapterBytes(planned.cut);
  const smashedBits = 8 * I * split.smashedBytes;
  return { adapterDown: rate('adapterDown', adapterBits, 1), uplink: rate('uplink', smashedBits, I), downlink: rate('downlink', smashedBits, I), adapterUp: rate('adapterUp', adapterBits, 1) };
}

/** A dropped turn: the device took no part, so both sides are zero. */
export function droppedRecord(planned: PlannedTurn): TurnRecord {
  const zero = { ...Object.fromEntries(PHASES.map((p) => [p, 0])), serverWait: 0, total: 0 } as PhaseDelays;
  return {
    ...identity(planned),
    predicted: { delay: planned.delay, energy: planned.energy },
    measured: { delay: zero, energy: { ...ZERO_ENERGY } },
    coordinatorWallS: 0,
    serverBusyWallS: 0,
  };
}

function identity(planned: PlannedTurn): Pick<TurnRecord, 'round' | 'device' | 'status' | 'fault' | 'startOffset' | 'cut' | 'serverFreqHz' | 'rateUpBps' | 'rateDownBps' | 'retries'> {
  return {
    retries: 0,
    round: planned.round,
    device: planned.device,
    status: planned.status,
    fault: faultLabel(planned.fault),
    startOffset: 0,
    cut: planned.cut,
    serverFreqHz: planned.serverFreqHz,
    rateUpBps: planned.rateUpBps,
    rateDownBps: planned.rateDownBps,
  };
}
