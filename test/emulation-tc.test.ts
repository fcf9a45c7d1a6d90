import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { runPrefix } from '../emulator/net/names.js';
import { actorPid, processesOfRun, readTurns, runCli, runIdOf, smallConfig, startCli, tempDirsOfRun, waitFor, writeJson } from './helpers/emulation.js';
import { kernelStateOf, tcIt, runScratch } from './helpers/tc.js';
import { expectShaped, expectTurnsShaped } from './helpers/bounds.js';

const NOTHING = { netns: [], links: [], qdiscs: [] };

/**
 * `sledge run` with kernel-shaped links (docs/architecture.md §6): each device process in its own
 * namespace behind an htb-shaped veth, nats-server on the bridge address.
 */
describe('sledge run (tc links)', () => {
  const scratch = runScratch('emulation-tc');

  tcIt(
    'runs 3 devices × 3 rounds in namespaces: turns shaped for real (measured ≥ 0.8 × predicted), nothing of the run left after',
    async () => {
      const config = writeJson(join(scratch.dir, 'tc.json'), smallConfig({ network: 'tc' }));
      const out = join(scratch.dir, 'run-tc');
      const r = await runCli(['run', config, '--out', out]);
      const runId = runIdOf(out);
      if (runId) scratch.runs.push(runId);
      expect(r.stderr).not.toMatch(/Error|failed|warning/i);
      expect(r.code).toBe(0);

      const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
      expect(manifest.network).toBe('tc');
      const turns = readTurns(out);
      expect(turns).toHaveLength(9);
      expectTurnsShaped(turns);
      // the links carry the payloads: uplink and downlink are measured, not zero
      for (const t of turns) {
        expect(Number(t.measured_uplink)).toBeGreaterThan(0);
        expect(Number(t.measured_downlink)).toBeGreaterThan(0);
      }

      expect(kernelStateOf(runPrefix(manifest.runId))).toEqual(NOTHING);
      expect(processesOfRun(manifest.runId)).toEqual([]);
      expect(tempDirsOfRun(manifest.runId)).toEqual([]);
    },
    { tools: ['nats-server', 'redis-server'], timeout: 120_000 },
  );

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    tcIt(
      `${signal}: exit 130, finished turns kept, no namespace, link, qdisc, process or temp dir of the run left`,
      async () => {
        const config = writeJson(join(scratch.dir, `tc-${signal}.json`), smallConfig({ network: 'tc', rounds: 30 }));
        const out = join(scratch.dir, `run-tc-${signal}`);
        const { child, done } = startCli(['run', config, '--out', out]);
        await waitFor('two finished turns', () => readTurns(out).length >= 2, 60_000);
        const runId = runIdOf(out)!;
        scratch.runs.push(runId);
        expect(kernelStateOf(runPrefix(runId)).netns).toHaveLength(3);
        child.kill(signal);
        const r = await done;
        expect(r.code).toBe(130);
        const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
        expect(summary.status).toBe('interrupted');
        expect(summary.turnsDone).toBe(readTurns(out).length);
        expect(kernelStateOf(runPrefix(runId))).toEqual(NOTHING);
        expect(processesOfRun(runId)).toEqual([]);
        expect(tempDirsOfRun(runId)).toEqual([]);
      },
      { tools: ['nats-server', 'redis-server'], timeout: 120_000 },
    );
  }

  tcIt(
    'a device killed inside its namespace fails the run naming it, and the run still cleans up',
    async () => {
      const config = writeJson(join(scratch.dir, 'tc-kill-device.json'), smallConfig({ network: 'tc', rounds: 30 }));
      const out = join(scratch.dir, 'run-tc-kill-device');
      const { done } = startCli(['run', config, '--out', out]);
      await waitFor('a finished turn', () => readTurns(out).length >= 1, 60_000);
      const runId = runIdOf(out)!;
      scratch.runs.push(runId);
      process.kill(await waitFor('device d3', () => actorPid(runId, 'device.d3')), 'SIGKILL');
      const r = await done;
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/device d3 \(pid \d+\) exited with signal SIGKILL/);
      expect(kernelStateOf(runPrefix(runId))).toEqual(NOTHING);
      expect(processesOfRun(runId)).toEqual([]);
      expect(tempDirsOfRun(runId)).toEqual([]);
    },
    { tools: ['nats-server', 'redis-server'], timeout: 120_000 },
  );

  tcIt(
    'after kill -9 of the launcher, `sledge net clean --run ID` removes every namespace, link, process and temp dir of the run',
    async () => {
      const config = writeJson(join(scratch.dir, 'tc-long.json'), smallConfig({ network: 'tc', rounds: 30 }));
      const out = join(scratch.dir, 'run-tc-killed');
      const { child, done } = startCli(['run', config, '--out', out]);
      await waitFor('two finished turns', () => readTurns(out).length >= 2, 60_000);
      const runId = runIdOf(out)!;
      scratch.runs.push(runId);
      const prefix = runPrefix(runId);
      child.kill('SIGKILL');
      await done;

      const left = kernelStateOf(prefix);
      expect(left.netns).toHaveLength(3);
      expect(left.links.length).toBeGreaterThanOrEqual(4);
      const finished = readTurns(out).length;

      const clean = await runCli(['net', 'clean', '--run', runId]);
      expect(clean.stderr).toBe('');
      expect(clean.code).toBe(0);
      expect(clean.stdout).toMatch(new RegExp(`namespaces removed: .*${prefix}-0`));
      expect(clean.stdout).toMatch(new RegExp(`temp dirs removed: .*sledge-${runId}-`));

      expect(kernelStateOf(prefix)).toEqual(NOTHING);
      expect(tempDirsOfRun(runId)).toEqual([]);
      // net clean ended the run's processes itself, the actors on the host among them
      expect(processesOfRun(runId)).toEqual([]);
      // what finished before the kill stays on disk
      expect(readTurns(out).length).toBeGreaterThanOrEqual(finished);
      const again = await runCli(['net', 'clean', '--run', runId]);
      expect(again.stdout).toMatch(/namespaces removed: none\nlinks removed: none\nprocesses killed: none\ntemp dirs removed: none/);
    },
    { tools: ['nats-server', 'redis-server'], timeout: 120_000 },
  );
});
