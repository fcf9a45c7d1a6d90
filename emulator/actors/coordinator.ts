import type { NatsConnection } from '@nats-io/transport-node';
import type { TurnEnergy } from '../../src/cost.js';
import { planTurns, type PlannedTurn } from '../../src/plan.js';
import type { Strategy } from '../../src/strategy/strategy.js';
import { dbmToWatts, type Device } from '../../src/system.js';
import type { SystemModel } from '../../src/system-model.js';
import { RunError } from '../errors.js';
import { decode, encode, replyMsg, type ReplyMsg, type TurnReportMsg } from '../protocol/messages.js';
import type { Link } from '../net/link.js';
import { pacing } from '../net/paced-link.js';
import type { TurnRecord } from '../records/turn-record.js';
import { deviceActor, type ActorName, type Subjects } from '../protocol/subjects.js';

export interface CoordinatorOptions {
  controlTimeoutMs: number;
  /** Called with each finished turn before the next one starts. */
  onTurn: (record: TurnRecord, index: number) => Promise<void>;
  /** Called as a turn starts, for progress display. */
  onTurnStart?: (turn: PlannedTurn, index: number) => void;
  /** `round/device` of turns finished before a resume: skipped, the rest keep their plan. */
  done?: ReadonlySet<string>;
  /** Runs a turn's attempts (attempt n gets the signal that abandons it) until one is recorded: re-runs after a bus outage. */
  retry?: (attempt: (signal: AbortSignal, n: number) => Promise<TurnRecord>, signal: AbortSignal) => Promise<TurnRecord>;
}

/**
 * Owns the round loop (DESIGN.md 4.1): for every turn it takes the strategy's decision
 * on that round's channel, sets the device's link, tells the server its frequency,
 * starts the turn on the device and turns the device's measurements into a record.
 * Durations go to the actors in wall seconds (× timeScale), bytes × payloadScale, and
 * rates × payloadScale / timeScale, so transfers scale exactly like compute.
 */
export class Coordinator {
  /** Per-turn work must not grow with N (DESIGN.md 4.6): no scans of the device list. */
  private readonly devices: ReadonlyMap<string, Device>;

  constructor(
    private readonly nc: NatsConnection,
    private readonly subjects: Subjects,
    private readonly system: SystemModel,
    private readonly strategy: Strategy,
    private readonly links: ReadonlyMap<string, Link>,
    private readonly options: CoordinatorOptions,
  ) {
    this.devices = new Map(system.config.devices.map((d) => [d.id, d]));
  }

  async run(signal: AbortSignal): Promise<number> {
    const { done, retry } = this.options;
    let index = done?.size ?? 0;
    for (const planned of planTurns(this.system, this.strategy)) {
      if (signal.aborted) break;
      if (done?.has(`${planned.round}/${planned.device}`)) continue;
      this.options.onTurnStart?.(planned, index);
      const record = retry ? await retry((s, n) => this.runTurn(planned, s, n), signal) : await this.runTurn(planned, signal, 0);
      index++;
      await this.options.onTurn(record, index);
    }
    return index;
  }

  private async runTurn(planned: PlannedTurn, signal: AbortSignal, attempt: number): Promise<TurnRecord> {
    const { config, split } = this.system;
    const { timeScale, payloadScale } = config.emulation;
    const I = config.training.iterations;
    const link = this.links.get(planned.device)!;
    const wallRate = (bps: number) => (bps * payloadScale) / timeScale;
    await link.setRates(wallRate(planned.rateUpBps), wallRate(planned.rateDownBps));
    const paced = pacing(link);
    const pad = link.padding();
    const turn = { round: planned.round, device: planned.device, ...(attempt ? { attempt } : {}) };
    const bytes = {
      adapterBytes: Math.round(split.adapterBytes(planned.cut) * payloadScale),
      smashedBytes: Math.round(split.smashedBytes * payloadScale),
    };

    const started = performance.now();
    await this.request('server', {
      kind: 'prepare',
      turn,
      cut: planned.cut,
      freqHz: planned.serverFreqHz,
      iterations: I,
      computeWallS: (planned.delay.server / I) * timeScale,
      ...bytes,
      downRateBps: paced?.downBps ?? null,
      padBytes: pad.downBytes,
    }, this.options.controlTimeoutMs, signal);

    const turnTimeoutMs = Math.ceil(planned.delay.total * timeScale * 1000 * 3) + this.options.controlTimeoutMs;
    const reply = await this.request(deviceActor(planned.device), {
      kind: 'turn',
      turn,
      cut: planned.cut,
      iterations: I,
      forwardWallS: (planned.delay.deviceForward / I) * timeScale,
      backwardWallS: (planned.delay.deviceBackward / I) * timeScale,
      ...bytes,
      upRateBps: paced?.upBps ?? null,
      padBytes: pad.upBytes,
      timeoutMs: turnTimeoutMs,
    }, turnTimeoutMs, signal);
    if (reply.kind !== 'report') throw new RunError(`device ${planned.device}: unexpected reply to a turn`);
    return { ...this.record(planned, reply, (performance.now() - started) / 1000), retries: attempt };
  }

  /** Measured phases in emulated seconds, and the energies they imply. */
  private record(planned: PlannedTurn, report: TurnReportMsg, coordinatorWallS: number): Omit<TurnRecord, 'retries'> {
    const { config } = this.system;
    const { timeScale } = config.emulation;
    // turns run one after another here, so no job ever queues for the GPU: serverWait is 0
    const delay = { ...Object.fromEntries(Object.entries(report.phases).map(([k, v]) => [k, v / timeScale])), serverWait: 0 } as TurnRecord['measured']['delay'];
    const device = this.devices.get(planned.device)!;
    const f = planned.serverFreqHz;
    const busy = report.serverBusyWallS / timeScale;
    // The server's energy from its measured busy time: cycles = busy · f.
    const serverCycles = busy * f;
    const deviceCycles = (delay.deviceForward + delay.deviceBackward) * device.freqHz;
    const energy: TurnEnergy = {
      server: config.server.staticPowerW * busy + config.server.kappa * serverCycles * f * f,
      deviceCompute: device.kappa * deviceCycles * device.freqHz ** 2,
      deviceTransmit: dbmToWatts(device.txPowerDbm) * (delay.uplink + delay.adapterUp),
    };
    return {
      round: planned.round,
      device: planned.device,
      cut: planned.cut,
      serverFreqHz: f,
      rateUpBps: planned.rateUpBps,
      rateDownBps: planned.rateDownBps,
      predicted: { delay: planned.delay, energy: planned.energy },
      measured: { delay, energy },
      coordinatorWallS,
      serverBusyWallS: report.serverBusyWallS,
    };
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
