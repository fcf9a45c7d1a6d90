import { describe, expect, it } from 'vitest';
import { neighbourThresholds } from '../../emulator/launcher/host-limits.js';
import { decode, encode, readyMsg, replyMsg, turnMsg } from '../../emulator/protocol/messages.js';
import { openFilesLimit, raiseOpenFiles } from '../../emulator/servers/fd-limit.js';
import { natsMaxConnections } from '../../emulator/servers/nats-server.js';
import type { Runner } from '../../emulator/net/exec.js';
import { createTopology } from '../../emulator/net/topology.js';
import { SLEDGE_NAME } from '../../emulator/net/names.js';

const turn = {
  kind: 'turn',
  turn: { round: 1, device: 'd1' },
  cut: 2,
  iterations: 1,
  forwardWallS: 0.1,
  backwardWallS: 0.2,
  adapterBytes: 100,
  smashedBytes: 200,
  upRateBps: null,
  padBytes: 0,
  timeoutMs: 1000,
};

describe('control-message codec (protocol/schema.ts)', () => {
  it('accepts a well-formed message and returns it as parsed', () => {
    const d = decode(turnMsg, encode(turn));
    expect(d).toEqual({ ok: true, value: turn });
  });

  it.each([
    ['an unknown key', { ...turn, extra: 1 }, 'extra: unknown key'],
    ['a missing key', { ...turn, cut: undefined }, 'cut: expected a finite number'],
    ['a float where an integer is due', { ...turn, cut: 1.5 }, 'cut: expected an integer'],
    ['a value under its minimum', { ...turn, cut: 0 }, 'cut: must be >= 1'],
    ['a nested bad value', { ...turn, turn: { round: -1, device: 'd1' } }, 'turn.round: must be >= 0'], // round 0 is the calibration
    ['a rate of zero', { ...turn, upRateBps: 0 }, 'upRateBps: must be > 0'],
    ['NaN smuggled as a string', { ...turn, forwardWallS: 'NaN' }, 'forwardWallS: expected a finite number'],
  ])('refuses %s with a reason naming the path', (_what, msg, reason) => {
    expect(decode(turnMsg, encode(msg))).toEqual({ ok: false, reason });
  });

  it('tells replies apart by kind and refuses an unknown kind', () => {
    expect(decode(replyMsg, encode({ kind: 'ok', rejections: { 'data/bad-magic': 2 } })).ok).toBe(true);
    expect(decode(replyMsg, encode({ kind: 'bogus' }))).toEqual({ ok: false, reason: 'kind: expected one of ok, error, report, averaged' });
    expect(decode(replyMsg, encode({ kind: '__proto__' })).ok).toBe(false);
  });

  it('refuses what is not JSON, and anything over 64 KiB before parsing it', () => {
    expect(decode(readyMsg, new TextEncoder().encode('{"kind":'))).toEqual({ ok: false, reason: 'not JSON' });
    expect(decode(readyMsg, new Uint8Array(64 * 1024 + 1))).toEqual({ ok: false, reason: 'too large' });
  });
});

describe('kernel and server limits at 1,000 devices', () => {
  it('neighbour thresholds hold twice the devices plus room, gc_thresh3 above gc_thresh2', () => {
    // 1,000 devices: need = 2*1000 + 256 = 2256; thresh1 = 564, thresh3 = 4512
    expect(neighbourThresholds(1000)).toEqual({ gc_thresh1: 564, gc_thresh2: 2256, gc_thresh3: 4512 });
  });

  it('nats-server gets room for every client twice over (reconnects overlap), never below 1,024', () => {
    expect(natsMaxConnections(10)).toBe(1024);
    expect(natsMaxConnections(1002)).toBe(2068);
  });

  it('reads the open-files limit and wraps the server in prlimit only when it is too low', () => {
    const limits = 'Limit  Soft Limit  Hard Limit  Units\nMax open files            1024                 524288               files\n';
    expect(openFilesLimit(limits)).toEqual({ soft: 1024, hard: 524288 });
    expect(raiseOpenFiles(2000, '/usr/bin/prlimit', { soft: 1024, hard: 524288 })).toEqual(['/usr/bin/prlimit', '--nofile=65536:524288', '--']);
    expect(raiseOpenFiles(2000, '/usr/bin/prlimit', { soft: 20000, hard: 20000 })).toEqual([]);
    expect(raiseOpenFiles(2000, undefined, { soft: 1024, hard: 4096 })).toEqual([]);
    // the hard limit caps what can be asked for
    expect(raiseOpenFiles(2000, '/usr/bin/prlimit', { soft: 1024, hard: 4096 })).toEqual(['/usr/bin/prlimit', '--nofile=4096:4096', '--']);
  });

  it('spreads devices over several bridges joined to bridge 0, with names net clean recognises', async () => {
    const calls: string[] = [];
    const runner: Runner = async (argv, opts) => {
      calls.push(...(opts?.stdin ?? argv.join(' ')).split('\n').filter(Boolean));
      return { code: 0, stdout: argv.includes('-j') ? '[]' : '', stderr: '' };
    };
    const ids = Array.from({ length: 5 }, (_, i) => `d${i + 1}`);
    const topo = await createTopology({ runId: 'x-abcdef', deviceIds: ids, runner, portsPerBridge: 2 });
    expect(topo.bridges).toEqual(['slabcdefbr', 'slabcdefbr1', 'slabcdefbr2']);
    expect(topo.devices.map((d) => d.bridge)).toEqual(['slabcdefbr', 'slabcdefbr', 'slabcdefbr1', 'slabcdefbr1', 'slabcdefbr2']);
    expect(calls).toContain('link set slabcdeft1 master slabcdefbr up');
    expect(calls).toContain('link set slabcdefu2 master slabcdefbr2 up');
    expect(calls).toContain('link set slabcdefh4 master slabcdefbr2 up');
    for (const name of ['slabcdefbr2', 'slabcdeft1', 'slabcdefu1']) expect(SLEDGE_NAME.test(name)).toBe(true);
  });
});
