// A user's module that decides what the built-in server-heavy decides (the smallest feasible
// cut, the GPU at max): bench:plan times it against server-heavy to measure the module call's
// overhead per turn (docs/strategies.md "## Benchmark").
export default {
  name: 'bench-smallest',
  create(_params, env) {
    const freqHz = env.server.freqHz.max;
    return { decide: (turn) => ({ cut: turn.feasibleCuts[0], freqHz }) };
  },
};
