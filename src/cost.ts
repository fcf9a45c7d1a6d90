import type { SplitModel } from './split.js';
import { dbmToWatts, type Device, type Rates, type Server } from './system.js';

/** The seven phases of a turn, in the order they happen (docs/model.md §1.4). */
export const PHASES = ['adapterDown', 'deviceForward', 'uplink', 'server', 'downlink', 'deviceBackward', 'adapterUp'] as const;
export type Phase = (typeof PHASES)[number];

/** The phases that move bytes over the device's link: latency adds to them, an outage can hit them. */
export const TRANSFER_PHASES = ['adapterDown', 'uplink', 'downlink', 'adapterUp'] as const satisfies readonly Phase[];
export type TransferPhase = (typeof TRANSFER_PHASES)[number];

/**
 * What a turn's delay is reported as: the seven phases, the time its server jobs queued
 * for the shared GPU (`serverWait`, parallel mode, docs/model.md §1.6; always 0 in sequential
 * mode) and the total. `serverWait` is not a phase of 1.4, so PHASES stays the seven.
 */
export const DELAY_KEYS = [...PHASES, 'serverWait', 'total'] as const;
export type DelayKey = (typeof DELAY_KEYS)[number];
export type PhaseDelays = Record<DelayKey, number>;

export interface TurnEnergy {
  server: number;
  deviceCompute: number;
  deviceTransmit: number;
}

export interface TurnCost {
  delay: PhaseDelays;
  energy: TurnEnergy;
}

/** The energy each phase spends, so that a turn cut short (a crash) is charged what it completed. */
export type PhaseEnergies = Record<'server' | 'deviceForward' | 'deviceBackward' | 'uplink' | 'adapterUp', number>;

/**
 * The cost of one turn of one device: every phase's delay and the three energies, for a
 * cut l, a server frequency f and the round's rates. Per-device constants are computed
 * once because strategies evaluate every cut of every turn. `latencyS` is the one-way
 * latency d of every transfer (channel.delayMs / 1000).
 */
export class TurnCostModel {
  private readonly deviceFlopsPerSecond: number;
  /** The device's transmit power Ptx, W. */
  readonly txPowerW: number;
  private readonly iterSamples: number;

  constructor(
    readonly split: SplitModel,
    readonly server: Server,
    readonly device: Device,
    readonly latencyS = 0,
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
    return this.phaseDelays(l, f, rates, this.latencyS);
  }

  /**
   * The turn's total without latency. Latency is the same for every cut, so CARD compares
   * this: a constant added to J would widen its relative tie tolerance and could flip a
   * near-tie, and latency must never change a decision (docs/model.md §1.4).
   */
  totalWithoutLatency(l: number, f: number, rates: Rates): number {
    // CARD's search calls this for every feasible cut of every turn: the same sum as
    // phaseDelays(l, f, rates, 0).total, term for term in the same order (so bit for bit
    // the same), without allocating the phases object (docs/strategies.md "## Benchmark").
    const { split } = this;
    const I = split.training.iterations;
    const adapterBits = 8 * split.adapterBytes(l);
    const smashedBits = 8 * I * split.smashedBytes;
    return (
      adapterBits / rates.downBps +
      (this.iterSamples * split.deviceForwardFlops(l)) / this.deviceFlopsPerSecond +
      smashedBits / rates.upBps +
      this.serverCycles(l) / f +
      smashedBits / rates.downBps +
      (this.iterSamples * split.deviceBackwardFlops(l)) / this.deviceFlopsPerSecond +
      adapterBits / rates.upBps
    );
  }

  /** Latency is added once per transfer: the uplink and downlink are I transfers each. */
  private phaseDelays(l: number, f: number, rates: Rates, d: number): PhaseDelays {
    const { split } = this;
    const I = split.training.iterations;
    const adapterBits = 8 * split.adapterBytes(l);
    const smashedBits = 8 * I * split.smashedBytes;
    const adapterDown = d + adapterBits / rates.downBps;
    const deviceForward = (this.iterSamples * split.deviceForwardFlops(l)) / this.deviceFlopsPerSecond;
    const uplink = I * d + smashedBits / rates.upBps;
    const server = this.serverCycles(l) / f;
    const downlink = I * d + smashedBits / rates.downBps;
    const deviceBackward = (this.iterSamples * split.deviceBackwardFlops(l)) / this.deviceFlopsPerSecond;
    const adapterUp = d + adapterBits / rates.upBps;
    const total = adapterDown + deviceForward + uplink + server + downlink + deviceBackward + adapterUp;
    return { adapterDown, deviceForward, uplink, server, downlink, deviceBackward, adapterUp, serverWait: 0, total };
  }

  /** Per phase: server energy, device compute of forward and backward, transmit power × time on air. */
  phaseEnergies(l: number, f: number, rates: Rates): PhaseEnergies {
    const { split, device } = this;
    const computeJPerFlop = (device.kappa * device.freqHz ** 2) / device.flopsPerCycle;
    return {
      server: this.serverEnergy(l, f),
      deviceForward: computeJPerFlop * this.iterSamples * split.deviceForwardFlops(l),
      deviceBackward: computeJPerFlop * this.iterSamples * split.deviceBackwardFlops(l),
      uplink: (this.txPowerW * 8 * split.training.iterations * split.smashedBytes) / rates.upBps,
      adapterUp: (this.txPowerW * 8 * split.adapterBytes(l)) / rates.upBps,
    };
  }

  /** The turn's phases and energies; the energies are phaseEnergies() summed as the records report them. */
  cost(l: number, f: number, rates: Rates): TurnCost {
    const e = this.phaseEnergies(l, f, rates);
    // latency is waiting, not transmitting: the radio is charged for time on air only (phaseEnergies does)
    return { delay: this.delay(l, f, rates), energy: { server: e.server, deviceCompute: e.deviceForward + e.deviceBackward, deviceTransmit: e.uplink + e.adapterUp } };
  }
}
