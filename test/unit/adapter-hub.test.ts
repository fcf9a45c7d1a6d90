import { describe, expect, it } from 'vitest';
import { AdapterHub } from '../../emulator/actors/adapter-hub.js';
import { trainedAdapters } from '../../emulator/actors/adapter-training.js';

const bytes = (...xs: number[]) => Uint8Array.from(xs);

/** The server as the adapter hub (docs/model.md §1.4, §1.6). */
describe('AdapterHub', () => {
  it('starts with zero adapters at version 0', () => {
    const hub = new AdapterHub();
    expect(hub.adaptersFor(4, 2)).toEqual({ data: new Uint8Array(4), version: 0 });
  });

  it('parallel mode: after the round each byte is the average of the devices whose prefix covers it, halves rounded up; other bytes keep their value', () => {
    const hub = new AdapterHub();
    hub.handOver(bytes(9, 9, 9, 9, 9, 9), 3, 1); // blocks 1..3 (2 bytes each) at version 1
    hub.add(bytes(10, 20, 30, 40), 2); // cut 2: blocks 1..2
    hub.add(bytes(11, 21, 255, 0), 2);
    hub.add(bytes(0, 0), 1); // cut 1: block 1 only
    // nothing averaged before the round ends
    expect(hub.adaptersFor(6, 3).data).toEqual(bytes(9, 9, 9, 9, 9, 9));
    expect(hub.average(2)).toEqual({ contributions: 3, bytes: 4 });
    // (10+11+0)/3 = 7, (20+21+0)/3 = 13.67 → 14, (30+255)/2 = 142.5 → 143, (40+0)/2 = 20; block 3 untouched
    expect(hub.adaptersFor(6, 3)).toEqual({ data: bytes(7, 14, 143, 20, 9, 9), version: 2 });
    // a device of cut 1 gets its block as averaged in round 2
    expect(hub.adaptersFor(2, 1)).toEqual({ data: bytes(7, 14), version: 2 });
    // the next round starts a new sum
    hub.add(bytes(1, 1), 1);
    hub.average(3);
    expect(hub.adaptersFor(6, 3).data).toEqual(bytes(1, 1, 143, 20, 9, 9));
  });

  it("sequential mode: a device's returned adapters are the next device's, block by block", () => {
    const hub = new AdapterHub();
    hub.handOver(bytes(1, 2, 3, 4), 2, 1);
    hub.handOver(bytes(5, 6), 1, 2);
    expect(hub.adaptersFor(4, 2)).toEqual({ data: bytes(5, 6, 3, 4), version: 2 });
    // a longer request than the hub holds: zeros beyond, the untrained blocks at version 0
    expect(hub.adaptersFor(6, 3)).toEqual({ data: bytes(5, 6, 3, 4, 0, 0), version: 2 });
  });

  it('a round nobody returned anything in changes nothing', () => {
    const hub = new AdapterHub();
    hub.handOver(bytes(3, 4), 1, 1);
    expect(hub.average(2)).toEqual({ contributions: 0, bytes: 0 });
    expect(hub.adaptersFor(2, 1)).toEqual({ data: bytes(3, 4), version: 1 });
  });
});

describe('trainedAdapters', () => {
  it('is deterministic, changes the bytes and differs per device', () => {
    const received = bytes(0, 0, 0, 250);
    const d1 = trainedAdapters(received, 'd1');
    expect(trainedAdapters(received, 'd1')).toEqual(d1);
    expect(d1).not.toEqual(received);
    expect(trainedAdapters(received, 'd2')).not.toEqual(d1);
    expect((d1[1]! - d1[0]! + 256) % 256).toBe(7);
    expect(received).toEqual(bytes(0, 0, 0, 250));
  });
});
