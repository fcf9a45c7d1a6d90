import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Timed compute (docs/architecture.md §5): a phase of x wall seconds. `sleep` waits on a timer for
 * the bulk, because timers fire up to a millisecond or more late, and polls the last
 * stretch through setImmediate: as precise as a spin (tens of microseconds) but the event
 * loop keeps running, so an ack or a reply queued just before the phase still leaves on
 * time. `spin` holds a core the whole time, like a busy GPU. Both return the measured
 * wall seconds.
 */
export type WorkloadKind = 'sleep' | 'spin';

const SPIN_TAIL_MS = 2;

export async function runWorkload(kind: WorkloadKind, seconds: number): Promise<number> {
  const start = performance.now();
  const deadline = start + seconds * 1000;
  if (kind === 'sleep') {
    const bulk = deadline - SPIN_TAIL_MS - performance.now();
    if (bulk > 0) await sleep(bulk);
    while (performance.now() < deadline) await yieldToIo();
    return (performance.now() - start) / 1000;
  } else {
    // Yield now and then so the actor still answers NATS pings during long phases.
    while (deadline - performance.now() > 50) {
      spinUntil(Math.min(deadline, performance.now() + 20));
      await yieldToIo();
    }
  }
  spinUntil(deadline);
  return (performance.now() - start) / 1000;
}

function spinUntil(deadline: number): void {
  while (performance.now() < deadline) {
    // busy: the point of the spin
  }
}

function yieldToIo(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Runs the workload code path a few times so the first measured phase is not a cold one. */
export async function warmUpWorkload(kind: WorkloadKind): Promise<void> {
  // Each pass spins for its length: short ones, because at 1,000 devices every
  // millisecond of start-up CPU is a second of the run's start.
  for (let i = 0; i < 3; i++) await runWorkload(kind, 0.001);
}
