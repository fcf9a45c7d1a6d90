import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { runPrefix } from '../emulator/net/names.js';
import { processesOfRun, readTurns, runCli, runIdOf, tempDirsOfRun, writeJson } from './helpers/emulation.js';
import { kernelStateOf, tcIt, runScratch } from './helpers/tc.js';

const SCALE = new URL('../configs/scale-1000.json', import.meta.url).pathname;
const NOTHING = { netns: [], links: [], qdiscs: [] };

/**
 * Many devices on one box (docs/architecture.md §8). Before actors announced themselves by request,
 * the ready messages of the first ~30 actors were published before the launcher's
 * subscription had reached nats-server (its event loop was busy spawning the rest), and a
 * run of 100+ devices waited for them for ever. 100 devices in tc mode, spread over four
 * bridges (SLEDGE_BRIDGE_PORTS=32) so that the multi-bridge layout is exercised too; 1,000
 * devices are `npm run bench:scale`'s (docs/scale.md), not a test's.
 */
describe('scale: 100 devices in tc mode', () => {
  const scratch = runScratch('scale-tc');

  tcIt(
    'every actor comes up, every turn is recorded, four bridges are used, nothing is left behind',
    async () => {
      const base = JSON.parse(readFileSync(SCALE, 'utf8'));
      const config = writeJson(join(scratch.dir, 'scale-100.json'), {
        ...base,
        name: 'scale-100',
        devices: { ...base.devices, count: 100 },
        emulation: { ...base.emulation, timeScale: 0.002, network: 'tc', controlTimeoutS: 60 },
      });
      const out = join(scratch.dir, 'run');
      const r = await runCli(['run', config, '--out', out], { SLEDGE_BRIDGE_PORTS: '32' });
      const runId = runIdOf(out);
      if (runId) scratch.runs.push(runId);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/starting actors 101\/101/);

      const turns = readTurns(out);
      expect(turns).toHaveLength(100);
      expect(new Set(turns.map((t) => t.device)).size).toBe(100);
      const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
      expect(manifest.scale.actors).toBe(101);
      expect(manifest.scale.bridges).toHaveLength(4);
      const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
      expect(summary.status).toBe('finished');
      expect(summary.rejectedMessages.server).toBe(0);

      expect(kernelStateOf(runPrefix(runId!))).toEqual(NOTHING);
      expect(processesOfRun(runId!)).toEqual([]);
      expect(tempDirsOfRun(runId!)).toEqual([]);
    },
    { tools: ['nats-server', 'redis-server'], timeout: 300_000 },
  );
});
