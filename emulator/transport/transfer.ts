/**
 * The payload transport (docs/architecture.md §2–§6): real bytes of the modelled size between a
 * device and the edge server over NATS, chunked, flow-controlled by a credit window,
 * paced by a userspace link model when the kernel does not shape, with optional
 * userspace delay, jitter and loss.
 */
export { sendPayload, DEFAULT_CHUNK_BYTES, DEFAULT_WINDOW, DEFAULT_ACK_TIMEOUT_MS, type SendOptions, type SendResult } from './send.js';
export { PayloadReceiver, receiverMemoryBound, DEFAULT_MAX_PARTIAL, DEFAULT_MAX_IDLE_MS, DEFAULT_MAX_UNCLAIMED, type Received, type ReceiveRejectReason, type ReceiverOptions, type ReceiverStats } from './receive.js';
export { MAX_CHUNK_BYTES, MAX_CHUNKS, MAX_TAG_BYTES, MAX_TRANSFER_BYTES, type RejectReason } from './frame.js';
export type { Impairment } from './impairment.js';
