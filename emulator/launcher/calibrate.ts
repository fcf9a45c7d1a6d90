import type { NatsConnection } from '@nats-io/transport-node';
import { TRANSFER_PHASES, type TransferPhase } from '../../src/cost.js';
import { planTurns } from '../../src/plan.js';
import { spread } from '../../src/quantile.js';
import type { FloorStats, Resolution } from '../../src/resolution.js';
import type { Strategy } from '../../src/strategy/strategy.js';
import type { SystemModel } from '../../src/system-model.js';
import { RunError } from '../errors.js';
import type { Link } from '../net/link.js';
import { decode, encode, replyMsg, type PhaseWall, type ReplyMsg } from '../protocol/messages.js';
import { deviceActor, type ActorName, type Subjects } from '../protocol/subjects.js';
import { DEFAULT_CHUNK_BYTES } from '../transport/send.js';

/**
 * The emulator's own floor, measured at the start of every run in the mode it runs
 * (docs/architecture.md §5–§6): a few dozen tiny turns ("round 0") through the real actors, bus,
 * transport and links, each phase timed exactly as a real turn's is. What a phase takes
 * beyond its known serialization, injected delay and workload is the floor: the bus hop
 * through nats-server, pacing granularity, kernel queueing, timer overshoot. It is wall
 * time and does not depend on timeScale, so "auto" can be chosen from it afterwards.
 */
export interface Calibration {
  resolution: Resolution;
  /** Every transfer sample pooled: the one figure to quote. */
  transfer: FloorStats;
  /** Wall seconds a turn costs beyond its phases: the link change, control messages and records. */
  overheadPerTurnS: number;
  /** Wall seconds the calibration took. */
  wallS: number;
  probe: Probe & { turns: number; devices: string[]; concurrency?: number };
}

/**
 * What a probe turn carries, like a typical turn of the run: the scaled adapters of the
 * median cut and the scaled smashed data (at most one chunk: the floor grows with the
 * bytes of the last chunk), at the median planned rates in wall bit/s (tc shapes
 * differently at different rates).
 */
export interface Probe {
  adapterBytes: number;
  smashedBytes: number;
  upBps: number;
  downBps: number;
  /** Wall ms of each workload: the median turn's, capped, so that links and processes idle between transfers as in the run. */
  workloadMs: { deviceForward: number; server: number; deviceBackward: number };
  /**
   * The configured latency in wall ms at the probe's scale: a sender that waits before it
   * publishes meets another link and process than one that publishes at once, so the probe
   * waits as the run's transfers will (the run injects this less the floor).
   */
  delayWallMs: number;
  timeScale: number;
  /** The payloadScale the probe's bytes and wall rates were taken at (absent in runs recorded before "auto" chose it). */
  payloadScale?: number;
}

const WARMUP_TURNS = 2;
const TURNS = 12;
/**
 * Every other probe turn runs its links this many times slower: the floor's fixed wall
 * part is the same at both rates, its byte part (headers, whole frames) costs this many
 * times longer, so the two are told apart (src/resolution.ts).
 */
const SLOW = 4;
/** Probes in flight at once at most: enough to load the bus and the host as a parallel round does, few enough to stay short. */
const MAX_PROBE_CONCURRENCY = 32;
/**
 * A probe's smashed data is the run's own, capped at this long: a tc link after a full
 * transfer is not the link after a short one (its bucket, the queue), and the adapters
 * that follow see the difference.
 */
const MAX_SMASHED_MS = 100;
const MAX_WORKLOAD_MS = 20;
/**
 * The backward phase, before the adapters go up, is capped far higher: a connection idle
 * for longer than its retransmission timeout (200 ms at least) restarts its congestion
 * window, and the run's adapters meet that restart after every long backward phase (and
 * after every other device's turns, for the adapters going down). Probes that never idle
 * that long measured a floor 1–2 ms short of the run's (docs/fidelity.md, "Causes found").
 */
const MAX_BACKWARD_MS = 250;
const COMPUTE = ['deviceForward', 'server', 'deviceBackward'] as const;
/** Writing a record (CSV line, Redis stream entry) is not part of a calibration turn. */
const RECORD_OVERHEAD_S = 0.002;

export interface CalibrationDeps {
  nc: NatsConnection;
  subjects: Subjects;
  links: ReadonlyMap<string, Link>;
  controlTimeoutMs: number;
  signal: AbortSignal;
  probe: Probe;
  /** Parallel mode: turns in flight at the plan's busiest moment (a round's devices); the probes run that many at once. */
  concurrency?: number;
}

