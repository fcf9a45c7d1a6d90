import { describe, expect, it } from 'vitest';
import { UsageError } from '../emulator/errors.js';
import { batchInput, type Runner } from '../emulator/net/exec.js';
import { Ip } from '../emulator/net/ip.js';
import { TcLink, setRatesMany } from '../emulator/net/link.js';
import { assertIfName, assertNetnsName, assertRate, runPrefix, SLEDGE_NAME } from '../emulator/net/names.js';
import { chooseNetworkMode, formatCapabilities, impairmentPlacement, type Capabilities, type Check } from '../emulator/net/probe.js';
import { changeLines, DEFAULT_SHAPER, headStartBytes, installLines, tcpOverheadFactor, wireRateBps } from '../emulator/net/shaper.js';
import { chooseSubnet, deviceAddress } from '../emulator/net/subnet.js';
import { Tc } from '../emulator/net/tc.js';
import { createTopology } from '../emulator/net/topology.js';

/** A runner that records and never runs anything. */
function recorder(): { runner: Runner; calls: string[][] } {
  const calls: string[][] = [];
  return {
    calls,
    runner: async (argv) => {
      calls.push([...argv]);
      return { stdout: argv.includes('-j') ? '[]' : '', stderr: '' };
    },
  };
}

const BAD_NAMES = ['eth0; rm -rf /', 'a'.repeat(16), '-x', '', 'a b', 'x\ny', '..', 'ä'];
const BAD_RATES = [0, -1, NaN, Infinity, -Infinity, 2e12, '10' as unknown as number];

describe('validation before any command', () => {
  it.each(BAD_NAMES)('interface name %j is refused', (name) => {
    expect(() => assertIfName(name)).toThrow(UsageError);
  });

  it('namespace names follow the same rules, up to 64 characters', () => {
    expect(assertNetnsName('sl3fa9c1-12')).toBe('sl3fa9c1-12');
    for (const bad of ['eth0; rm -rf /', '-n', 'a'.repeat(65), 'a/b']) expect(() => assertNetnsName(bad)).toThrow(UsageError);
  });

  it.each(BAD_RATES)('rate %s is refused', (rate) => {
    expect(() => assertRate('rate', rate)).toThrow(UsageError);
  });

  it.each(BAD_NAMES)('a link on %j refuses to exist, nothing runs', (name) => {
    const { runner, calls } = recorder();
    const tc = new Tc(runner);
    expect(() => new TcLink({ deviceId: 'd1', netns: 'sl000000-0', hostVeth: name, nsVeth: 'sl000000n0', tc })).toThrow(UsageError);
    // 16 characters is too long for an interface, fine for a namespace.
    if (name.length !== 16) {
      expect(() => new TcLink({ deviceId: 'd1', netns: name, hostVeth: 'sl000000h0', nsVeth: 'sl000000n0', tc })).toThrow(UsageError);
    }
    expect(calls).toEqual([]);
  });

  it.each(BAD_RATES)('setRates(%s) runs nothing, even beside good links', async (rate) => {
    const { runner, calls } = recorder();
    const tc = new Tc(runner);
    const good = new TcLink({ deviceId: 'd1', netns: 'sl000000-0', hostVeth: 'sl000000h0', nsVeth: 'sl000000n0', tc });
    const bad = new TcLink({ deviceId: 'd2', netns: 'sl000000-1', hostVeth: 'sl000000h1', nsVeth: 'sl000000n1', tc });
    await expect(bad.setRates(rate, 1e6)).rejects.toThrow(UsageError);
    await expect(bad.setRates(1e6, rate)).rejects.toThrow(UsageError);
    await expect(
      setRatesMany([
        { link: good, upBps: 1e6, downBps: 1e6 },
        { link: bad, upBps: 1e6, downBps: rate },
      ]),
    ).rejects.toThrow(/downlink rate of d2/);
    expect(calls).toEqual([]);
  });

  it.each(['eth0; rm -rf /', 'SL123456', 'sl12345', 'sl1234567', '-sl12345'])('createTopology refuses prefix %j before running anything', async (prefix) => {
    const { runner, calls } = recorder();
    await expect(createTopology({ runId: 'r', prefix, deviceIds: ['d1'], runner })).rejects.toThrow(UsageError);
    expect(calls).toEqual([]);
  });

  it('createTopology refuses empty and duplicate device ids before running anything', async () => {
    const { runner, calls } = recorder();
    await expect(createTopology({ runId: 'r', deviceIds: [], runner })).rejects.toThrow(UsageError);
    await expect(createTopology({ runId: 'r', deviceIds: ['a', 'a'], runner })).rejects.toThrow(/duplicate/);
    expect(calls).toEqual([]);
  });

  it('a batch line with an unsafe token is never sent', async () => {
    const { runner, calls } = recorder();
    await expect(new Ip(runner).batch([['link', 'del', 'x\nnetns del y']])).rejects.toThrow(/unsafe batch token/);
    expect(() => batchInput([['addr', 'add', '1.2.3.4/24', 'dev', 'a b']])).toThrow();
    expect(calls).toEqual([]);
  });
});

