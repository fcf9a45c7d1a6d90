import { describe, expect, it } from 'vitest';
import { chunkCount, chunkLength, decodeAck, decodeData, decodeFrame, encodeAck, encodeData, MAX_CHUNK_BYTES, MAX_CHUNKS, MAX_TRANSFER_BYTES, type DataHeader } from '../emulator/transport/frame.js';

const header: DataHeader = { transferId: 0xdeadbeef, seq: 1, totalChunks: 3, chunkBytes: 4, totalBytes: 10, tag: 'smashed/r3/d2/i1' };
const frame = (h: Partial<DataHeader> = {}, payload = new Uint8Array(4).fill(7)) => encodeData({ ...header, ...h }, payload);

function reason(bytes: Uint8Array): string {
  const d = decodeFrame(bytes);
  return d.ok ? 'ok' : d.reason;
}

describe('frame codec', () => {
  it('round-trips a data frame, a final short chunk and an empty transfer', () => {
    const d = decodeData(frame());
    expect(d).toEqual({ ok: true, frame: { kind: 'data', ...header, payload: new Uint8Array(4).fill(7) } });
    expect(decodeData(frame({ seq: 2 }, new Uint8Array(2))).ok).toBe(true);
    const empty = decodeData(encodeData({ ...header, seq: 0, totalChunks: 1, totalBytes: 0, tag: 'é/ü' }, new Uint8Array(0)));
    expect(empty.ok && empty.frame.tag).toBe('é/ü');
    expect(empty.ok && empty.frame.payload.length).toBe(0);
  });

  it('round-trips an ack and the largest transfer allowed', () => {
    expect(decodeAck(encodeAck(0xffffffff, 12345, 123456789.25))).toEqual({ ok: true, frame: { kind: 'ack', transferId: 0xffffffff, seq: 12345, receivedAt: 123456789.25 } });
    expect(decodeAck(encodeAck(1, 2, -1))).toEqual({ ok: false, reason: 'bad-time' });
    expect(decodeAck(encodeAck(1, 2, NaN))).toEqual({ ok: false, reason: 'bad-time' });
    const big = MAX_TRANSFER_BYTES;
    const chunk = MAX_TRANSFER_BYTES / MAX_CHUNKS;
    const d = decodeData(encodeData({ ...header, seq: MAX_CHUNKS - 1, chunkBytes: chunk, totalChunks: MAX_CHUNKS, totalBytes: big }, new Uint8Array(chunk)));
    expect(d.ok && d.frame.totalBytes).toBe(big);
    expect(d.ok && d.frame.totalChunks).toBe(MAX_CHUNKS);
  });

  it('bounds every declared size before anything is allocated by it', () => {
    // The 31-byte frame: 1-byte chunks of a 4 GiB transfer.
    const lying = encodeData({ transferId: 1, seq: 0, totalChunks: 0xffffffff, chunkBytes: 1, totalBytes: 2 ** 32 - 1, tag: 'xy' }, new Uint8Array(0));
    expect(lying.length).toBe(31);
    expect(reason(lying)).toBe('too-large');
    expect(reason(frame({ totalBytes: MAX_TRANSFER_BYTES + 1, chunkBytes: MAX_CHUNK_BYTES, totalChunks: chunkCount(MAX_TRANSFER_BYTES + 1, MAX_CHUNK_BYTES) }))).toBe('too-large');
    expect(reason(frame({ totalBytes: 5 * 2 ** 32 + 3 }))).toBe('too-large');
    // Consistent but too fine: 1 GiB in 1 KiB chunks would need a 1 Mi-bit map.
    expect(reason(frame({ totalBytes: MAX_TRANSFER_BYTES, chunkBytes: 1024, totalChunks: MAX_TRANSFER_BYTES / 1024 }))).toBe('too-many-chunks');
    expect(reason(frame({ totalBytes: 100, chunkBytes: 1, totalChunks: MAX_CHUNKS + 1 }))).toBe('too-many-chunks');
    // Within bounds but not the shape the totals imply.
    expect(reason(frame({ totalBytes: MAX_TRANSFER_BYTES, chunkBytes: 1, totalChunks: MAX_CHUNKS }))).toBe('bad-total');
  });

  it('counts chunks: ceil(N/chunk), and one empty chunk for 0 bytes', () => {
    expect(chunkCount(0, 256)).toBe(1);
    expect(chunkCount(1, 256)).toBe(1);
    expect(chunkCount(256, 256)).toBe(1);
    expect(chunkCount(257, 256)).toBe(2);
    expect(chunkLength(1, 257, 256)).toBe(1);
    expect(chunkLength(0, 0, 256)).toBe(0);
  });

  it('rejects each kind of malformed frame with its reason, never throwing', () => {
    const good = frame();
    const patched = (at: number, value: number, src = good) => {
      const b = src.slice();
      b[at] = value;
      return b;
    };
    expect(reason(new Uint8Array(0))).toBe('too-short');
    expect(reason(new Uint8Array([0x53, 0x4c, 1]))).toBe('too-short');
    expect(reason(good.subarray(0, 20))).toBe('too-short');
    expect(reason(patched(0, 0x58))).toBe('bad-magic');
    expect(reason(patched(2, 9))).toBe('bad-version');
    expect(reason(patched(3, 7))).toBe('unknown-kind');
    expect(reason(patched(28, 0))).toBe('bad-tag');
    expect(reason(patched(28, 201))).toBe('bad-tag');
    expect(reason(patched(29, 0xff))).toBe('bad-tag'); // invalid UTF-8
    expect(reason(patched(28, 100))).toBe('too-short'); // tag runs past the end
    expect(reason(frame({ chunkBytes: 0 }))).toBe('bad-chunk-size');
    expect(reason(frame({ chunkBytes: MAX_CHUNK_BYTES + 1 }))).toBe('bad-chunk-size');
    expect(reason(frame({ totalChunks: 4 }))).toBe('bad-total');
    expect(reason(frame({ totalBytes: Number.MAX_SAFE_INTEGER + 2 }))).toBe('too-large');
    expect(reason(frame({ seq: 3 }))).toBe('seq-out-of-range');
    expect(reason(frame({}, new Uint8Array(5)))).toBe('bad-length');
    expect(reason(frame({ seq: 2 }, new Uint8Array(4)))).toBe('bad-length'); // the last chunk holds 2
    expect(reason(encodeAck(1, 2, 3).subarray(0, 19))).toBe('too-short');
    const longAck = new Uint8Array(21);
    longAck.set(encodeAck(1, 2, 3));
    expect(reason(longAck)).toBe('bad-length');
    expect(decodeData(encodeAck(1, 2, 3))).toEqual({ ok: false, reason: 'wrong-kind' });
    expect(decodeAck(good)).toEqual({ ok: false, reason: 'wrong-kind' });
    for (let i = 0; i < 200; i++) expect(() => decodeFrame(Uint8Array.from({ length: i }, (_, k) => (k * 37 + i) & 0xff))).not.toThrow();
  });

  it('refuses to encode an empty or over-long tag', () => {
    expect(() => frame({ tag: '' })).toThrow(RangeError);
    expect(() => frame({ tag: 'x'.repeat(201) })).toThrow(RangeError);
  });
});
