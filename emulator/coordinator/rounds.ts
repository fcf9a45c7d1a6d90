import type { PlannedRound, PlannedTurn } from '../../src/plan.js';
import { fixedTimeScale } from '../../src/resolution.js';
import type { SystemModel } from '../../src/system-model.js';
import { setRates } from '../net/link.js';
import { averagedMsg, decode, encode } from '../protocol/messages.js';
import type { TurnRecord } from '../records/turn-record.js';
import { restartCrashed, Turn, type TurnContext } from './turn.js';

/** What a round tells the loop around it: turns as they start, records as they are final. */
export interface RoundEvents {
  started(turns: readonly PlannedTurn[]): void;
  /** Called with each finished turn, in config order, before the next turn (sequential) or round (parallel) starts. */
  recorded(record: TurnRecord): Promise<void>;
}

/** How a round's turns are played: one after another, or all at once (docs/model.md §1.6). */
export interface Rounds {
  run(round: PlannedRound, signal: AbortSignal, on: RoundEvents): Promise<void>;
}

/** Runs a turn's attempts (attempt n gets the signal that abandons it) until one is recorded: re-runs after a bus outage. */
export type Retry = (attempt: (signal: AbortSignal, n: number) => Promise<TurnRecord>, signal: AbortSignal) => Promise<TurnRecord>;

/** The rate a link carries for a modelled one: × payloadScale / timeScale (docs/architecture.md §5). */
export function wallRate(system: SystemModel, bps: number): number {
  return (bps * system.config.emulation.payloadScale) / fixedTimeScale(system.config.emulation);
}

/**
 * Sequential mode: one turn at a time, each on its own link set just before it. A turn
 * that a bus outage interrupted runs again with the next attempt number; a crashed
 * device is restarted before the next turn.
 */
export class SequentialRounds implements Rounds {
  constructor(
    private readonly ctx: TurnContext,
    private readonly retry?: Retry,
  ) {}

  async run(round: PlannedRound, signal: AbortSignal, on: RoundEvents): Promise<void> {
    for (const planned of round.turns) {
      if (signal.aborted) break;
      on.started([planned]);
      const record = await this.turn(planned, signal);
      await restartCrashed(this.ctx, [record], signal);
      await on.recorded(record);
    }
  }

  private turn(planned: PlannedTurn, signal: AbortSignal): Promise<TurnRecord> {
    const { ctx } = this;
    const attempt = async (s: AbortSignal, n: number) => {
      if (planned.status !== 'dropped') await ctx.links.get(planned.device)!.setRates(wallRate(ctx.system, planned.rateUpBps), wallRate(ctx.system, planned.rateDownBps));
      return Turn.run(ctx, planned, s, n);
    };
    return this.retry ? this.retry(attempt, signal) : attempt(signal, 0);
  }
}

/**
 * Parallel mode (docs/model.md §1.6): every taking-part device's link set at once, the
 * server told of every turn, then every device started together; the round ends when the
 * last device has returned its adapters (or crashed). The server then averages the
 * adapters the round returned (FedAvg) before the next round starts, and crashed devices
 * are restarted. Each turn's start is placed on the round's timeline (startOffset,
 * emulated seconds after the first start), so a finish time is startOffset + total, the
 * quantity the model's schedule predicts as total.
 */
export class ParallelRounds implements Rounds {
  constructor(private readonly ctx: TurnContext) {}

  async run(round: PlannedRound, signal: AbortSignal, on: RoundEvents): Promise<void> {
    on.started(round.turns);
    for (const record of await this.play(round, signal)) await on.recorded(record);
  }

  private async play(round: PlannedRound, signal: AbortSignal): Promise<TurnRecord[]> {
    const { ctx } = this;
    const taking = round.turns.filter((t) => t.status !== 'dropped');
    await setRates(taking.map((t) => ({ link: ctx.links.get(t.device)!, upBps: wallRate(ctx.system, t.rateUpBps), downBps: wallRate(ctx.system, t.rateDownBps) })));
    const turns = await Promise.all(taking.map((t) => Turn.prepare(ctx, t, signal)));
    for (const t of turns) t.start(signal);
    const byDevice = new Map(turns.map((t) => [t.planned.device, t.end(signal)]));
    // every turn ends before the round is judged, so that a failure leaves nothing running behind it
    const ended = await Promise.allSettled(round.turns.map((t) => byDevice.get(t.device) ?? Turn.run(ctx, t, signal)));
    const failed = ended.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
    const records = ended.map((s) => (s as PromiseFulfilledResult<TurnRecord>).value);
    placeOnTimeline(records, fixedTimeScale(ctx.system.config.emulation));
    await this.average(round.round, signal);
    await restartCrashed(ctx, records, signal);
    return records;
  }

  private async average(round: number, signal: AbortSignal): Promise<void> {
    const reply = await this.ctx.control.server({ kind: 'average', round }, signal);
    const m = decode(averagedMsg, encode(reply));
    if (!m.ok || m.value.round !== round) throw new Error(`server: unexpected reply to the round ${round} average`);
  }
}

function placeOnTimeline(records: TurnRecord[], timeScale: number): void {
  const starts = records.flatMap((r) => (r.startAt === undefined ? [] : [r.startAt]));
  const first = Math.min(...starts);
  for (const r of records) if (r.startAt !== undefined) r.startOffset = (r.startAt - first) / 1000 / timeScale;
}
