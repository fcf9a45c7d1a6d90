import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runPrefix } from '../emulator/net/names.js';
import { processesOfRun, readTurns, runCli, runIdOf, tempDirsOfRun, writeJson } from './helpers/emulation.js';
import { kernelStateOf, tcIt, runScratch } from './helpers/tc.js';
import { expectShaped, expectTurnsShaped } from './helpers/bounds.js';
import { trainedAdapters } from '../emulator/actors/adapter-training.js';

const PARALLEL = new URL('../configs/paper-parallel.json', import.meta.url).pathname;

/** The paper's parallel scenario cut down; `queue` slows the server's GPU so that jobs wait for it. */
function parallelConfig(opts: { devices: number; rounds: number; network: 'tc' | 'userspace'; queue?: boolean }) {
  const paper = JSON.parse(readFileSync(PARALLEL, 'utf8'));
  const config = { ...paper, name: 'test-parallel', rounds: opts.rounds, devices: paper.devices.slice(0, opts.devices) };
  config.emulation = { timeScale: 0.1, payloadScale: 0.01, network: opts.network, workload: 'sleep', controlTimeoutS: 10 };
  if (opts.queue) {
    // a GPU about 7× slower per cycle and two iterations: every round's jobs collide
    config.server = { ...paper.server, freqHz: { min: 2.1e8, max: 4e8 }, flopsPerCycle: 30000 };
    config.training = { ...paper.training, iterations: 2 };
  }
  return config;
}


