import { execFileSync } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, it } from 'vitest';
import { cleanNet } from '../../emulator/net/clean.js';
import { probeCapabilities, tcModeMissing, type Capabilities } from '../../emulator/net/probe.js';
import { tempDir } from './emulation.js';

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

/**
 * A describe block's scratch: a temp dir for its runs (made before, removed after) and the
 * ids of the runs it started, whose kernel state is cleaned after the block even when a
 * test failed half-way.
 */
export function runScratch(label: string): { dir: string; runs: string[] } {
  const scratch = { dir: '', runs: [] as string[] };
  beforeAll(async () => {
    scratch.dir = await tempDir(label);
  });
  afterAll(async () => {
    if (missing.length === 0) for (const id of scratch.runs) await cleanNet({ runId: id }).catch(() => undefined);
    await rm(scratch.dir, { recursive: true, force: true });
  });
  return scratch;
}
