import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processesOfRun, runCli, runIdOf, smallConfig, tempDir, writeJson } from './helpers/emulation.js';

/** An actor that never comes up is named, with its log, and the run leaves nothing behind (docs/architecture.md §8). */
describe('actor start-up failures', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await tempDir('actor-startup');
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('a device process that dies before announcing itself fails the run with one line naming it and its log', async () => {
    const config = writeJson(join(dir, 'c.json'), smallConfig({ devices: 3, rounds: 1 }));
    const out = join(dir, 'run');
    // node refuses an unknown V8 flag and exits before running any of the actor's code
    const r = await runCli(['run', config, '--out', out], { SLEDGE_DEVICE_V8_FLAGS: '--no-such-flag-for-sure' });
    expect(r.code).toBe(1);
    const m = /^sledge: run failed: (device\.d\d) exited with code 9 before it was ready; see (\S+) \(.*bad option: --no-such-flag-for-sure\)$/m.exec(r.stderr);
    expect(m, r.stderr).not.toBeNull();
    expect(m![2]).toBe(join(out, 'logs', `${m![1]}.log`));
    expect(existsSync(m![2]!)).toBe(true);
    expect(processesOfRun(runIdOf(out)!)).toEqual([]);
  });
});
