import { LOCAL } from '../agent/protocol.js';
import { UsageError } from '../errors.js';

/**
 * Which host each device runs on (docs/architecture.md §10): the one its `agent` key names, else
 * the next of `--agents` round-robin in config order. `local` is the launcher's host.
 */
export function deviceHosts(devices: readonly { id: string; agent?: string | undefined }[], agents: readonly string[]): Map<string, string> {
  checkDeviceAgents(devices, agents);
  const hosts = new Map<string, string>();
  let next = 0;
  for (const d of devices) {
    if (d.agent !== undefined) {
      hosts.set(d.id, d.agent);
    } else {
      hosts.set(d.id, agents.length ? agents[next++ % agents.length]! : LOCAL);
    }
  }
  return hosts;
}

/** A device's `agent` key must name `local` or one of `--agents`: bad input otherwise, said before anything is built. */
export function checkDeviceAgents(devices: readonly { id: string; agent?: string | undefined }[], agents: readonly string[]): void {
  for (const d of devices) {
    if (d.agent !== undefined && d.agent !== LOCAL && !agents.includes(d.agent)) throw new UsageError(`device ${d.id} names agent ${JSON.stringify(d.agent)}, which is not in --agents (${agents.join(',') || 'none'})`);
  }
}

/** `--agents a,b` as names; `local` may be among them. */
export function parseAgentList(text: string): string[] {
  const names = text.split(',').map((s) => s.trim()).filter(Boolean);
  if (names.length === 0) throw new UsageError('--agents: at least one agent name');
  for (const n of names) if (!/^[A-Za-z0-9_-]{1,64}$/.test(n)) throw new UsageError(`--agents: invalid agent name ${JSON.stringify(n)}`);
  if (new Set(names).size !== names.length) throw new UsageError('--agents: a name appears twice');
  return names;
}
