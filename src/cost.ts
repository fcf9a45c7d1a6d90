import type { SplitModel } from './split.js';
import { dbmToWatts, type Device, type Rates, type Server } from './system.js';

/** The seven phases of a turn, in the order they happen (DESIGN.md 1.4). */
export const PHASES = ['adapterDown', 'deviceForward', 'uplink', 'server', 'downlink', 'deviceBackward', 'adapterUp'] as const;
export type Phase = (typeof PHASES)[number];
export type PhaseDelays = Record<Phase | 'total', number>;

export interface TurnEnergy {
  server: number;
  deviceCompute: number;
  deviceTransmit: number;
}

export interface TurnCost {
  delay: PhaseDelays;
  energy: TurnEnergy;
}

/**
 * The cost of one turn of one device: every phase's delay and the three energies, for a
 * cut l, a server frequency f and the round's rates. Per-device constants are computed
 * once because strategies evaluate every cut of every turn.
 */
export class TurnCostModel {
  private readonly deviceFlopsPerSecond: number;
  private readonly txPowerW: number;
  private readonly iterSamples: number;

  constructor(
    readonly split: SplitModel,
    readonly server: Server,
    readonly device: Device,
  ) {
    this.deviceFlopsPerSecond = device.freqHz * device.flopsPerCycle;
    this.txPowerW = dbmToWatts(device.txPowerDbm);
    this.iterSamples = split.training.iterations * split.training.batch;
  }

  /** Server GPU cycles of the turn: C = I*b*Fsrv(l)/flopsPerCycle_s. */
  serverCycles(l: number): number {
    return (this.iterSamples * this.split.serverFlops(l)) / this.server.flopsPerCycle;
  }

  serverEnergy(l: number, f: number): number {
    const c = this.serverCycles(l);
    return (this.server.staticPowerW * c) / f + this.server.kappa * c * f * f;
  }

  delay(l: number, f: number, rates: Rates): PhaseDelays {
    const { split } = this;
    const I = split.training.iterations;
    const adapterBits = 8 * split.adapterBytes(l);
    const smashedBits = 8 * I * split.smashedBytes;
    const adapterDown = adapterBits / rates.downBps;
    const deviceForward = (this.iterSamples * split.deviceForwardFlops(l)) / this.deviceFlopsPerSecond;
    const uplink = smashedBits / rates.upBps;
    const server = this.serverCycles(l) / f;
    const downlink = smashedBits / rates.downBps;
    const deviceBackward = (this.iterSamples * split.deviceBackwardFlops(l)) / this.deviceFlopsPerSecond;
    const adapterUp = adapterBits / rates.upBps;
    const total = adapterDown + deviceForward + uplink + server + downlink + deviceBackward + adapterUp;
    return { adapterDown, deviceForward, uplink, server, downlink, deviceBackward, adapterUp, total };
  }

  cost(l: number, f: number, rates: Rates): TurnCost {
    const delay = this.delay(l, f, rates);
    const deviceCycles = (this.iterSamples * (this.split.deviceForwardFlops(l) + this.split.deviceBackwardFlops(l))) / this.device.flopsPerCycle;
    return {
      delay,
      energy: {
        server: this.serverEnergy(l, f),
        deviceCompute: this.device.kappa * deviceCycles * this.device.freqHz ** 2,
        deviceTransmit: this.txPowerW * (delay.uplink + delay.adapterUp),
      },
    };
  }
}
