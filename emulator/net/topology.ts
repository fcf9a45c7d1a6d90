import { UsageError } from '../errors.js';
import { settleLimit, spawnRunner, type BatchLine, type Runner } from './exec.js';
import { Ip } from './ip.js';
import { assertRunPrefix, bridgeName, deviceNames, runPrefix, trunkNames, type DeviceNames } from './names.js';
import { pidsInNetns, signalPids, waitGone } from './procs.js';
import { chooseSubnet, deviceAddress, type Subnet } from './subnet.js';
import { TcLink } from './link.js';
import { Tc } from './tc.js';
import type { ShaperConfig } from './shaper.js';

export interface TopologyOptions {
  readonly runId: string;
  /** 'sl' + 6 hex digits; default runPrefix(runId). Every name we create starts with it. */
  readonly prefix?: string;
  readonly deviceIds: readonly string[];
  readonly runner?: Runner;
  /** Parallel `ip -n NS -batch` processes during setup and rate changes. */
  readonly concurrency?: number;
  /**
   * Keep GSO/TSO on the veths (default off). With it off every packet htb sees is one
   * frame, so shaping is exact to a frame; it costs CPU and tops out near 300 Mbit/s per
   * link on a small host. Turn it on for links faster than that.
   */
  readonly gso?: boolean;
  /** The qdisc recipe for the links (default DEFAULT_SHAPER). */
  readonly shaper?: ShaperConfig;
  /** Devices per bridge (default 1,000: the kernel allows 1,023 ports on one bridge). */
  readonly portsPerBridge?: number;
}

export interface DestroyReport {
  readonly errors: string[];
}

export interface Topology {
  readonly runId: string;
  readonly prefix: string;
  /** Bridge 0, which holds the host address. */
  readonly bridge: string;
  /** Every bridge of the run: bridge 0, then one more per `portsPerBridge` devices, each joined to bridge 0. */
  readonly bridges: readonly string[];
  readonly subnet: Subnet;
  /** The bridge's address: bind nats-server (and anything devices must reach) here. */
  readonly hostAddress: string;
  readonly devices: readonly TopologyDevice[];
  device(deviceId: string): TopologyDevice;
  /** argv that runs `cmd` inside the device's namespace (spawn it without a shell). */
  execArgv(deviceId: string, cmd: readonly string[]): string[];
  link(deviceId: string): TcLink;
  /** Removes everything of this run; safe to call twice; never throws. */
  destroy(): Promise<DestroyReport>;
}

export const DEFAULT_CONCURRENCY = 8;
/** BR_MAX_PORTS is 1,024 with port 0 reserved; 1,000 leaves room for the trunks. */
export const DEFAULT_PORTS_PER_BRIDGE = 1000;

function validateDeviceIds(ids: readonly string[]): void {
  if (!Array.isArray(ids) || ids.length === 0) throw new UsageError('a topology needs at least one device');
  const seen = new Set<string>();
  for (const id of ids) {
    if (typeof id !== 'string' || id.length === 0) throw new UsageError(`invalid device id ${JSON.stringify(id)}`);
    if (seen.has(id)) throw new UsageError(`duplicate device id ${JSON.stringify(id)}`);
    seen.add(id);
  }
}

export interface TopologyDevice extends DeviceNames {
  readonly deviceId: string;
  readonly index: number;
  /** The device's address inside its namespace. */
  readonly address: string;
  /** The bridge its host veth is a port of. */
  readonly bridge: string;
}

/**
 * Host-side lines: bridges, namespaces, veth pairs (ns ends created inside their
 * namespace). Past `portsPerBridge` devices the run gets more bridges, each joined to
 * bridge 0 by a veth pair, so that one subnet and one nats-server address serve them all.
 */
