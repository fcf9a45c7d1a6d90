import os from 'node:os';
import { chooseNetworkMode, probeCapabilities } from '../net/probe.js';
import { sledgeVersion } from '../records/manifest.js';
import type { AgentFacts } from './protocol.js';

/** What an agent tells a launcher about its host: enough to place devices and to record it. */
export async function hostFacts(name: string, clockSkewMs: number): Promise<AgentFacts> {
  const { mode, reason } = chooseNetworkMode('auto', await probeCapabilities());
  return {
    name,
    host: os.hostname(),
    cores: os.cpus().length,
    memoryBytes: os.totalmem(),
    network: mode,
    networkReason: reason,
    version: sledgeVersion(),
    clockSkewMs,
  };
}
