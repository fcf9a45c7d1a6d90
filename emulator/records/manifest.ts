import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import type { Config } from '../../src/config.js';
import type { Strategy } from '../../src/strategy/strategy.js';

/**
 * What a reader of a paper needs to reproduce a run: the resolved config (defaults
 * filled, generated devices expanded), the seed, the code (git commit) and the versions,
 * the host, and how the network was emulated.
 */
export interface NetworkFacts {
  mode: 'tc' | 'userspace';
  reason: string;
  /** How the rates are imposed, in a sentence, for the reader of the manifest. */
  shaping: string;
  impairments: { delayMs: number; jitterMs: number; lossPct: number; placement: 'netem' | 'userspace' | 'none'; reason: string };
}

/** A user's strategy module as the manifest records it: `sledge resume` loads it from `path` and refuses it if its sha256 changed. */
export interface StrategyModuleFacts {
  name: string;
  path: string;
  sha256: string;
  params: Record<string, unknown>;
}

export function moduleFacts(strategy: Strategy): StrategyModuleFacts | undefined {
  return strategy.module ? { name: strategy.name, path: strategy.module.path, sha256: strategy.module.sha256, params: { ...strategy.params } } : undefined;
}

export function buildManifest(args: { runId: string; config: Config; strategy: string; strategyModule?: StrategyModuleFacts | undefined; network: NetworkFacts; servers: Record<string, string> }) {
  const root = new URL('../../../', import.meta.url).pathname;
  return {
    runId: args.runId,
    createdAt: new Date().toISOString(),
    strategy: args.strategy,
    ...(args.strategyModule ? { strategyModule: args.strategyModule } : {}),
    seed: args.config.seed,
    network: args.network.mode,
    networkReason: args.network.reason,
    shaping: args.network.shaping,
    impairments: args.network.impairments,
    git: gitFacts(root),
    versions: { sledge: packageVersion(root), node: process.version, ...args.servers },
    host: { hostname: os.hostname(), platform: os.platform(), kernel: os.release(), cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', memoryBytes: os.totalmem() },
    config: args.config,
  };
}

function gitFacts(root: string): { commit: string; dirty: boolean } | null {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    const dirty = execFileSync('git', ['status', '--porcelain'], { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim() !== '';
    return { commit, dirty };
  } catch {
    return null;
  }
}

/** sledge's version (package.json): the launcher and its agents must agree on it. */
export function sledgeVersion(): string {
  return packageVersion(new URL('../../../', import.meta.url).pathname);
}

function packageVersion(root: string): string {
  try {
    return (JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** `nats-server --version` and the like, or 'not found'. */
export function commandVersion(bin: string, args: string[]): string {
  try {
    return execFileSync(bin, args, { stdio: ['ignore', 'pipe', 'ignore'], timeout: 3000 }).toString().trim().split('\n')[0] ?? '';
  } catch {
    return 'not found';
  }
}
