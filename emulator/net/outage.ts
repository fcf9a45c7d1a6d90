import { createSocket } from 'node:dgram';
import type { BatchLine } from './exec.js';
import { assertIfName } from './names.js';
import { ETHERNET_HEADER, HTB_CLASS, MTU } from './shaper.js';

/**
 * A link outage in the kernel (docs/model.md §1.7, tc mode). The htb class that shapes a
 * direction gets a tbf as its leaf: normally far faster than the class, so it passes
 * everything through; during an outage its rate drops to almost nothing, so the packets
 * stay *queued* in it (TCP's small-queue limit keeps them well under its byte limit), and
 * at the end it gets its fast rate back. Holding rather than dropping is what keeps TCP's
 * retransmission backoff out of the measured time: nothing is lost, so when the hold ends
 * the queued segments go out at once and their ACKs clear whatever retransmission timer
 * fired meanwhile (a retransmission of a segment still in a local queue is not even sent,
 * Linux's skb_still_in_host_queue). Dropped packets would instead wait for the next
 * backed-off RTO (≥ 200 ms, doubling), well after the outage ended.
 *
 * Two details of tbf shape the recipe. A `change` refills its bucket, which lets exactly
 * one frame through as the hold starts (the sender adds that frame's payload to its
 * transfer, OUTAGE_LEAK_BYTES); and a `change` does not wake the queue, so the end of the
 * hold sends one datagram to the device (`kick`) whose enqueue on the host side, and
 * the ICMP port-unreachable the device's kernel answers with on the namespace side,
 * restart the dequeue at once instead of at htb's next timer (up to a second).
 */
export const OUTAGE_LEAF = '10:';
/** Payload of the one full frame a hold lets through as it starts. */
export const OUTAGE_LEAK_BYTES = MTU - 52;
const FRAME = MTU + ETHERNET_HEADER;
const PASS_RATE = '10gbit';
const PASS_BURST = 1_000_000;
/** Bytes the leaf may hold: above what TCP small queues let a socket have queued (tcp_limit_output_bytes, 4 MiB). */
const LEAF_LIMIT = 16 * 1024 * 1024;
/** tbf's bucket time (burst ÷ rate) must fit its 32-bit tick field: about 274 s. */
const MAX_BUCKET_S = 250;

function leaf(verb: 'replace' | 'change', dev: string, rate: string, burst: number): BatchLine {
  return ['qdisc', verb, 'dev', assertIfName(dev), 'parent', HTB_CLASS, 'handle', OUTAGE_LEAF, 'tbf', 'rate', rate, 'burst', `${burst}b`, 'limit', `${LEAF_LIMIT}b`];
}

/** The pass-through leaf; install it while the direction is idle (replacing a leaf drops what it holds). */
export function passLine(dev: string, verb: 'replace' | 'change' = 'replace'): BatchLine {
  return leaf(verb, dev, PASS_RATE, PASS_BURST);
}

/** The hold: after the one frame its refilled bucket passes, the next waits twice the outage and more. */
export function holdLine(dev: string, wallS: number): BatchLine {
  const bucketS = Math.min(MAX_BUCKET_S, 2 * wallS + 1);
  return leaf('change', dev, `${Math.max(1, Math.floor((8 * FRAME) / bucketS))}bit`, FRAME);
}

/** One byte to the device's discard port: see the module comment. */
export function kick(address: string): Promise<void> {
  const socket = createSocket('udp4');
  return new Promise<void>((resolve) => {
    socket.send(Buffer.alloc(1), 9, address, () => {
      socket.close();
      resolve();
    });
  });
}
