import type { WorkloadKind } from './workload.js';
import { runWorkload } from './workload.js';

/** One job as the GPU ran it: when it reached the queue, started and ended (performance.now() ms), and its busy time. */
export interface GpuRun {
  arrivedAt: number;
  startedAt: number;
  endedAt: number;
  busyWallS: number;
}

/**
 * The edge server's one GPU (docs/model.md §1.6): jobs run one at a time, non-preemptive,
 * first come first served in the order they reach it on the host clock. A job "arrives"
 * when its smashed data has fully arrived; the server's event loop takes arrivals in
 * that order, so a promise chain is the FIFO. Each job is a timed workload at its
 * device's decided frequency; its wait is its start minus its arrival.
 */
export class GpuQueue {
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly workload: WorkloadKind) {}

  /**
   * `ahead`: calls `start(endsAt)` that many ms before the job ends, with when it will end
   * (the result's transfer leaves ahead, docs/fidelity.md "Sending ahead"); the job's last
   * stretch is then a plain wait, so a spinning workload cannot hold that transfer back,
   * and the job ends when its timer says (starting a large send can hold the event loop
   * for several ms: that is the transfer's cost, not the GPU's).
   */
  run(wallS: number, arrivedAt = performance.now(), ahead?: { ms: number; start: (endsAt: number) => void }): Promise<GpuRun> {
    const job = this.tail.then(async () => {
      const startedAt = performance.now();
      const aheadS = Math.min(wallS, (ahead?.ms ?? 0) / 1000);
      const busyS = await runWorkload(this.workload, wallS - aheadS);
      if (!ahead || aheadS <= 0) return { arrivedAt, startedAt, endedAt: performance.now(), busyWallS: busyS };
      // a first part that ran late is still the GPU's
      const endedAt = Math.max(startedAt + wallS * 1000, performance.now() + aheadS * 1000);
      ahead.start(endedAt);
      await runWorkload('sleep', Math.max(0, endedAt - performance.now()) / 1000);
      return { arrivedAt, startedAt, endedAt, busyWallS: (endedAt - startedAt) / 1000 };
    });
    // a failed job must not stall the ones behind it
    this.tail = job.catch(() => undefined);
    return job;
  }
}
