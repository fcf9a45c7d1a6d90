import { assertNetnsName } from './names.js';
import { batchInput, spawnRunner, type BatchLine, type Runner } from './exec.js';

export interface IpLink {
  readonly name: string;
  readonly kind?: string;
  readonly master?: string;
  readonly mtu?: number;
}

export interface IpAddress {
  readonly dev: string;
  readonly address: string;
  readonly prefixLen: number;
}

/** The `ip` command: batches for setup, JSON output for inspection. */
export class Ip {
  constructor(readonly runner: Runner = spawnRunner) {}

  private argv(netns: string | undefined, args: readonly string[]): string[] {
    return netns === undefined ? ['ip', ...args] : ['ip', '-n', assertNetnsName(netns), ...args];
  }

  async run(args: readonly string[], netns?: string): Promise<string> {
    return (await this.runner(this.argv(netns, args))).stdout;
  }

  /**
   * One process for many commands. Without `force` ip stops at the first failing
   * line (setup wants that); with it, it runs every line and fails at the end (teardown).
   */
  async batch(lines: readonly BatchLine[], options: { netns?: string; force?: boolean } = {}): Promise<void> {
    if (lines.length === 0) return;
    const stdin = batchInput(lines);
    const flags = options.force ? ['-force', '-batch', '-'] : ['-batch', '-'];
    await this.runner(this.argv(options.netns, flags), { stdin });
  }

  async listNetns(): Promise<string[]> {
    const out = await this.run(['netns', 'list']);
    // Lines look like "name" or "name (id: 3)".
    return out
      .split('\n')
      .map((l) => l.trim().split(/\s+/)[0] ?? '')
      .filter((n) => n.length > 0);
  }

  async listLinks(netns?: string): Promise<IpLink[]> {
    const out = await this.run(['-d', '-j', 'link', 'show'], netns);
    const raw = JSON.parse(out || '[]') as Array<{ ifname: string; master?: string; mtu?: number; linkinfo?: { info_kind?: string } }>;
    return raw.map((l) => ({
      name: l.ifname,
      ...(l.linkinfo?.info_kind !== undefined ? { kind: l.linkinfo.info_kind } : {}),
      ...(l.master !== undefined ? { master: l.master } : {}),
      ...(l.mtu !== undefined ? { mtu: l.mtu } : {}),
    }));
  }

  async listIPv4(netns?: string): Promise<IpAddress[]> {
    const out = await this.run(['-j', '-4', 'addr', 'show'], netns);
    const raw = JSON.parse(out || '[]') as Array<{ ifname: string; addr_info?: Array<{ local?: string; prefixlen?: number }> }>;
    return raw.flatMap((l) =>
      (l.addr_info ?? [])
        .filter((a) => typeof a.local === 'string' && typeof a.prefixlen === 'number')
        .map((a) => ({ dev: l.ifname, address: a.local as string, prefixLen: a.prefixlen as number })),
    );
  }

  /** IPv4 destinations of the host's routes ("default" excluded), as CIDR strings. */
  async listRoutes4(): Promise<string[]> {
    const out = await this.run(['-j', '-4', 'route', 'show', 'table', 'all']);
    const raw = JSON.parse(out || '[]') as Array<{ dst?: string }>;
    return raw.map((r) => r.dst ?? '').filter((d) => d.length > 0 && d !== 'default');
  }

  /** Processes whose network namespace is `netns` (`ip netns pids`). */
  async netnsPids(netns: string): Promise<number[]> {
    const out = await this.run(['netns', 'pids', assertNetnsName(netns)]);
    return out
      .split('\n')
      .map((l) => Number(l.trim()))
      .filter((n) => Number.isSafeInteger(n) && n > 0);
  }
}
