import { z } from 'zod';
import type { StrategyDefinition } from './strategy.js';

const noParams = z.strictObject({});

/** As little of the model on the device as possible, GPU at maximum. */
export const serverHeavy: StrategyDefinition<typeof noParams> = {
  name: 'server-heavy',
  summary: 'the smallest feasible cut, GPU at maximum',
  params: noParams,
  create(_params, env) {
    const freqHz = env.server.freqHz.max;
    return { decide: (turn) => ({ cut: turn.feasibleCuts[0] as number, freqHz }) };
  },
};
