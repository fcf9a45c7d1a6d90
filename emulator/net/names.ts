import { createHash } from 'node:crypto';
import { UsageError } from '../errors.js';

/**
 * Validation of every token that reaches `ip`/`tc`. Batch files are plain text, so a
 * name with a space or newline could smuggle in another command; everything is checked
 * here before any command runs.
 */

const IFNAME = /^[A-Za-z0-9_.-]{1,15}$/;
const NETNS = /^[A-Za-z0-9_.-]{1,64}$/;
/** Every name sledge creates starts with this: 'sl' + 6 hex digits derived from the run id. */
export const RUN_PREFIX = /^sl[0-9a-f]{6}$/;
/** Our names and nothing else: the bridge, host/namespace veths, namespaces, probe leftovers. */
export const SLEDGE_NAME = /^sl[0-9a-f]{6}(?:br\d*|h\d+|n\d+|t\d+|u\d+|-\d+|p[a-z0-9]*)$/;

function plainName(kind: string, value: unknown, re: RegExp, rule: string): string {
  if (typeof value !== 'string' || !re.test(value) || value.startsWith('-') || value === '.' || value === '..') {
    throw new UsageError(`invalid ${kind} ${JSON.stringify(value)}: ${rule}`);
  }
  return value;
}

export function assertIfName(value: unknown): string {
  return plainName('interface name', value, IFNAME, 'must match [A-Za-z0-9_.-]{1,15} and not start with "-"');
}

export function assertNetnsName(value: unknown): string {
  return plainName('namespace name', value, NETNS, 'must match [A-Za-z0-9_.-]{1,64} and not start with "-"');
}

export function assertRunPrefix(value: unknown): string {
  if (typeof value !== 'string' || !RUN_PREFIX.test(value)) {
    throw new UsageError(`invalid run prefix ${JSON.stringify(value)}: must be "sl" followed by 6 lowercase hex digits`);
  }
  return value;
}

/** Highest rate we hand to tc; above it the caller most likely confused units. */
export const MAX_RATE_BPS = 1e12;

/** A rate in bits per second: finite, > 0 and at most 1 Tbit/s. */
export function assertRate(what: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > MAX_RATE_BPS) {
    throw new UsageError(`invalid ${what} ${String(value)}: must be a finite rate in bit/s, > 0 and <= ${MAX_RATE_BPS}`);
  }
  return value;
}

export function assertIPv4(value: unknown): string {
  const parts = typeof value === 'string' ? value.split('.') : [];
  const ok = parts.length === 4 && parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255);
  if (!ok) throw new UsageError(`invalid IPv4 address ${JSON.stringify(value)}`);
  return value as string;
}

/**
 * The sledge prefix of a run: 'sl' + the run id's random 6-hex tail (run ids look like
 * 20261125-093012-3fa9c1, so `ip link` shows sl3fa9c1br), or for any other run id the
 * first 6 hex digits of its sha256.
 */
export function runPrefix(runId: string): string {
  if (typeof runId !== 'string' || runId.length === 0) throw new UsageError('run id must be a non-empty string');
  const tail = /-([0-9a-f]{6})$/.exec(runId)?.[1];
  return `sl${tail ?? createHash('sha256').update(runId).digest('hex').slice(0, 6)}`;
}

/**
 * The prefix of an agent's share of a run: always hashed from the run id and the agent's
 * name together, so that it differs for every run on an agent whatever the agent is called
 * (an agent named like `…-3fa9c1` would otherwise give every run the same prefix, and one
 * run's cleanup would remove another's namespaces). Stable for the same run and agent:
 * a restarted agent finds what a killed one left of the run.
 */
export function agentRunPrefix(runId: string, agent: string): string {
  if (!runId || !agent) throw new UsageError('run id and agent name must be non-empty');
  return `sl${createHash('sha256').update(`${runId}@${agent}`).digest('hex').slice(0, 6)}`;
}

export interface DeviceNames {
  readonly netns: string;
  readonly hostVeth: string;
  readonly nsVeth: string;
}

/** Bridge 0 carries the host address; bridges 1, 2, … (past 1,000 devices) hang off it. */
export function bridgeName(prefix: string, index = 0): string {
  if (!Number.isSafeInteger(index) || index < 0) throw new UsageError(`invalid bridge index ${index}`);
  return assertIfName(`${assertRunPrefix(prefix)}br${index === 0 ? '' : index}`);
}

/** The veth pair that joins bridge `index` (> 0) to bridge 0: t on bridge 0, u on the other. */
export function trunkNames(prefix: string, index: number): { root: string; leaf: string } {
  if (!Number.isSafeInteger(index) || index < 1) throw new UsageError(`invalid trunk index ${index}`);
  return { root: assertIfName(`${assertRunPrefix(prefix)}t${index}`), leaf: assertIfName(`${prefix}u${index}`) };
}

export function deviceNames(prefix: string, index: number): DeviceNames {
  assertRunPrefix(prefix);
  if (!Number.isSafeInteger(index) || index < 0) throw new UsageError(`invalid device index ${index}`);
  const names = { netns: `${prefix}-${index}`, hostVeth: `${prefix}h${index}`, nsVeth: `${prefix}n${index}` };
  assertNetnsName(names.netns);
  assertIfName(names.hostVeth);
  assertIfName(names.nsVeth);
  return names;
}
