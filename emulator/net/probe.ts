import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { UsageError } from '../errors.js';
import { NetCommandError, spawnRunner, type Runner } from './exec.js';

/**
 * What this host can do for network emulation, found by trying each feature for real in a
 * throwaway namespace (kernel modules can be missing even where the tools exist: this
 * project's reference kernel has htb and tbf but no netem).
 */

export type Feature = 'netns' | 'veth' | 'bridge' | 'htb' | 'tbf' | 'ifb' | 'netem';
export const FEATURES: readonly Feature[] = ['netns', 'veth', 'bridge', 'htb', 'tbf', 'ifb', 'netem'];
export type Tool = 'nats-server' | 'redis-server' | 'iperf3' | 'ip' | 'tc';
export const TOOLS: readonly Tool[] = ['nats-server', 'redis-server', 'iperf3', 'ip', 'tc'];

export interface Check {
  readonly ok: boolean;
  /** Why not (the command's error), or what was not tried. */
  readonly detail?: string;
}

export interface Capabilities {
  readonly platform: NodeJS.Platform;
  readonly root: boolean;
  readonly capNetAdmin: boolean;
  readonly features: Readonly<Record<Feature, Check>>;
  /** Version string, or 'not found'. */
  readonly versions: Readonly<Record<Tool, string>>;
  readonly probeMs: number;
}

/** What tc mode needs; ifb, tbf and netem are extras. */
export const TC_MODE_NEEDS: readonly Feature[] = ['netns', 'veth', 'bridge', 'htb'];

const CAP_NET_ADMIN = 12n;

async function capNetAdmin(): Promise<boolean> {
  try {
    const status = await readFile('/proc/self/status', 'utf8');
    const hex = /^CapEff:\s*([0-9a-f]+)$/m.exec(status)?.[1];
    return hex !== undefined && ((BigInt(`0x${hex}`) >> CAP_NET_ADMIN) & 1n) === 1n;
  } catch {
    return false;
  }
}

function why(e: unknown): string {
  if (e instanceof NetCommandError) {
    if (/kind is unknown|Unknown device type|not supported/i.test(e.stderr)) return 'not in this kernel';
    return e.stderr.trim().split('\n')[0] || `exit ${String(e.status)}`;
  }
  return e instanceof Error ? e.message : String(e);
}

async function attempt(runner: Runner, argv: readonly string[]): Promise<Check> {
  try {
    await runner(argv);
    return { ok: true };
  } catch (e) {
    return { ok: false, detail: why(e) };
  }
}

const VERSION_ARGS: Record<Tool, readonly string[]> = {
  'nats-server': ['nats-server', '--version'],
  'redis-server': ['redis-server', '--version'],
  iperf3: ['iperf3', '--version'],
  ip: ['ip', '-V'],
  tc: ['tc', '-V'],
};

async function version(runner: Runner, tool: Tool): Promise<string> {
  try {
    const { stdout, stderr } = await runner(VERSION_ARGS[tool]);
    const text = `${stdout}\n${stderr}`;
    const m = /v=(\d+\.\d+\.\d+)|v?(\d+\.\d+(?:\.\d+)?)/.exec(text);
    return m?.[1] ?? m?.[2] ?? (text.trim().split('\n')[0] || 'unknown');
  } catch (e) {
    return e instanceof NetCommandError && e.status === 'ENOENT' ? 'not found' : `error: ${why(e)}`;
  }
}

/**
 * Everything happens inside one namespace named like sledge's own (`sl<6 hex>p`, so
 * `sledge net clean` finds it if we are killed mid-probe); deleting the namespace takes
 * every test device with it.
 */
async function kernelFeatures(runner: Runner): Promise<Record<Feature, Check>> {
  const tag = `sl${randomBytes(3).toString('hex')}p`;
  const ns = tag;
  const inNs = (tool: 'ip' | 'tc', ...args: string[]): string[] => [tool, '-n', ns, ...args];
  const notTried = (detail: string): Check => ({ ok: false, detail });
  const out: Record<Feature, Check> = {
    netns: await attempt(runner, ['ip', 'netns', 'add', ns]),
    veth: notTried('needs netns'),
    bridge: notTried('needs netns'),
    htb: notTried('needs veth'),
    tbf: notTried('needs veth'),
    ifb: notTried('needs netns'),
    netem: notTried('needs veth'),
  };
  if (!out.netns.ok) return out;
  try {
    const a = `${tag}a`;
    out.veth = await attempt(runner, inNs('ip', 'link', 'add', a, 'type', 'veth', 'peer', 'name', `${tag}b`));
    const [bridge, ifb] = await Promise.all([
      attempt(runner, inNs('ip', 'link', 'add', `${tag}br`, 'type', 'bridge')),
      attempt(runner, inNs('ip', 'link', 'add', `${tag}i`, 'type', 'ifb')),
    ]);
    out.bridge = bridge;
    out.ifb = ifb;
    if (out.veth.ok) {
      // One root qdisc per device, so the three can be tried at once.
      const [htb, tbf, netem] = await Promise.all([
        attempt(runner, inNs('tc', 'qdisc', 'add', 'dev', a, 'root', 'handle', '1:', 'htb', 'default', '1')),
        attempt(runner, inNs('tc', 'qdisc', 'add', 'dev', `${tag}b`, 'root', 'handle', '1:', 'tbf', 'rate', '1mbit', 'burst', '4kb', 'limit', '64kb')),
        attempt(runner, inNs('tc', 'qdisc', 'add', 'dev', 'lo', 'root', 'handle', '1:', 'netem', 'delay', '1ms')),
      ]);
      out.htb = htb;
      out.tbf = tbf;
      out.netem = netem;
    }
  } finally {
    await runner(['ip', 'netns', 'del', ns]).catch(() => {});
  }
  return out;
}

