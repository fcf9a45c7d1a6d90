import { z } from 'zod';
import { StrategyError, type StrategyDefinition } from './strategy.js';

const fixedParams = z.strictObject({
  cut: z.number().int().min(1),
  freqHz: z.number().gt(0).optional(),
});

/** The same cut for every device and turn; infeasible anywhere is an error up front. */
export const fixed: StrategyDefinition<typeof fixedParams> = {
  name: 'fixed',
  summary: 'the same cut for everyone, GPU at freqHz (default: maximum)',
  params: fixedParams,
  create(params, env) {
    const { min, max } = env.server.freqHz;
    const freqHz = params.freqHz ?? max;
    if (freqHz < min || freqHz > max) {
      throw new StrategyError(`freqHz: ${freqHz} is outside the server's range [${min}, ${max}]`);
    }
    for (const [id, cuts] of env.feasibleCuts) {
      if (!cuts.includes(params.cut)) {
        throw new StrategyError(`cut: ${params.cut} is infeasible for device "${id}" (feasible: ${rangeText(cuts)})`);
      }
    }
    return { decide: () => ({ cut: params.cut, freqHz }) };
  },
};

function rangeText(cuts: readonly number[]): string {
  return cuts.length ? `${cuts[0]}..${cuts[cuts.length - 1]}` : 'none';
}
