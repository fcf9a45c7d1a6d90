import { describe, expect, it } from 'vitest';
import { RunError } from '../emulator/errors.js';
import { encodeData, MAX_CHUNKS, MAX_TRANSFER_BYTES, type DataHeader } from '../emulator/transport/frame.js';
import { PayloadReceiver, receiverMemoryBound } from '../emulator/transport/receive.js';
import { sendPayload } from '../emulator/transport/send.js';
import { FakeNats } from './helpers/fake-nats.js';

/** A 2-chunk transfer of 16 bytes; `chunk(id, 0)` starts it, `chunk(id, 1)` finishes it. */
const chunk = (transferId: number, seq: number, h: Partial<DataHeader> = {}) =>
  encodeData({ transferId, seq, totalChunks: 2, chunkBytes: 8, totalBytes: 16, tag: `t/${transferId}`, ...h }, new Uint8Array(8));

function setup(options: ConstructorParameters<typeof PayloadReceiver>[2] = {}) {
  const fake = new FakeNats();
  let clock = 0;
  const receiver = new PayloadReceiver(fake.nc, 'data', { now: () => clock, ...options });
  return { fake, receiver, advance: (ms: number) => (clock += ms) };
}

describe('PayloadReceiver bounds', () => {
  it('holds at most maxPartial transfers, evicting the least recently active one nobody awaits', async () => {
    const { fake, receiver } = setup({ maxPartial: 4 });
    const three = { totalChunks: 3, totalBytes: 24 };
    const awaited = receiver.expect('t/1', 60_000);
    fake.deliver(chunk(1, 0, three)); // awaited, and the oldest
    for (let id = 2; id <= 5; id++) fake.deliver(chunk(id, 0, three));
    expect(receiver.stats().partial).toBe(4);
    expect(receiver.rejections()).toEqual({ evicted: 1 }); // 2 went, not 1
    fake.deliver(chunk(3, 1, three)); // 3 is now the most recent
    fake.deliver(chunk(6, 0, three));
    expect(receiver.rejections()).toEqual({ evicted: 2 }); // 4 went
    const acks = fake.published.length;
    fake.deliver(chunk(2, 1, three));
    fake.deliver(chunk(4, 1, three));
    expect(fake.published.length).toBe(acks); // an evicted transfer's late chunks are not acked: its sender fails
    expect(receiver.rejections()).toEqual({ evicted: 2, abandoned: 2 });
    fake.deliver(chunk(1, 1, three));
    fake.deliver(chunk(1, 2, three));
    await expect(awaited).resolves.toMatchObject({ tag: 't/1', bytes: 24, chunks: 3 });
    await receiver.close();
  });

  it('evicts an awaited transfer only when every partial one is awaited', async () => {
    const { fake, receiver } = setup({ maxPartial: 2 });
    const waits = [receiver.expect('t/1', 60_000), receiver.expect('t/2', 60_000)];
    fake.deliver(chunk(1, 0));
    fake.deliver(chunk(2, 0));
    fake.deliver(chunk(3, 0));
    expect(receiver.stats().partial).toBe(2);
    expect(receiver.rejections()).toEqual({ evicted: 1 });
    await receiver.close();
    await Promise.allSettled(waits);
  });

  it('drops a transfer nobody awaits after maxIdleMs without a chunk, keeping awaited and active ones', async () => {
    const { fake, receiver, advance } = setup({ maxIdleMs: 1000 });
    const awaited = receiver.expect('t/1', 60_000);
    fake.deliver(chunk(1, 0));
    fake.deliver(chunk(2, 0));
    advance(600);
    fake.deliver(chunk(3, 0));
    advance(600); // 2 is idle 1200 ms, 3 only 600 ms
    fake.deliver(chunk(99, 0, { tag: 'x' }));
    expect(receiver.rejections()).toEqual({ stale: 1 });
    expect(receiver.stats().partial).toBe(3); // 1 (awaited), 3, 99
    fake.deliver(chunk(2, 1));
    expect(receiver.rejections()).toEqual({ stale: 1, abandoned: 1 });
    fake.deliver(chunk(1, 1));
    await expect(awaited).resolves.toMatchObject({ bytes: 16 });
    await receiver.close();
  });

  it('keeps at most maxUnclaimed completed transfers and counts what it loses', async () => {
    const { fake, receiver } = setup({ maxUnclaimed: 3 });
    const one = (id: number, tag = `u/${id}`) => encodeData({ transferId: id, seq: 0, totalChunks: 1, chunkBytes: 8, totalBytes: 1, tag }, new Uint8Array(1));
    for (let id = 1; id <= 5; id++) fake.deliver(one(id));
    fake.deliver(one(6, 'u/5')); // the same tag completes again: the first one is lost
    expect(receiver.stats().unclaimed).toBe(3);
    expect(receiver.rejections()).toEqual({ 'unclaimed-evicted': 2, 'duplicate-tag': 1 });
    await expect(receiver.expect('u/5', 10)).resolves.toMatchObject({ bytes: 1 });
    await expect(receiver.expect('u/1', 10)).rejects.toThrow(/timed out/);
    await receiver.close();
  });

  it('arms its stale-transfer sweep only while a partial transfer exists (an idle receiver arms no timer)', async () => {
    const { fake, receiver, advance } = setup({ maxIdleMs: 1000 });
    expect(receiver.stats().sweeperArmed).toBe(false);
    fake.deliver(chunk(1, 0));
    expect(receiver.stats()).toMatchObject({ partial: 1, sweeperArmed: true });
    fake.deliver(chunk(1, 1)); // complete: nothing partial left
    expect(receiver.stats()).toMatchObject({ partial: 0, sweeperArmed: false });
    fake.deliver(chunk(2, 0));
    expect(receiver.stats().sweeperArmed).toBe(true);
    advance(1001);
    fake.deliver(chunk(3, 0)); // sweeps 2 as stale, starts 3
    expect(receiver.stats()).toMatchObject({ partial: 1, sweeperArmed: true });
    receiver.cancel('t/3');
    expect(receiver.stats()).toMatchObject({ partial: 0, sweeperArmed: false });
    await receiver.close();
  });

  it('counts a transfer dropped by its expect timing out', async () => {
    const { fake, receiver } = setup();
    const waited = receiver.expect('t/1', 1);
    fake.deliver(chunk(1, 0));
    await expect(waited).rejects.toThrow(/1\/2 chunks/);
    expect(receiver.rejections()).toEqual({ 'timed-out': 1 });
    expect(receiver.stats().partial).toBe(0);
    await receiver.close();
  });

  it('a failed subscription fails every wait, now and later, and is reported once', async () => {
    const errors: Error[] = [];
    const { fake, receiver } = setup({ onError: (e) => errors.push(e) });
    const waiting = receiver.expect('t/1', 60_000);
    fake.fail(new Error('Permissions Violation for Subscription to "data"'));
    await expect(waiting).rejects.toThrow(RunError);
    await expect(waiting).rejects.toThrow(/subscription failed: Permissions Violation/);
    await expect(receiver.expect('t/2', 60_000)).rejects.toThrow(/subscription failed/);
    expect(errors).toHaveLength(1);
    expect(receiver.rejections()).toEqual({ 'subscription-error': 1 });
    await receiver.close();
  });

  it('allocates one bit per declared chunk at most, for the largest shape allowed', async () => {
    const { fake, receiver } = setup({ maxPartial: 8 });
    const chunkBytes = MAX_TRANSFER_BYTES / MAX_CHUNKS;
    for (let id = 1; id <= 20; id++) fake.deliver(encodeData({ transferId: id, seq: 0, totalChunks: MAX_CHUNKS, chunkBytes, totalBytes: MAX_TRANSFER_BYTES, tag: 'x'.repeat(200) }, new Uint8Array(chunkBytes)));
    expect(receiver.stats()).toMatchObject({ partial: 8, bitmapBytes: 8 * (MAX_CHUNKS / 8) });
    expect(receiver.rejections()).toEqual({ evicted: 12 });
    expect(receiverMemoryBound({ maxPartial: 8, maxUnclaimed: 0 })).toBeGreaterThan(8 * (MAX_CHUNKS / 8));
    await receiver.close();
  });

  it('with a sender check, takes on a sender\'s subject only that sender\'s transfers (docs/trust.md)', async () => {
    const fake = new FakeNats();
    const receiver = new PayloadReceiver(fake.nc, 'data.from.*', { from: (subject, tag) => tag.startsWith(`${subject.slice('data.from.'.length)}/`) });
    const mine = receiver.expect('a/1', 60_000);
    fake.deliverTo('data.from.b', chunk(1, 0, { tag: 'a/1' }), 'r'); // b claiming a's transfer
    fake.deliverTo('data.from.a', chunk(2, 0, { tag: 'a/1' }), 'r');
    fake.deliverTo('data.from.a', chunk(2, 1, { tag: 'a/1' }), 'r');
    await expect(mine).resolves.toMatchObject({ tag: 'a/1', bytes: 16 });
    expect(receiver.rejections()).toEqual({ 'foreign-sender': 1 });
    expect(fake.published).toHaveLength(2); // the forged chunk is not even acked
    await receiver.close();
  });

  it('refuses options it cannot bound by', () => {
    const fake = new FakeNats();
    expect(() => new PayloadReceiver(fake.nc, 'd', { maxPartial: 0 })).toThrow(RangeError);
    expect(() => new PayloadReceiver(fake.nc, 'd', { maxUnclaimed: 1.5 })).toThrow(RangeError);
    expect(() => new PayloadReceiver(fake.nc, 'd', { maxIdleMs: 0 })).toThrow(RangeError);
  });

  it('the sender refuses a transfer a receiver would refuse', async () => {
    const fake = new FakeNats();
    const base = { subject: 's', tag: 't', rateBps: null, timeoutMs: 1000 };
    await expect(sendPayload(fake.nc, { ...base, bytes: MAX_TRANSFER_BYTES + 1 })).rejects.toThrow(/at most 1073741824/);
    await expect(sendPayload(fake.nc, { ...base, bytes: MAX_CHUNKS * 1024 + 1, chunkBytes: 1024 })).rejects.toThrow(/more than 16384 chunks/);
  });
});

describe('receiver memory bound', () => {
  it('is about 0.9 MiB with the defaults', () => {
    const bound = receiverMemoryBound();
    expect(bound).toBeGreaterThan(0.7 * 2 ** 20);
    expect(bound).toBeLessThan(1 * 2 ** 20);
  });
});