export async function probeCapabilities(options: { runner?: Runner } = {}): Promise<Capabilities> {
  const started = Date.now();
  const runner = options.runner ?? spawnRunner;
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  const admin = process.platform === 'linux' && (await capNetAdmin());
  const versionsP = Promise.all(TOOLS.map(async (t) => [t, await version(runner, t)] as const));
  let features: Record<Feature, Check>;
  if (process.platform !== 'linux') {
    features = Object.fromEntries(FEATURES.map((f) => [f, { ok: false, detail: `not Linux (${process.platform})` }])) as Record<Feature, Check>;
  } else if (!admin) {
    features = Object.fromEntries(FEATURES.map((f) => [f, { ok: false, detail: 'needs root / CAP_NET_ADMIN' }])) as Record<Feature, Check>;
  } else {
    features = await kernelFeatures(runner);
  }
  const versions = Object.fromEntries(await versionsP) as Record<Tool, string>;
  return { platform: process.platform, root, capNetAdmin: admin, features, versions, probeMs: Date.now() - started };
}

/** What keeps tc mode from working here; empty when it works. */
export function tcModeMissing(caps: Capabilities): string[] {
  const missing: string[] = [];
  if (caps.platform !== 'linux') missing.push(`Linux (this is ${caps.platform})`);
  if (!caps.root) missing.push('root');
  if (!caps.capNetAdmin) missing.push('CAP_NET_ADMIN');
  for (const f of TC_MODE_NEEDS) if (!caps.features[f].ok) missing.push(f);
  return missing;
}

export type NetworkMode = 'tc' | 'userspace';

export function chooseNetworkMode(
  requested: 'auto' | 'tc' | 'userspace',
  caps: Capabilities,
): { mode: NetworkMode; reason: string } {
  if (requested === 'userspace') return { mode: 'userspace', reason: 'userspace requested' };
  const missing = tcModeMissing(caps);
  if (missing.length === 0) {
    return { mode: 'tc', reason: `${requested === 'tc' ? 'tc requested' : 'auto'}: root, ${TC_MODE_NEEDS.join(', ')} work` };
  }
  if (requested === 'tc') {
    throw new UsageError(`network mode "tc" is not possible on this host: missing ${missing.join(', ')} (see sledge doctor)`);
  }
  return { mode: 'userspace', reason: `auto: tc mode needs ${missing.join(', ')}` };
}

/** Where propagation delay, jitter and loss are applied. */
export function impairmentPlacement(caps: Capabilities): 'netem' | 'userspace' {
  return caps.features.netem.ok ? 'netem' : 'userspace';
}

/** The `sledge doctor` table. */
export function formatCapabilities(caps: Capabilities): string {
  const yes = (ok: boolean): string => (ok ? 'yes' : 'no');
  const rows: Array<[string, string, string]> = [
    ['root', yes(caps.root), ''],
    ['CAP_NET_ADMIN', yes(caps.capNetAdmin), ''],
    ...FEATURES.map((f): [string, string, string] => [f, yes(caps.features[f].ok), caps.features[f].detail ?? '']),
  ];
  const width = Math.max(...rows.map((r) => r[0].length), ...TOOLS.map((t) => t.length));
  const lines = ['network capabilities'];
  for (const [name, ok, detail] of rows) lines.push(`  ${name.padEnd(width)}  ${ok.padEnd(3)}  ${detail}`.trimEnd());
  lines.push('tools');
  for (const t of TOOLS) lines.push(`  ${t.padEnd(width)}  ${caps.versions[t]}`);
  const auto = chooseNetworkMode('auto', caps);
  lines.push(`network "auto" → ${auto.mode} (${auto.reason})`);
  const placement = impairmentPlacement(caps);
  lines.push(
    `delay/jitter/loss → ${placement}${placement === 'userspace' ? ' (no netem in this kernel: the transport applies them)' : ''}`,
  );
  lines.push(`probe took ${caps.probeMs} ms`);
  return lines.join('\n');
}
