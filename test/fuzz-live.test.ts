import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort } from '../emulator/servers/free-port.js';
import { connect, createInbox, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../src/rng.js';
import { startNats, type EmbeddedNats } from '../emulator/servers/nats-server.js';
import { encodeData, MAX_CHUNKS, MAX_TRANSFER_BYTES } from '../emulator/transport/frame.js';
import { readTurns, smallConfig, startCli, tempDir, writeJson } from './helpers/emulation.js';

/** What an actor may grow by under the flood (its RSS): the receivers, mailboxes and turn tables are bounded well below it. */
const GROWTH_BOUND_MIB = 48;
const MESSAGES = 1200;

function rssMiB(pid: number): number {
  const kb = /^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) / 1024;
}

/** One hostile message: garbage, a truncated or lying frame, an oversized or lying control message. */
function hostile(rng: Rng, subject: string, kind: number): { data: Uint8Array; reply?: string } {
  const json = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
  const lyingTurn = { round: 900 + rng.int(0, 99), device: `d${rng.int(1, 3)}` };
  const frame = (h: Partial<Parameters<typeof encodeData>[0]>, payload = new Uint8Array(0)) =>
    encodeData({ transferId: rng.int(0, 2 ** 32 - 1), seq: 0, totalChunks: 1, chunkBytes: 1024, totalBytes: payload.length, tag: `fuzz/${rng.int(0, 1e6)}`, ...h }, payload);
  switch (kind % 10) {
    case 0:
      return { data: Uint8Array.from({ length: rng.int(0, 2000) }, () => rng.int(0, 255)) };
    case 1:
      return { data: frame({}, new Uint8Array(10)).subarray(0, rng.int(1, 30)), reply: createInbox() };
    case 2: // declares a total far beyond any real payload
      return { data: frame({ totalBytes: MAX_TRANSFER_BYTES * 4, totalChunks: 4 * 2 ** 20, chunkBytes: 1024 }), reply: createInbox() };
    case 3: // well-formed first chunk of a transfer that never finishes
      return { data: frame({ totalBytes: 1024 * (MAX_CHUNKS - 1), totalChunks: MAX_CHUNKS - 1, chunkBytes: 1024 }, new Uint8Array(1024)), reply: createInbox() };
    case 4:
      return { data: frame({ seq: 7, totalChunks: 2, totalBytes: 2048 }, new Uint8Array(1024)), reply: createInbox() };
    case 5:
      return { data: new Uint8Array(70 * 1024).fill(0x7b), reply: createInbox() };
    case 6:
      return { data: json({ kind: 'turn', turn: lyingTurn, cut: 1e9, iterations: -1 }), reply: createInbox() };
    case 7: // well-formed, for a turn that will never be: the actor must refuse or fail it cheaply
      return subject.endsWith('ctl.server')
        ? { data: json({ kind: 'prepare', turn: lyingTurn, cut: 2, freqHz: 1e9, iterations: 3, computeWallS: 0.001, adapterBytes: 10, smashedBytes: 10, downRateBps: null, padBytes: 0 }), reply: createInbox() }
        : { data: json({ kind: 'gradient', turn: lyingTurn, iteration: 1, busyWallS: 0, at: 1 }) };
    case 8:
      return { data: json({ kind: 'ready', actor: 'device.intruder', pid: 4242 }), reply: createInbox() };
    default:
      return { data: json({ kind: 'nonsense', nested: { deep: [1, 2, 3] } }), reply: createInbox() };
  }
}

async function flood(nc: NatsConnection, runId: string, rng: Rng): Promise<number> {
  const subjects = ['ctl.server', 'data.server.from.device.d1', 'ready', ...[1, 2, 3].flatMap((d) => [`ctl.device.d${d}`, `data.device.d${d}`, `evt.device.d${d}`])];
  for (let i = 0; i < MESSAGES; i++) {
    const subject = `sledge.${runId}.${subjects[i % subjects.length]}`;
    const m = hostile(rng, subject, rng.int(0, 9));
    nc.publish(subject, m.data, m.reply ? { reply: m.reply } : undefined);
    if (i % 100 === 99) await nc.flush();
  }
  await nc.flush();
  return MESSAGES;
}

/**
 * Hostile bytes on a live run's bus (docs/architecture.md §9): garbage, truncated and lying frames,
 * oversized and lying control messages on every subject of the run, while it runs. No
 * actor crashes or grows past the stated bound, the run completes, and the rejections are
 * counted by reason in summary.json.
 */
describe('a live run under a flood of hostile messages', () => {
  let dir: string;
  let nats: EmbeddedNats | undefined;
  let leafPort: number;

  beforeAll(async () => {
    dir = await tempDir('fuzz-live');
    // a lab's bus: devices join it through the run's own leaf node (docs/trust.md)
    leafPort = await freePort('127.0.0.1');
    nats = await startNats({ dir: join(dir, 'nats-sledge-fuzz'), runId: 'test-fuzz', leafListen: { port: leafPort, user: 'leaf', password: 'fuzz-leaf' } });
  });

  afterAll(async () => {
    await nats?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it(`${MESSAGES} hostile messages: no actor dies or grows more than ${GROWTH_BOUND_MIB} MiB, every turn recorded, rejections counted`, async () => {
    const nc = await connect({ servers: nats!.url, token: nats!.token });
    const ready = nc.subscribe('sledge.*.ready', { max: 4 });
    const config = writeJson(join(dir, 'fuzz.json'), smallConfig({ rounds: 6, timeScale: 0.1 }));
    const out = join(dir, 'run');
    const run = startCli(['run', config, '--out', out], { NATS_URL: nats!.url.replace('nats://', `nats://${nats!.token}@`), NATS_LEAF_URL: `nats-leaf://leaf:fuzz-leaf@127.0.0.1:${leafPort}` });
    let runId = '';
    const pids: number[] = [];
    for await (const m of ready) {
      runId = m.subject.split('.')[1]!;
      pids.push((JSON.parse(new TextDecoder().decode(m.data)) as { pid: number }).pid);
    }
    const before = pids.map(rssMiB);
    const sent = await flood(nc, runId, Rng.of(7, 'fuzz-live'));
    const after = pids.map(rssMiB);
    const r = await run.done;
    await nc.close();

    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/exited with/);
    after.forEach((mib, i) => expect(mib - before[i]!, `actor pid ${pids[i]}: ${before[i]} → ${mib} MiB`).toBeLessThan(GROWTH_BOUND_MIB));
    expect(readTurns(out)).toHaveLength(18);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.status).toBe('finished');
    const total = Object.values(summary.rejectedMessages as Record<string, number>).reduce((a, b) => a + b, 0);
    // ready messages from intruders are counted by the launcher, the rest by the actors;
    // gradient notices for turns that never come are kept (bounded), not rejected
    expect(total).toBeGreaterThan(sent * 0.7);
    for (const reason of ['data/bad-magic', 'data/too-large', 'data/seq-out-of-range', 'control/not-JSON', 'control/too-large', 'control/unknown-kind', 'ready/not-an-actor']) {
      expect(summary.rejectedByReason[reason], `${reason} in ${JSON.stringify(summary.rejectedByReason)}`).toBeGreaterThan(0);
    }
  });
});