function hostSetup(prefix: string, bridges: readonly string[], subnet: Subnet, devices: readonly TopologyDevice[], gso: boolean): BatchLine[] {
  // Set at creation: a TCP socket caches its route's GSO limits when it connects.
  const segs = gso ? [] : ['gso_max_segs', '1'];
  // The host's own sockets send through the bridge, so it needs the limit too (it does
  // not take it from its ports here).
  const lines: BatchLine[] = bridges.map((b): BatchLine => ['link', 'add', b, ...segs, 'type', 'bridge']);
  lines.push(['addr', 'add', `${subnet.hostAddress}/${subnet.prefixLen}`, 'dev', bridges[0]!]);
  bridges.forEach((b, k) => {
    if (k === 0) return;
    const t = trunkNames(prefix, k);
    lines.push(['link', 'add', t.root, ...segs, 'type', 'veth', 'peer', 'name', t.leaf, ...segs]);
    lines.push(['link', 'set', t.root, 'master', bridges[0]!, 'up'], ['link', 'set', t.leaf, 'master', b, 'up']);
  });
  for (const b of bridges) lines.push(['link', 'set', b, 'up']);
  for (const d of devices) lines.push(['netns', 'add', d.netns]);
  for (const d of devices) {
    lines.push(['link', 'add', d.hostVeth, ...segs, 'type', 'veth', 'peer', 'name', d.nsVeth, ...segs, 'netns', d.netns]);
    lines.push(['link', 'set', d.hostVeth, 'master', d.bridge, 'up']);
  }
  return lines;
}

/**
 * Inside the namespace: loopback, the address, and with it the connected route to the
 * whole run subnet (which holds the host address). No default route on purpose: a device
 * can reach the host and the other devices of its run, nothing else.
 */
function namespaceSetup(subnet: Subnet, d: TopologyDevice): BatchLine[] {
  return [
    ['link', 'set', 'lo', 'up'],
    ['addr', 'add', `${d.address}/${subnet.prefixLen}`, 'dev', d.nsVeth],
    ['link', 'set', d.nsVeth, 'up'],
  ];
}

/**
 * Creates the run's bridge, namespaces and veth pairs. Everything is validated and named
 * before the first command runs; if setup fails half-way, what was made is removed again.
 */
export async function createTopology(options: TopologyOptions): Promise<Topology> {
  const prefix = assertRunPrefix(options.prefix ?? runPrefix(options.runId));
  validateDeviceIds(options.deviceIds);
  const runner = options.runner ?? spawnRunner;
  const concurrency = Math.max(1, options.concurrency ?? DEFAULT_CONCURRENCY);
  const ip = new Ip(runner);
  const tc = new Tc(runner);
  const perBridge = Math.max(1, Math.min(DEFAULT_PORTS_PER_BRIDGE, options.portsPerBridge ?? DEFAULT_PORTS_PER_BRIDGE));
  const bridges = Array.from({ length: Math.ceil(options.deviceIds.length / perBridge) }, (_, k) => bridgeName(prefix, k));
  const bridge = bridges[0]!;
  const names = options.deviceIds.map((_, i) => deviceNames(prefix, i));

  const taken = [...(await ip.listIPv4()).map((a) => `${a.address}/${a.prefixLen}`), ...(await ip.listRoutes4())];
  const subnet = chooseSubnet(options.runId, options.deviceIds.length, taken);
  const devices: TopologyDevice[] = options.deviceIds.map((deviceId, index) => ({
    deviceId,
    index,
    ...(names[index] as DeviceNames),
    address: deviceAddress(subnet, index),
    bridge: bridges[Math.floor(index / perBridge)]!,
  }));
  const byId = new Map(devices.map((d) => [d.deviceId, d]));
  const links = new Map<string, TcLink>();

  const device = (deviceId: string): TopologyDevice => {
    const d = byId.get(deviceId);
    if (d === undefined) throw new UsageError(`unknown device ${JSON.stringify(deviceId)} in run ${options.runId}`);
    return d;
  };

  let destroyed: Promise<DestroyReport> | undefined;
  const topology: Topology = {
    runId: options.runId,
    prefix,
    bridge,
    bridges,
    subnet,
    hostAddress: subnet.hostAddress,
    devices,
    device,
    execArgv: (deviceId, cmd) => ['ip', 'netns', 'exec', device(deviceId).netns, ...cmd],
    link: (deviceId) => {
      const d = device(deviceId);
      let link = links.get(d.deviceId);
      if (link === undefined) {
        link = new TcLink({
          deviceId: d.deviceId,
          netns: d.netns,
          hostVeth: d.hostVeth,
          nsVeth: d.nsVeth,
          address: d.address,
          tc,
          ...(options.shaper ? { shaper: options.shaper } : {}),
        });
        links.set(d.deviceId, link);
      }
      return link;
    },
    destroy: () => (destroyed ??= destroyNames(runner, bridges, devices, bridges.slice(1).map((_, k) => trunkNames(prefix, k + 1).root))),
  };

  try {
    await ip.batch(hostSetup(prefix, bridges, subnet, devices, options.gso === true));
    await settleOrThrow(devices, concurrency, (d) => ip.batch(namespaceSetup(subnet, d), { netns: d.netns }));
  } catch (e) {
    await topology.destroy();
    throw e;
  }
  return topology;
}

