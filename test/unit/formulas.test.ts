/**
 * Every formula of docs/model.md §1.1–1.5 against a value worked out by hand. The expected
 * values are written as the arithmetic of the formula with the numbers put in (and, where
 * it helps the reader, the evaluated literal), never by calling the code's helpers.
 */
import { describe, expect, it } from 'vitest';
import { ShannonChannel, TraceChannel } from '../../src/channel.js';
import { TurnCostModel } from '../../src/cost.js';
import { blockParams, PRESETS } from '../../src/model.js';
import { plan } from '../../src/plan.js';
import { SplitModel, type Training } from '../../src/split.js';
import { cardFrequency } from '../../src/strategy/card.js';
import { SystemModel } from '../../src/system-model.js';
import { dbmToWatts, type Device, type Server } from '../../src/system.js';
import { expectRel, mustParse, smallModelConfig } from './helpers.js';

const paperTraining: Training = {
  seqLen: 512,
  batch: 4,
  iterations: 1,
  backwardFactor: 2,
  bytesPerActivation: 2,
  bytesPerWeight: 2,
  activationFactor: 16,
  lora: { rank: 8, matricesPerLayer: 2, bytesPerParam: 2 },
  cutRange: [1, 15],
};

describe('presets (docs/model.md §1.1)', () => {
  it('are the public architecture facts', () => {
    expect(PRESETS['gpt2-small']).toEqual({ layers: 12, hidden: 768, ffn: 3072, heads: 12, kvHeads: 12, vocab: 50257, mlp: 'plain' });
    expect(PRESETS['gpt2-large']).toEqual({ layers: 36, hidden: 1280, ffn: 5120, heads: 20, kvHeads: 20, vocab: 50257, mlp: 'plain' });
    expect(PRESETS['llama2-7b']).toEqual({ layers: 32, hidden: 4096, ffn: 11008, heads: 32, kvHeads: 32, vocab: 32000, mlp: 'gated' });
    expect(PRESETS['llama3.2-1b']).toEqual({ layers: 16, hidden: 2048, ffn: 8192, heads: 32, kvHeads: 8, vocab: 128256, mlp: 'gated' });
    expect(PRESETS['tinyllama-1.1b']).toEqual({ layers: 22, hidden: 2048, ffn: 5632, heads: 32, kvHeads: 4, vocab: 32000, mlp: 'gated' });
  });

  it('block parameters of the other presets', () => {
    // gpt2-small: hkv = 768, plain MLP: 2*768^2 + 2*768*768 + 2*768*3072
    expect(blockParams(PRESETS['gpt2-small'])).toBe(2 * 589_824 + 2 * 589_824 + 2 * 2_359_296); // 7,077,888
    // llama2-7b: hkv = 4096, gated: 2*4096^2 + 2*4096^2 + 3*4096*11008
    expect(blockParams(PRESETS['llama2-7b'])).toBe(4 * 16_777_216 + 3 * 45_088_768); // 202,375,168
    // tinyllama: hkv = 2048*4/32 = 256: 2*2048^2 + 2*2048*256 + 3*2048*5632
    expect(blockParams(PRESETS['tinyllama-1.1b'])).toBe(8_388_608 + 1_048_576 + 34_603_008);
  });
});

