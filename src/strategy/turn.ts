import type { TurnCost, TurnCostModel } from '../cost.js';
import type { Device, Rates, Server } from '../system.js';
import type { TurnContext } from './strategy.js';

/**
 * The turn a strategy decides (docs/strategies.md): one object per turn, `predict` on the
 * prototype so a turn costs one small allocation, not a closure per call.
 */
export class Turn implements TurnContext {
  constructor(
    readonly round: number,
    readonly device: Device,
    readonly rates: Rates,
    readonly feasibleCuts: readonly number[],
    readonly cost: TurnCostModel,
    readonly server: Server,
  ) {}

  predict(cut: number, freqHz: number): TurnCost {
    const [lo, hi] = this.cost.split.training.cutRange;
    if (!Number.isInteger(cut) || cut < lo || cut > hi) throw new RangeError(`predict: cut ${String(cut)} is not a cut layer in [${lo}, ${hi}]`);
    if (typeof freqHz !== 'number' || !(freqHz > 0) || !Number.isFinite(freqHz)) throw new RangeError(`predict: freqHz ${String(freqHz)} is not a positive frequency`);
    return this.cost.cost(cut, freqHz, this.rates);
  }
}
