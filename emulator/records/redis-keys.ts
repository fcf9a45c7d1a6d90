/**
 * Where a run lives in Redis (docs/architecture.md §7): the set of runs, the latest run's id,
 * each run's hash and its stream of turns. Its own module so that `sledge watch` names the
 * keys without loading the store.
 */
export const keys = {
  runs: 'sledge:runs',
  latest: 'sledge:latest',
  run: (id: string) => `sledge:run:${id}`,
  turns: (id: string) => `sledge:run:${id}:turns`,
};
