/**
 * Writes docs/config.md from the config schema (src/config-schema.ts), so the reference
 * cannot drift from what the parser accepts: every key's type, default and rule come from
 * the schema, its meaning from MEANINGS below. test/unit/config-doc.test.ts fails when the
 * file is stale or a key has no meaning. Run: npm run docs:config
 */
import { writeFileSync } from 'node:fs';
import { z } from 'zod';
import { emulationSchema, modelSchema, serverSchema, shannonSchema, topSchema, traceSchema, trainingSchema, deviceSchema } from '../src/config-schema.js';

/** What each key means, by its path in the config. */
export const MEANINGS: Record<string, string> = {
  name: 'a label for the experiment, in the records and the report',
  seed: 'seeds every random draw: fading, generated devices, `random`, impairments',
  rounds: 'how many rounds; each has one turn per device',
  mode: '`sequential`: devices take turns in config order; `parallel`: all start at once and share one GPU (docs/model.md §1.6)',
  model: 'the transformer: `{ "preset": … }` or its dimensions (below)',
  training: 'sequence length, batch, iterations and sizes of what is trained',
  server: 'the edge server: GPU frequency range, FLOPs per cycle, power model',
  devices: 'a list of devices (below), or `{ "count": N, field: value | { "uniform": [lo, hi] } }` generated with ids d1..dN',
  channel: 'how rates are drawn per round: `shannon` or `trace` (below), or `linktrace` (docs/linktrace.md)',
  strategy: '`{ "name": …, params }` used when the command line names none (docs/model.md §1.5)',
  emulation: 'how the run is emulated (below)',
  faults: 'dropouts, crashes and outages, each `{ kind, device, … }` (docs/model.md §1.7)',
  'strategy.name': 'a strategy\'s name; its parameters sit beside it (docs/model.md §1.5)',
  'strategy.module': 'the path of your own strategy module (an ES module whose default export is { name, params, create }), relative to this config; its parameters sit beside it (docs/strategies.md)',
  'model.preset': 'one of gpt2-small, gpt2-large, llama2-7b, llama3.2-1b, tinyllama-1.1b; explicit fields override it',
  'model.layers': 'transformer blocks L',
  'model.hidden': 'hidden size h',
  'model.ffn': 'MLP width',
  'model.heads': 'attention heads',
  'model.kvHeads': 'heads that carry keys and values (grouped-query attention)',
  'model.vocab': 'vocabulary size V',
  'model.mlp': '`gated` (3 matrices, LLaMA) or `plain` (2, GPT-2)',
  'training.seqLen': 'tokens per sequence s',
  'training.batch': 'sequences per mini-batch b',
  'training.iterations': 'mini-batches per turn I',
  'training.backwardFactor': 'backward FLOPs as a multiple of forward (beta)',
  'training.bytesPerActivation': 'bytes of one activation value (smashed data, gradients)',
  'training.bytesPerWeight': 'bytes of one frozen weight, for device memory',
  'training.activationFactor': 'activations kept per block for backward, in units of b·s·h',
  'training.lora': 'the LoRA adapters that are trained and exchanged',
  'training.lora.rank': 'LoRA rank',
  'training.lora.matricesPerLayer': 'adapted matrices per block',
  'training.lora.bytesPerParam': 'bytes of one adapter parameter',
  'training.cutRange': '`[lo, hi]` cut layers a strategy may choose (default 1..L−1)',
  'server.freqHz': 'GPU frequency range `{ min, max }` the strategy chooses f from',
  'server.freqHz.min': 'lowest GPU frequency',
  'server.freqHz.max': 'highest GPU frequency',
  'server.flopsPerCycle': 'FLOPs per GPU cycle',
  'server.kappa': 'effective switched capacitance: dynamic energy = kappa · cycles · f²',
  'server.staticPowerW': 'power drawn while busy whatever the frequency',
  'server.txPowerDbm': 'downlink transmit power (shannon channel)',
  'devices[].id': 'the device\'s name: letters, digits, _ and -',
  'devices[].freqHz': 'CPU/NPU frequency',
  'devices[].flopsPerCycle': 'FLOPs per cycle',
  'devices[].kappa': 'effective switched capacitance',
  'devices[].memoryBytes': 'memory for the model part it holds; limits the cut',
  'devices[].txPowerDbm': 'uplink transmit power',
  'devices[].distanceM': 'distance to the server (shannon path loss)',
  'devices[].bandwidthHz': 'channel bandwidth B (shannon)',
  'devices[].agent': 'with `sledge run --agents`: the host it runs on (an agent\'s name, or "local")',
  'channel.model': '`shannon` (rates from SNR, docs/model.md §1.3) or `trace`',
  'channel.fading': '`none` or `rayleigh` (|g|² ~ Exp(1) per device, round and direction)',
  'channel.noiseDbmPerHz': 'noise power spectral density N0',
  'channel.refLossDb': 'path loss at 1 m',
  'channel.pathLossExponent': 'path loss exponent',
  'channel.trace': '`{ id: { upBps: [...], downBps: [...] } }` (round t uses index (t−1) mod length) or a CSV path `round,device,upBps,downBps`',
  'channel.delayMs': 'one-way latency of every transfer; predicted and emulated',
  'channel.jitterMs': 'jitter, emulated only (shows as measured deviation)',
  'channel.lossPct': 'chunk loss, emulated only (resent, so it shows as delay)',
  'emulation.timeScale': 'wall seconds per emulated second, or `"auto"`: the fastest scale whose expected error meets `fidelity`',
  'emulation.fidelity': 'target |measured/predicted − 1| of every phase\'s median',
  'emulation.wallBudgetS': 'with `timeScale: "auto"`: the wall seconds the turns may take',
  'emulation.payloadScale': 'share of the modelled bytes really sent (rates scale with it)',
  'emulation.network': '`auto`, `tc` (kernel-shaped links, root) or `userspace` (token bucket)',
  'emulation.workload': '`sleep` (precise timer) or `spin` (holds a core, like a busy GPU)',
  'emulation.controlTimeoutS': 'timeout of a control request and of an actor\'s start-up',
  'emulation.busDownS': 'how long NATS or Redis may be unreachable before the run fails (resumable)',
};

