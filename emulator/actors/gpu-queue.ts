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

  run(wallS: number, arrivedAt = performance.now()): Promise<GpuRun> {
    const job = this.tail.then(async () => {
      const startedAt = performance.now();
      const busyWallS = await runWorkload(this.workload, wallS);
      return { arrivedAt, startedAt, endedAt: performance.now(), busyWallS };
    });
    // a failed job must not stall the ones behind it
    this.tail = job.catch(() => undefined);
    return job;
  }
}
