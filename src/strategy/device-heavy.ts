import { z } from 'zod';
import type { StrategyDefinition } from './strategy.js';

const noParams = z.strictObject({});

/** As much of the model on the device as its memory allows, GPU at maximum. */
export const deviceHeavy: StrategyDefinition<typeof noParams> = {
  name: 'device-heavy',
  summary: 'the largest feasible cut, GPU at maximum',
  params: noParams,
  create(_params, env) {
    const freqHz = env.server.freqHz.max;
    return { decide: (turn) => ({ cut: turn.feasibleCuts[turn.feasibleCuts.length - 1] as number, freqHz }) };
  },
};
