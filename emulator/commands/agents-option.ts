import type { Config } from '../../src/config.js';
import { UsageError } from '../errors.js';
import { findAgents } from '../launcher/agent-fleet.js';
import { parseAgentList } from '../launcher/device-hosts.js';
import type { HostsOptions } from '../launcher/run-hosts.js';

export const AGENTS_HELP = 'place devices on these hosts, round-robin in config order unless a device names its agent ("local" is this host); needs NATS_URL and REDIS_URL that every host reaches';

/**
 * `--agents a,b` of run, compare and sweep: checked before anything is built, so a missing
 * agent, one of another version or a bus that only this host sees is one line, exit 2.
 */
export async function agentsOption(text: string | undefined, config: Config): Promise<{ agents?: HostsOptions }> {
  if (text === undefined) return {};
  const names = parseAgentList(text);
  const natsUrl = process.env.NATS_URL;
  if (!natsUrl || !process.env.REDIS_URL) throw new UsageError('--agents needs NATS_URL and REDIS_URL that every host reaches (sledge starts no servers of its own for a run across hosts)');
  for (const d of config.devices) if (d.agent !== undefined && d.agent !== 'local' && !names.includes(d.agent)) throw new UsageError(`device ${d.id} names agent ${JSON.stringify(d.agent)}, which is not in --agents`);
  const facts = await findAgents(natsUrl, names, config.emulation.network === 'tc' ? 'tc' : undefined);
  return { agents: { names, facts } };
}
