import { describe, expect, it } from 'vitest';
import { parseAgentRequest } from '../../emulator/agent/protocol.js';
import { deviceHosts, parseAgentList } from '../../emulator/launcher/device-hosts.js';

describe('device placement across hosts (docs/architecture.md §10)', () => {
  const devices = [{ id: 'd1' }, { id: 'd2', agent: 'b' }, { id: 'd3' }, { id: 'd4' }, { id: 'd5', agent: 'local' }];

  it('round-robin in config order over --agents, a device naming its agent keeps it', () => {
    expect(Object.fromEntries(deviceHosts(devices, ['local', 'a', 'b']))).toEqual({ d1: 'local', d2: 'b', d3: 'a', d4: 'b', d5: 'local' });
  });

  it('without --agents everything is local; naming an agent not in --agents is bad input', () => {
    expect([...deviceHosts([{ id: 'd1' }], []).values()]).toEqual(['local']);
    expect(() => deviceHosts(devices, ['a'])).toThrow(/device d2 names agent "b"/);
  });

  it('--agents: names checked, no duplicates', () => {
    expect(parseAgentList('local, a,b')).toEqual(['local', 'a', 'b']);
    expect(() => parseAgentList('a,a')).toThrow(/twice/);
    expect(() => parseAgentList('a;rm')).toThrow(/invalid agent name/);
  });

  it('an agent refuses malformed requests instead of acting on them', () => {
    // (the signed envelope is checked first, trust/signed.ts; this is the request inside it)
    expect(parseAgentRequest('{')).toBe('not an object');
    expect(parseAgentRequest({ kind: 'spawn', runId: 'r1', actor: 'device.x; rm' })).toBe('bad actor');
    expect(parseAgentRequest({ kind: 'spawn', runId: 'r1', actor: 'server' })).toBe('bad actor');
    expect(parseAgentRequest({ kind: 'rates', runId: 'r1', device: 'd1', upBps: 'fast' })).toBe('bad rates');
    expect(parseAgentRequest({ kind: 'spawn', runId: 'r1', actor: 'device.d1', env: { NODE_OPTIONS: '--require /x.js' } })).toBe('unexpected field "env" in spawn');
    expect(parseAgentRequest({ kind: 'open', runId: 'r1', mode: 'tc', devices: ['a'], offsetMs: 0, workload: 'sleep', seed: 1, busDownS: 60, token: 't' })).toBe('unexpected field "token" in open');
    expect(parseAgentRequest({ kind: 'spawn', runId: 'r1', actor: 'device.d1' })).toEqual({ kind: 'spawn', runId: 'r1', actor: 'device.d1' });
  });
});
