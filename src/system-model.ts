import { ShannonChannel, TraceChannel, type Channel } from './channel.js';
import type { Config } from './config.js';
import { TurnCostModel } from './cost.js';
import { FaultSchedule } from './faults.js';
import { deviceLinks, LinkTraceChannel } from './linktrace-channel.js';
import { SplitModel } from './split.js';
import { createStrategy, type StrategyChoice } from './strategy/registry.js';
import { strategyEnv, type Strategy, type StrategyDefinition } from './strategy/strategy.js';

/** A validated config made into the objects the planner and the emulator work with. */
export class SystemModel {
  readonly split: SplitModel;
  readonly channel: Channel;
  /** Set when the links follow time traces within turns (docs/linktrace.md). */
  readonly linkTrace?: LinkTraceChannel;
  readonly feasibleCuts: ReadonlyMap<string, readonly number[]>;
  readonly costModels: ReadonlyMap<string, TurnCostModel>;
  readonly faults: FaultSchedule;
  /** Users' strategy modules by resolved path, loaded by the emulator (emulator/experiment/strategy-module.ts); src/ never imports. */
  readonly modules = new Map<string, StrategyDefinition>();

  constructor(readonly config: Config) {
    this.split = new SplitModel(config.model, config.training);
    const { channel } = config;
    if (channel.model === 'linktrace') {
      const links = deviceLinks(config.devices, channel.links, channel.traces);
      this.linkTrace = new LinkTraceChannel(links, channel.estimator, channel.delayMs / 1000);
      this.channel = this.linkTrace;
    } else {
      this.channel = channel.model === 'trace' ? new TraceChannel(channel.trace) : new ShannonChannel(channel, config.server.txPowerDbm ?? 0, config.seed);
    }
    this.feasibleCuts = new Map(config.devices.map((d) => [d.id, this.split.feasibleCuts(d.memoryBytes)]));
    this.costModels = new Map(config.devices.map((d) => [d.id, new TurnCostModel(this.split, config.server, d, config.channel.delayMs / 1000)]));
    this.faults = new FaultSchedule(config.faults);
  }

  /** Builds a strategy for this system; throws StrategyError for a choice that cannot work. */
  strategy(choice: StrategyChoice = this.config.strategy): Strategy {
    return createStrategy(choice, strategyEnv(this.config, this.feasibleCuts), this.modules);
  }
}