/** `sledge run` in parallel mode (docs/model.md §1.6): all of a round's devices at once, one GPU queue on the server. */
describe('sledge run (parallel mode)', () => {
  const scratch = runScratch('emulation-parallel');

  tcIt(
    'tc, 4 devices whose GPU jobs queue: turns and rounds timed for real, serverWait measured where predicted, the summary\'s round delay that of turns.csv',
    async () => {
      const config = writeJson(join(scratch.dir, 'queue.json'), parallelConfig({ devices: 4, rounds: 3, network: 'tc', queue: true }));
      const out = join(scratch.dir, 'run-queue');
      const r = await runCli(['run', config, '--out', out]);
      const runId = runIdOf(out);
      if (runId) scratch.runs.push(runId);
      expect(r.stderr).not.toMatch(/Error|failed|warning/i);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/serverWait/);

      const turns = readTurns(out);
      expect(turns).toHaveLength(12);
      expectTurnsShaped(turns);
      const waited = turns.filter((t) => Number(t.predicted_serverWait) > 0);
      expect(waited.length, 'the config must make jobs queue').toBeGreaterThanOrEqual(6);
      for (const t of waited) expect(Number(t.measured_serverWait), `serverWait of ${t.round}/${t.device}`).toBeGreaterThan(0);

      const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
      expect(summary.predicted.mode).toBe('parallel');
      const rounds = [1, 2, 3].map((round) => {
        const of = turns.filter((t) => Number(t.round) === round);
        const predicted = Math.max(...of.map((t) => Number(t.predicted_total)));
        const measured = Math.max(...of.map((t) => Number(t.start_offset) + Number(t.measured_total)));
        return { predicted, measured };
      });
      for (const [i, r] of rounds.entries()) expectShaped(r.measured, r.predicted, `round ${i + 1}'s delay`);
      // the summary's round delay is the mean of the rounds' finishes as turns.csv has them
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      expect(summary.measured.avgRoundDelay).toBeCloseTo(mean(rounds.map((r) => r.measured)), 6);
      expect(summary.predicted.avgRoundDelay).toBeCloseTo(mean(rounds.map((r) => r.predicted)), 6);

      const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
      expect(kernelStateOf(runPrefix(manifest.runId))).toEqual({ netns: [], links: [], qdiscs: [] });
      expect(processesOfRun(manifest.runId)).toEqual([]);
      expect(tempDirsOfRun(manifest.runId)).toEqual([]);
    },
    { tools: ['nats-server', 'redis-server'], timeout: 180_000 },
  );

  it('the report of a parallel run has a Gantt chart of its rounds, and its records the queue wait', async () => {
    const config = writeJson(join(scratch.dir, 'gantt.json'), parallelConfig({ devices: 3, rounds: 2, network: 'userspace' }));
    const out = join(scratch.dir, 'run-gantt');
    const r = await runCli(['run', config, '--out', out]);
    expect(r.stderr).not.toMatch(/Error|failed/);
    expect(r.code).toBe(0);
    const turns = readTurns(out);
    expect(turns.map((t) => `${t.round}/${t.device}`)).toEqual(['1/d1', '1/d2', '1/d3', '2/d1', '2/d2', '2/d3']);
    for (const t of turns) expect(t.measured_serverWait).toMatch(/^[0-9.e-]+$/);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    const gantt = html.slice(html.indexOf('<figure id="fig-gantt">'));
    expect(html).toContain('<figure id="fig-gantt">');
    expect(gantt.slice(0, gantt.indexOf('</figure>'))).toMatch(/<svg[\s\S]*serverWait[\s\S]*<\/svg>/);
    // a sequential run has no such chart
    expect(readFileSync(join(out, 'summary.json'), 'utf8')).toMatch(/"mode": "parallel"/);
  }, 120_000);

  it("FedAvg (docs/model.md §1.6): in round 2 each device receives, at version 1, the element-wise average of the adapters round 1's devices returned", async () => {
    const config = writeJson(join(scratch.dir, 'fedavg.json'), parallelConfig({ devices: 2, rounds: 2, network: 'userspace' }));
    const out = join(scratch.dir, 'run-fedavg');
    const r = await runCli(['run', config, '--out', out]);
    expect(r.stderr).not.toMatch(/Error|failed/);
    expect(r.code).toBe(0);
    const devices = ['d1', 'd2'];
    // what each device logged on receiving its adapters, by round
    const received = new Map(
      devices.map((d) => {
        const lines = readFileSync(join(out, 'logs', `device.${d}.log`), 'utf8').split('\n').filter((l) => l.includes('"adapters received"'));
        const byRound = lines.map((l) => JSON.parse(l) as { turn: { round: number }; version: number; bytes: number; sha256: string }).filter((e) => e.turn.round >= 1);
        return [d, byRound];
      }),
    );
    for (const d of devices) expect(received.get(d)!.map((e) => [e.turn.round, e.version]), d).toEqual([[1, 0], [2, 1]]);
    // round 1: the initial adapters, all zero; each device returned trainedAdapters of them
    const returned = devices.map((d) => {
      const first = received.get(d)![0]!;
      expect(first.sha256).toBe(createHash('sha256').update(new Uint8Array(first.bytes)).digest('hex'));
      return trainedAdapters(new Uint8Array(first.bytes), d);
    });
    expect(Math.max(...returned.map((a) => a.length))).toBeGreaterThan(0);
    for (const d of devices) {
      const second = received.get(d)![1]!;
      // byte i: the average over the devices whose adapters reach it (halves up), else still the initial 0
      const expected = Uint8Array.from({ length: second.bytes }, (_, i) => {
        const covering = returned.filter((a) => a.length > i).map((a) => a[i]!);
        return covering.length === 0 ? 0 : Math.round(covering.reduce((x, y) => x + y, 0) / covering.length);
      });
      expect(second.sha256, `the adapters ${d} received in round 2`).toBe(createHash('sha256').update(expected).digest('hex'));
      // where both devices' adapters reach, the average is neither device's own: both went into it
      const both = Math.min(second.bytes, ...returned.map((a) => a.length));
      expect(both).toBeGreaterThan(0);
      for (const a of returned) expect(expected.subarray(0, both)).not.toEqual(a.subarray(0, both));
    }
  }, 120_000);
});