export function planProbe(system: SystemModel, strategy: Strategy, timeScale: number, payloadScale = system.config.emulation.payloadScale): Probe {
  const { split, config } = system;
  const turns = [...planTurns(system, strategy)].filter((t) => t.cut > 0);
  const median = (xs: number[], fallback: number) => xs.sort((a, b) => a - b)[xs.length >> 1] ?? fallback;
  const cut = median(turns.map((t) => t.cut), config.training.cutRange[0]);
  const wall = (bps: number) => (bps * payloadScale) / timeScale;
  const upBps = wall(median(turns.map((t) => t.rateUpBps), 1e7));
  const downBps = wall(median(turns.map((t) => t.rateDownBps), 1e7));
  const scaled = (bytes: number) => Math.max(1, Math.min(DEFAULT_CHUNK_BYTES, Math.round(bytes * payloadScale)));
  // the slow half of the probes must stay as short as the run's own transfers
  const smashedCap = (Math.min(upBps, downBps) * MAX_SMASHED_MS) / 8000 / SLOW;
  const I = config.training.iterations;
  const workload = (p: (typeof COMPUTE)[number]) => Math.min(p === 'deviceBackward' ? MAX_BACKWARD_MS : MAX_WORKLOAD_MS, (1000 * timeScale * median(turns.map((t) => t.delay[p]), 0)) / I);
  const workloadMs = { deviceForward: workload('deviceForward'), server: workload('server'), deviceBackward: workload('deviceBackward') };
  const smashedBytes = Math.max(1, Math.min(scaled(split.smashedBytes), Math.floor(smashedCap)));
  return { adapterBytes: scaled(split.adapterBytes(cut)), smashedBytes, upBps, downBps, workloadMs, delayWallMs: config.channel.delayMs * timeScale, timeScale, payloadScale };
}

export async function calibrate(deps: CalibrationDeps): Promise<Calibration> {
  const started = performance.now();
  const width = Math.max(1, Math.min(deps.concurrency ?? 1, MAX_PROBE_CONCURRENCY, deps.links.size));
  // sequential: three devices in turn; parallel: `width` devices at once, as the run's busiest moment has them
  const devices = [...deps.links.keys()].slice(0, Math.max(3, width));
  // per phase, the floor at the probe's rate (fast) and at SLOW times less (slow)
  const fast = Object.fromEntries(TRANSFER_PHASES.map((p) => [p, [] as number[]])) as Record<TransferPhase, number[]>;
  const slow = Object.fromEntries(TRANSFER_PHASES.map((p) => [p, [] as number[]])) as Record<TransferPhase, number[]>;
  const compute: number[] = [];
  const overhead: number[] = [];
  for (let k = 0; k < WARMUP_TURNS + TURNS; k++) {
    if (deps.signal.aborted) throw deps.signal.reason instanceof Error ? deps.signal.reason : new RunError('interrupted');
    const slowed = k % 2 === 1;
    const factor = slowed ? SLOW : 1;
    const batch = Array.from({ length: width }, (_, i) => devices[(k * width + i) % devices.length] as string);
    const results = await Promise.all(batch.map((d) => probeTurn(deps, d, k, factor)));
    if (k < WARMUP_TURNS) continue;
    for (const { phases } of results) {
      for (const p of TRANSFER_PHASES) {
        const bytes = p === 'uplink' || p === 'downlink' ? deps.probe.smashedBytes : deps.probe.adapterBytes;
        const rate = (p === 'uplink' || p === 'adapterUp' ? deps.probe.upBps : deps.probe.downBps) / factor;
        (slowed ? slow : fast)[p].push(1000 * phases[p] - (8000 * bytes) / rate - deps.probe.delayWallMs);
      }
    }
    if (slowed) continue; // workloads and turn overhead as the run has them
    for (const { phases } of results) {
      // at once, the server's jobs queue for its one GPU: that wait is the model's serverWait, not a floor
      for (const p of COMPUTE) if (width === 1 || p !== 'server') compute.push(1000 * phases[p] - deps.probe.workloadMs[p]);
    }
    overhead.push(results[0]!.elapsedS - results[0]!.phases.total);
  }
  const split = Object.fromEntries(TRANSFER_PHASES.map((p) => [p, splitFloor(fast[p], slow[p], p === 'uplink' || p === 'adapterUp' ? deps.probe.upBps : deps.probe.downBps)])) as Record<TransferPhase, ReturnType<typeof splitFloor>>;
  return {
    resolution: {
      transfer: Object.fromEntries(TRANSFER_PHASES.map((p) => [p, split[p].fixed])) as Resolution['transfer'],
      transferBytes: Object.fromEntries(TRANSFER_PHASES.map((p) => [p, split[p].bytes])) as Record<TransferPhase, number>,
      compute: stats(compute),
    },
    transfer: stats(TRANSFER_PHASES.flatMap((p) => fast[p])),
    overheadPerTurnS: Math.max(0, spread(overhead).median) + RECORD_OVERHEAD_S,
    wallS: (performance.now() - started) / 1000,
    probe: { ...deps.probe, turns: TURNS, devices, concurrency: width },
  };
}

