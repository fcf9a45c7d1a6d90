import { z } from 'zod';
import type { Server, Rates } from '../system.js';
import type { TurnCostModel } from '../cost.js';
import type { StrategyDefinition, TurnContext } from './strategy.js';

export const cardParams = z.strictObject({
  weightDelay: z.number().min(0).max(1).default(0.5),
  energyScale: z.number().gt(0).default(1),
});
export type CardParams = z.output<typeof cardParams>;

/**
 * For a fixed cut, J(f) = w*C/f + (1-w)*nu*(P0*C/f + kappa*C*f^2) + const is convex in
 * f and C cancels from dJ/df = 0, so one frequency serves every cut:
 * f* = cbrt((w + (1-w)*nu*P0) / (2*(1-w)*nu*kappa)), clamped to the GPU's range.
 */
export function cardFrequency(server: Server, { weightDelay: w, energyScale: nu }: CardParams): number {
  const { min, max } = server.freqHz;
  if (w >= 1) return max;
  const f = Math.cbrt((w + (1 - w) * nu * server.staticPowerW) / (2 * (1 - w) * nu * server.kappa));
  return Math.min(max, Math.max(min, f));
}

/**
 * CARD's objective J = w*total + (1-w)*nu*serverEnergy for one turn, up to the link
 * latency: that is the same for every cut, so leaving it out keeps every decision exact.
 */
export function cardObjective(cost: TurnCostModel, cut: number, f: number, rates: Rates, p: CardParams): number {
  return p.weightDelay * cost.totalWithoutLatency(cut, f, rates) + (1 - p.weightDelay) * p.energyScale * cost.serverEnergy(cut, f);
}

/** Brute force over the feasible cuts; a tie within a relative 1e-9 keeps the smaller cut. */
export function bestCut(turn: TurnContext, f: number, p: CardParams): number {
  return cheapestCut(turn, f, p.weightDelay, (1 - p.weightDelay) * p.energyScale);
}

/**
 * The feasible cut minimising `delayWeight*total + energyWeight*serverEnergy` at frequency
 * f (total without latency, as in cardObjective), by brute force; a tie within a
 * relative 1e-9 keeps the smaller cut. CARD and lyapunov both search with it.
 */
export function cheapestCut(turn: TurnContext, f: number, delayWeight: number, energyWeight: number): number {
  const { feasibleCuts: cuts, cost, rates } = turn;
  let best = cuts[0] as number;
  let bestJ = delayWeight * cost.totalWithoutLatency(best, f, rates) + energyWeight * cost.serverEnergy(best, f);
  for (let i = 1; i < cuts.length; i++) {
    const cut = cuts[i] as number;
    const j = delayWeight * cost.totalWithoutLatency(cut, f, rates) + energyWeight * cost.serverEnergy(cut, f);
    if (j < bestJ - 1e-9 * Math.abs(bestJ)) {
      best = cut;
      bestJ = j;
    }
  }
  return best;
}

export const card: StrategyDefinition<typeof cardParams> = {
  name: 'card',
  summary: 'CARD: closed-form GPU frequency, brute-force cut minimising w*delay + (1-w)*nu*energy',
  params: cardParams,
  create(params, env) {
    const freqHz = cardFrequency(env.server, params);
    return { decide: (turn) => ({ cut: bestCut(turn, freqHz, params), freqHz }) };
  },
};
