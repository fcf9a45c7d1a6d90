import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from './helpers/cli.js';
import { startTestRedis } from './helpers/redis.js';
import { runCli, smallConfig, startCli, tempDir, writeJson } from './helpers/emulation.js';

/**
 * `sledge watch` in another process beside `sledge run`, both given the same real Redis,
 * as from another terminal: it follows the run's turn stream to the end.
 */
describe('sledge watch', () => {
  let dir: string;
  let redis: Awaited<ReturnType<typeof startTestRedis>>;

  beforeAll(async () => {
    ensureBuilt();
    dir = await tempDir('watch');
    redis = await startTestRedis('watch');
  });

  afterAll(async () => {
    await redis?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it('prints one line per turn of a run started beside it and exits 0 when it finishes', async () => {
    const config = writeJson(join(dir, 'small.json'), smallConfig({ devices: 3, rounds: 3, timeScale: 0.1 }));
    const run = startCli(['run', config, '--out', join(dir, 'run')], { REDIS_URL: redis.url });

    // The run names itself in Redis once it starts; watch then picks the latest run.
    const client = new Redis(redis.url);
    let runId: string | null = null;
    try {
      const until = Date.now() + 30_000;
      while (!(runId = await client.get('sledge:latest')) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    } finally {
      client.disconnect();
    }
    expect(runId).toBeTruthy();

    const watched = await startCli(['watch'], { REDIS_URL: redis.url }).done;
    const ran = await run.done;
    expect(ran.code).toBe(0);
    expect(watched.stderr).toContain(`watching run ${runId}`);
    expect(watched.code).toBe(0);

    const turns = watched.stdout.split('\n').filter((l) => /^\[\d+\/9\] round/.test(l));
    expect(turns).toHaveLength(9);
    expect(turns.map((l) => /round (\d+)\s+(\S+)/.exec(l)!.slice(1).join('/'))).toEqual(['1/d1', '1/d2', '1/d3', '2/d1', '2/d2', '2/d3', '3/d1', '3/d2', '3/d3']);
    expect(watched.stdout).toMatch(new RegExp(`run ${runId} finished: 9/9 turns`));
  });

  it('exits 2 for a run id that Redis does not know', async () => {
    const r = await runCli(['watch', 'no-such-run', '--redis', redis.url]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/run no-such-run: not found/);
  });
});