/**
 * The floor of one transfer phase as a fixed wall part and a byte part: at wall rate R it
 * is a + 8b/R, so the medians at R and R/SLOW give b = (slow − fast) / (8(SLOW − 1)/R) and
 * a = fast − 8b/R. Noise can make b negative: then there is no byte part to speak of.
 */
function splitFloor(fastMs: number[], slowMs: number[], rateBps: number): { fixed: FloorStats; bytes: number } {
  const f = spread(fastMs);
  const s = spread(slowMs);
  const msPerByteFast = 8000 / rateBps;
  const bytes = Math.max(0, (s.median - f.median) / (msPerByteFast * (SLOW - 1)));
  const partMs = bytes * msPerByteFast;
  return { fixed: { medianMs: f.median - partMs, p95Ms: f.p95 - partMs, madMs: f.mad, samples: fastMs.length + slowMs.length }, bytes };
}

function stats(samples: number[]): FloorStats {
  const s = spread(samples);
  return { medianMs: s.median, p95Ms: s.p95, madMs: s.mad, samples: samples.length };
}

/** One tiny turn, sent as the coordinator sends a real one; the phases come back in wall seconds. */
async function probeTurn(deps: CalibrationDeps, device: string, k: number, slower: number): Promise<{ phases: PhaseWall; elapsedS: number }> {
  const link = deps.links.get(device) as Link;
  const started = performance.now();
  await link.setRates(deps.probe.upBps / slower, deps.probe.downBps / slower);
  // calibration runs on the plain links, at constant rates
  const paced = link.pacing?.({ startS: 0, totalS: 0 });
  const pad = link.padding();
  // each probe its own attempt: its tags and the server's prepared turn never meet the previous probe's
  const turn = { round: 0, device, attempt: k };
  const delayWallMs = { adapters: deps.probe.delayWallMs, smashed: deps.probe.delayWallMs };
  const { adapterBytes, smashedBytes } = deps.probe;
  const common = { turn, cut: 1, iterations: 1, adapterBytes, smashedBytes, delayWallMs, jitterWallMs: 0 };
  const workloadS = (p: (typeof COMPUTE)[number]) => deps.probe.workloadMs[p] / 1000;
  await ask(deps, 'server', { kind: 'prepare', ...common, freqHz: 1, computeWallS: workloadS('server'), downRateBps: paced?.down.rateBps ?? null, padBytes: pad.downBytes });
  const timeoutMs = deps.controlTimeoutMs;
  const reply = await ask(deps, deviceActor(device), { kind: 'turn', ...common, forwardWallS: workloadS('deviceForward'), backwardWallS: workloadS('deviceBackward'), upRateBps: paced?.up.rateBps ?? null, padBytes: pad.upBytes, downPadBytes: pad.downBytes, timeoutMs });
  if (reply.kind !== 'report') throw new RunError(`calibration: device ${device} did not report its turn`);
  return { phases: reply.phases, elapsedS: (performance.now() - started) / 1000 };
}

async function ask(deps: CalibrationDeps, actor: ActorName, body: unknown): Promise<ReplyMsg> {
  let data: Uint8Array;
  try {
    data = (await deps.nc.request(deps.subjects.control(actor), encode(body), { timeout: deps.controlTimeoutMs })).data;
  } catch (err) {
    throw new RunError(`calibration: ${actor}: ${(err as Error).message}`);
  }
  const reply = decode(replyMsg, data);
  if (!reply.ok) throw new RunError(`calibration: ${actor}: malformed reply (${reply.reason})`);
  if (reply.value.kind === 'error') throw new RunError(`calibration: ${reply.value.message}`);
  return reply.value;
}
