import { connect } from '@nats-io/transport-node';
import { UsageError } from '../errors.js';
import { splitNatsUrl } from '../launcher/bus.js';
import { AGENTS_HELLO, fromBytes, type AgentFacts } from './protocol.js';

/** How long `list` collects answers: every agent answers at once, over a LAN well within it. */
const LIST_WINDOW_MS = 1000;

/** The agents on a bus: one request, every agent answers, collected for a short window. */
export async function listAgents(natsUrl: string, windowMs = LIST_WINDOW_MS): Promise<AgentFacts[]> {
  const { url, token } = splitNatsUrl(natsUrl);
  const nc = await connect({ servers: url, ...(token ? { token } : {}), name: 'sledge-agent-list', maxReconnectAttempts: 0 }).catch((err: Error) => {
    throw new UsageError(`cannot reach NATS at ${url}: ${err.message}`);
  });
  try {
    const found: AgentFacts[] = [];
    try {
      for await (const msg of await nc.requestMany(AGENTS_HELLO, new Uint8Array(), { maxWait: windowMs, strategy: 'timer' })) {
        const facts = parseFacts(msg.data);
        if (facts) found.push(facts);
      }
    } catch {
      // no agent at all (no responders): an empty list
    }
    return found.sort((a, b) => a.name.localeCompare(b.name));
  } finally {
    await nc.close();
  }
}

function parseFacts(data: Uint8Array): AgentFacts | undefined {
  try {
    const f = fromBytes<AgentFacts>(data);
    return typeof f.name === 'string' && typeof f.version === 'string' ? f : undefined;
  } catch {
    return undefined;
  }
}
