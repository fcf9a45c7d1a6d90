import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Timed compute (DESIGN.md 4.3): a phase of x wall seconds. `sleep` waits on a timer for
 * the bulk and spins the last stretch, because timers fire up to a millisecond or more
 * late; `spin` holds a core the whole time, like a busy GPU. Both return the measured
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
  } else {
    // Yield now and then so the actor still answers NATS pings during long phases.
    while (deadline - performance.now() > 50) {
      spinUntil(Math.min(deadline, performance.now() + 20));
      await new Promise((r) => setImmediate(r));
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
