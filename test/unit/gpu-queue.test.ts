/** The server's GPU queue (emulator/actors/gpu-queue.ts): FIFO, and a job's result sent ahead of its end (docs/fidelity.md, "Sending ahead"). */
import { describe, expect, it } from 'vitest';
import { GpuQueue } from '../../emulator/actors/gpu-queue.js';

describe('GpuQueue', () => {
  it('runs jobs one at a time, in the order they arrive', async () => {
    const gpu = new GpuQueue('sleep');
    const [a, b] = await Promise.all([gpu.run(0.005), gpu.run(0.005)]);
    expect(b!.startedAt).toBeGreaterThanOrEqual(a!.endedAt);
  });

  it('starts the send ahead while the job still runs, told when the job will end, and ends the job then', async () => {
    const gpu = new GpuQueue('spin');
    const calls: { endsAt: number; jobDone: boolean }[] = [];
    let jobDone = false;
    const job = gpu.run(0.02, performance.now(), { ms: 5, start: (endsAt) => calls.push({ endsAt, jobDone }) });
    const run = await job.then((r) => ((jobDone = true), r));
    expect(calls).toHaveLength(1);
    expect(calls[0]!.jobDone).toBe(false);
    // the job ends when its timer says: 20 ms after it started, not when the event loop next turned
    expect(calls[0]!.endsAt).toBeGreaterThanOrEqual(run.startedAt + 20);
    expect(run.endedAt).toBe(calls[0]!.endsAt);
    expect(run.busyWallS).toBeCloseTo((run.endedAt - run.startedAt) / 1000, 9);
  });

  it('sends nothing ahead of a job shorter than nothing, and nothing when not asked', async () => {
    const gpu = new GpuQueue('sleep');
    const calls: number[] = [];
    await gpu.run(0, performance.now(), { ms: 5, start: (at) => calls.push(at) });
    await gpu.run(0.002);
    expect(calls).toHaveLength(0);
  });
});
