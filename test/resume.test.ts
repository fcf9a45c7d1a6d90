import { execFileSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runPrefix } from '../emulator/net/names.js';
import { planKeys, processesOfRun, readTurns, runCli, runIdOf, smallConfig, startCli, tempDirsOfRun, turnKeys, turnsAtLeast, writeJson } from './helpers/emulation.js';
import { persistedRun } from './helpers/persisted.js';
import { kernelStateOf, tcIt, runScratch } from './helpers/tc.js';

const ROOT = new URL('..', import.meta.url).pathname;
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

  /** Starts a run, kills its launcher with -9 once `turns` turns are recorded, and returns how many there were. */
  async function killAfter(config: string, out: string, turns: number, rounds: number): Promise<{ runId: string; before: number }> {
    const { child, done } = startCli(['run', config, '--out', out]);
    await turnsAtLeast(out, turns);
    const runId = runIdOf(out)!;
    scratch.runs.push(runId);
    child.kill('SIGKILL');
    await done;
    const before = readTurns(out).length;
    expect(before).toBeLessThan(rounds * DEVICES.length);
    return { runId, before };
  }

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
      const { runId, before } = await killAfter(config, out, 5, rounds);

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

  /**
   * A linktrace run (docs/linktrace.md "Resume") resumes on the trace copies its directory
   * keeps: the originals are gone by then. Two traces whose periods (37 s, 23 s) do not
   * divide the rounds' lengths, a listed device with its own offset and the rest staggered,
   * so that a resumed turn planned on another clock, offset or stagger would differ.
   */
  tcIt(
    'linktrace: kill -9 half-way, net clean, resume on the kept traces: every turn planned as `sledge plan` plans it; a missing or changed copy is one line, exit 2, nothing touched',
    async () => {
      const rounds = 4;
      const gen = (prefix: string, args: string[]) => execFileSync(process.execPath, [join(ROOT, 'scripts/gen-lte-trace.mjs'), '--out', join(scratch.dir, prefix), ...args]);
      gen('lt', ['--seed', '3', '--seconds', '37']);
      gen('lt2', ['--seed', '4', '--seconds', '23', '--mean', '4']);
      const config = writeJson(join(scratch.dir, 'lt.json'), {
        ...smallConfig({ network: 'tc', rounds, timeScale: 0.05 }),
        name: 'resume-linktrace',
        // 20 ms of wall latency, above the host's floor: nothing is sent ahead of its phase (docs/fidelity.md,
        // "Sending ahead"), so this test of the plan does not rest on that timing
        channel: { model: 'linktrace', delayMs: 400, links: { d2: { up: 'lt2.up', down: 'lt2.down', offsetS: 3 }, default: { up: 'lt.up', down: 'lt.down', staggerS: 5 } } },
      });
      const planned = JSON.parse((await runCli(['plan', config, '--json'])).stdout) as {
        turns: (Record<string, unknown> & { rateUpBps: number; rateDownBps: number; delay: Record<string, number>; energy: Record<string, number>; expectedDelay: { total: number } })[];
      };

      const out = join(scratch.dir, 'lt-killed');
      const { runId, before } = await killAfter(config, out, 4, rounds);
      expect((await runCli(['net', 'clean', '--run', runId])).code).toBe(0);

      // the run keeps a copy of every trace, recorded with its sha256
      const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { linktrace: { traces: Record<string, { file: string; from: string; sha256: string }> } };
      expect(Object.keys(manifest.linktrace.traces).sort()).toEqual(['lt.down', 'lt.up', 'lt2.down', 'lt2.up']);
      for (const [path, r] of Object.entries(manifest.linktrace.traces)) {
        expect(r.file).toBe(`traces/${path}`);
        expect(r.from).toBe(join(scratch.dir, path));
        expect(readFileSync(join(out, r.file)).equals(readFileSync(join(scratch.dir, path)))).toBe(true);
      }

      // a copy gone, a copy changed: one line naming it, exit 2, the run directory as it was
      const refused = async (label: string, spoil: (dir: string) => void): Promise<string> => {
        const dir = join(scratch.dir, label);
        cpSync(out, dir, { recursive: true });
        spoil(dir);
        const snap = snapshot(dir);
        const r = await runCli(['resume', dir]);
        expect(r.code).toBe(2);
        expect(r.stdout).toBe('');
        expect(snapshot(dir)).toEqual(snap);
        expect(r.stderr.trim().split('\n')).toHaveLength(1);
        return r.stderr.trim();
      };
      expect(await refused('lt-missing', (dir) => rmSync(join(dir, 'traces/lt.up')))).toMatch(new RegExp(`trace ${scratch.dir}/lt-missing/traces/lt\\.up \\(the config's "lt\\.up"\\): no such file; run ${runId} was planned on it`));
      expect(await refused('lt-changed', (dir) => appendFileSync(join(dir, 'traces/lt2.down'), '99999\n'))).toMatch(
        new RegExp(`trace ${scratch.dir}/lt-changed/traces/lt2\\.down \\(the config's "lt2\\.down"\\): changed since run ${runId} started`),
      );

      // the originals are gone: the run directory stands alone
      for (const f of ['lt.up', 'lt.down', 'lt2.up', 'lt2.down']) rmSync(join(scratch.dir, f));
      const r = await runCli(['resume', out]);
      expect(r.stderr).toMatch(new RegExp(`resuming run ${runId}: ${before} of 12 turns finished`));
      expect(r.code, r.stderr).toBe(0);

      // the turns before the kill and after the resume, exactly as the plan: same clock, offsets and stagger
      const turns = readTurns(out);
      expect(turnKeys(turns)).toEqual(planKeys(rounds, DEVICES));
      const cols = PREDICTED(Object.keys(turns[0]!));
      const planCell = (t: (typeof planned.turns)[number], c: string) =>
        c.startsWith('predicted_energy_') ? t.energy[c.slice('predicted_energy_'.length)] : c.startsWith('predicted_') ? t.delay[c.slice('predicted_'.length)] : t[c];
      const fromPlan = planned.turns.map((t) => ({
        ...Object.fromEntries(cols.map((c) => [c, String(planCell(t, c))])),
        expected_total: String(t.expectedDelay.total),
        seen_up_bps: String(t.rateUpBps),
        seen_down_bps: String(t.rateDownBps),
      }));
      expect(turns.map((t) => Object.fromEntries(Object.keys(fromPlan[0]!).map((c) => [c, t[c]])))).toEqual(fromPlan);
      expect(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'))).toMatchObject({ status: 'finished', turnsDone: 12, runId });
      expect(existsSync(join(out, 'linktrace.json'))).toBe(true);
      expect(processesOfRun(runId)).toEqual([]);
      expect(tempDirsOfRun(runId)).toEqual([]);
      expect(kernelStateOf(runPrefix(runId))).toEqual({ netns: [], links: [], qdiscs: [] });
    },
    { tools: ['nats-server', 'redis-server'], timeout: 180_000 },
  );
});
