import { basename, extname } from 'node:path';
import type { StrategyChoice } from '../../src/strategy/registry.js';
import { UsageError } from '../errors.js';
import { cartesian } from './grid.js';
import type { Axis } from './overrides.js';
import { CONFIG_STRATEGY } from './strategies.js';

/** The top-level keys of a config: `--set server.kappa=…` is always the config's, never a strategy's. */
const CONFIG_KEYS = new Set(['name', 'seed', 'rounds', 'mode', 'model', 'training', 'server', 'devices', 'channel', 'strategy', 'emulation', 'faults']);

/** How `--set` names a strategy of `--strategies`: a built-in's name, or a module's file name without its extension. */
function axisName(choice: StrategyChoice): string {
  return choice.module !== undefined ? basename(choice.module, extname(choice.module)) : choice.name;
}

/**
 * `--set lyapunov.energyBudgetJ=20,40` or `--set card.weightDelay=0.1,0.5,0.9`
 * (docs/strategies.md): an axis on one strategy's own parameter. It does not multiply the
 * grid of config points: it expands that strategy into one run per value (the product
 * when several axes name it), so a sweep draws each strategy's delay-vs-energy frontier
 * on the same config and channel draws. Returns the config axes left and the expanded list.
 */
export function splitStrategyAxes(axes: readonly Axis[], choices: readonly (StrategyChoice | typeof CONFIG_STRATEGY)[]): { configAxes: Axis[]; choices: (StrategyChoice | typeof CONFIG_STRATEGY)[] } {
  const named = new Map<string, StrategyChoice>();
  for (const c of choices) if (c !== CONFIG_STRATEGY) named.set(axisName(c), c);
  const configAxes: Axis[] = [];
  const byStrategy = new Map<StrategyChoice, Axis[]>();
  for (const axis of axes) {
    const [head, key, ...rest] = axis.segments;
    const target = typeof head === 'string' && !CONFIG_KEYS.has(head) ? named.get(head) : undefined;
    if (!target) {
      configAxes.push(axis);
      continue;
    }
    if (typeof key !== 'string' || rest.length) throw new UsageError(`--set ${axis.path}: a strategy's parameter is <strategy>.<parameter>, e.g. lyapunov.energyBudgetJ=20,40`);
    if (key in target.params) throw new UsageError(`--set ${axis.path}: ${key} is also given in --strategies; give it in one place`);
    byStrategy.set(target, [...(byStrategy.get(target) ?? []), { ...axis, segments: [key] }]);
  }
  const expanded = choices.flatMap((c) => {
    const own = c === CONFIG_STRATEGY ? undefined : byStrategy.get(c);
    if (!own || c === CONFIG_STRATEGY) return [c];
    return cartesian(own).map((assignment) => ({ ...c, params: { ...c.params, ...Object.fromEntries(assignment.map((a) => [a.segments[0] as string, a.value])) } }));
  });
  return { configAxes, choices: expanded };
}
