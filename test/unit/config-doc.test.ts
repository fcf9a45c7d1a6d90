/** docs/config.md is generated from the config schema: it must be current, and every key must say what it means. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configDoc } from '../../scripts/config-doc.js';

describe('docs/config.md', () => {
  const { text, missing } = configDoc();

  it('gives every key of the schema a meaning', () => {
    expect(missing).toEqual([]);
  });

  it('is what scripts/config-doc.ts makes of the schema today (npm run docs:config)', () => {
    expect(readFileSync(new URL('../../docs/config.md', import.meta.url), 'utf8')).toBe(text);
  });
});
