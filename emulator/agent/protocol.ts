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
  /** Requests this agent refused since it started, per reason (docs/trust.md); hostile ones show here. */
  rejected?: Record<string, number>;
  /** The launcher keys it obeys, as key ids (trust/keys.ts). */
  trusts?: string[];
}

/**
 * What an agent needs to run its share of a run. Typed fields only: the agent builds each
 * actor's environment from them itself (agent-run.ts), nothing of a request reaches an
 * environment as it came (docs/trust.md). No credential either: the agent's leaf node holds
 * the run's device users, which the agent makes.
 */
export interface OpenRun {
  kind: 'open';
  runId: string;
  mode: 'tc' | 'userspace';
  devices: string[];
  /** This host's clock minus the launcher's, as the launcher measured it. */
  offsetMs: number;
  workload: 'sleep' | 'spin';
  seed: number;
  busDownS: number;
  /** Userspace impairments (wall ms, %) when netem cannot do them. */
  impairment?: { delayMs: number; jitterMs: number; lossPct: number };
}

/** Caps on what one request may ask of an agent. */
export const MAX_DEVICES_PER_RUN = 2048;
export const MAX_RUNS_PER_AGENT = 16;

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
  /** `refusal`: a server refused the agent (its leaf's upstream), named in `message`; the launcher exits 2. */
  | { kind: 'error'; message: string; refusal?: boolean };

export interface ExitReport {
  actor: string;
  code: number | null;
  signal: string | null;
}

const RUN_ID = /^[A-Za-z0-9_-]{1,64}$/;
const DEVICE_ID = /^[A-Za-z0-9_-]{1,64}$/;
/** An agent runs devices only: the edge server stays on the launcher's host. */
const ACTOR = /^device\.[A-Za-z0-9_-]{1,64}$/;
const FIELDS: Record<string, readonly string[]> = {
  clock: ['kind'],
  open: ['kind', 'runId', 'mode', 'devices', 'offsetMs', 'workload', 'seed', 'busDownS', 'impairment'],
  spawn: ['kind', 'runId', 'actor'],
  stop: ['kind', 'runId', 'actor'],
  rates: ['kind', 'runId', 'device', 'upBps', 'downBps'],
  outage: ['kind', 'runId', 'device', 'op', 'direction', 'wallS'],
  ping: ['kind', 'runId'],
  close: ['kind', 'runId'],
};
const KINDS = new Set(['clock', 'open', 'spawn', 'stop', 'rates', 'outage', 'ping', 'close']);

/**
 * The request (the signed body's `req`, trust/signed.ts), or why not. Strict: a field the
 * kind does not have (an `env`, a `token`) refuses the whole request; every string is
 * matched, every number bounded, so a hostile one is a counted line and nothing else.
 */
export function parseAgentRequest(v: unknown): AgentRequest | string {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return 'not an object';
  const r = v as Record<string, unknown>;
  if (!KINDS.has(r.kind as string)) return 'unknown kind';
  const extra = Object.keys(r).filter((k) => !FIELDS[r.kind as string]!.includes(k));
  if (extra.length) return `unexpected field ${extra.slice(0, 3).map((k) => JSON.stringify(k.slice(0, 32))).join(', ')} in ${r.kind as string}`;
  if (r.kind === 'clock') return { kind: 'clock' };
  if (typeof r.runId !== 'string' || !RUN_ID.test(r.runId)) return 'bad runId';
  if ((r.kind === 'spawn' || r.kind === 'stop') && (typeof r.actor !== 'string' || !ACTOR.test(r.actor))) return 'bad actor';
  if (r.kind === 'rates' && !(typeof r.device === 'string' && DEVICE_ID.test(r.device) && rate(r.upBps) && rate(r.downBps))) return 'bad rates';
  if (r.kind === 'outage' && !validOutage(r)) return 'bad outage';
  if (r.kind === 'open' && !validOpen(r)) return 'bad open';
  return r as unknown as AgentRequest;
}

const rate = (x: unknown): boolean => typeof x === 'number' && x > 0 && x <= 1e12;
const num = (x: unknown, min: number, max: number): boolean => typeof x === 'number' && Number.isFinite(x) && x >= min && x <= max;

function validOpen(r: Record<string, unknown>): boolean {
  if (r.mode !== 'tc' && r.mode !== 'userspace') return false;
  if (!Array.isArray(r.devices) || r.devices.length > MAX_DEVICES_PER_RUN || !r.devices.every((d) => typeof d === 'string' && DEVICE_ID.test(d))) return false;
  if (new Set(r.devices).size !== r.devices.length) return false;
  if (!num(r.offsetMs, -86_400_000, 86_400_000) || (r.workload !== 'sleep' && r.workload !== 'spin')) return false;
  if (!(Number.isSafeInteger(r.seed) && (r.seed as number) >= 0) || !num(r.busDownS, 0.001, 1e6)) return false;
  if (r.impairment === undefined) return true;
  const i = r.impairment as Record<string, unknown> | null;
  return !!i && typeof i === 'object' && Object.keys(i).every((k) => ['delayMs', 'jitterMs', 'lossPct'].includes(k)) && num(i.delayMs, 0, 3_600_000) && num(i.jitterMs, 0, 3_600_000) && num(i.lossPct, 0, 99.999);
}

function validOutage(v: Record<string, unknown>): boolean {
  if (typeof v.device !== 'string' || !DEVICE_ID.test(v.device) || !['prepare', 'hold', 'release'].includes(v.op as string)) return false;
  if (v.op === 'prepare') return true;
  if (v.direction !== 'up' && v.direction !== 'down') return false;
  return v.op === 'release' || (typeof v.wallS === 'number' && Number.isFinite(v.wallS) && v.wallS > 0 && v.wallS <= 86_400);
}

export const toBytes = (v: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(v));
export const fromBytes = <T>(data: Uint8Array): T => JSON.parse(new TextDecoder().decode(data)) as T;
