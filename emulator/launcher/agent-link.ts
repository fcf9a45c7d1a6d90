import type { AgentRequest } from '../agent/protocol.js';
import type { Direction, Link } from '../net/link.js';
import { DEFAULT_SHAPER, headStartBytes } from '../net/shaper.js';
import type { AgentPlacement } from './agent-placement.js';

/**
 * The access link of a device on an agent (tc mode): the coordinator sets its rates as
 * for a local TcLink, and the agent applies them to its own veth pair. The padding is
 * computed here from the same shaper recipe the agent's TcLink uses.
 */
export class AgentLink implements Link {
  private current: { upBps: number; downBps: number } | undefined;

  constructor(
    readonly deviceId: string,
    private readonly agent: AgentPlacement,
  ) {}

  async setRates(upBps: number, downBps: number): Promise<void> {
    await this.ask({ kind: 'rates', runId: this.agent.runId, device: this.deviceId, upBps, downBps });
    this.current = { upBps, downBps };
  }

  // Outages (faults) are held by the kernel where the veth pair is: on the agent's host.
  prepareOutages(): Promise<void> {
    return this.ask({ kind: 'outage', runId: this.agent.runId, device: this.deviceId, op: 'prepare' });
  }

  hold(direction: Direction, wallS: number): Promise<void> {
    return this.ask({ kind: 'outage', runId: this.agent.runId, device: this.deviceId, op: 'hold', direction, wallS });
  }

  release(direction: Direction): Promise<void> {
    return this.ask({ kind: 'outage', runId: this.agent.runId, device: this.deviceId, op: 'release', direction });
  }

  private async ask(req: AgentRequest): Promise<void> {
    const reply = await this.agent.request(req);
    if (reply.kind === 'error') throw new Error(`link of ${this.deviceId} on agent ${this.agent.name}: ${reply.message}`);
  }

  padding(): { upBytes: number; downBytes: number } {
    if (!this.current) throw new Error(`link of ${this.deviceId}: rates not set`);
    return { upBytes: headStartBytes(this.current.upBps, DEFAULT_SHAPER), downBytes: headStartBytes(this.current.downBps, DEFAULT_SHAPER) };
  }
}
