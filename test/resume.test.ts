import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runPrefix } from '../emulator/net/names.js';
import { planKeys, processesOfRun, readTurns, runCli, runIdOf, smallConfig, startCli, tempDirsOfRun, turnKeys, turnsAtLeast, writeJson } from './helpers/emulation.js';
import { persistedRun } from './helpers/persisted.js';
import { kernelStateOf, tcIt, runScratch } from './helpers/tc.js';

const DEVICES = ['d1', 'd2', 'd3'];
/** The columns the analytic model decides: identical, not merely close, between a resumed and an uninterrupted run. */
const PREDICTED = (cols: string[]) => cols.filter((c) => c.startsWith('predicted_') || ['round', 'device', 'cut', 'serverFreqHz', 'rateUpBps', 'rateDownBps'].includes(c));

function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else out[p] = `${st.mtimeMs}:${st.size}:${readFileSync(p).toString('base64')}`;
    }
  };
  walk(dir);
  return out;
}

/**
 * `sledge resume` (docs/architecture.md §9): a run killed with -9, cleaned with `sledge net clean`
 * and resumed ends up with the records of an uninterrupted run; a finished run and an
 * existing run directory are refused.
 */
describe('sledge resume', () => {
  const scratch = runScratch('resume');

  describe('refusals (userspace)', () => {
    let finished: string;

    beforeAll(async () => {
      finished = join(scratch.dir, 'finished');
      const r = await runCli(['run', writeJson(join(scratch.dir, 'two.json'), smallConfig({ devices: 2, rounds: 1 })), '--out', finished]);
      expect(r.code).toBe(0);
    }, 60_000);

    it('run --out on a directory that holds a run: exit 2, one line pointing to sledge resume, nothing touched', async () => {
      const before = snapshot(finished);
      const r = await runCli(['run', join(scratch.dir, 'two.json'), '--out', finished]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(new RegExp(`already holds a run; continue it with sledge resume ${finished}`));
      expect(r.stdout).toBe('');
      expect(snapshot(finished)).toEqual(before);
    });

    it('resume of a finished run: exit 2, one line, nothing touched', async () => {
      const before = snapshot(finished);
      const r = await runCli(['resume', finished]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/already finished \(2 turns\): nothing to resume/)]);
      expect(snapshot(finished)).toEqual(before);
    });

    it('resume of a directory without a run: exit 2, one line', async () => {
      const r = await runCli(['resume', join(scratch.dir, 'nothing-here')]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim()).toMatch(/not a run directory \(no manifest.json\)$/);
    });
  });

  tcIt(
    'kill -9 of the launcher half-way, net clean, resume: every turn once in turns.csv and in the persisted stream, predicted columns as uninterrupted',
    async () => {
      const rounds = 5;
      const config = writeJson(join(scratch.dir, 'tc.json'), smallConfig({ network: 'tc', rounds }));
      const whole = join(scratch.dir, 'tc-whole');
      const r0 = await runCli(['run', config, '--out', whole]);
      if (runIdOf(whole)) scratch.runs.push(runIdOf(whole)!);
      expect(r0.code).toBe(0);

      const out = join(scratch.dir, 'tc-killed');
      const { child, done } = startCli(['run', config, '--out', out]);
      await turnsAtLeast(out, 5);
      const runId = runIdOf(out)!;
      scratch.runs.push(runId);
      child.kill('SIGKILL');
      await done;
      const before = readTurns(out).length;
      expect(before).toBeLessThan(rounds * DEVICES.length);

      const clean = await runCli(['net', 'clean', '--run', runId]);
      expect(clean.code).toBe(0);
      expect(kernelStateOf(runPrefix(runId)).netns).toEqual([]);

      const r = await runCli(['resume', out]);
      expect(r.stderr).toMatch(new RegExp(`resuming run ${runId}: ${before} of 15 turns finished`));
      expect(r.code).toBe(0);

      const turns = readTurns(out);
      expect(turnKeys(turns)).toEqual(planKeys(rounds, DEVICES));
      const reference = readTurns(whole);
      const cols = PREDICTED(Object.keys(reference[0]!));
      expect(turns.map((t) => cols.map((c) => t[c]))).toEqual(reference.map((t) => cols.map((c) => t[c])));
      const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
      expect(summary.status).toBe('finished');
      expect(summary.turnsDone).toBe(15);
      expect(summary.runId).toBe(runId);

      const stored = await persistedRun(out, runId);
      expect(stored.keys).toEqual(planKeys(rounds, DEVICES));
      expect(stored.status).toBe('finished');
      expect(processesOfRun(runId)).toEqual([]);
      expect(tempDirsOfRun(runId)).toEqual([]);
      expect(kernelStateOf(runPrefix(runId))).toEqual({ netns: [], links: [], qdiscs: [] });
    },
    { tools: ['nats-server', 'redis-server'], timeout: 180_000 },
  );
});
