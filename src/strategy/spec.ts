import { StrategyError } from './strategy.js';
import { isModulePath, type StrategyChoice } from './registry.js';

/**
 * Parses `name`, `name:key=value,...` and comma-separated lists of them (docs/model.md §1.5):
 * an item `key=value` without a colon belongs to the strategy before it, so
 * `card:weightDelay=0.9,energyScale=1,fixed:cut=8,random` is three strategies.
 * Keys left out keep the strategy's defaults, never the config's.
 */
export function parseStrategyList(text: string): StrategyChoice[] {
  const choices: StrategyChoice[] = [];
  for (const raw of text.split(',')) {
    const item = raw.trim();
    if (item === '') throw new StrategyError(`empty item in strategy list "${text}"`);
    const colon = item.indexOf(':');
    if (colon >= 0) {
      const choice: StrategyChoice = { name: item.slice(0, colon), params: {} };
      const first = item.slice(colon + 1);
      if (first !== '') addParam(choice, first, text);
      choices.push(choice);
    } else if (item.includes('=')) {
      const last = choices[choices.length - 1];
      if (!last) throw new StrategyError(`"${item}" in "${text}" has no strategy before it`);
      addParam(last, item, text);
    } else {
      choices.push({ name: item, params: {} });
    }
  }
  for (const c of choices) if (c.name === '') throw new StrategyError(`a strategy without a name in "${text}"`);
  // `./mine.mjs:step=2`: a user's module, loaded by the emulator (docs/strategies.md)
  for (const c of choices) if (isModulePath(c.name)) c.module = c.name;
  return choices;
}

export function parseStrategy(text: string): StrategyChoice {
  const list = parseStrategyList(text);
  if (list.length !== 1) throw new StrategyError(`"${text}" names ${list.length} strategies, expected one`);
  return list[0] as StrategyChoice;
}

function addParam(choice: StrategyChoice, pair: string, text: string): void {
  const eq = pair.indexOf('=');
  if (eq <= 0) throw new StrategyError(`"${pair}" in "${text}" is not key=value`);
  const key = pair.slice(0, eq);
  if (key in choice.params) throw new StrategyError(`"${key}" given twice for ${choice.name} in "${text}"`);
  choice.params[key] = parseValue(pair.slice(eq + 1));
}

function parseValue(value: string): unknown {
  if (value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  if (value === 'true' || value === 'false') return value === 'true';
  return value;
}
