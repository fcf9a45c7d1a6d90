import { chmodSync, lstatSync, mkdirSync } from 'node:fs';
import { homedir, hostname } from 'node:os';
import { join, resolve } from 'node:path';
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
import { keyId, loadTrustedKeys } from '../trust/keys.js';
import { natsRefusalWords, natsRefused, withoutCredentials } from '../trust/refusal.js';
import { actorUser } from '../trust/run-user.js';
import { RequestVerifier } from '../trust/signed.js';

interface AgentCliOptions {
  name?: string;
  nats?: string;
  leaf?: string;
  logs?: string;
  state?: string;
  trust?: string;
  clockSkewMs: string;
}

/** No ping from a launcher for this long and its run is torn down here. */
// The launcher pings every second; 15 s of silence is a launcher gone, not one that is busy
// spawning a thousand actors on a loaded host.
const HEARTBEAT_TIMEOUT_MS = 15_000;

export function registerAgent(program: Command): void {
  const agent = program
    .command('agent')
    .description('serve device actors of runs on this host for launchers on the same NATS (sledge run --agents); Ctrl-C stops it')
    .option('--trust <file>', 'the launcher public key(s) this agent obeys (launcher.pub of sledge keygen); required')
    .option('--name <name>', 'how launchers name this host (default: the hostname)')
    .option('--nats <url>', 'the bus without credentials (default $NATS_URL, which may carry them), e.g. nats://10.0.0.1:4222')
    .option('--leaf <url>', "the bus's leafnode port the runs' leaf nats-servers join, without credentials (default $NATS_LEAF_URL, else nats-leaf://<NATS host>:7422)")
    .option('--state <dir>', "the agent's own state: logs/<run-id>/ of each run (0700); default /var/lib/sledge/agent-<name> as root, else ~/.sledge/agent-<name>")
    .option('--logs <dir>', 'where the actors of each run log instead: <dir>/<run-id>/ (made 0700)')
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

/** Credentials come from the environment or files, never argv, where every user of the host can read them (docs/trust.md). */
function noCredentials(flag: string, url: string | undefined): void {
  if (url === undefined) return;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UsageError(`${flag} ${JSON.stringify(withoutCredentials(url))}: not a URL`);
  }
  if (u.username || u.password) throw new UsageError(`${flag} carries credentials, which argv shows to every user of this host: put the URL in ${flag === '--nats' ? 'NATS_URL' : 'NATS_LEAF_URL'} instead`);
}

/** A directory of the agent's own: made 0700, and refused if it is a symlink or someone else's. */
function privateDir(dir: string): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  if (!st.isDirectory() || (process.getuid && st.uid !== process.getuid())) throw new UsageError(`${dir}: not a directory of this user's (a symlink, or someone else's)`);
  if (st.mode & 0o077) chmodSync(dir, 0o700);
  return dir;
}

async function serveAgent(opts: AgentCliOptions): Promise<void> {
  if (!opts.trust) throw new UsageError('sledge agent needs --trust <launcher.pub>: the launcher key it obeys (sledge keygen makes the pair); it obeys no unsigned request');
  const trusted = loadTrustedKeys(opts.trust);
  const name = opts.name ?? hostname().split('.')[0]!;
  if (!AGENT_NAME.test(name) || name === 'local') throw new UsageError(`--name ${JSON.stringify(name)}: letters, digits, _ and -, not "local"`);
  const skew = Number(opts.clockSkewMs);
  if (!Number.isFinite(skew)) throw new UsageError(`--clock-skew-ms ${JSON.stringify(opts.clockSkewMs)}: a number of milliseconds`);
  noCredentials('--nats', opts.nats);
  noCredentials('--leaf', opts.leaf);
  const natsUrl = natsUrlOf(opts.nats);
  const { url, token } = splitNatsUrl(natsUrl);
  const state = resolve(opts.state ?? (process.getuid?.() === 0 ? `/var/lib/sledge/agent-${name}` : join(homedir(), '.sledge', `agent-${name}`)));
  const logRoot = privateDir(resolve(opts.logs ?? join(privateDir(state), 'logs')));
  const runUser = actorUser();
  // A refusal (bad token, no permission) is said now, in one line; a bus that is merely down is waited for.
  await connect({ servers: url, ...(token ? { token } : {}), name: `sledge-agent-${name}`, reconnect: false, timeout: 5000 }).then(
    (probe) => probe.close(),
    (err: unknown) => {
      const words = natsRefusalWords(err);
      if (words) throw natsRefused('NATS', url, words);
    },
  );
  // A daemon outlives bus restarts, and may well start before the bus does: it keeps trying.
  const nc = await connect({ servers: url, ...(token ? { token } : {}), name: `sledge-agent-${name}`, maxReconnectAttempts: -1, waitOnFirstConnect: true });
  const facts = { ...(await hostFacts(name, skew)), trusts: trusted.map(keyId) };
  const log = (line: string) => process.stderr.write(`${new Date().toISOString()} agent ${name}: ${line}\n`);
  const agent = new Agent({ facts, nc, leafUrl: leafRemoteUrl(natsUrl, opts.leaf ?? process.env.NATS_LEAF_URL), logRoot, verifier: new RequestVerifier(name, trusted), ...(runUser ? { runUser } : {}), heartbeatTimeoutMs: HEARTBEAT_TIMEOUT_MS, log });
  const signals = abortOnSignals();
  await agent.serve();
  log(`serving on ${withoutCredentials(url)} (${facts.network}, sledge ${facts.version}${skew ? `, clock skewed by ${skew} ms` : ''}); obeys launcher key ${facts.trusts.join(', ')}; actors run as ${runUser ? (runUser.named ? runUser.name : `a uid each, group of ${runUser.name}`) : 'this user'}; logs in ${logRoot}`);
  await new Promise((r) => signals.signal.addEventListener('abort', r, { once: true }));
  log('stopping');
  await agent.stop();
  await nc.drain().catch(() => undefined);
  signals.dispose();
}
