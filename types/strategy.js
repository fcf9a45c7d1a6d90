// Runtime half of "sledge/strategy": the identity, so `defineStrategy({...})` type-checks (types in strategy.d.ts).
export function defineStrategy(module) {
  return module;
}