type Json = { type?: string; enum?: unknown[]; const?: unknown; anyOf?: Json[]; oneOf?: Json[]; properties?: Record<string, Json>; items?: Json | Json[]; prefixItems?: Json[]; default?: unknown; minimum?: number; maximum?: number; exclusiveMinimum?: number; exclusiveMaximum?: number; minItems?: number; pattern?: string; required?: string[]; additionalProperties?: unknown };

function typeOf(s: Json): string {
  if (s.anyOf ?? s.oneOf) return (s.anyOf ?? s.oneOf)!.map(typeOf).join(' \\| ');
  if (s.const !== undefined) return `\`${JSON.stringify(s.const)}\``;
  if (s.enum) return s.enum.map((v) => `\`${JSON.stringify(v)}\``).join(' \\| ');
  if (s.prefixItems) return `[${s.prefixItems.map(typeOf).join(', ')}]`;
  if (s.type === 'array' && s.items && !Array.isArray(s.items)) return `${typeOf(s.items)}[]`;
  if (s.type === 'object' && !s.properties) return 'object';
  return s.type ?? 'any';
}

function ruleOf(s: Json): string {
  const parts: string[] = [];
  if (s.exclusiveMinimum !== undefined) parts.push(`> ${s.exclusiveMinimum}`);
  if (s.minimum !== undefined) parts.push(`≥ ${s.minimum}`);
  if (s.exclusiveMaximum !== undefined) parts.push(`< ${s.exclusiveMaximum}`);
  // the largest safe integer is no rule anyone wrote
  if (s.maximum !== undefined && s.maximum < Number.MAX_SAFE_INTEGER) parts.push(`≤ ${s.maximum}`);
  if (s.minItems !== undefined) parts.push(`at least ${s.minItems} item(s)`);
  for (const alt of s.anyOf ?? []) {
    const r = ruleOf(alt);
    if (r) parts.push(r);
  }
  return parts.join(', ');
}

