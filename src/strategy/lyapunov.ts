import { z } from 'zod';
import type { Server } from '../system.js';
import { cheapestCut } from './card.js';
import type { StrategyDefinition } from './strategy.js';

export const lyapunovParams = z.strictObject({
  energyBudgetJ: z.number().gt(0),
  V: z.number().gt(0).default(1),
});
export type LyapunovParams = z.output<typeof lyapunovParams>;

/**
 * The GPU frequency minimising V*C/f + Q*(P0*C/f + kappa*C*f^2) for a fixed cut: C cancels
 * from the derivative, so f* = cbrt((V + Q*P0) / (2*Q*kappa)), clamped; with Q = 0 the
 * energy weighs nothing and the fastest frequency wins (docs/model.md §1.5).
 */
export function lyapunovFrequency(server: Server, V: number, Q: number): number {
  const { min, max } = server.freqHz;
  if (Q <= 0) return max;
  const f = Math.cbrt((V + Q * server.staticPowerW) / (2 * Q * server.kappa));
  return Math.min(max, Math.max(min, f));
}

/** The virtual energy queue after a round: the energy spent above budget, never below 0. */
export function nextQueue(Q: number, roundServerEnergy: number, energyBudgetJ: number): number {
  return Math.max(0, Q + roundServerEnergy - energyBudgetJ);
}

/**
 * Drift-plus-penalty (docs/strategies.md): each turn minimises V*total + Q*serverEnergy;
 * the queue Q grows by every round's planned server energy above the budget and drains
 * below it, so the long-run average server energy per round keeps to the budget. Q is
 * updated through `endRound`, the hook a user's module gets too.
 */
export const lyapunov: StrategyDefinition<typeof lyapunovParams> = {
  name: 'lyapunov',
  summary: 'online: keeps the average server energy per round within energyBudgetJ (a virtual queue Q), each turn minimising V*delay + Q*energy',
  params: lyapunovParams,
  create({ energyBudgetJ, V }, env) {
    let Q = 0;
    let freqHz = lyapunovFrequency(env.server, V, Q);
    return {
      decide: (turn) => ({ cut: cheapestCut(turn, freqHz, V, Q), freqHz }),
      endRound: (_round, { serverEnergy }) => {
        Q = nextQueue(Q, serverEnergy, energyBudgetJ);
        freqHz = lyapunovFrequency(env.server, V, Q);
      },
      state: () => ({ Q }),
    };
  },
};
