import { createHash } from 'node:crypto';
import { RunError, UsageError } from '../errors.js';
import { assertIPv4 } from './names.js';

/**
 * Addresses come from the RFC 2544 benchmarking range 198.18.0.0/15 only: it is
 * reserved for exactly this kind of lab traffic and never routed, so a run cannot
 * reach or impersonate anything real.
 */
export const POOL = { network: '198.18.0.0', prefixLen: 15 } as const;

export interface Subnet {
  readonly network: string;
  readonly prefixLen: number;
  readonly cidr: string;
  /** First usable address; the bridge (and nats-server) take it. */
  readonly hostAddress: string;
}

export function ipToInt(address: string): number {
  return assertIPv4(address)
    .split('.')
    .reduce((acc, part) => acc * 256 + Number(part), 0);
}

export function intToIp(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

function parseCidr(cidr: string): { start: number; size: number } | undefined {
  const [addr, len] = cidr.split('/');
  try {
    const prefixLen = len === undefined ? 32 : Number(len);
    if (!Number.isInteger(prefixLen) || prefixLen < 0 || prefixLen > 32) return undefined;
    const size = 2 ** (32 - prefixLen);
    const start = Math.floor(ipToInt(addr ?? '') / size) * size;
    return { start, size };
  } catch {
    return undefined;
  }
}

/** Smallest subnet inside the pool holding the host address and `devices` devices. */
export function prefixLenFor(devices: number): number {
  // A /22 at least, so that a run's subnet does not depend on its device count.
  for (let len = 22; len >= POOL.prefixLen + 1; len--) {
    // network, broadcast and the host address are not for devices
    if (2 ** (32 - len) - 3 >= devices) return len;
  }
  throw new UsageError(`${devices} devices do not fit in ${POOL.network}/${POOL.prefixLen}`);
}

/**
 * Picks the run's subnet: a position derived from the run id (so a run keeps its
 * subnet when set up again) moved forward past every subnet that overlaps an address
 * or route already on the host — so two runs side by side never share one.
 */
export function chooseSubnet(runId: string, devices: number, taken: readonly string[]): Subnet {
  const prefixLen = prefixLenFor(devices);
  const size = 2 ** (32 - prefixLen);
  const pool = parseCidr(`${POOL.network}/${POOL.prefixLen}`) as { start: number; size: number };
  const count = pool.size / size;
  const busy = taken.map(parseCidr).filter((c): c is { start: number; size: number } => c !== undefined);
  const first = createHash('sha256').update(runId).digest().readUInt32BE(0) % count;
  for (let k = 0; k < count; k++) {
    const start = pool.start + ((first + k) % count) * size;
    const overlaps = busy.some((b) => b.start < start + size && start < b.start + b.size);
    if (!overlaps) {
      return {
        network: intToIp(start),
        prefixLen,
        cidr: `${intToIp(start)}/${prefixLen}`,
        hostAddress: intToIp(start + 1),
      };
    }
  }
  throw new RunError(`no free /${prefixLen} left in ${POOL.network}/${POOL.prefixLen}: clean up old runs (sledge net clean)`);
}

/** Address of device `index` (0-based): right after the host address. */
export function deviceAddress(subnet: Subnet, index: number): string {
  const n = ipToInt(subnet.network) + 2 + index;
  if (index < 0 || n >= ipToInt(subnet.network) + 2 ** (32 - subnet.prefixLen) - 1) {
    throw new UsageError(`device index ${index} does not fit in ${subnet.cidr}`);
  }
  return intToIp(n);
}
