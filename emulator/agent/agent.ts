import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { UsageError } from '../errors.js';
import { localClockMs } from '../transport/host-clock.js';
import type { DropReason, RequestVerifier } from '../trust/signed.js';
import { AgentRun, type RunUser } from './agent-run.js';
import { AGENTS_HELLO, agentControl, MAX_RUNS_PER_AGENT, parseAgentRequest, toBytes, type AgentFacts, type AgentReply, type AgentRequest } from './protocol.js';

/** A refused request: counted under `reason`, answered with `message`. */
class Refused extends Error {
  constructor(
    readonly reason: string,
    message: string,
    /** A server refused (not the request): the launcher says it as bad input, exit 2. */
    readonly refusal = false,
  ) {
    super(message);
  }
}

/** Log lines per refusal reason before the agent only counts them: a flood must not fill its disk. */
const LOGGED_PER_REASON = 20;

export interface AgentOptions {
  facts: AgentFacts;
  nc: NatsConnection;
  leafUrl: string;
  logRoot: string;
  /** Checks signatures, freshness and replays (docs/trust.md). */
  verifier: RequestVerifier;
  /** Who the run's actors run as (least privilege); undefined keeps the agent's own user. */
  runUser?: RunUser;
  /** A run whose launcher has not pinged for this long is torn down. */
  heartbeatTimeoutMs: number;
  log: (line: string) => void;
}

/**
 * `sledge agent` (docs/architecture.md §10): answers `sledge agent list` and the launchers' requests,
 * runs their devices here (an AgentRun each), and tears a run down when it is closed or
 * its launcher stops pinging. It keeps serving until it is stopped.
 */
export class Agent {
  private readonly runs = new Map<string, AgentRun>();
  /** The launcher session that opened each run: only it may act on the run. */
  private readonly owners = new Map<string, string>();
  /** Requests refused, per reason; `sledge agent list --json` shows them. */
  readonly rejected: Record<string, number> = {};
  private readonly subs: Subscription[] = [];
  private watchdog: NodeJS.Timeout | undefined;

  constructor(private readonly o: AgentOptions) {}

  async serve(): Promise<void> {
    const { nc, facts } = this.o;
    this.subs.push(nc.subscribe(AGENTS_HELLO, { callback: (_e, msg) => void msg.respond(toBytes({ ...facts, rejected: this.rejected })) }));
    this.subs.push(nc.subscribe(agentControl(facts.name), { callback: (_e, msg) => void this.onRequest(msg) }));
    await nc.flush();
    this.watchdog = setInterval(() => this.checkHeartbeats(), 500);
  }

  private async onRequest(msg: Msg): Promise<void> {
    let reply: AgentReply;
    try {
      // Checked synchronously, in arrival order: sequence numbers are compared as they come.
      const v = this.o.verifier.check(msg.data);
      if (!v.ok) throw new Refused(v.reason, refusalWords[v.reason]);
      const req = parseAgentRequest(v.req);
      if (typeof req === 'string') throw new Refused('bad-request', req);
      reply = await this.handle(req, v.session);
    } catch (err) {
      const reason = err instanceof Refused ? err.reason : 'failed';
      const message = err instanceof Error ? err.message : String(err);
      const n = (this.rejected[reason] = (this.rejected[reason] ?? 0) + 1);
      if (n <= LOGGED_PER_REASON) this.o.log(`request refused (${reason}${n === LOGGED_PER_REASON ? '; further ones only counted' : ''}): ${message}`);
      reply = { kind: 'error', message, ...(err instanceof Refused && err.refusal ? { refusal: true } : {}) };
    }
    if (msg.reply) msg.respond(toBytes(reply));
  }

