/**
 * The payload transport's wire format (docs/architecture.md §2), big-endian, versioned so that a
 * device built from another commit is refused rather than misread.
 *
 *   data: magic "SL" | version u8 | kind u8 = 1 | transfer u32 | seq u32 | chunks u32
 *         | chunkBytes u32 | totalBytes u64 | tagLen u8 | tag (UTF-8) | payload
 *   ack:  magic "SL" | version u8 | kind u8 = 2 | transfer u32 | seq u32 | receivedAt f64
 *
 * receivedAt is the host clock (host-clock.ts, ms) when the chunk arrived: the sender
 * learns when its bytes were delivered, not just when the ack got back.
 *
 * Every data frame carries the whole transfer's shape, so a single frame is checked on its
 * own: its payload must be exactly the length its sequence number implies.
 */
export const FRAME_VERSION = 2;
export const MAX_CHUNK_BYTES = 512 * 1024;
export const MAX_TAG_BYTES = 200;
/**
 * The largest transfer a frame may declare: 1 GiB. The biggest payloads of the presets at
 * payloadScale 1 are ~100 MiB (llama2-7b smashed data at batch 8 × seqLen 2048 is 128 MiB;
 * its adapters at rank 8 are 8 MiB), so this leaves ~10× headroom while keeping a lying
 * 31-byte frame from declaring 2^53 bytes.
 */
export const MAX_TRANSFER_BYTES = 2 ** 30;
/**
 * The most chunks a transfer may declare: 16,384, i.e. 1 GiB at 64 KiB chunks (4,096 at the
 * default 256 KiB). It sizes the receiver's per-transfer bitmap: at most 2 KiB as a bitset.
 */
export const MAX_CHUNKS = 2 ** 14;

const MAGIC_0 = 0x53; // 'S'
const MAGIC_1 = 0x4c; // 'L'
const KIND_DATA = 1;
const KIND_ACK = 2;
const ACK_BYTES = 20;
const DATA_FIXED_BYTES = 29;

export interface DataFrame {
  kind: 'data';
  transferId: number;
  seq: number;
  totalChunks: number;
  chunkBytes: number;
  totalBytes: number;
  tag: string;
  payload: Uint8Array;
}

export interface AckFrame {
  kind: 'ack';
  transferId: number;
  seq: number;
  /** Host-clock ms when the receiver had the chunk. */
  receivedAt: number;
}

export type Frame = DataFrame | AckFrame;
export type DataHeader = Omit<DataFrame, 'kind' | 'payload'>;

export type RejectReason =
  | 'too-short'
  | 'bad-magic'
  | 'bad-version'
  | 'unknown-kind'
  | 'wrong-kind'
  | 'bad-chunk-size'
  | 'bad-total'
  | 'too-large'
  | 'too-many-chunks'
  | 'seq-out-of-range'
  | 'bad-tag'
  | 'bad-length'
  | 'bad-time';

export type Decoded<T> = { ok: true; frame: T } | { ok: false; reason: RejectReason };

/** A 0-byte transfer is still one (empty, final) chunk, so that the receiver learns of it. */
export function chunkCount(totalBytes: number, chunkBytes: number): number {
  return Math.max(1, Math.ceil(totalBytes / chunkBytes));
}

export function chunkLength(seq: number, totalBytes: number, chunkBytes: number): number {
  return Math.max(0, Math.min(chunkBytes, totalBytes - seq * chunkBytes));
}

const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

export function encodeData(h: DataHeader, payload: Uint8Array): Uint8Array {
  const tag = utf8.encode(h.tag);
  if (tag.length === 0 || tag.length > MAX_TAG_BYTES) throw new RangeError(`tag must be 1..${MAX_TAG_BYTES} UTF-8 bytes: ${h.tag}`);
  const out = new Uint8Array(DATA_FIXED_BYTES + tag.length + payload.length);
  const v = view(out);
  writePrefix(out, KIND_DATA, h.transferId, h.seq);
  v.setUint32(12, h.totalChunks);
  v.setUint32(16, h.chunkBytes);
  v.setBigUint64(20, BigInt(h.totalBytes));
  v.setUint8(28, tag.length);
  out.set(tag, DATA_FIXED_BYTES);
  out.set(payload, DATA_FIXED_BYTES + tag.length);
  return out;
}

export function encodeAck(transferId: number, seq: number, receivedAt: number): Uint8Array {
  const out = new Uint8Array(ACK_BYTES);
  writePrefix(out, KIND_ACK, transferId, seq);
  view(out).setFloat64(12, receivedAt);
  return out;
}