describe('llama3.2-1b, the paper setting, by hand', () => {
  const split = new SplitModel(PRESETS['llama3.2-1b'], paperTraining);
  // h = 2048, kvHeads/heads = 8/32 -> hkv = 2048 * 8 / 32 = 512
  const P_block = 2 * 2048 * 2048 + 2 * 2048 * 512 + 3 * 2048 * 8192; // 8,388,608 + 2,097,152 + 50,331,648
  const phiF = 2 * 60_817_408 + 4 * 512 * 2048; // 121,634,816 + 4,194,304
  const phiB = 2 * 125_829_120;
  const phiH = 2 * 2048 * 128256;

  it('hkv, P_block, phiF, phiB, phiH', () => {
    expect(P_block).toBe(60_817_408);
    expect(split.blockParams).toBe(60_817_408);
    expect(split.phiF).toBe(125_829_120);
    expect(split.phiF).toBe(phiF);
    expect(split.phiB).toBe(251_658_240);
    expect(split.phiB).toBe(phiB);
    expect(split.phiH).toBe(525_336_576);
  });

  it('Fdev_fwd, Fdev_bwd, Fsrv at several cuts', () => {
    // Fdev_fwd(l) = s*l*phiF = 512 * l * 125,829,120 = l * 64,424,509,440
    expect(split.deviceForwardFlops(1)).toBe(64_424_509_440);
    expect(split.deviceForwardFlops(4)).toBe(4 * 64_424_509_440);
    expect(split.deviceBackwardFlops(4)).toBe(512 * 4 * 251_658_240);
    // Fsrv(l) = s*((L-l)*(phiF+phiB) + (1+beta)*phiH); phiF+phiB = 377,487,360; 3*phiH = 1,576,009,728
    expect(split.serverFlops(4)).toBe(512 * (12 * 377_487_360 + 1_576_009_728)); // 3,126,199,320,576
    expect(split.serverFlops(4)).toBe(3_126_199_320_576);
    expect(split.serverFlops(15)).toBe(512 * (1 * 377_487_360 + 1_576_009_728));
    expect(split.serverFlops(1)).toBe(512 * (15 * 377_487_360 + 3 * phiH));
  });

  it('A, Lam, M', () => {
    // A = b*s*h*bytesPerActivation = 4*512*2048*2
    expect(split.smashedBytes).toBe(8_388_608);
    // Lam(l) = l * matricesPerLayer * 2 * rank * h * bytesPerParam = l * 2*2*8*2048*2 = l * 131,072
    expect(split.adapterBytes(1)).toBe(131_072);
    expect(split.adapterBytes(7)).toBe(7 * 131_072);
    // M(l) = (V*h + l*P_block)*2 + l*b*s*h*16*2 = 525,336,576 + l*(121,634,816 + 134,217,728)
    expect(split.deviceMemoryBytes(0)).toBe(128256 * 2048 * 2);
    expect(split.deviceMemoryBytes(1)).toBe(525_336_576 + 255_852_544);
    expect(split.deviceMemoryBytes(9)).toBe(525_336_576 + 9 * 255_852_544);
  });

  it('feasible cuts: M(l) <= memoryBytes, within cutRange, boundary included', () => {
    // 3e9: l <= (3e9 - 525,336,576)/255,852,544 = 9.67 -> 1..9 ; 4e9: 13.58 -> 1..13 ; 8e9 -> all of 1..15
    expect(split.feasibleCuts(3e9)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(split.feasibleCuts(4e9)).toEqual(Array.from({ length: 13 }, (_, i) => i + 1));
    expect(split.feasibleCuts(8e9)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
    // exactly M(5) holds cut 5, one byte less does not
    expect(split.feasibleCuts(525_336_576 + 5 * 255_852_544)).toEqual([1, 2, 3, 4, 5]);
    expect(split.feasibleCuts(525_336_576 + 5 * 255_852_544 - 1)).toEqual([1, 2, 3, 4]);
    expect(split.feasibleCuts(525_336_576 + 255_852_544 - 1)).toEqual([]);
    const narrowed = new SplitModel(PRESETS['llama3.2-1b'], { ...paperTraining, cutRange: [3, 6] });
    expect(narrowed.feasibleCuts(8e9)).toEqual([3, 4, 5, 6]);
    expect(narrowed.feasibleCuts(525_336_576 + 4 * 255_852_544)).toEqual([3, 4]);
  });

  it('one turn of the paper device d1 at cut 4 (f = 1e9, rates 50/80 Mbit/s)', () => {
    const server: Server = { freqHz: { min: 2.1e8, max: 1.41e9 }, flopsPerCycle: 110000, kappa: 1e-25, staticPowerW: 0, txPowerDbm: 43 };
    const device: Device = { id: 'd1', freqHz: 0.6e9, flopsPerCycle: 2048, kappa: 1.5e-26, memoryBytes: 8e9, txPowerDbm: 23 };
    const cost = new TurnCostModel(split, server, device);
    const rates = { upBps: 50e6, downBps: 80e6 };
    const c = cost.cost(4, 1e9, rates);
    const Fn = 0.6e9 * 2048; // 1.2288e12 FLOP/s
    expectRel(c.delay.adapterDown, (8 * 4 * 131_072) / 80e6); // 0.0524288
    expectRel(c.delay.deviceForward, (4 * 4 * 64_424_509_440) / Fn); // 838.86 s
    expectRel(c.delay.uplink, (8 * 8_388_608) / 50e6); // 1.34217728
    expectRel(c.delay.server, (4 * 3_126_199_320_576) / (110000 * 1e9)); // 0.113679...
    expectRel(c.delay.downlink, (8 * 8_388_608) / 80e6);
    expectRel(c.delay.deviceBackward, (4 * 512 * 4 * 251_658_240) / Fn);
    expectRel(c.delay.adapterUp, (8 * 4 * 131_072) / 50e6);
    const C = (4 * 3_126_199_320_576) / 110000;
    expectRel(c.energy.server, 1e-25 * C * 1e18);
    expectRel(c.energy.deviceCompute, 1.5e-26 * ((4 * 512 * 4 * (125_829_120 + 251_658_240)) / 2048) * 0.36e18);
    expectRel(c.energy.deviceTransmit, 0.19952623149688797 * ((8 * 8_388_608) / 50e6 + (8 * 4 * 131_072) / 50e6));
  });
});

describe('an explicit small model by hand (L=4, h=64, ffn=256, heads=4, kvHeads=2, V=1000, plain)', () => {
  const model = { layers: 4, hidden: 64, ffn: 256, heads: 4, kvHeads: 2, vocab: 1000, mlp: 'plain' as const };
  const training: Training = {
    seqLen: 8,
    batch: 2,
    iterations: 3,
    backwardFactor: 2,
    bytesPerActivation: 2,
    bytesPerWeight: 2,
    activationFactor: 16,
    lora: { rank: 4, matricesPerLayer: 2, bytesPerParam: 2 },
    cutRange: [1, 3],
  };
  const server: Server = { freqHz: { min: 1e8, max: 2e9 }, flopsPerCycle: 100, kappa: 1e-26, staticPowerW: 5, txPowerDbm: 30 };
  const device: Device = { id: 'x', freqHz: 1e9, flopsPerCycle: 4, kappa: 1e-27, memoryBytes: 1e6, txPowerDbm: 20 };
  const split = new SplitModel(model, training);
  const cost = new TurnCostModel(split, server, device);
  const rates = { upBps: 1e6, downBps: 4e6 };

  // hkv = 64*2/4 = 32
  // P_block = 2*64*64 + 2*64*32 + 2*64*256 = 8192 + 4096 + 32768 = 45,056
  // phiF = 2*45056 + 4*8*64 = 90,112 + 2,048 = 92,160 ; phiB = 184,320 ; phiH = 2*64*1000 = 128,000
  // cut 2: Fdev_fwd = 8*2*92160 = 1,474,560 ; Fdev_bwd = 2,949,120
  //        Fsrv = 8*((4-2)*(92160+184320) + 3*128000) = 8*(552,960 + 384,000) = 7,495,680
  // A = 2*8*64*2 = 2,048 B ; Lam(2) = 2*2*2*4*64*2 = 4,096 B
  // M(2) = (1000*64 + 2*45056)*2 + 2*2*8*64*16*2 = 308,224 + 65,536 = 373,760 B
  // I*b = 6 ; Fn = 1e9 * 4 = 4e9 FLOP/s ; server cycles C = 6*7,495,680/100 = 449,740.8
  it('profile quantities', () => {
    expect(split.blockParams).toBe(45_056);
    expect(split.phiF).toBe(92_160);
    expect(split.phiB).toBe(184_320);
    expect(split.phiH).toBe(128_000);
    expect(split.deviceForwardFlops(2)).toBe(1_474_560);
    expect(split.deviceBackwardFlops(2)).toBe(2_949_120);
    expect(split.serverFlops(2)).toBe(7_495_680);
    expect(split.serverFlops(3)).toBe(8 * (1 * 276_480 + 384_000));
    expect(split.smashedBytes).toBe(2_048);
    expect(split.adapterBytes(2)).toBe(4_096);
    expect(split.deviceMemoryBytes(2)).toBe(373_760);
    // M(1) = (64000 + 45056)*2 + 32768 = 250,880 ; M(3) = (64000 + 135168)*2 + 98304 = 496,640
    expect(split.feasibleCuts(373_760)).toEqual([1, 2]);
    expect(split.feasibleCuts(496_640)).toEqual([1, 2, 3]);
    expect(split.feasibleCuts(250_879)).toEqual([]);
  });

  it('a plain MLP has two matrices, a gated one three', () => {
    const gated = new SplitModel({ ...model, mlp: 'gated' }, training);
    expect(gated.blockParams - split.blockParams).toBe(64 * 256);
  });

  it('every phase of docs/model.md §1.4, the total and the three energies (f = 1e9, P0 = 5 W)', () => {
    const c = cost.cost(2, 1e9, rates);
    const adapterDown = (8 * 4096) / 4e6; // 0.008192
    const deviceForward = (6 * 1_474_560) / 4e9; // 0.00221184
    const uplink = (8 * 3 * 2048) / 1e6; // 0.049152
    const serverT = 449_740.8 / 1e9; // 0.0004497408
    const downlink = (8 * 3 * 2048) / 4e6; // 0.012288
    const deviceBackward = (6 * 2_949_120) / 4e9; // 0.00442368
    const adapterUp = (8 * 4096) / 1e6; // 0.032768
    expectRel(c.delay.adapterDown, 0.008192);
    expectRel(c.delay.deviceForward, 0.00221184);
    expectRel(c.delay.uplink, 0.049152);
    expectRel(c.delay.server, 0.0004497408);
    expectRel(c.delay.downlink, 0.012288);
    expectRel(c.delay.deviceBackward, 0.00442368);
    expectRel(c.delay.adapterUp, 0.032768);
    expectRel(c.delay.total, adapterDown + deviceForward + uplink + serverT + downlink + deviceBackward + adapterUp);
    expectRel(c.delay.total, 0.1094852608);
    // server = P0*C/f + kappa*C*f^2 = 5*449740.8/1e9 + 1e-26*449740.8*1e18 = 0.002248704 + 0.004497408
    expectRel(c.energy.server, 0.006746112);
    // deviceCompute = kappa_n * (I*b*(Ffwd+Fbwd)/fpc_n) * freq^2 = 1e-27 * (6*4,423,680/4) * 1e18 = 1e-27 * 6,635,520 * 1e18
    expectRel(c.energy.deviceCompute, 0.00663552);
    // deviceTransmit = 20 dBm = 0.1 W times (uplink + adapterUp) = 0.1 * 0.08192
    expectRel(c.energy.deviceTransmit, 0.008192);
  });

  it('the server phase and energy follow f (half the frequency: twice the time, static energy doubles, dynamic quarters)', () => {
    const c = cost.cost(2, 5e8, rates);
    expectRel(c.delay.server, 449_740.8 / 5e8);
    expectRel(c.energy.server, (5 * 449_740.8) / 5e8 + 1e-26 * 449_740.8 * 2.5e17); // 0.004497408 + 0.001124352
    expectRel(cost.serverEnergy(3, 5e8), (5 / 5e8 + 1e-26 * 2.5e17) * ((6 * 8 * 660_480) / 100));
  });

  it('the planner puts the same numbers into its turns and sums rounds and summary', () => {
    const config = mustParse({
      name: 'hand',
      seed: 7,
      rounds: 3,
      model,
      training: { ...training, cutRange: [2, 2] },
      server,
      devices: [
        { ...device, id: 'a' },
        { ...device, id: 'b' },
      ],
      channel: { model: 'trace', trace: { a: { upBps: [1e6], downBps: [4e6] }, b: { upBps: [1e6, 2e6], downBps: [4e6] } } },
      strategy: { name: 'fixed', cut: 2, freqHz: 1e9 },
      emulation: {},
    });
    const system = new SystemModel(config);
    const p = plan(system, system.strategy());
    expect(p.turns.map((t) => [t.round, t.device, t.cut, t.serverFreqHz])).toEqual([
      [1, 'a', 2, 1e9],
      [1, 'b', 2, 1e9],
      [2, 'a', 2, 1e9],
      [2, 'b', 2, 1e9],
      [3, 'a', 2, 1e9],
      [3, 'b', 2, 1e9],
    ]);
    // device b in round 2 has upBps 2e6: uplink and adapterUp halve
    const b2 = p.turns[3]!;
    expect(b2.rateUpBps).toBe(2e6);
    expectRel(b2.delay.uplink, 49152 / 2e6);
    expectRel(b2.delay.adapterUp, 32768 / 2e6);
    const round1 = 2 * 0.1094852608;
    const round2 = 0.1094852608 + (0.1094852608 - 0.049152 / 2 - 0.032768 / 2);
    expectRel(p.rounds[0]!.delay, round1);
    expectRel(p.rounds[1]!.delay, round2);
    expectRel(p.rounds[2]!.delay, round1);
    expectRel(p.rounds[1]!.serverEnergy, 2 * 0.006746112);
    expectRel(p.summary.avgRoundDelay, (2 * round1 + round2) / 3);
    expectRel(p.summary.avgServerEnergy, 2 * 0.006746112);
    expectRel(p.summary.totalDelay, 2 * round1 + round2);
    expectRel(p.summary.totalDeviceComputeEnergy, 6 * 0.00663552);
    expectRel(p.summary.totalDeviceTransmitEnergy, 5 * 0.008192 + 0.004096);
    expect(p.summary.rounds).toBe(3);
    expect(p.summary.turns).toBe(6);
  });
});

describe('latency (docs/model.md §1.4): d = delayMs/1000 once per transfer', () => {
  it('I = 1, the paper device d1 at cut 4 with delayMs 40 (d = 0.04 s)', () => {
    const split = new SplitModel(PRESETS['llama3.2-1b'], paperTraining);
    const server: Server = { freqHz: { min: 2.1e8, max: 1.41e9 }, flopsPerCycle: 110000, kappa: 1e-25, staticPowerW: 0, txPowerDbm: 43 };
    const device: Device = { id: 'd1', freqHz: 0.6e9, flopsPerCycle: 2048, kappa: 1.5e-26, memoryBytes: 8e9, txPowerDbm: 23 };
    const c = new TurnCostModel(split, server, device, 0.04).cost(4, 1e9, { upBps: 50e6, downBps: 80e6 });
    // Lam(4) = 4*131,072 B, A = 8,388,608 B (see above)
    expectRel(c.delay.adapterDown, 0.04 + (8 * 4 * 131_072) / 80e6); // 0.04 + 0.0524288
    expectRel(c.delay.uplink, 1 * (0.04 + (8 * 8_388_608) / 50e6)); // 0.04 + 1.34217728
    expectRel(c.delay.downlink, 1 * (0.04 + (8 * 8_388_608) / 80e6)); // 0.04 + 0.8388608
    expectRel(c.delay.adapterUp, 0.04 + (8 * 4 * 131_072) / 50e6); // 0.04 + 0.08388608
    // compute phases do not move
    expectRel(c.delay.deviceForward, (4 * 4 * 64_424_509_440) / (0.6e9 * 2048));
    expectRel(c.delay.server, (4 * 3_126_199_320_576) / (110000 * 1e9));
    expect(c.delay.serverWait).toBe(0);
    const noLatency = new TurnCostModel(split, server, device).cost(4, 1e9, { upBps: 50e6, downBps: 80e6 });
    // four transfers, each 0.04 s later
    expectRel(c.delay.total, noLatency.delay.total + 4 * 0.04);
    // the radio is charged for time on air only: 23 dBm times (1.34217728 + 0.08388608) s, latency left out
    expectRel(c.energy.deviceTransmit, 0.19952623149688797 * (1.34217728 + 0.08388608));
    expect(c.energy).toEqual(noLatency.energy);
  });

  it('I = 3, the small explicit model at cut 2 with delayMs 25 (d = 0.025 s): uplink and downlink are 3 transfers each', () => {
    const model = { layers: 4, hidden: 64, ffn: 256, heads: 4, kvHeads: 2, vocab: 1000, mlp: 'plain' as const };
    const training: Training = { ...paperTraining, seqLen: 8, batch: 2, iterations: 3, lora: { rank: 4, matricesPerLayer: 2, bytesPerParam: 2 }, cutRange: [1, 3] };
    const server: Server = { freqHz: { min: 1e8, max: 2e9 }, flopsPerCycle: 100, kappa: 1e-26, staticPowerW: 5, txPowerDbm: 30 };
    const device: Device = { id: 'x', freqHz: 1e9, flopsPerCycle: 4, kappa: 1e-27, memoryBytes: 1e6, txPowerDbm: 20 };
    const c = new TurnCostModel(new SplitModel(model, training), server, device, 0.025).cost(2, 1e9, { upBps: 1e6, downBps: 4e6 });
    // without latency (worked out in 'an explicit small model by hand'): adapterDown 0.008192, uplink 0.049152,
    // downlink 0.012288, adapterUp 0.032768, total 0.1094852608
    expectRel(c.delay.adapterDown, 0.025 + 0.008192); // 0.033192
    expectRel(c.delay.uplink, 3 * (0.025 + (8 * 2048) / 1e6)); // 3 * (0.025 + 0.016384) = 0.124152
    expectRel(c.delay.downlink, 3 * (0.025 + (8 * 2048) / 4e6)); // 3 * (0.025 + 0.004096) = 0.087288
    expectRel(c.delay.adapterUp, 0.025 + 0.032768); // 0.057768
    expectRel(c.delay.deviceForward, 0.00221184);
    expectRel(c.delay.server, 0.0004497408);
    expectRel(c.delay.deviceBackward, 0.00442368);
    // 2 adapter transfers + 2*3 smashed-data transfers = 8 latencies = 0.2 s
    expectRel(c.delay.total, 0.1094852608 + 8 * 0.025); // 0.3094852608
    // time on air only: 0.1 W * (0.049152 + 0.032768)
    expectRel(c.energy.deviceTransmit, 0.008192);
    expectRel(c.energy.server, 0.006746112);
  });

  it('the planner takes d from channel.delayMs', () => {
    const raw = smallModelConfig(['x'], { channel: { model: 'trace', trace: { x: { upBps: [1e6], downBps: [4e6] } }, delayMs: 25 } });
    const system = new SystemModel(mustParse(raw));
    const [t] = plan(system, system.strategy()).turns;
    expectRel(t!.delay.total, 0.3094852608);
    expectRel(t!.delay.uplink, 0.124152);
  });
});

describe('channel formulas (docs/model.md §1.3)', () => {
  it('dBm -> W', () => {
    expect(dbmToWatts(30)).toBe(1);
    expectRel(dbmToWatts(0), 1e-3);
    expectRel(dbmToWatts(20), 0.1);
    expectRel(dbmToWatts(43), 19.952623149688797);
    expectRel(dbmToWatts(23), 0.19952623149688797);
    expectRel(dbmToWatts(-174), 3.981071705534969e-21);
  });

  it('Shannon rate with fading none, worked in dB', () => {
    const ch = new ShannonChannel({ fading: 'none', noiseDbmPerHz: -174, refLossDb: 15.3, pathLossExponent: 3.76 }, 43, 42);
    const dev: Device = { id: 'd1', freqHz: 1e9, flopsPerCycle: 1, kappa: 0, memoryBytes: 1, txPowerDbm: 23, distanceM: 100, bandwidthHz: 5e6 };
    // PL = 15.3 + 37.6*log10(100) = 90.5 dB ; noise power = -174 + 10*log10(5e6) = -174 + 66.98970004 dBm
    // SNR_up = 23 - 90.5 - (-107.01029996) = 39.51029996 dB ; SNR_down = 43 - 90.5 + 107.01029996 = 59.51029996 dB
    const up = 5e6 * Math.log2(1 + 10 ** (39.51029995663981 / 10)); // ~65.6 Mbit/s
    const down = 5e6 * Math.log2(1 + 10 ** (59.51029995663981 / 10)); // ~98.8 Mbit/s
    const r = ch.rates(3, dev);
    expectRel(r.upBps, up, 1e-11);
    expectRel(r.downBps, down, 1e-11);
    expect(r.upBps).toBeGreaterThan(65.6e6);
    expect(r.upBps).toBeLessThan(65.7e6);
    // the far, narrow device: d = 250 m, B = 2 MHz: PL = 15.3 + 37.6*2.39794 = 105.4625 dB
    const far = ch.rates(1, { ...dev, distanceM: 250, bandwidthHz: 2e6 });
    const snrDb = 23 - (15.3 + 37.6 * 2.3979400086720375) + 174 - 10 * 6.301029995663981;
    expectRel(far.upBps, 2e6 * Math.log2(1 + 10 ** (snrDb / 10)), 1e-11);
  });

  it('a trace gives its numbers back unchanged', () => {
    const ch = new TraceChannel({ a: { upBps: [1, 2, 3], downBps: [10, 20] } });
    const dev = { id: 'a' } as Device;
    expect(ch.rates(1, dev)).toEqual({ upBps: 1, downBps: 10 });
    expect(ch.rates(5, dev)).toEqual({ upBps: 2, downBps: 10 }); // (5-1) mod 3 = 1 ; (5-1) mod 2 = 0
  });
});

describe("CARD's closed-form frequency (docs/model.md §1.5)", () => {
  const server = (staticPowerW: number): Server => ({ freqHz: { min: 1e8, max: 2e9 }, flopsPerCycle: 100, kappa: 1e-26, staticPowerW });

  it('with P0: cbrt((w + (1-w)*nu*P0) / (2*(1-w)*nu*kappa))', () => {
    // w = 0.5, nu = 1, P0 = 5: (0.5 + 0.5*5) / (2*0.5*1e-26) = 3 / 1e-26 = 3e26 -> 669,432,950.6 Hz
    const f = cardFrequency(server(5), { weightDelay: 0.5, energyScale: 1 });
    expectRel(f ** 3, 3e26, 1e-12);
    expectRel(f, 669_432_950.08, 1e-9);
    // w = 0.2, nu = 0.5, P0 = 40: (0.2 + 0.8*0.5*40) / (2*0.8*0.5*1e-26) = 16.2 / 8e-27 = 2.025e27 -> 1.2651e9
    expectRel(cardFrequency(server(40), { weightDelay: 0.2, energyScale: 0.5 }) ** 3, 2.025e27, 1e-12);
  });

  it('without P0: cbrt(w / (2*(1-w)*nu*kappa))', () => {
    // w = 0.5, nu = 1: 0.5 / 1e-26 = 5e25 -> 368,403,149.9 Hz
    const f = cardFrequency(server(0), { weightDelay: 0.5, energyScale: 1 });
    expectRel(f ** 3, 5e25, 1e-12);
    expectRel(f, 368_403_149.9, 1e-9);
    // nu = 0.1 makes energy cheaper: 0.5 / (2*0.5*0.1*1e-26) = 5e26
    expectRel(cardFrequency(server(0), { weightDelay: 0.5, energyScale: 0.1 }) ** 3, 5e26, 1e-12);
  });

  it('clamped at min', () => {
    // w = 0.01: 0.01 / (2*0.99*1e-26) = 5.05e23 -> 79.6 MHz < 100 MHz
    expect(cardFrequency(server(0), { weightDelay: 0.01, energyScale: 1 })).toBe(1e8);
    // w = 0: P0 = 0 gives f = 0, clamped to min
    expect(cardFrequency(server(0), { weightDelay: 0, energyScale: 1 })).toBe(1e8);
  });

  it('clamped at max', () => {
    // w = 0.999: 0.999 / (2*0.001*1e-26) = 4.995e28 -> 3.68 GHz > 2 GHz
    expect(cardFrequency(server(0), { weightDelay: 0.999, energyScale: 1 })).toBe(2e9);
  });

  it('w = 1 -> max (no division by zero)', () => {
    expect(cardFrequency(server(0), { weightDelay: 1, energyScale: 1 })).toBe(2e9);
    expect(cardFrequency(server(50), { weightDelay: 1, energyScale: 3 })).toBe(2e9);
  });
});
