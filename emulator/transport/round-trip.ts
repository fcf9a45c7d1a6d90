import type { NatsConnection } from '@nats-io/transport-node';

/**
 * A chunk needs time to cross NATS (about 1-3 ms for 256 KiB on loopback) and its ack
 * time to come back. A paced chunk is therefore published half a round trip before its
 * planned time, so that its arrival at the receiver, not its publication, lands on the
 * link's schedule and a transfer measures 8N/rate rather than 8N/rate plus one NATS trip. The lead never
 * exceeds the chunk's own serialization time: no byte is out before its link slot begins.
 * The round trip is the smallest of the last few paced chunks on the connection: on a
 * busy host single samples spike (a GC pause, a starved core), and an overestimate would
 * make chunks early, i.e. the link faster than modelled; the minimum errs on the slow
 * side by a fraction of a millisecond. Unpaced chunks queue behind each other and are
 * not sampled.
 */
const roundTrips = new WeakMap<NatsConnection, number[]>();
const ROUND_TRIP_SAMPLES = 16;

export function roundTripMs(nc: NatsConnection): number {
  const s = roundTrips.get(nc);
  return s && s.length > 0 ? Math.min(...s) : 0;
}

export function sampleRoundTrip(nc: NatsConnection, ms: number): void {
  const s = roundTrips.get(nc) ?? [];
  s.push(ms);
  if (s.length > ROUND_TRIP_SAMPLES) s.shift();
  roundTrips.set(nc, s);
}
