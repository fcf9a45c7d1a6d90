import type { NatsConnection } from '@nats-io/transport-node';
import { hostNowMs } from '../transport/host-clock.js';
import type { RequestSigner } from '../trust/signed.js';
import { agentControl, fromBytes, type AgentReply } from '../agent/protocol.js';

export interface ClockOffset {
  /** The agent host's clock minus the launcher's, in ms. */
  offsetMs: number;
  /** Half the smallest round trip: the offset is within ± this. */
  uncertaintyMs: number;
  probes: number;
}

/**
 * NTP-style offset of an agent's clock (docs/architecture.md §10): many probes, and the one with the
 * smallest round trip wins, since its reply could have been stamped least far from the
 * midpoint of send and receive. offset = t_agent − (t_send + t_recv)/2, ± rtt_min/2.
 */
export async function measureOffset(nc: NatsConnection, signer: RequestSigner, agent: string, probes = 40): Promise<ClockOffset> {
  let best: { rtt: number; offset: number } | undefined;
  for (let i = 0; i < probes; i++) {
    // signed before the clock is read: signing is not part of the round trip (the agent's check is, ~0.1 ms, on the way there only)
    const body = signer.sign(agent, { kind: 'clock' });
    const sent = hostNowMs();
    const reply = await nc.request(agentControl(agent), body, { timeout: 2000 }).then((m) => fromBytes<AgentReply>(m.data), (err: Error) => ({ kind: 'error' as const, message: err.message }));
    const received = hostNowMs();
    if (reply.kind !== 'clock' || !Number.isFinite(reply.at)) throw new Error(`agent ${agent} answered a clock probe with ${reply.kind === 'error' ? `an error: ${reply.message}` : reply.kind}`);
    const rtt = received - sent;
    if (!best || rtt < best.rtt) best = { rtt, offset: reply.at - (sent + received) / 2 };
  }
  return { offsetMs: round3(best!.offset), uncertaintyMs: round3(best!.rtt / 2), probes };
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;
