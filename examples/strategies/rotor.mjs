// rotor: a user's own strategy for sledge (docs/strategies.md). No sledge import needed;
// the JSDoc line below only gives editors sledge's types (package "sledge/strategy").
//
//   npx sledge plan configs/paper.json --strategy ./examples/strategies/rotor.mjs
//   npx sledge plan configs/paper.json --strategy ./examples/strategies/rotor.mjs:step=2,slack=1.2
//
// Among the cuts whose predicted turn is within `slack` of the fastest, it takes them in
// turn (a rotor advancing `step` places each round), so no single cut carries every round;
// the GPU runs at the lowest frequency that keeps the server phase of the round's first
// turns within `slack` of its fastest. endRound keeps the running average server energy.

/** @type {import('sledge/strategy').StrategyModule<{ step: number, slack: number }>} */
export default {
  name: 'rotor',
  params: { step: 1, slack: 1.1 },
  create({ step, slack }, env) {
    const { min, max } = env.server.freqHz;
    let rounds = 0;
    let energy = 0;
    return {
      decide(turn) {
        const totals = turn.feasibleCuts.map((cut) => turn.predict(cut, max).delay.total);
        const fastest = Math.min(...totals);
        const near = turn.feasibleCuts.filter((_, i) => totals[i] <= fastest * slack);
        const cut = near[((turn.round - 1) * step) % near.length];
        // the server phase scales as 1/f: slowing the GPU by `slack` costs at most that factor
        const freqHz = Math.min(max, Math.max(min, max / slack));
        return { cut, freqHz };
      },
      endRound(round, { serverEnergy }) {
        rounds = round;
        energy += serverEnergy;
      },
      state() {
        return { avgServerEnergy: rounds ? energy / rounds : 0 };
      },
    };
  },
};
