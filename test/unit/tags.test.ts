import { describe, expect, it } from 'vitest';
import { drawKey, tags, uplinkDevice } from '../../emulator/actors/tags.js';

describe('transfer tags of re-run turns', () => {
  it("a re-run's tags differ from the first run's, and its impairment draws are keyed as the first run's", () => {
    const first = { round: 3, device: 'd2' };
    const rerun = { ...first, attempt: 2 };
    for (const tag of [tags.adaptersDown, tags.adaptersUp]) {
      expect(tag(rerun)).not.toBe(tag(first));
      expect(drawKey(tag(rerun))).toBe(tag(first));
    }
    expect(tags.smashed(rerun, 1)).toBe('smashed/3/d2/1/a2');
    expect(drawKey(tags.gradient(rerun, 4))).toBe(tags.gradient(first, 4));
    expect(drawKey(tags.smashed(first, 1))).toBe('smashed/3/d2/1');
  });
});

describe('the device a transfer to the server belongs to', () => {
  it('is the turn\'s device for smashed data and returned adapters, none for what the server sends', () => {
    const t = { round: 3, device: 'd-2', attempt: 1 };
    expect([uplinkDevice(tags.smashed(t, 1)), uplinkDevice(tags.adaptersUp(t))]).toEqual(['d-2', 'd-2']);
    expect([uplinkDevice(tags.gradient(t, 1)), uplinkDevice(tags.adaptersDown(t)), uplinkDevice('smashed'), uplinkDevice('fuzz/1')]).toEqual(['', '', '', '']);
  });
});