/** Never throws: anything that is not a well-formed frame comes back as a reason. */
export function decodeFrame(bytes: Uint8Array): Decoded<Frame> {
  if (bytes.length < 4) return reject('too-short');
  if (bytes[0] !== MAGIC_0 || bytes[1] !== MAGIC_1) return reject('bad-magic');
  if (bytes[2] !== FRAME_VERSION) return reject('bad-version');
  if (bytes[3] === KIND_ACK) return decodeAckBody(bytes);
  if (bytes[3] === KIND_DATA) return decodeDataBody(bytes);
  return reject('unknown-kind');
}

export function decodeData(bytes: Uint8Array): Decoded<DataFrame> {
  const d = decodeFrame(bytes);
  return !d.ok || d.frame.kind === 'data' ? (d as Decoded<DataFrame>) : reject('wrong-kind');
}

export function decodeAck(bytes: Uint8Array): Decoded<AckFrame> {
  const d = decodeFrame(bytes);
  return !d.ok || d.frame.kind === 'ack' ? (d as Decoded<AckFrame>) : reject('wrong-kind');
}

function decodeAckBody(bytes: Uint8Array): Decoded<AckFrame> {
  if (bytes.length < ACK_BYTES) return reject('too-short');
  if (bytes.length > ACK_BYTES) return reject('bad-length');
  const v = view(bytes);
  const receivedAt = v.getFloat64(12);
  if (!Number.isFinite(receivedAt) || receivedAt < 0) return reject('bad-time');
  return { ok: true, frame: { kind: 'ack', transferId: v.getUint32(4), seq: v.getUint32(8), receivedAt } };
}

function decodeDataBody(bytes: Uint8Array): Decoded<DataFrame> {
  if (bytes.length < DATA_FIXED_BYTES) return reject('too-short');
  const v = view(bytes);
  const tagLen = v.getUint8(28);
  if (tagLen === 0 || tagLen > MAX_TAG_BYTES) return reject('bad-tag');
  if (bytes.length < DATA_FIXED_BYTES + tagLen) return reject('too-short');
  const seq = v.getUint32(8);
  const totalChunks = v.getUint32(12);
  const chunkBytes = v.getUint32(16);
  const totalBig = v.getBigUint64(20);
  // Every declared size is bounded here, before a receiver allocates anything by it.
  if (chunkBytes === 0 || chunkBytes > MAX_CHUNK_BYTES) return reject('bad-chunk-size');
  if (totalBig > BigInt(MAX_TRANSFER_BYTES)) return reject('too-large');
  if (totalChunks > MAX_CHUNKS) return reject('too-many-chunks');
  const totalBytes = Number(totalBig);
  if (totalChunks !== chunkCount(totalBytes, chunkBytes)) return reject('bad-total');
  if (seq >= totalChunks) return reject('seq-out-of-range');
  const payload = bytes.subarray(DATA_FIXED_BYTES + tagLen);
  if (payload.length !== chunkLength(seq, totalBytes, chunkBytes)) return reject('bad-length');
  let tag: string;
  try {
    tag = strictUtf8.decode(bytes.subarray(DATA_FIXED_BYTES, DATA_FIXED_BYTES + tagLen));
  } catch {
    return reject('bad-tag');
  }
  return { ok: true, frame: { kind: 'data', transferId: v.getUint32(4), seq, totalChunks, chunkBytes, totalBytes, tag, payload } };
}

function writePrefix(out: Uint8Array, kind: number, transferId: number, seq: number): void {
  const v = view(out);
  out[0] = MAGIC_0;
  out[1] = MAGIC_1;
  out[2] = FRAME_VERSION;
  out[3] = kind;
  v.setUint32(4, transferId);
  v.setUint32(8, seq);
}

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

function reject(reason: RejectReason): { ok: false; reason: RejectReason } {
  return { ok: false, reason };
}

/** An actor's inbox subject: `_INBOX.`, its 8-hex prefix (trust/bus-users.ts), `.` and a 22-character NUID. */
const INBOX_BYTES = 38;

/**
 * Bytes a chunk puts on the wire besides its payload: the frame header and the NATS
 * protocol line (`PUB subject inbox size` and two CRLFs). A kernel-shaped link carries
 * them at the modelled rate, so a small transfer (scaled adapters: ~1 KiB) would take
 * ~10% longer than its payload alone; the tc padding makes room for them.
 */
export function chunkWireOverhead(subject: string, tag: string, chunkBytes: number): number {
  return DATA_FIXED_BYTES + utf8.encode(tag).length + `PUB ${subject} ${'x'.repeat(INBOX_BYTES)} ${chunkBytes}\r\n\r\n`.length;
}
