import type { Config } from '../../src/config.js';
import { UsageError } from '../errors.js';
import { LOCAL } from '../agent/protocol.js';
import { checkDeviceAgents, parseAgentList } from '../launcher/device-hosts.js';
import type { HostsOptions } from '../launcher/run-hosts.js';
import { launcherKeyPath, loadPrivateKey } from '../trust/keys.js';
import { RequestSigner } from '../trust/signed.js';

/**
 * The launcher's key (SLEDGE_LAUNCHER_KEY, else ~/.sledge/launcher.key): loaded before
 * anything is asked of an agent, so a missing one is one line, exit 2.
 */
function launcherSigner(): RequestSigner {
  const path = launcherKeyPath();
  return new RequestSigner(loadPrivateKey(path));
}

export const AGENTS_HELP = 'place devices on these hosts, round-robin in config order unless a device names its agent ("local" is this host); needs NATS_URL and REDIS_URL that every host reaches';

/**
 * `--agents a,b` of run, compare and sweep: checked before anything is built, so a missing
 * agent, one of another version or a bus that only this host sees is one line, exit 2.
 */
export async function agentsOption(text: string | undefined, config: Config): Promise<{ agents?: HostsOptions }> {
  if (text === undefined) return {};
  const names = parseAgentList(text);
  const natsUrl = sharedBus('--agents');
  checkDeviceAgents(config.devices, names);
  const signer = launcherSigner();
  const { findAgents } = await import('../launcher/agent-fleet.js');
  const facts = await findAgents(natsUrl, names, config.emulation.network === 'tc' ? 'tc' : undefined);
  return { agents: { names, facts, signer } };
}

/**
 * `sledge resume` of a run that used agents: each device goes back to the host the manifest
 * says it ran on (its turns' records were measured there), with the same checks as `--agents`.
 */
export async function resumedAgents(placement: Record<string, string> | undefined, config: Config, runDir: string): Promise<{ agents?: HostsOptions }> {
  const names = [...new Set(Object.values(placement ?? {}))].filter((h) => h !== LOCAL);
  if (!placement || names.length === 0) return {};
  const natsUrl = sharedBus(`resuming ${runDir}, whose devices ran on agents ${names.join(',')},`);
  const signer = launcherSigner();
  const { findAgents } = await import('../launcher/agent-fleet.js');
  const facts = await findAgents(natsUrl, names, config.emulation.network === 'tc' ? 'tc' : undefined);
  return { agents: { names: [LOCAL, ...names], facts, placement, signer } };
}

function sharedBus(what: string): string {
  const natsUrl = process.env.NATS_URL;
  if (!natsUrl || !process.env.REDIS_URL) throw new UsageError(`${what} needs NATS_URL and REDIS_URL that every host reaches (sledge starts no servers of its own for a run across hosts)`);
  return natsUrl;
}