interface Row {
  path: string;
  type: string;
  required: boolean;
  def: string;
  rule: string;
}

function rows(schema: z.ZodType, prefix: string): Row[] {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Json;
  const out: Row[] = [];
  const walk = (s: Json, at: string, required: boolean) => {
    const props = s.properties;
    if (at) out.push({ path: at, type: props ? 'object' : typeOf(s), required, def: s.default === undefined ? '' : `\`${JSON.stringify(s.default)}\``, rule: props ? '' : ruleOf(s) });
    if (props) for (const [k, v] of Object.entries(props)) walk(v, at ? `${at}.${k}` : k, (s.required ?? []).includes(k));
  };
  const props = json.properties ?? {};
  for (const [k, v] of Object.entries(props)) walk(v, prefix ? `${prefix}.${k}` : k, (json.required ?? []).includes(k));
  return out;
}

/** The sections of docs/config.md, each the rows of one schema. */
function sections(): { title: string; note: string; rows: Row[] }[] {
  // the top-level schema leaves sections to their own schemas: their shapes are said here
  const shapes: Record<string, string> = { devices: 'array \\| object', faults: 'array' };
  const top = rows(topSchema, '').map((r) => (r.type === 'any' ? { ...r, type: shapes[r.path] ?? 'object' } : r));
  return [
    { title: 'Top level', note: 'Each section is described below.', rows: top },
    { title: 'model', note: 'A preset, or every dimension (docs/model.md §1.1).', rows: rows(modelSchema, 'model') },
    { title: 'training', note: '', rows: rows(trainingSchema, 'training') },
    { title: 'server', note: '', rows: rows(serverSchema, 'server') },
    { title: 'devices', note: 'Each entry of `devices`; a generated list takes the same fields as values or `{ "uniform": [lo, hi] }`.', rows: rows(deviceSchema, 'devices[]') },
    { title: 'channel: shannon', note: 'docs/model.md §1.3.', rows: rows(shannonSchema, 'channel') },
    { title: 'channel: trace', note: 'Also takes `delayMs`, `jitterMs`, `lossPct` as above.', rows: rows(traceSchema, 'channel').filter((r) => !['channel.delayMs', 'channel.jitterMs', 'channel.lossPct'].includes(r.path)) },
    { title: 'emulation', note: 'docs/architecture.md §5 and docs/fidelity.md.', rows: rows(emulationSchema, 'emulation') },
  ];
}

/** docs/config.md's text, and the keys that have no meaning in MEANINGS. */
export function configDoc(): { text: string; missing: string[] } {
  const missing: string[] = [];
  const lines = [
    '# Configuration',
    '',
    '<!-- Generated by scripts/config-doc.ts from src/config-schema.ts: edit those, then `npm run docs:config`. -->',
    '',
    'One JSON or YAML file per experiment, validated strictly before anything starts: unknown',
    'keys, wrong types, values out of range, devices that fit no cut and unusable strategies are',
    'each reported on one line with their JSON path (`devices[1].bandwidthHz: must be > 0`),',
    'exit code 2. Ready experiments are in `configs/`.',
  ];
  for (const s of sections()) {
    lines.push('', `## ${s.title}`, '');
    if (s.note) lines.push(s.note, '');
    lines.push('| key | type | default | rule | meaning |', '|---|---|---|---|---|');
    for (const r of s.rows) {
      const meaning = MEANINGS[r.path];
      if (!meaning) missing.push(r.path);
      lines.push(`| \`${r.path}\` | ${r.type} | ${r.def || (r.required ? 'required' : '')} | ${r.rule} | ${(meaning ?? '').replaceAll('|', '\\|')} |`);
    }
  }
  return { text: `${lines.join('\n')}\n`, missing };
}

if (process.argv[1]?.endsWith('config-doc.js')) {
  const { text, missing } = configDoc();
  if (missing.length > 0) {
    process.stderr.write(`scripts/config-doc.ts: no meaning for ${missing.join(', ')}\n`);
    process.exit(1);
  }
  writeFileSync(new URL('../../docs/config.md', import.meta.url), text);
}
