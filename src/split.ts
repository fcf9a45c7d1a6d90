import { blockParams, type ModelProfile } from './model.js';

/** Training hyper-parameters that shape FLOPs and bytes (docs/model.md §1.1, section 2). */
export interface Training {
  seqLen: number;
  batch: number;
  iterations: number;
  backwardFactor: number;
  bytesPerActivation: number;
  bytesPerWeight: number;
  activationFactor: number;
  lora: { rank: number; matricesPerLayer: number; bytesPerParam: number };
  cutRange: [number, number];
}

/**
 * The model split at a cut layer l: the device holds the embedding and blocks 1..l,
 * the server blocks l+1..L and the LM head. Every quantity here is per sample or per
 * iteration exactly as docs/model.md §1.1 writes it.
 */
export class SplitModel {
  readonly blockParams: number;
  /** Forward FLOPs per token per block. */
  readonly phiF: number;
  /** Backward FLOPs per token per block. */
  readonly phiB: number;
  /** LM-head forward FLOPs per token. */
  readonly phiH: number;
  /** Smashed data per iteration (its gradient has the same size), bytes. */
  readonly smashedBytes: number;

  constructor(
    readonly model: ModelProfile,
    readonly training: Training,
  ) {
    const { hidden: h } = model;
    const s = training.seqLen;
    this.blockParams = blockParams(model);
    this.phiF = 2 * this.blockParams + 4 * s * h;
    this.phiB = training.backwardFactor * this.phiF;
    this.phiH = 2 * h * model.vocab;
    this.smashedBytes = training.batch * s * h * training.bytesPerActivation;
  }

  get layers(): number {
    return this.model.layers;
  }

  /** Device forward FLOPs per sample at cut l. */
  deviceForwardFlops(l: number): number {
    return this.training.seqLen * l * this.phiF;
  }

  /** Device backward FLOPs per sample at cut l. */
  deviceBackwardFlops(l: number): number {
    return this.training.seqLen * l * this.phiB;
  }

  /** Server FLOPs per sample at cut l: blocks l+1..L forward and backward, plus the head. */
  serverFlops(l: number): number {
    const beta = this.training.backwardFactor;
    return this.training.seqLen * ((this.model.layers - l) * (this.phiF + this.phiB) + (1 + beta) * this.phiH);
  }

  /** LoRA adapters of blocks 1..l, bytes. */
  adapterBytes(l: number): number {
    const { rank, matricesPerLayer, bytesPerParam } = this.training.lora;
    return l * matricesPerLayer * 2 * rank * this.model.hidden * bytesPerParam;
  }

  /** Device memory to train at cut l: embedding + blocks' weights + their activations. */
  deviceMemoryBytes(l: number): number {
    const { hidden: h, vocab: V } = this.model;
    const t = this.training;
    return (V * h + l * this.blockParams) * t.bytesPerWeight + l * t.batch * t.seqLen * h * t.activationFactor * t.bytesPerActivation;
  }

  /** The cuts in cutRange that fit in memoryBytes, smallest first. */
  feasibleCuts(memoryBytes: number): number[] {
    const [lo, hi] = this.training.cutRange;
    const cuts: number[] = [];
    for (let l = lo; l <= hi; l++) if (this.deviceMemoryBytes(l) <= memoryBytes) cuts.push(l);
    return cuts;
  }
}
