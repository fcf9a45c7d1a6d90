import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { connect } from '@nats-io/transport-node';
import { Agent } from '../agent/agent.js';
import { hostFacts } from '../agent/facts.js';
import { listAgents } from '../agent/list.js';
import { AGENT_NAME } from '../agent/protocol.js';
import { UsageError } from '../errors.js';
import { splitNatsUrl } from '../launcher/bus.js';
import { leafRemoteUrl } from '../launcher/leaf.js';
import { abortOnSignals } from '../terminal/signals.js';

interface AgentCliOptions {
  name?: string;
  nats?: string;
  leaf?: string;
  logs: string;
  clockSkewMs: string;
}

/** No ping from a launcher for this long and its run is torn down here. */
const HEARTBEAT_TIMEOUT_MS = 5000;

export function registerAgent(program: Command): void {
  const agent = program
    .command('agent')
    .description('serve device actors of runs on this host for launchers on the same NATS (sledge run --agents); Ctrl-C stops it')
    .option('--name <name>', 'how launchers name this host (default: the hostname)')
    .option('--nats <url>', 'the bus (default $NATS_URL), e.g. nats://TOKEN@10.0.0.1:4222')
    .option('--leaf <url>', "the bus's leafnode port the runs' leaf nats-servers join (default $NATS_LEAF_URL, else nats-leaf://<NATS host>:7422)")
    .option('--logs <dir>', 'where the actors of each run log: <dir>/<run-id>/', 'sledge-agent-logs')
    .option('--clock-skew-ms <ms>', "skew this host's clock as its actors read it, to check that the measured offset cancels it", '0')
    .action(async (opts: AgentCliOptions) => serveAgent(opts));
  agent
    .command('list')
    .description('the agents on the bus, with their hosts, cores, memory, network mode and version')
    .option('--nats <url>', 'the bus (default $NATS_URL)')
    .option('--json', 'print JSON')
    .action(async (opts: { nats?: string; json?: boolean }) => {
      const agents = await listAgents(natsUrlOf(opts.nats));
      if (opts.json) process.stdout.write(`${JSON.stringify(agents, null, 2)}\n`);
      else if (agents.length === 0) process.stdout.write('no agents\n');
      else for (const a of agents) process.stdout.write(`${a.name}\t${a.host}\t${a.cores} cores\t${(a.memoryBytes / 2 ** 30).toFixed(1)} GiB\t${a.network}\tsledge ${a.version}${a.clockSkewMs ? `\tclock skew ${a.clockSkewMs} ms` : ''}\n`);
    });
}

export function natsUrlOf(flag: string | undefined): string {
  const url = flag ?? process.env.NATS_URL;
  if (!url) throw new UsageError('no bus: set NATS_URL or pass --nats');
  try {
    new URL(url);
  } catch {
    throw new UsageError(`invalid NATS URL ${JSON.stringify(url)}`);
  }
  return url;
}

async function serveAgent(opts: AgentCliOptions): Promise<void> {
  const name = opts.name ?? hostname().split('.')[0]!;
  if (!AGENT_NAME.test(name) || name === 'local') throw new UsageError(`--name ${JSON.stringify(name)}: letters, digits, _ and -, not "local"`);
  const skew = Number(opts.clockSkewMs);
  if (!Number.isFinite(skew)) throw new UsageError(`--clock-skew-ms ${JSON.stringify(opts.clockSkewMs)}: a number of milliseconds`);
  const natsUrl = natsUrlOf(opts.nats);
  const { url, token } = splitNatsUrl(natsUrl);
  // A daemon outlives bus restarts, and may well start before the bus does: it keeps trying.
  const nc = await connect({ servers: url, ...(token ? { token } : {}), name: `sledge-agent-${name}`, maxReconnectAttempts: -1, waitOnFirstConnect: true });
  const facts = await hostFacts(name, skew);
  const log = (line: string) => process.stderr.write(`${new Date().toISOString()} agent ${name}: ${line}\n`);
  const agent = new Agent({ facts, nc, leafUrl: leafRemoteUrl(natsUrl, opts.leaf ?? process.env.NATS_LEAF_URL), logRoot: resolve(opts.logs), heartbeatTimeoutMs: HEARTBEAT_TIMEOUT_MS, log });
  const signals = abortOnSignals();
  await agent.serve();
  log(`serving on ${url} (${facts.network}, sledge ${facts.version}${skew ? `, clock skewed by ${skew} ms` : ''})`);
  await new Promise((r) => signals.signal.addEventListener('abort', r, { once: true }));
  log('stopping');
  await agent.stop();
  await nc.drain().catch(() => undefined);
  signals.dispose();
}
