import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { localClockMs } from '../transport/host-clock.js';
import { AgentRun } from './agent-run.js';
import { AGENTS_HELLO, agentControl, parseAgentRequest, toBytes, type AgentFacts, type AgentReply, type AgentRequest } from './protocol.js';

export interface AgentOptions {
  facts: AgentFacts;
  nc: NatsConnection;
  leafUrl: string;
  logRoot: string;
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
  private readonly subs: Subscription[] = [];
  private watchdog: NodeJS.Timeout | undefined;

  constructor(private readonly o: AgentOptions) {}

  async serve(): Promise<void> {
    const { nc, facts } = this.o;
    this.subs.push(nc.subscribe(AGENTS_HELLO, { callback: (_e, msg) => void msg.respond(toBytes(facts)) }));
    this.subs.push(nc.subscribe(agentControl(facts.name), { callback: (_e, msg) => void this.onRequest(msg) }));
    await nc.flush();
    this.watchdog = setInterval(() => this.checkHeartbeats(), 500);
  }

  private async onRequest(msg: Msg): Promise<void> {
    const req = parseAgentRequest(msg.data);
    let reply: AgentReply;
    try {
      reply = typeof req === 'string' ? { kind: 'error', message: req } : await this.handle(req);
    } catch (err) {
      reply = { kind: 'error', message: err instanceof Error ? err.message : String(err) };
    }
    if (reply.kind === 'error') this.o.log(`request refused: ${reply.message}`);
    if (msg.reply) msg.respond(toBytes(reply));
  }

  private async handle(req: AgentRequest): Promise<AgentReply> {
    if (req.kind === 'clock') return { kind: 'clock', at: localClockMs(this.o.facts.clockSkewMs) };
    if (req.kind === 'open') return this.open(req);
    const run = this.runs.get(req.runId);
    if (!run) return { kind: 'error', message: `no run ${req.runId} here` };
    run.lastPing = Date.now();
    switch (req.kind) {
      case 'spawn':
        return { kind: 'ok', ...optionalPid(run.spawn(req.actor)) };
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

  private async open(req: Extract<AgentRequest, { kind: 'open' }>): Promise<AgentReply> {
    if (this.runs.has(req.runId)) return { kind: 'error', message: `run ${req.runId} is open already` };
    const run = new AgentRun(req, { name: this.o.facts.name, nc: this.o.nc, leafUrl: this.o.leafUrl, clockSkewMs: this.o.facts.clockSkewMs, logRoot: this.o.logRoot });
    this.runs.set(req.runId, run);
    try {
      await run.open();
    } catch (err) {
      await this.close(req.runId, 'failed to open');
      throw err;
    }
    if (run.leftovers.length) this.o.log(`run ${req.runId}: removed what an earlier agent left of it: ${run.leftovers.join(', ')}`);
    this.o.log(`run ${req.runId}: ${req.devices.length} devices (${req.mode}), logs in ${run.logDir}`);
    return { kind: 'ok', prefix: run.prefix, logDir: run.logDir };
  }

  private async close(runId: string, why: string): Promise<void> {
    const run = this.runs.get(runId);
    if (!run) return;
    const failures = await run.close();
    this.runs.delete(runId);
    this.o.log(`run ${runId}: ${why}; torn down${failures.length ? ` (not undone: ${failures.join('; ')})` : ''}`);
  }

  /** A launcher that vanished (killed, network gone) leaves nothing running here. */
  private checkHeartbeats(): void {
    for (const [runId, run] of this.runs) {
      if (Date.now() - run.lastPing <= this.o.heartbeatTimeoutMs) continue;
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

function optionalPid(pid: number | undefined): { pid?: number } {
  return pid === undefined ? {} : { pid };
}
