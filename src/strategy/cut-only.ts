import { bestCut, cardParams } from './card.js';
import type { StrategyDefinition } from './strategy.js';

/** Ablation of CARD: the same cut search, the GPU always at its highest frequency. */
export const cutOnly: StrategyDefinition<typeof cardParams> = {
  name: 'cut-only',
  summary: "CARD's cut search with the GPU at its maximum frequency",
  params: cardParams,
  create(params, env) {
    const freqHz = env.server.freqHz.max;
    return { decide: (turn) => ({ cut: bestCut(turn, freqHz, params), freqHz }) };
  },
};
