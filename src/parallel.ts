import type { Phase, PhaseDelays } from './cost.js';
import type { TurnFault } from './faults.js';
import { MinHeap } from './heap.js';

/** The phases of one iteration, in order (docs/model.md §1.6). */
const ITERATION = ['deviceForward', 'uplink', 'server', 'downlink', 'deviceBackward'] as const satisfies readonly Phase[];

/** One stretch of a device's turn: a phase of one iteration (or an adapter transfer). */
export interface Step {
  phase: Phase;
  seconds: number;
}

/**
 * A device's turn as it unfolds in time: adapterDown, I iterations of forward → uplink →
 * server job → downlink → backward (each phase / I), adapterUp. An outage lengthens the
 * first transfer of its phase; a crash ends the turn where its phase first starts, so a
 * crashed device's later jobs never reach the GPU.
 */
export function turnSteps(phases: Readonly<Record<Phase, number>>, iterations: number, fault?: TurnFault): Step[] {
  const extra = (p: Phase) => (fault?.kind === 'outage' && fault.phase === p ? fault.seconds : 0);
  const steps: Step[] = [{ phase: 'adapterDown', seconds: phases.adapterDown + extra('adapterDown') }];
  for (let i = 1; i <= iterations; i++) {
    for (const p of ITERATION) steps.push({ phase: p, seconds: phases[p] / iterations + (i === 1 ? extra(p) : 0) });
  }
  steps.push({ phase: 'adapterUp', seconds: phases.adapterUp + extra('adapterUp') });
  if (fault?.kind !== 'crash') return steps;
  return steps.slice(0, steps.findIndex((s) => s.phase === fault.phase));
}

/** A device's turn reduced to what the GPU queue sees: each job, the device time before it, and what follows the last. */
export interface JobChain {
  jobs: { lead: number; seconds: number }[];
  tail: number;
}

export function jobChain(steps: readonly Step[]): JobChain {
  const jobs: JobChain['jobs'] = [];
  let lead = 0;
  for (const s of steps) {
    if (s.phase !== 'server') lead += s.seconds;
    else {
      jobs.push({ lead, seconds: s.seconds });
      lead = 0;
    }
  }
  return { jobs, tail: lead };
}

/** One server job as scheduled: when it reached the GPU, started and ended (seconds from the round's start). */
export interface ScheduledJob {
  arrival: number;
  start: number;
  end: number;
}

export interface DeviceSchedule {
  jobs: ScheduledJob[];
  /** Total time this device's jobs waited for the GPU. */
  serverWait: number;
  /** When the device finished its turn (or crashed), from the round's start. */
  finish: number;
}

/**
 * One parallel round (docs/model.md §1.6): every device starts at 0 on its own link; the one
 * GPU runs one job at a time, non-preemptive, first come first served, ties by the
 * chains' order (config order). Each device has at most one job outstanding, so the
 * earliest pending arrival is always the next job the GPU takes.
 */
export function scheduleRound(chains: readonly JobChain[]): DeviceSchedule[] {
  return scheduleTimedRound(chains.map((c) => new FixedChain(c)));
}

/** A JobChain as the timed queue sees it, `segment` on the prototype: a chain per device per round is one small object, not a closure. */
class FixedChain implements TimedChain {
  readonly jobs: readonly number[];

  constructor(private readonly chain: JobChain) {
    this.jobs = chain.jobs.map((j) => j.seconds);
  }

  segment(k: number, start: number): number {
    const { jobs, tail } = this.chain;
    return start + (k < jobs.length ? (jobs[k] as JobChain['jobs'][number]).lead : tail);
  }
}

/**
 * A device's turn whose device-side stretches take a time that depends on when they
 * start (a link that follows a trace, docs/linktrace.md): `segment(k, start)` walks the
 * stretch before job k (k = jobs.length: the tail after the last job) from `start` and
 * returns its end. Segments are called in order, once each.
 */
export interface TimedChain {
  jobs: readonly number[];
  segment(k: number, start: number): number;
}

/** The same GPU queue as scheduleRound, each device's stretches integrated from when they start. */
export function scheduleTimedRound(chains: readonly TimedChain[]): DeviceSchedule[] {
  // jobs sized up front: an array grown by push holds room for 16 (10^5s of them per plan)
  const out: DeviceSchedule[] = chains.map((c) => ({ jobs: new Array<ScheduledJob>(c.jobs.length), serverWait: 0, finish: 0 }));
  // a device has at most one job waiting: the queue holds device numbers, the job's arrival
  // and index are here (no object per queued job)
  const arrival = new Float64Array(chains.length);
  const taken = new Int32Array(chains.length);
  const queue = new MinHeap<number>((a, b) => (arrival[a] as number) < (arrival[b] as number) || (arrival[a] === arrival[b] && a < b));
  chains.forEach((c, n) => {
    if (c.jobs.length) {
      arrival[n] = c.segment(0, 0);
      queue.push(n);
    } else (out[n] as DeviceSchedule).finish = c.segment(0, 0);
  });
  let gpuFree = 0;
  for (let n = queue.pop(); n !== undefined; n = queue.pop()) {
    const chain = chains[n] as TimedChain;
    const mine = out[n] as DeviceSchedule;
    const job = taken[n] as number;
    const following = job + 1;
    taken[n] = following;
    const arrived = arrival[n] as number;
    const start = Math.max(gpuFree, arrived);
    const end = start + (chain.jobs[job] as number);
    mine.jobs[job] = { arrival: arrived, start, end };
    mine.serverWait += start - arrived;
    gpuFree = end;
    if (following < chain.jobs.length) {
      arrival[n] = chain.segment(following, end);
      queue.push(n);
    } else mine.finish = chain.segment(following, end);
  }
  return out;
}

/**
 * A turn's delays once its jobs have queued: serverWait added, total = the seven phases +
 * serverWait. A literal, not a spread: V8 can make a literal's objects in the old
 * generation at once, and a plan keeps 10^5 of these (a spread's it copies there).
 */
export function withServerWait(delay: PhaseDelays, serverWait: number): PhaseDelays {
  const { adapterDown, deviceForward, uplink, server, downlink, deviceBackward, adapterUp } = delay;
  return { adapterDown, deviceForward, uplink, server, downlink, deviceBackward, adapterUp, serverWait, total: delay.total + serverWait };
}