async function settleOrThrow<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  const errors = await settleLimit(items, limit, fn);
  if (errors.length > 0) throw errors[0];
}

/**
 * Best-effort teardown of one run's names: processes left in its namespaces first (a
 * namespace with a live process survives `netns del`, and with it its veth), then the
 * namespace mounts and the bridge. Deleting the namespaces takes their veth pairs along
 * in one batched kernel cleanup (100 devices: ~0.1 s, against ~2 s for 100 `link del`);
 * host veths still there after a short wait are deleted one by one.
 */
export async function destroyNames(
  runner: Runner,
  bridges: string | readonly string[] | undefined,
  devices: readonly Pick<DeviceNames, 'netns' | 'hostVeth'>[],
  trunks: readonly string[] = [],
): Promise<DestroyReport> {
  const bridgeList = bridges === undefined ? [] : typeof bridges === 'string' ? [bridges] : [...bridges];
  const ip = new Ip(runner);
  const errors: string[] = [];
  const note = (what: string, e: unknown): void => {
    errors.push(`${what}: ${e instanceof Error ? e.message : String(e)}`);
  };
  try {
    const victims = [...(await pidsInNetns(devices.map((d) => d.netns))).values()].flat();
    signalPids(victims, 'SIGKILL');
    const stuck = await waitGone(victims);
    if (stuck.length > 0) errors.push(`processes still alive: ${stuck.join(', ')}`);
  } catch (e) {
    note('killing namespace processes', e);
  }
  const present = async (): Promise<Set<string> | undefined> => {
    try {
      return new Set([...(await ip.listLinks()).map((l) => l.name), ...(await ip.listNetns())]);
    } catch (e) {
      note('listing links/namespaces', e);
      return undefined;
    }
  };
  // Deleting only what exists keeps a second destroy() quiet; if listing fails we try all.
  const before = await present();
  const exists = (name: string): boolean => before?.has(name) ?? true;
  const lines: BatchLine[] = devices.filter((d) => exists(d.netns)).map((d) => ['netns', 'del', d.netns]);
  for (const t of trunks) if (exists(t)) lines.push(['link', 'del', t]);
  for (const b of bridgeList) if (exists(b)) lines.push(['link', 'del', b]);
  try {
    await ip.batch(lines, { force: true });
  } catch (e) {
    note('teardown', e);
  }
  const vethsLeft = await waitForLinksGone(ip, devices.map((d) => d.hostVeth).filter(exists));
  try {
    await ip.batch(vethsLeft.map((v): BatchLine => ['link', 'del', v]), { force: true });
  } catch (e) {
    note('deleting host veths', e);
  }
  const after = await present();
  for (const name of [...devices.flatMap((d) => [d.netns, d.hostVeth]), ...trunks, ...bridgeList]) {
    if (after?.has(name)) errors.push(`${name} still present`);
  }
  return { errors };
}

/** Polls until none of `names` is a host link (or the time is up); returns those left. */
export async function waitForLinksGone(ip: Ip, names: readonly string[], timeoutMs = 3000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  let left = [...names];
  while (left.length > 0) {
    const links = new Set((await ip.listLinks()).map((l) => l.name));
    left = left.filter((n) => links.has(n));
    if (left.length === 0 || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  return left;
}
