/**
 * The receiver under hostile input over a real nats-server (docs/architecture.md §9): a seeded flood
 * of malformed, truncated, oversized and well-formed-but-lying frames, interleaved with
 * real transfers. The real transfers complete, what the receiver holds stays within its
 * stated bounds after every batch, and every drop is counted under the expected reason.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../src/rng.js';
import { startNats, type EmbeddedNats } from '../emulator/servers/nats-server.js';
import { encodeAck, encodeData, MAX_CHUNK_BYTES, MAX_CHUNKS, MAX_TRANSFER_BYTES, type DataHeader } from '../emulator/transport/frame.js';
import { PayloadReceiver, receiverMemoryBound } from '../emulator/transport/receive.js';
import { sendPayload } from '../emulator/transport/send.js';

const MAX_PARTIAL = 32;
const MAX_UNCLAIMED = 64;
const MAX_IDLE_MS = 45_000;
const BATCHES = 100;
const REAL_TRANSFERS = 6;
const subject = 'sledge.fuzz.server.data';
const reply = '_INBOX.fuzz';

type Expected = Record<string, number>;

/** One hostile message and the reason it must be dropped for, or null when it is accepted (it starts or completes a lying transfer). */
type Hostile = { data: Uint8Array; reply?: string; reason: string | null; kind?: 'start' | 'complete'; id?: number };

class Flood {
  private nextId = 1_000_000;
  constructor(private readonly rng: Rng) {}

  private header(h: Partial<DataHeader> = {}): DataHeader {
    return { transferId: this.nextId++, seq: 0, totalChunks: 2, chunkBytes: 64, totalBytes: 100, tag: `lie/${this.rng.int(0, 1e9)}`, ...h };
  }

  /** A random message of one of the hostile kinds. */
  next(): Hostile[] {
    const r = this.rng;
    const huge = MAX_TRANSFER_BYTES / MAX_CHUNKS; // the chunk size of the largest declared shape
    switch (r.int(0, 12)) {
      case 0:
        return [{ data: Uint8Array.from({ length: r.int(0, 3) }, () => r.int(0, 255)), reason: 'too-short' }];
      case 1:
        return [{ data: Uint8Array.from({ length: r.int(4, 120) }, (_, i) => (i === 0 ? 0x00 : r.int(0, 255))), reason: 'bad-magic' }];
      case 2: {
        const f = encodeData(this.header(), new Uint8Array(64));
        return [{ data: f.subarray(0, r.int(4, 28)), reason: 'too-short' }]; // truncated header
      }
      case 3: // the 4 GiB bitmap of the issue, and worse
        return [{ data: encodeData(this.header({ chunkBytes: 1, totalChunks: 0xffffffff, totalBytes: r.int(MAX_TRANSFER_BYTES + 1, 2 ** 52) }), new Uint8Array(0)), reason: 'too-large' }];
      case 4:
        return [{ data: encodeData(this.header({ chunkBytes: 1024, totalBytes: MAX_TRANSFER_BYTES, totalChunks: MAX_TRANSFER_BYTES / 1024 }), new Uint8Array(1024)), reason: 'too-many-chunks' }];
      case 5:
        return [{ data: encodeData(this.header({ seq: r.int(2, 0xffffffff) }), new Uint8Array(0)), reason: 'seq-out-of-range' }];
      case 6: // oversized chunk, declared or not
        return r.next() < 0.5
          ? [{ data: encodeData(this.header({ chunkBytes: MAX_CHUNK_BYTES + 1, totalBytes: MAX_CHUNK_BYTES + 1, totalChunks: 1 }), new Uint8Array(MAX_CHUNK_BYTES + 1)), reason: 'bad-chunk-size' }]
          : [{ data: encodeData(this.header({ chunkBytes: MAX_CHUNK_BYTES, totalBytes: 2 * MAX_CHUNK_BYTES }), new Uint8Array(MAX_CHUNK_BYTES + r.int(1, 1000))), reason: 'bad-length' }];
      case 7: {
        const f = encodeData(this.header(), new Uint8Array(64));
        f[29] = 0xff; // not UTF-8
        return [{ data: f, reason: 'bad-tag' }];
      }
      case 8:
        return [{ data: encodeAck(r.int(0, 2 ** 32 - 1), 0, 1), reason: 'wrong-kind' }];
      case 9:
        return [{ data: encodeData(this.header(), new Uint8Array(64)), reply: '', reason: 'no-reply' }];
      case 10: {
        // a lying transfer, then a chunk of it with another shape
        const h = this.header({ totalChunks: MAX_CHUNKS, chunkBytes: huge, totalBytes: MAX_TRANSFER_BYTES });
        return [
          { data: encodeData(h, new Uint8Array(huge)), reason: null, kind: 'start', id: h.transferId },
          { data: encodeData({ ...h, seq: 1, totalBytes: MAX_TRANSFER_BYTES - 1 }, new Uint8Array(huge)), reason: 'mismatch' },
        ];
      }
      case 11: {
        // a tiny transfer complete in one chunk that nobody will claim
        const n = r.int(0, 64);
        return [{ data: encodeData(this.header({ totalChunks: 1, totalBytes: n }), new Uint8Array(n)), reason: null, kind: 'complete' }];
      }
      default: {
        // a transfer started and never finished, of the largest shape allowed
        const h = this.header({ totalChunks: MAX_CHUNKS, chunkBytes: huge, totalBytes: MAX_TRANSFER_BYTES });
        return [{ data: encodeData(h, new Uint8Array(huge)), reason: null, kind: 'start', id: h.transferId }];
      }
    }
  }
}

