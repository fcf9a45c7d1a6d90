import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../src/rng.js';
import { RunError } from '../emulator/errors.js';
import { startNats, type EmbeddedNats } from '../emulator/servers/nats-server.js';
import { decodeFrame, encodeAck, encodeData } from '../emulator/transport/frame.js';
import { hostNowMs } from '../emulator/transport/host-clock.js';
import { PayloadReceiver, sendPayload, type SendOptions } from '../emulator/transport/transfer.js';
import { expectShaped } from './helpers/bounds.js';

const MiB = 1024 * 1024;

/** A seeded uniform [0, 1) source, as the actors build theirs. */
const seeded = (seed: number): (() => number) => {
  const rng = new Rng(seed);
  return () => rng.next();
};

describe('payload transport over a real nats-server', () => {
  let root: string;
  let nats: EmbeddedNats;
  let device: NatsConnection; // sends
  let server: NatsConnection; // receives
  let receiver: PayloadReceiver;
  const subject = 'sledge.test.server.data';
  let n = 0;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'sledge-test-transport-'));
    nats = await startNats({ dir: join(root, 'sledge-tt'), runId: 'tt' });
    device = await connect({ servers: nats.url, token: nats.token });
    server = await connect({ servers: nats.url, token: nats.token });
    receiver = new PayloadReceiver(server, subject);
    await server.flush();
  });

  afterAll(async () => {
    await receiver?.close();
    await device?.close();
    await server?.close();
    await nats?.stop();
    await rm(root, { recursive: true, force: true });
  });

  async function roundTrip(o: Partial<SendOptions> & { bytes: number }) {
    const tag = o.tag ?? `t/${n++}`;
    const received = receiver.expect(tag, 60_000);
    const sent = await sendPayload(device, { subject, tag, rateBps: null, timeoutMs: 60_000, ...o });
    return { sent, received: await received, wallMs: sent.deliveredAt - sent.startedAt };
  }

  it.each([
    [0, 1],
    [1, 1],
    [MiB + 3, 5],
    [20 * MiB, 80],
  ])('carries %i bytes unpaced in %i chunks', async (bytes, chunks) => {
    const { sent, received } = await roundTrip({ bytes });
    expect(sent).toMatchObject({ bytes, chunks, resent: 0, rejected: 0 });
    expect(received).toMatchObject({ bytes, chunks });
    expect(received.completedAt).toBeGreaterThanOrEqual(received.firstChunkAt);
    // the ack's host-clock receipt time, in the sender's timebase, is the receiver's completion
    expect(Math.abs(sent.deliveredAt - received.completedAt)).toBeLessThan(0.5);
    expect(sent.deliveredAt).toBeLessThanOrEqual(sent.completedAt);
  });

  it('resolves an expect made after the transfer completed', async () => {
    await sendPayload(device, { subject, tag: 'late/expect', bytes: 1000, rateBps: null, timeoutMs: 10_000 });
    await expect(receiver.expect('late/expect', 1000)).resolves.toMatchObject({ bytes: 1000, chunks: 1 });
  });

  it.each([20e6, 50e6])('paces 4 MiB at %d bit/s: 0.8 to 2 × 8N/rate', async (rateBps) => {
    const bytes = 4 * MiB;
    const { wallMs } = await roundTrip({ bytes, rateBps });
    // a userspace sender shares the cores with everything else: under load a transfer of
    // well under a second stretches most, so the bound that catches a wrong rate is 3 ×
    expectShaped(wallMs, (8000 * bytes) / rateBps, `4 MiB at ${rateBps} bit/s`, 3);
  });

  it('never has more than `window` chunks un-acknowledged', async () => {
    const watcher = await connect({ servers: nats.url, token: nats.token });
    let outstanding = 0;
    let most = 0;
    // One connection sees both streams in server order, so data k+window cannot overtake ack k.
    watcher.subscribe(subject, {
      callback: () => {
        outstanding++;
        most = Math.max(most, outstanding);
      },
    });
    watcher.subscribe('_INBOX.>', {
      callback: (_e, m) => {
        if (decodeFrame(m.data).ok) outstanding--;
      },
    });
    await watcher.flush();
    const { sent } = await roundTrip({ bytes: 8 * MiB, chunkBytes: 64 * 1024, window: 4 });
    await watcher.flush();
    await watcher.close();
    expect(sent.chunks).toBe(128);
    expect(most).toBe(4);
    expect(outstanding).toBe(0);
  });

  it('drops and counts malformed messages and keeps working', async () => {
    const inbox = '_INBOX.malformed';
    const before = receiver.rejected;
    const valid = encodeData({ transferId: 77, seq: 0, totalChunks: 2, chunkBytes: 8, totalBytes: 10, tag: 'm/1' }, new Uint8Array(8));
    const badMagic = valid.slice();
    badMagic[0] = 0;
    const raw: [Uint8Array, string | undefined][] = [
      [Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31]), inbox], // garbage
      [valid.subarray(0, 20), inbox], // truncated header
      [badMagic, inbox],
      [encodeAck(123456, 0, 1), inbox], // an ack, for no transfer, on a data subject
      [encodeData({ transferId: 78, seq: 2, totalChunks: 2, chunkBytes: 8, totalBytes: 10, tag: 'm/2' }, new Uint8Array(0)), inbox], // seq out of range
      [valid, undefined], // no reply subject to ack to
      [valid, inbox], // accepted: starts transfer 77
      [encodeData({ transferId: 77, seq: 1, totalChunks: 3, chunkBytes: 4, totalBytes: 10, tag: 'm/1' }, new Uint8Array(4)), inbox], // wrong total for a known transfer
    ];
    for (const [data, reply] of raw) device.publish(subject, data, reply ? { reply } : undefined);
    await device.flush();
    await server.flush();
    expect(receiver.rejected - before).toBe(7);
    expect(receiver.rejections()).toMatchObject({ 'too-short': 1, 'bad-magic': 2, 'wrong-kind': 1, 'seq-out-of-range': 1, 'no-reply': 1, mismatch: 1 });
    const { received } = await roundTrip({ bytes: 3 * MiB });
    expect(received.bytes).toBe(3 * MiB);
  });

  it('counts acks that are not for the transfer on the sending side', async () => {
    const fake = 'sledge.test.fake-receiver';
    const sub = server.subscribe(fake, {
      callback: (_e, m) => {
        const d = decodeFrame(m.data);
        if (!d.ok || !m.reply) return;
        server.publish(m.reply, new Uint8Array([9, 9, 9]));
        server.publish(m.reply, encodeAck(d.frame.transferId ^ 1, d.frame.seq, hostNowMs()));
        server.publish(m.reply, encodeAck(d.frame.transferId, d.frame.seq, hostNowMs()));
      },
    });
    await server.flush();
    const sent = await sendPayload(device, { subject: fake, tag: 'fake/1', bytes: MiB, rateBps: null, timeoutMs: 10_000 });
    sub.unsubscribe();
    expect(sent.chunks).toBe(4);
    expect(sent.rejected).toBe(8);
  });

  it('adds delayMs to a small transfer and to a paced one, once', async () => {
    const impairment = { delayMs: 50, jitterMs: 0, lossPct: 0, random: seeded(1) };
    // Every try is at least the delay; the quickest of five is what the transport adds, the
    // others may also hold a loaded host's scheduling (a delay added twice would be 100 ms in all five).
    const tries: number[] = [];
    for (let i = 0; i < 5; i++) tries.push((await roundTrip({ bytes: 1000, impairment })).wallMs);
    for (const ms of tries) expect(ms).toBeGreaterThanOrEqual(50);
    expectShaped(Math.min(...tries), 50, `the quickest of five small transfers with 50 ms delay (${tries.map((t) => t.toFixed(1)).join(', ')} ms)`);
    const bytes = 4 * MiB;
    const rateBps = 20e6;
    const paced = await roundTrip({ bytes, rateBps, impairment });
    const linkMs = (8000 * bytes) / rateBps;
    expect(paced.wallMs).toBeGreaterThanOrEqual(linkMs + 50 - 1);
    expectShaped(paced.wallMs, linkMs + 50, 'a paced transfer with 50 ms delay');
  });

  it('stays reliable under userspace loss, resending lost chunks', async () => {
    const impairment = { delayMs: 5, jitterMs: 2, lossPct: 20, random: seeded(2024) };
    const { sent, received } = await roundTrip({ bytes: 4 * MiB, rateBps: 100e6, impairment });
    expect(sent.resent).toBeGreaterThan(0);
    expect(received).toMatchObject({ bytes: 4 * MiB, chunks: 16 });
  });

  it('carries `data` (the adapters, docs/model.md §1.6) byte for byte across chunks and resends, zeros after it, to a receiver that keeps it', async () => {
    const keeping = new PayloadReceiver(server, `${subject}.keep`, { keep: (tag) => tag === 'adapters' });
    try {
      await server.flush();
      const data = Uint8Array.from({ length: 3000 }, (_, i) => (i * 31 + 7) & 0xff);
      const impairment = { delayMs: 1, jitterMs: 0, lossPct: 30, random: seeded(7) };
      const received = keeping.expect('adapters', 60_000);
      const sent = await sendPayload(device, { subject: `${subject}.keep`, tag: 'adapters', bytes: 3500, data, chunkBytes: 1024, rateBps: 50e6, impairment, timeoutMs: 60_000 });
      expect(sent.resent).toBeGreaterThan(0);
      const got = await received;
      expect(got.data?.subarray(0, 3000)).toEqual(data);
      expect(got.data?.subarray(3000)).toEqual(new Uint8Array(500));
      await expect(sendPayload(device, { subject: `${subject}.keep`, tag: 'x', bytes: 2, data, rateBps: null, timeoutMs: 1000 })).rejects.toThrow(/longer than bytes/);
    } finally {
      await keeping.close();
    }
  });

  it('fails fast when nobody receives, and times out naming tag and subject', async () => {
    const t0 = performance.now();
    await expect(sendPayload(device, { subject: 'sledge.test.nobody', tag: 'lonely/1', bytes: MiB, rateBps: null, timeoutMs: 30_000 })).rejects.toThrow(/lonely\/1 to sledge\.test\.nobody: no receiver/);
    // told by the bus that nobody listens, not by its 30 s timeout
    expect(performance.now() - t0).toBeLessThan(15_000);

    const silent = server.subscribe('sledge.test.silent', { callback: () => {} });
    await server.flush();
    const err = await sendPayload(device, { subject: 'sledge.test.silent', tag: 'unheard/1', bytes: 10, rateBps: null, timeoutMs: 30_000, ackTimeoutMs: 300 }).catch((e: unknown) => e);
    silent.unsubscribe();
    expect(err).toBeInstanceOf(RunError);
    expect(String(err)).toMatch(/unheard\/1 to sledge\.test\.silent: no ack/);

    const waited = await receiver.expect('never/1', 100).catch((e: unknown) => e);
    expect(waited).toBeInstanceOf(RunError);
    expect(String(waited)).toMatch(/never\/1 on sledge\.test\.server\.data timed out/);
  });
});