describe('names and addresses', () => {
  it('the run prefix is the run id tail, or a hash', () => {
    expect(runPrefix('20261125-093012-3fa9c1')).toBe('sl3fa9c1');
    expect(runPrefix('my run')).toMatch(/^sl[0-9a-f]{6}$/);
    expect(runPrefix('my run')).toBe(runPrefix('my run'));
  });

  it('cleanup patterns match our names only', () => {
    for (const ok of ['sl3fa9c1br', 'sl3fa9c1h0', 'sl3fa9c1n99', 'sl3fa9c1-7', 'sl3fa9c1p']) expect(SLEDGE_NAME.test(ok)).toBe(true);
    for (const no of ['slack', 'sl3fa9c1', 'eth0', 'sl3fa9c1x', 'xsl3fa9c1br', 'sl3FA9C1br']) expect(SLEDGE_NAME.test(no)).toBe(false);
  });

  it('subnets come from 198.18.0.0/15, are stable per run and skip taken ones', () => {
    const a = chooseSubnet('run-a', 5, []);
    expect(a.prefixLen).toBe(22);
    expect(a.cidr.startsWith('198.1')).toBe(true);
    expect(chooseSubnet('run-a', 5, [])).toEqual(a);
    const b = chooseSubnet('run-a', 5, [`${a.hostAddress}/22`]);
    expect(b.cidr).not.toBe(a.cidr);
    expect(deviceAddress(a, 0)).not.toBe(a.hostAddress);
    expect(chooseSubnet('big', 2000, []).prefixLen).toBe(21);
    expect(() => deviceAddress(a, 1021)).toThrow(UsageError);
  });
});

describe('shaper lines', () => {
  it('compensates 1514 wire bytes per 1448 payload bytes', () => {
    expect(tcpOverheadFactor()).toBeCloseTo(1514 / 1448, 12);
    expect(wireRateBps(20e6)).toBe(Math.round((20e6 * 1514) / 1448));
  });

  it('installs htb with an explicit quantum and ACK bypass, then only changes the class', () => {
    const install = installLines('sl000000h0', 1e6).map((l) => l.join(' '));
    expect(install[0]).toMatch(/^qdisc replace dev sl000000h0 root handle 1: htb default 1$/);
    expect(install[1]).toMatch(/^class replace .* htb rate \d+bit ceil \d+bit burst \d+b cburst \d+b quantum \d+$/);
    expect(install[2]).toMatch(/flowid 1:0$/);
    for (const rate of [8e3, 1e6, 1e8, 1e10]) {
      const q = Number(/quantum (\d+)/.exec(changeLines('x', rate)[0]?.join(' ') ?? '')?.[1]);
      expect(q).toBeGreaterThanOrEqual(1514);
      expect(q).toBeLessThanOrEqual(200_000);
    }
    expect(changeLines('sl000000h0', 1e6)).toHaveLength(1);
    expect(changeLines('sl000000h0', 1e6)[0]?.slice(0, 2)).toEqual(['class', 'change']);
  });

  it("pads a transfer by htb's head start: its bucket plus half a frame, in payload bytes", () => {
    // 1 Mbit/s: the bucket is its 1514-byte floor
    expect(headStartBytes(1e6)).toBe(Math.round(((1514 + 757) * 1448) / 1514));
    // 100 Mbit/s: 0.5 ms of the wire rate
    const burst = Math.ceil((wireRateBps(100e6) / 8) * 0.0005);
    expect(headStartBytes(100e6)).toBe(Math.round(((burst + 757) * 1448) / 1514));
    // tbf sends only while it has tokens for the whole frame: no half frame
    expect(headStartBytes(1e6, { ...DEFAULT_SHAPER, kind: 'tbf' })).toBe(1448);
  });

  it('asks the senders for the padding of the rates last set, and refuses before any are', async () => {
    const link = new TcLink({ deviceId: 'd1', netns: 'sl000000-0', hostVeth: 'sl000000h0', nsVeth: 'sl000000n0', tc: new Tc(async () => ({ stdout: '', stderr: '' })) });
    expect(() => link.padding()).toThrow(/rates not set/);
    await link.setRates(1e6, 100e6);
    expect(link.padding()).toEqual({ upBytes: headStartBytes(1e6), downBytes: headStartBytes(100e6) });
  });
});

describe('mode choice', () => {
  const check = (ok: boolean): Check => ({ ok });
  const caps = (over: Partial<Record<string, boolean>> = {}, root = true): Capabilities => ({
    platform: 'linux',
    root,
    capNetAdmin: root,
    features: {
      netns: check(over.netns ?? true),
      veth: check(over.veth ?? true),
      bridge: check(over.bridge ?? true),
      htb: check(over.htb ?? true),
      tbf: check(true),
      ifb: check(true),
      netem: check(over.netem ?? false),
    },
    versions: { 'nats-server': '2.9.10', 'redis-server': 'not found', iperf3: '3.12', ip: '6.1.0', tc: '6.1.0' },
    probeMs: 10,
  });

  it('auto picks tc where it works, else userspace with the reason', () => {
    expect(chooseNetworkMode('auto', caps()).mode).toBe('tc');
    const u = chooseNetworkMode('auto', caps({ htb: false }));
    expect(u).toMatchObject({ mode: 'userspace' });
    expect(u.reason).toMatch(/htb/);
    expect(chooseNetworkMode('auto', caps({}, false)).mode).toBe('userspace');
    expect(chooseNetworkMode('userspace', caps()).mode).toBe('userspace');
  });

  it('tc requested but impossible is a usage error naming what is missing', () => {
    expect(() => chooseNetworkMode('tc', caps({ bridge: false }, false))).toThrow(/root.*bridge/);
    expect(() => chooseNetworkMode('tc', caps({ bridge: false }))).toThrow(UsageError);
  });

  it('impairments go to netem only where it exists; doctor says so', () => {
    expect(impairmentPlacement(caps())).toBe('userspace');
    expect(impairmentPlacement(caps({ netem: true }))).toBe('netem');
    const text = formatCapabilities(caps());
    expect(text).toMatch(/netem\s+no/);
    expect(text).toMatch(/"auto" → tc/);
    expect(text).toMatch(/redis-server\s+not found/);
  });
});
