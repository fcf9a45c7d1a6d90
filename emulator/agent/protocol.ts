/**
 * What the launcher and an agent say to each other over NATS (docs/architecture.md §10). Agents are
 * not namespaced by run: they outlive runs. Control is request/reply with JSON bodies,
 * checked at the boundary like every other message (a bad one is answered with an error,
 * never crashes the agent).
 */
export const AGENTS_HELLO = 'sledge.agents.hello';

export function agentControl(name: string): string {
  return `sledge.agents.${name}.ctl`;
}

/** Where an agent reports that an actor of a run exited. */
export function agentExits(runId: string, name: string): string {
  return `sledge.${runId}.agents.${name}.exit`;
}

export const AGENT_NAME = /^[A-Za-z0-9_-]{1,64}$/;
/** The launcher's own host in `--agents` and `devices[i].agent`. */
export const LOCAL = 'local';

export interface AgentFacts {
  name: string;
  host: string;
  cores: number;
  memoryBytes: number;
  /** tc where the host can shape links (root, netns, veth, bridge, htb), else userspace. */
  network: 'tc' | 'userspace';
  networkReason: string;
  version: string;
  /** The deliberate skew of this agent's clock (`--clock-skew-ms`), 0 normally. */
  clockSkewMs: number;
}

export interface OpenRun {
  kind: 'open';
  runId: string;
  mode: 'tc' | 'userspace';
  devices: string[];
  token?: string;
  /** This host's clock minus the launcher's, as the launcher measured it. */
  offsetMs: number;
  /** Environment every actor of the run gets (workload, seed, impairments). */
  env: Record<string, string>;
}

export type AgentRequest =
  | { kind: 'clock' }
  | OpenRun
  | { kind: 'spawn'; runId: string; actor: string }
  | { kind: 'stop'; runId: string; actor: string }
  | { kind: 'rates'; runId: string; device: string; upBps: number; downBps: number }
  | OutageRequest
  | { kind: 'ping'; runId: string }
  | { kind: 'close'; runId: string };

/** A kernel-held outage on a device's link (faults, docs/model.md §1.7), applied by the agent's own TcLink. */
export interface OutageRequest {
  kind: 'outage';
  runId: string;
  device: string;
  op: 'prepare' | 'hold' | 'release';
  direction?: 'up' | 'down';
  wallS?: number;
}

export type AgentReply =
  | { kind: 'ok'; pid?: number; prefix?: string; logDir?: string }
  | { kind: 'clock'; at: number }
  | { kind: 'error'; message: string };

export interface ExitReport {
  actor: string;
  code: number | null;
  signal: string | null;
}

const RUN_ID = /^[A-Za-z0-9_-]{1,64}$/;
const ACTOR = /^(server|device\.[A-Za-z0-9_-]{1,64})$/;
const KINDS = new Set(['clock', 'open', 'spawn', 'stop', 'rates', 'outage', 'ping', 'close']);

/** The request, or why not; bounded, so a hostile one is a line in the log and nothing else. */
export function parseAgentRequest(data: Uint8Array): AgentRequest | string {
  if (data.length > 1 << 20) return 'request too large';
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(new TextDecoder().decode(data)) as Record<string, unknown>;
  } catch {
    return 'not JSON';
  }
  if (!v || typeof v !== 'object' || !KINDS.has(v.kind as string)) return 'unknown kind';
  if (v.kind === 'clock') return { kind: 'clock' };
  if (typeof v.runId !== 'string' || !RUN_ID.test(v.runId)) return 'bad runId';
  if ((v.kind === 'spawn' || v.kind === 'stop') && (typeof v.actor !== 'string' || !ACTOR.test(v.actor))) return 'bad actor';
  if (v.kind === 'rates' && !(typeof v.device === 'string' && Number.isFinite(v.upBps) && Number.isFinite(v.downBps))) return 'bad rates';
  if (v.kind === 'outage' && !validOutage(v)) return 'bad outage';
  if (v.kind === 'open') {
    const ok = (v.mode === 'tc' || v.mode === 'userspace') && Array.isArray(v.devices) && v.devices.every((d) => typeof d === 'string') && Number.isFinite(v.offsetMs) && typeof v.env === 'object';
    if (!ok) return 'bad open';
  }
  return v as unknown as AgentRequest;
}

function validOutage(v: Record<string, unknown>): boolean {
  if (typeof v.device !== 'string' || !['prepare', 'hold', 'release'].includes(v.op as string)) return false;
  if (v.op === 'prepare') return true;
  if (v.direction !== 'up' && v.direction !== 'down') return false;
  return v.op === 'release' || (typeof v.wallS === 'number' && Number.isFinite(v.wallS) && v.wallS > 0);
}

export const toBytes = (v: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(v));
export const fromBytes = <T>(data: Uint8Array): T => JSON.parse(new TextDecoder().decode(data)) as T;
