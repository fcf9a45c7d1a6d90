import { z } from 'zod';
import { Rng } from '../rng.js';
import type { StrategyDefinition } from './strategy.js';

const randomParams = z.strictObject({
  seed: z.number().int().min(0).optional(),
});

/** A uniformly random feasible cut per turn, GPU at maximum; seeded by the config's seed. */
export const random: StrategyDefinition<typeof randomParams> = {
  name: 'random',
  summary: 'a uniformly random feasible cut each turn (seeded), GPU at maximum',
  params: randomParams,
  create(params, env) {
    const seed = params.seed ?? env.seed;
    const freqHz = env.server.freqHz.max;
    return {
      decide: (turn) => {
        const cuts = turn.feasibleCuts;
        const i = Rng.of(seed, 'random-cut', turn.round, turn.device.id).int(0, cuts.length - 1);
        return { cut: cuts[i] as number, freqHz };
      },
    };
  },
};