describe('transport fuzz', () => {
  let root: string;
  let nats: EmbeddedNats;
  let device: NatsConnection;
  let server: NatsConnection;
  let attacker: NatsConnection;
  let clock = 0;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'sledge-test-fuzz-'));
    nats = await startNats({ dir: join(root, 'sledge-fz'), runId: 'fz' });
    const open = () => connect({ servers: nats.url, token: nats.token });
    [device, server, attacker] = await Promise.all([open(), open(), open()]);
  });

  afterAll(async () => {
    await Promise.all([device, server, attacker].map((nc) => nc?.close()));
    await nats?.stop();
    await rm(root, { recursive: true, force: true });
  });

  it('keeps real transfers whole and the receiver bounded under 1,000+ hostile messages', async () => {
    const receiver = new PayloadReceiver(server, subject, { maxPartial: MAX_PARTIAL, maxUnclaimed: MAX_UNCLAIMED, maxIdleMs: MAX_IDLE_MS, now: () => clock });
    await server.flush();
    let acks = 0;
    attacker.subscribe(reply, { callback: () => void acks++ });
    await attacker.flush();

    const real = (async () => {
      const done = [];
      for (let i = 0; i < REAL_TRANSFERS; i++) {
        const tag = `real/${i}`;
        const bytes = (i + 1) * 300_000 + i;
        const received = receiver.expect(tag, 120_000);
        const sent = await sendPayload(device, { subject, tag, bytes, rateBps: null, chunkBytes: 16 * 1024, window: 2, timeoutMs: 120_000 });
        done.push({ bytes, sent, received: await received });
      }
      return done;
    })();

    const flood = new Flood(new Rng(20240611));
    const expected: Expected = {};
    let messages = 0;
    let starts = 0;
    let firstStart: number | undefined;
    let completes = 0;
    const rng = new Rng(7);
    for (let b = 0; b < BATCHES; b++) {
      for (let k = rng.int(10, 40); k > 0; k--) {
        for (const h of flood.next()) {
          attacker.publish(subject, h.data, h.reply === '' ? undefined : { reply });
          messages++;
          if (h.reason) expected[h.reason] = (expected[h.reason] ?? 0) + 1;
          if (h.kind === 'start') starts++;
          firstStart ??= h.id;
          if (h.kind === 'complete') completes++;
        }
      }
      // Everything this batch published has been handled once both flushes are back.
      await attacker.flush();
      await server.flush();
      const s = receiver.stats();
      expect(s.partial).toBeLessThanOrEqual(MAX_PARTIAL);
      expect(s.bitmapBytes).toBeLessThanOrEqual(MAX_PARTIAL * (MAX_CHUNKS / 8));
      expect(s.unclaimed).toBeLessThanOrEqual(MAX_UNCLAIMED);
      expect(s.rememberedIds).toBeLessThanOrEqual(2048);
      clock += b % 10 === 9 ? MAX_IDLE_MS + 1 : 1000; // now and then, everything idle goes stale
    }

    const done = await real;
    for (const { bytes, sent, received } of done) {
      expect(received).toMatchObject({ bytes, chunks: Math.ceil(bytes / (16 * 1024)) });
      expect(sent.bytes).toBe(bytes);
    }
    await server.flush();
    await attacker.flush();

    const got = receiver.rejections();
    expect(messages).toBeGreaterThan(1000);
    for (const [reason, n] of Object.entries(expected)) expect({ reason, n: got[reason] ?? 0 }).toEqual({ reason, n });
    // Every lying transfer is accounted for exactly once: still held, evicted or stale; and
    // every completed one is still unclaimed or was pushed out.
    const held = receiver.stats();
    expect(held.waiters).toBe(0);
    expect(starts).toBeGreaterThan(2 * MAX_PARTIAL);
    expect(held.partial + (got.evicted ?? 0) + (got.stale ?? 0)).toBe(starts);
    expect(got.evicted).toBeGreaterThan(0);
    expect(got.stale).toBeGreaterThan(0);
    expect(held.unclaimed + (got['unclaimed-evicted'] ?? 0)).toBe(completes);
    expect(got['unclaimed-evicted']).toBeGreaterThan(0);
    // Only accepted chunks are acknowledged: the lying starts and completes, never a rejected message.
    expect(acks).toBe(starts + completes);
    const counted = Object.values(got).reduce((a, n) => a + n, 0);
    expect(receiver.rejected).toBe(counted);
    expect(receiverMemoryBound({ maxPartial: MAX_PARTIAL, maxUnclaimed: MAX_UNCLAIMED })).toBeLessThan(256 * 1024);

    // A chunk of a transfer the receiver dropped long ago is refused and not acknowledged.
    const huge = MAX_TRANSFER_BYTES / MAX_CHUNKS;
    const late = encodeData({ transferId: firstStart as number, seq: 1, totalChunks: MAX_CHUNKS, chunkBytes: huge, totalBytes: MAX_TRANSFER_BYTES, tag: 'lie/late' }, new Uint8Array(huge));
    attacker.publish(subject, late, { reply });
    await attacker.flush();
    await server.flush();
    await attacker.flush();
    expect(receiver.rejections().abandoned).toBe((got.abandoned ?? 0) + 1);
    expect(acks).toBe(starts + completes);
    await receiver.close();
  });
});
