import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { runPrefix } from '../emulator/net/names.js';
import { processesOfRun, readTurns, runCli, runIdOf, smallConfig, tempDirsOfRun, writeJson } from './helpers/emulation.js';
import { kernelStateOf, tcIt, runScratch } from './helpers/tc.js';
import { expectShaped, expectTurnsShaped } from './helpers/bounds.js';

const FAULTS = [
  { kind: 'crash', device: 'd2', round: 1, phase: 'uplink' },
  { kind: 'outage', device: 'd1', round: 2, phase: 'downlink', seconds: 2 },
  { kind: 'dropout', device: 'd3', rounds: [3] },
];
const STATUS: Record<string, string> = { '1/d2': 'crashed', '3/d3': 'dropped' };

/** Scheduled faults played on real processes and kernel-shaped links (docs/model.md §1.7). */
describe('sledge run with faults (tc links)', () => {
  const scratch = runScratch('emulation-faults');

  tcIt(
    'a crash, an outage and a dropout: each turn once with its status, the crashed device restarted with a new pid, the outage held for real, nothing left',
    async () => {
      const config = writeJson(join(scratch.dir, 'faults.json'), { ...smallConfig({ network: 'tc', rounds: 3 }), faults: FAULTS });
      const out = join(scratch.dir, 'run-faults');
      const r = await runCli(['run', config, '--out', out]);
      const runId = runIdOf(out);
      if (runId) scratch.runs.push(runId);
      expect(r.stderr).not.toMatch(/Error|failed|warning/i);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/faults hit 1 turn with crash, 1 turn with outage, 1 turn with dropout/);

      const turns = readTurns(out);
      expect(turns.map((t) => `${t.round}/${t.device}`)).toEqual(['1/d1', '1/d2', '1/d3', '2/d1', '2/d2', '2/d3', '3/d1', '3/d2', '3/d3']);
      for (const t of turns) expect(t.status, `${t.round}/${t.device}`).toBe(STATUS[`${t.round}/${t.device}`] ?? 'done');
      const dropped = turns.find((t) => t.status === 'dropped')!;
      expect(Number(dropped.measured_total)).toBe(0);
      const crashed = turns.find((t) => t.status === 'crashed')!;
      // measured up to the crash: adapters in and forward done, nothing sent up
      expect(Number(crashed.measured_deviceForward)).toBeGreaterThan(0);
      expect(Number(crashed.measured_uplink)).toBe(0);

      const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
      expect(summary.restarts).toHaveLength(1);
      const [restart] = summary.restarts;
      expect(restart).toMatchObject({ device: 'd2', round: 1 });
      expect(restart.newPid).not.toBe(restart.oldPid);
      expect(() => process.kill(restart.oldPid, 0)).toThrow();
      const later = turns.filter((t) => t.device === 'd2' && Number(t.round) > 1);
      expect(later.map((t) => t.status)).toEqual(['done', 'done']);
      expect(readFileSync(join(out, 'logs', 'device.d2.log'), 'utf8').match(/"msg":"ready"/g)).toHaveLength(2);

      const outage = turns.find((t) => t.fault === 'outage@downlink+2s')!;
      // the 2 s hold is in the downlink: without it the phase would take a fraction of its prediction
      expectShaped(Number(outage.measured_downlink), Number(outage.predicted_downlink), 'the outage turn\'s downlink');
      expectTurnsShaped(turns.filter((t) => t.status === 'done'));

      const html = readFileSync(join(out, 'report.html'), 'utf8');
      expect(html).toContain('Faulted turns');
      expect(html).toContain('crash@uplink');

      expect(kernelStateOf(runPrefix(summary.runId))).toEqual({ netns: [], links: [], qdiscs: [] });
      expect(processesOfRun(summary.runId)).toEqual([]);
      expect(tempDirsOfRun(summary.runId)).toEqual([]);
    },
    { tools: ['nats-server', 'redis-server'], timeout: 180_000 },
  );
});
