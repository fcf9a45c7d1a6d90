import { setMaxListeners } from 'node:events';
import type { NatsConnection } from '@nats-io/transport-node';
import { planRounds, type PlannedTurn } from '../../src/plan.js';
import type { Strategy } from '../../src/strategy/strategy.js';
import type { SystemModel } from '../../src/system-model.js';
import type { Link } from '../net/link.js';
import type { Subjects } from '../protocol/subjects.js';
import { turnKey } from '../protocol/turn-key.js';
import type { TurnRecord } from '../records/turn-record.js';
import { ControlChannel } from './control.js';
import { CoordinatorInbox } from './inbox.js';
import { ParallelRounds, SequentialRounds, type Retry, type Rounds } from './rounds.js';
import type { Supervision, TurnContext, WallImpairment } from './turn.js';

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
  /** Keys (turnKey) of turns finished before a resume: skipped, the rest keep their plan. */
  done?: ReadonlySet<string>;
  /** Sequential mode: re-runs a turn that a bus outage interrupted (launcher/turn-retry.ts). */
  retry?: Retry;
}

/**
 * Owns the round loop (docs/architecture.md §1): for every round of the plan (the
 * strategy's decisions on that round's channel) it plays the turns not yet recorded,
 * through the mode's Rounds, and hands each record on as it is final. Turns (turn.ts)
 * and how a round plays them (rounds.ts) are not its business.
 */
export class Coordinator {
  private readonly inbox: CoordinatorInbox;
  private readonly rounds: Rounds;

  constructor(
    private readonly nc: NatsConnection,
    subjects: Subjects,
    private readonly system: SystemModel,
    private readonly strategy: Strategy,
    links: ReadonlyMap<string, Link>,
    private readonly options: CoordinatorOptions,
  ) {
    this.inbox = new CoordinatorInbox(nc, subjects, links, (err) => options.onError?.(err));
    const ctx: TurnContext = {
      system,
      devices: new Map(system.config.devices.map((d) => [d.id, d])),
      links,
      control: new ControlChannel(nc, subjects, options.controlTimeoutMs),
      inbox: this.inbox,
      impairments: options.impairments,
      supervision: options.supervision,
    };
    this.rounds = system.config.mode === 'parallel' ? new ParallelRounds(ctx) : new SequentialRounds(ctx, options.retry);
  }

  /** Plays every turn left; resolves with the number of turns recorded in all (with those before a resume). */
  async run(signal: AbortSignal): Promise<number> {
    const done = this.options.done;
    let index = done?.size ?? 0;
    // a parallel round has a request per device in flight, each listening for the abort
    setMaxListeners(4 * this.system.config.devices.length + 16, signal);
    await this.nc.flush(); // the inbox listens before any actor can ask it anything
    try {
      for (const round of planRounds(this.system, this.strategy)) {
        if (signal.aborted) break;
        // a resumed run skips what it recorded before; the rest keep their plan
        const todo = done ? { ...round, turns: round.turns.filter((t) => !done.has(turnKey(t))) } : round;
        if (todo.turns.length === 0) continue;
        await this.rounds.run(todo, signal, {
          started: (turns) => turns.forEach((t, k) => this.options.onTurnStart?.(t, index + k)),
          recorded: (record) => this.options.onTurn(record, ++index),
        });
      }
    } finally {
      await this.inbox.close();
    }
    return index;
  }
}