  private async handle(req: AgentRequest, session: string): Promise<AgentReply> {
    if (req.kind === 'clock') return { kind: 'clock', at: localClockMs(this.o.facts.clockSkewMs) };
    if (req.kind === 'open') return this.open(req, session);
    const run = this.runs.get(req.runId);
    if (!run) throw new Refused('no-such-run', `no run ${req.runId} here`);
    // A run id shows in every subject: knowing it is no licence. Only the launcher that opened the run acts on it.
    if (this.owners.get(req.runId) !== session) throw new Refused('foreign-run', `run ${req.runId} was opened by another launcher`);
    run.lastPing = Date.now();
    if ('device' in req && !run.hasDevice(req.device)) throw new Refused('foreign-device', `device ${req.device} is not in run ${req.runId} here`);
    switch (req.kind) {
      case 'spawn': {
        const device = req.actor.slice('device.'.length);
        if (!run.hasDevice(device)) throw new Refused('foreign-device', `device ${device} is not in run ${req.runId} here`);
        if (run.spawned(req.actor)) throw new Refused('second-spawn', `${req.actor} of run ${req.runId} was spawned already`);
        return { kind: 'ok', ...optionalPid(run.spawn(req.actor)) };
      }
      case 'stop':
        await run.stop(req.actor);
        return { kind: 'ok' };
      case 'rates':
        await run.setRates(req.device, req.upBps, req.downBps);
        return { kind: 'ok' };
      case 'outage':
        await run.outage(req);
        return { kind: 'ok' };
      case 'ping':
        return { kind: 'ok' };
      case 'close':
        await this.close(req.runId, 'closed by its launcher');
        return { kind: 'ok' };
    }
  }

  private async open(req: Extract<AgentRequest, { kind: 'open' }>, session: string): Promise<AgentReply> {
    if (this.runs.has(req.runId)) throw new Refused('run-open', `run ${req.runId} is open already`);
    if (this.runs.size >= MAX_RUNS_PER_AGENT) throw new Refused('too-many-runs', `${this.runs.size} runs open here already`);
    const run = new AgentRun(req, { name: this.o.facts.name, nc: this.o.nc, leafUrl: this.o.leafUrl, clockSkewMs: this.o.facts.clockSkewMs, logRoot: this.o.logRoot, ...(this.o.runUser ? { runUser: this.o.runUser } : {}) });
    this.runs.set(req.runId, run);
    this.owners.set(req.runId, session);
    // Opening (namespaces, the leaf) may take longer than the heartbeat timeout: the watchdog
    // counts from the moment the launcher has its answer, not from the request.
    run.lastPing = Number.POSITIVE_INFINITY;
    try {
      await run.open();
    } catch (err) {
      await this.close(req.runId, 'failed to open');
      // a server's refusal (the leaf's upstream) is named as such, here and on the launcher
      if (err instanceof UsageError) throw new Refused('server-refused', err.message, true);
      throw err;
    }
    run.lastPing = Date.now();
    if (run.leftovers.length) this.o.log(`run ${req.runId}: removed what an earlier agent left of it: ${run.leftovers.join(', ')}`);
    this.o.log(`run ${req.runId}: ${req.devices.length} devices (${req.mode}), logs in ${run.logDir}`);
    return { kind: 'ok', prefix: run.prefix, logDir: run.logDir };
  }

  private async close(runId: string, why: string): Promise<void> {
    const run = this.runs.get(runId);
    if (!run) return;
    const failures = await run.close();
    this.runs.delete(runId);
    this.owners.delete(runId);
    this.o.log(`run ${runId}: ${why}; torn down${failures.length ? ` (not undone: ${failures.join('; ')})` : ''}`);
  }

  /** A launcher that vanished (killed, network gone) leaves nothing running here. */
  private checkHeartbeats(): void {
    for (const [runId, run] of this.runs) {
      if (!(Date.now() - run.lastPing > this.o.heartbeatTimeoutMs)) continue;
      run.lastPing = Number.POSITIVE_INFINITY; // once
      void this.close(runId, `no heartbeat from its launcher for ${this.o.heartbeatTimeoutMs / 1000} s`);
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.watchdog);
    for (const s of this.subs) s.unsubscribe();
    await Promise.all([...this.runs.keys()].map((id) => this.close(id, 'the agent is stopping')));
  }
}

const refusalWords: Record<DropReason, string> = {
  unsigned: 'not a signed request (sledge run signs with the key of sledge keygen)',
  'untrusted-key': 'not signed by a launcher key this agent trusts (sledge agent --trust)',
  'other-agent': 'signed for another agent',
  stale: 'signed too long ago, or in the future (are the hosts\' clocks set?)',
  replayed: 'a replayed request',
};

function optionalPid(pid: number | undefined): { pid?: number } {
  return pid === undefined ? {} : { pid };
}
