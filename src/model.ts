/**
 * Transformer profiles (docs/model.md §1.1). Presets are public architecture facts; a
 * config may instead give an explicit architecture.
 */
export type MlpKind = 'gated' | 'plain';

export interface ModelProfile {
  layers: number;
  hidden: number;
  ffn: number;
  heads: number;
  kvHeads: number;
  vocab: number;
  mlp: MlpKind;
}

export const PRESETS = {
  'gpt2-small': { layers: 12, hidden: 768, ffn: 3072, heads: 12, kvHeads: 12, vocab: 50257, mlp: 'plain' },
  'gpt2-large': { layers: 36, hidden: 1280, ffn: 5120, heads: 20, kvHeads: 20, vocab: 50257, mlp: 'plain' },
  'llama2-7b': { layers: 32, hidden: 4096, ffn: 11008, heads: 32, kvHeads: 32, vocab: 32000, mlp: 'gated' },
  'llama3.2-1b': { layers: 16, hidden: 2048, ffn: 8192, heads: 32, kvHeads: 8, vocab: 128256, mlp: 'gated' },
  'tinyllama-1.1b': { layers: 22, hidden: 2048, ffn: 5632, heads: 32, kvHeads: 4, vocab: 32000, mlp: 'gated' },
} as const satisfies Record<string, ModelProfile>;

export type PresetName = keyof typeof PRESETS;
export const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];

/** Parameters of one transformer block: attention (q, o full; k, v grouped) and the MLP. */
export function blockParams(m: ModelProfile): number {
  const hkv = (m.hidden * m.kvHeads) / m.heads;
  const matrices = m.mlp === 'gated' ? 3 : 2;
  return 2 * m.hidden * m.hidden + 2 * m.hidden * hkv + matrices * m.hidden * m.ffn;
}
