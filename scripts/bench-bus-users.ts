/**
 * How long the run's nats-server takes to start with per-role users (docs/trust.md):
 * one token against coordinator + server + N device users with permissions. Prints one
 * line per case; run with `npm run build && node dist/scripts/bench-bus-users.js`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deviceActor } from '../emulator/protocol/subjects.js';
import { startNats } from '../emulator/servers/nats-server.js';
import { actorBusUser, coordinatorBusUser } from '../emulator/trust/bus-users.js';

const runId = 'bench-users';
const dir = await mkdtemp(join(tmpdir(), 'sledge-bench-users-'));
try {
  for (const devices of [0, 100, 1000]) {
    for (let rep = 0; rep < 3; rep++) {
      const users = devices === 0 ? undefined : [coordinatorBusUser(runId), actorBusUser(runId, 'server'), ...Array.from({ length: devices }, (_, i) => actorBusUser(runId, deviceActor(`d${i + 1}`)))];
      const t0 = performance.now();
      const nats = await startNats({ dir: join(dir, `n${devices}-${rep}`), runId, clients: devices + 2, ...(users ? { users } : {}) });
      const ms = performance.now() - t0;
      await nats.stop();
      process.stdout.write(`${devices === 0 ? 'token only' : `${devices + 2} users`}\tstart to first client: ${ms.toFixed(0)} ms\n`);
    }
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
