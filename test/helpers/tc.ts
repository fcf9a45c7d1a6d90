import { execFileSync } from 'node:child_process';
import { it } from 'vitest';
import { probeCapabilities, tcModeMissing, type Capabilities } from '../../emulator/net/probe.js';

/**
 * Tests that need tc mode: they run where the host can shape links, are skipped where it
 * cannot, and fail saying what is missing under SLEDGE_REQUIRE_TC=1 (as CI sets it).
 */
export const caps: Capabilities = await probeCapabilities();
export const missing = tcModeMissing(caps);
type Tool = 'iperf3' | 'nats-server' | 'redis-server';
const haveTool = (tool: Tool): boolean => caps.versions[tool] !== 'not found';

export function tcIt(name: string, fn: () => Promise<void>, needs: { tools?: Tool[]; timeout?: number } = {}): void {
  const lacking = [...missing, ...(needs.tools ?? []).filter((t) => !haveTool(t)).map((t) => `${t} (not installed)`)];
  if (lacking.length === 0) it(name, fn, needs.timeout ?? 60_000);
  else if (process.env.SLEDGE_REQUIRE_TC === '1') {
    it(name, () => {
      throw new Error(`SLEDGE_REQUIRE_TC=1 but this test cannot run: missing ${lacking.join(', ')}`);
    });
  } else it.skip(`${name} (needs ${lacking.join(', ')})`, fn);
}

/** What `ip netns list`, `ip link show` and `tc qdisc show` print about names containing `prefix`. */
export function kernelStateOf(prefix: string): { netns: string[]; links: string[]; qdiscs: string[] } {
  const list = (argv: string[]): string[] =>
    execFileSync(argv[0] as string, argv.slice(1), { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l.includes(prefix));
  return { netns: list(['ip', 'netns', 'list']), links: list(['ip', 'link', 'show']), qdiscs: list(['tc', 'qdisc', 'show']) };
}
