import type { Config } from '../../src/config.js';
import type { NetworkFacts } from '../records/manifest.js';
import { chooseNetworkMode, impairmentPlacement, probeCapabilities } from './probe.js';

export interface NetworkChoice extends NetworkFacts {
  impairments: NetworkFacts['impairments'] & {
    /**
     * What every actor's transport applies from its start: loss only. Delay and jitter are
     * wall time, known once timeScale is (it may be chosen after calibration), so they
     * travel with each turn, the delay less the calibrated floor (launcher/scale-choice.ts).
     */
    wall: { delayMs: number; jitterMs: number; lossPct: number };
  };
}

const SHAPING = {
  tc:
    "htb on both ends of each device's veth (uplink inside the namespace, downlink on the host), rates × 1514/1448 for " +
    'Ethernet/IP/TCP headers, pure ACKs unshaped, every transfer padded by the shaper head start (bucket + half a frame)',
  userspace: 'senders pace 256 KiB chunks with a token bucket at the rate, leading by the measured round-trip time',
} as const;

/**
 * tc where the host can (root, netns, veth, bridge, htb), else userspace pacing
 * (docs/architecture.md §6). Delay, jitter and loss go to netem where the kernel has it; this
 * kernel has none, so the userspace transport applies them, and the manifest says which.
 */
export async function chooseNetwork(config: Config): Promise<NetworkChoice> {
  const requested = config.emulation.network;
  const caps = requested === 'userspace' ? undefined : await probeCapabilities();
  const { mode, reason } = caps ? chooseNetworkMode(requested, caps) : { mode: 'userspace' as const, reason: 'requested by the config' };
  const { delayMs, jitterMs, lossPct } = config.channel;
  const any = delayMs > 0 || jitterMs > 0 || lossPct > 0;
  // Only the userspace path is wired; netem would take over where a kernel has it.
  const placement = !any ? 'none' : 'userspace';
  const why = !any
    ? 'the config asks for no delay, jitter or loss'
    : caps && impairmentPlacement(caps) === 'netem'
      ? 'applied in the userspace transport (netem available but not used)'
      : 'this kernel has no netem: applied in the userspace transport';
  return {
    mode,
    reason,
    shaping: SHAPING[mode],
    impairments: { delayMs, jitterMs, lossPct, placement, reason: why, wall: { delayMs: 0, jitterMs: 0, lossPct } },
  };
}
