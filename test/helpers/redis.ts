import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRedis, type EmbeddedRedis } from '../../emulator/servers/redis-server.js';

/**
 * A real redis-server for one test file, as a shared Redis would be (REDIS_URL given to
 * both `sledge run` and `sledge watch`). Its directory name carries `sledge-<label>`, as
 * the emulator's own do, so leftovers are recognisable.
 */
export async function startTestRedis(label: string): Promise<EmbeddedRedis & { dispose(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `sledge-test-${label}-`));
  const redis = await startRedis({ dir: join(dir, `sledge-${label}`), runId: label });
  return {
    ...redis,
    async dispose() {
      await redis.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
