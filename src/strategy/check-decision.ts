import { firstLine } from './registry.js';
import { describe } from './module.js';
import { DecisionError, type Decision, type Policy, type TurnContext } from './strategy.js';

/**
 * The policy's decision for one turn, checked (docs/model.md §1.5): a throw, a non-object,
 * a cut outside the feasible set or a frequency outside the GPU's range is a DecisionError
 * naming the strategy, round and device. Built-ins pass through the same check.
 */
export function checkedDecision(policy: Policy, turn: TurnContext, label: string): Decision {
  const fail = (problem: string) => new DecisionError(label, turn.round, turn.device.id, problem);
  let d: unknown;
  try {
    d = policy.decide(turn);
  } catch (err) {
    throw fail(`decide threw: ${firstLine(err)}`);
  }
  if (typeof d !== 'object' || d === null || Array.isArray(d) || typeof (d as { then?: unknown }).then === 'function') {
    throw fail(`decide returned ${describe(d)}, not { cut, freqHz }`);
  }
  const { cut, freqHz } = d as { cut?: unknown; freqHz?: unknown };
  const cuts = turn.feasibleCuts;
  if (typeof cut !== 'number' || !cuts.includes(cut)) {
    const feasible = cuts.length > 1 && cuts[cuts.length - 1]! - cuts[0]! === cuts.length - 1 ? `${cuts[0]}..${cuts[cuts.length - 1]}` : cuts.join(', ');
    throw fail(`cut ${typeof cut === 'number' ? cut : describe(cut)} is not feasible (feasible: ${feasible})`);
  }
  const { min, max } = turn.server.freqHz;
  if (typeof freqHz !== 'number' || !(freqHz >= min && freqHz <= max)) {
    throw fail(`freqHz ${typeof freqHz === 'number' ? freqHz : describe(freqHz)} is outside the server's range [${min}, ${max}]`);
  }
  return { cut, freqHz };
}
