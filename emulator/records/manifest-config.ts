import { parseConfig, type Config, type TraceReader } from '../../src/config.js';

/**
 * The manifest holds the run's config as resolved (defaults filled, generated devices
 * expanded, a trace CSV read in). A resume must rebuild exactly that system, and must
 * not trust a file that may have been edited: so the resolved form is turned back into a
 * config the parser accepts (a preset without its expanded architecture, the strategy's
 * parameters at the top of its object, the trace inline, a linktrace channel's links
 * without the files they were read into) and validated again.
 */
export function rawConfigOf(config: Config): Record<string, unknown> {
  const { preset, ...architecture } = config.model;
  // a linktrace channel's parsed traces and texts are Maps, `{}` in JSON: the files are read again (records/run-traces.ts)
  const { traceSource: _source, traces: _traces, files: _files, ...channel } = config.channel as Config['channel'] & { traceSource?: string; traces?: unknown; files?: unknown };
  return {
    name: config.name,
    seed: config.seed,
    rounds: config.rounds,
    mode: config.mode,
    model: preset !== undefined ? { preset } : architecture,
    training: config.training,
    server: config.server,
    devices: config.devices,
    channel,
    strategy: config.strategy.module !== undefined ? { module: config.strategy.module, ...config.strategy.params } : { name: config.strategy.name, ...config.strategy.params },
    emulation: config.emulation,
    faults: config.faults,
  };
}

/**
 * The config of a manifest, validated; errors name the JSON path as for a config file.
 * `readTrace` gives a linktrace channel its files: the run directory's copies, checked
 * against the manifest (launcher/resume.ts); without it such a config is refused.
 */
export function configFromManifest(resolved: unknown, readTrace?: TraceReader): { ok: true; config: Config } | { ok: false; errors: string[] } {
  if (typeof resolved !== 'object' || resolved === null) return { ok: false, errors: ['config: missing'] };
  let raw: Record<string, unknown>;
  try {
    raw = rawConfigOf(resolved as Config);
  } catch {
    return { ok: false, errors: ['config: not a resolved sledge config'] };
  }
  const result = parseConfig(raw, readTrace);
  if (!result.ok) return result;
  const source = (resolved as { channel?: { traceSource?: unknown } }).channel?.traceSource;
  if (result.config.channel.model === 'trace' && typeof source === 'string') result.config.channel.traceSource = source;
  return result;
}
