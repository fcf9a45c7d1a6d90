import type { BatchLine } from './exec.js';
import { assertIfName, assertRate } from './names.js';

/**
 * The qdisc recipe that makes one direction of a link carry `goodputBps` of TCP payload.
 * tc counts bytes as they leave the device (Ethernet + IP + TCP headers, GSO packets
 * counted per segment), so the wire rate is the goodput times the wire bytes per
 * payload byte of a full segment.
 */
export interface ShaperConfig {
  readonly kind: 'htb' | 'tbf';
  /** Wire bytes per payload byte. */
  readonly overheadFactor: number;
  /** Bucket depth in seconds of the wire rate... */
  readonly burstSeconds: number;
  /** ...but never below this many bytes (a few full frames). */
  readonly minBurstBytes: number;
  /** htb only: small packets (pure ACKs) skip the shaper, see ackBypassLine. */
  readonly ackBypass: boolean;
}

export const MTU = 1500;
/** Ethernet header (tc sees it on veth; there is no FCS or preamble on a veth). */
export const ETHERNET_HEADER = 14;
/** IPv4 + TCP + TCP timestamp option, as Linux uses by default. */
export const TCP_IP_HEADERS = 20 + 20 + 12;

/** Wire bytes per payload byte of full-size TCP segments: 1514/1448 at MTU 1500. */
export function tcpOverheadFactor(mtu = MTU): number {
  return (mtu + ETHERNET_HEADER) / (mtu - TCP_IP_HEADERS);
}

export const DEFAULT_SHAPER: ShaperConfig = {
  kind: 'htb',
  overheadFactor: tcpOverheadFactor(),
  burstSeconds: 0.0005,
  minBurstBytes: MTU + ETHERNET_HEADER,
  ackBypass: true,
};

export const HTB_ROOT = '1:';
export const HTB_CLASS = '1:1';

export function wireRateBps(goodputBps: number, cfg: ShaperConfig = DEFAULT_SHAPER): number {
  return Math.max(8, Math.round(assertRate('rate', goodputBps) * cfg.overheadFactor));
}

function burstBytes(wireBps: number, cfg: ShaperConfig): number {
  return Math.max(cfg.minBurstBytes, Math.ceil((wireBps / 8) * cfg.burstSeconds));
}

/**
 * Payload bytes an idle shaper lets through ahead of its rate. A serial link of rate r
 * delivers the last of N bytes N/r after the first is sent; a full token bucket sends
 * its depth B at once, and htb also sends the frame that takes its tokens below zero,
 * so the last byte arrives (wire(N) − B − s_last)/r after the first. The last frame's
 * size s_last depends on how TCP cut the stream: half a full frame is its mean. Senders
 * in tc mode add this many bytes to each transfer so that the payload's last byte
 * arrives when the model's link would deliver it (about 3% of an 80 KiB transfer).
 */
export function headStartBytes(goodputBps: number, cfg: ShaperConfig = DEFAULT_SHAPER): number {
  const wire = wireRateBps(goodputBps, cfg);
  const frame = cfg.kind === 'htb' ? (MTU + ETHERNET_HEADER) / 2 : 0;
  return Math.round((burstBytes(wire, cfg) + frame) / cfg.overheadFactor);
}

/**
 * htb's DRR quantum only matters between sibling classes, but the kernel warns when the
 * one derived from r2q falls outside [1000, 200000] bytes; setting it explicitly keeps
 * the log quiet at every rate.
 */
function quantum(wireBps: number): number {
  return Math.min(200_000, Math.max(MTU + ETHERNET_HEADER, Math.round(wireBps / 8 / 10)));
}

function htbClass(verb: 'replace' | 'change', dev: string, wireBps: number, cfg: ShaperConfig): BatchLine {
  const rate = `${wireBps}bit`;
  const burst = `${burstBytes(wireBps, cfg)}b`;
  return ['class', verb, 'dev', dev, 'parent', HTB_ROOT, 'classid', HTB_CLASS, 'htb', 'rate', rate, 'ceil', rate,
    'burst', burst, 'cburst', burst, 'quantum', String(quantum(wireBps))];
}

/** Bytes tbf may queue: a quarter second at the rate, at least 64 KiB, so TCP never sees drops. */
function tbfLimit(wireBps: number): number {
  return Math.max(65_536, Math.ceil((wireBps / 8) * 0.25));
}

function tbf(verb: 'replace' | 'change', dev: string, wireBps: number, cfg: ShaperConfig): BatchLine {
  // tbf needs the bucket to hold a whole frame.
  const burst = Math.max(burstBytes(wireBps, cfg), MTU + ETHERNET_HEADER);
  return ['qdisc', verb, 'dev', dev, 'root', 'handle', HTB_ROOT, 'tbf', 'rate', `${wireBps}bit`, 'burst', `${burst}b`, 'limit', `${tbfLimit(wireBps)}b`];
}

/**
 * Pure ACKs (and other IPv4 packets under 128 bytes) go to htb's direct queue, unshaped.
 * Without this, the ACKs of a fast downlink eat a slow uplink's rate (about 2-3% of the
 * downlink's rate in ACK bytes) and the downlink slows down to what the uplink lets through.
 */
function ackBypassLine(dev: string): BatchLine {
  // u16 at offset 2 is the IPv4 total length; mask 0xff80 == 0 means < 128 bytes.
  // flowid 1:0 is htb's direct queue: sent at once, never shaped.
  return ['filter', 'replace', 'dev', dev, 'parent', HTB_ROOT, 'protocol', 'ip', 'prio', '1', 'u32',
    'match', 'u16', '0x0000', '0xff80', 'at', '2', 'flowid', '1:0'];
}

/** Lines that (re)install the shaper on `dev` from scratch. */
export function installLines(dev: string, goodputBps: number, cfg: ShaperConfig = DEFAULT_SHAPER): BatchLine[] {
  assertIfName(dev);
  const wire = wireRateBps(goodputBps, cfg);
  // tbf has no unshaped side queue; giving it one needs prio, which not every kernel has.
  if (cfg.kind === 'tbf') return [tbf('replace', dev, wire, cfg)];
  return [
    ['qdisc', 'replace', 'dev', dev, 'root', 'handle', HTB_ROOT, 'htb', 'default', HTB_CLASS.split(':')[1] as string],
    htbClass('replace', dev, wire, cfg),
    ...(cfg.ackBypass ? [ackBypassLine(dev)] : []),
  ];
}

/** Lines that change the rate of an installed shaper, keeping its queue. */
export function changeLines(dev: string, goodputBps: number, cfg: ShaperConfig = DEFAULT_SHAPER): BatchLine[] {
  assertIfName(dev);
  const wire = wireRateBps(goodputBps, cfg);
  return cfg.kind === 'tbf' ? [tbf('change', dev, wire, cfg)] : [htbClass('change', dev, wire, cfg)];
}

/** Lines that remove the shaper (the device falls back to its default qdisc). */
export function removeLines(dev: string): BatchLine[] {
  return [['qdisc', 'del', 'dev', assertIfName(dev), 'root']];
}
