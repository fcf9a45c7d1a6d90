/**
 * Kernel shaping, for real: namespaces, veths, a bridge and htb on this host. Skipped where
 * the host cannot do tc mode, unless SLEDGE_REQUIRE_TC=1, under which each test that cannot
 * run fails and says what is missing.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect } from 'vitest';
import { UsageError } from '../emulator/errors.js';
import { cleanNet } from '../emulator/net/clean.js';
import { spawnRunner, type Runner } from '../emulator/net/exec.js';
import { timedTransfer } from '../emulator/net/measure.js';
import { runPrefix } from '../emulator/net/names.js';
import { chooseNetworkMode } from '../emulator/net/probe.js';
import { isAlive, pidsInNetns } from '../emulator/net/procs.js';
import { createTopology, type Topology } from '../emulator/net/topology.js';
import { caps, kernelStateOf, missing, tcIt } from './helpers/tc.js';
import { expectShaped } from './helpers/bounds.js';

// Every run id here gets its own prefix; afterAll sweeps them all even if a test died.
const prefixes = new Set<string>();
const topologies: Topology[] = [];
const children: ChildProcess[] = [];
const tempDirs: string[] = [];
let seq = 0;

function runId(): string {
  const id = `nettest-${process.pid}-${++seq}-${Date.now().toString(16).slice(-6).padStart(6, '0')}`;
  prefixes.add(runPrefix(id));
  return id;
}

async function topology(devices: number, runner?: Runner): Promise<Topology> {
  const t = await createTopology({ runId: runId(), deviceIds: Array.from({ length: devices }, (_, i) => `d${i + 1}`), ...(runner ? { runner } : {}) });
  topologies.push(t);
  return t;
}

afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const t of topologies.splice(0)) await t.destroy();
});

afterAll(async () => {
  if (missing.length > 0) return;
  for (const runPrefix of prefixes) await cleanNet({ runPrefix });
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
});

const ours = kernelStateOf;

describe('tc shaping', () => {
  const BYTES = 4 * 1024 * 1024;

  for (const rate of [20e6, 50e6]) {
    tcIt(`a 4 MiB transfer at ${rate / 1e6} Mbit/s is shaped for real: 0.8 to 2 × 8·bytes/rate, both directions`, async () => {
      const t = await topology(1);
      await t.link('d1').setRates(rate, rate);
      for (const direction of ['up', 'down'] as const) {
        const r = await timedTransfer({ topology: t, deviceId: 'd1', bytes: BYTES, direction });
        expectShaped(r.seconds, (8 * BYTES) / rate, `${direction} at ${rate}`);
      }
    });
  }

  tcIt(
    'iperf3 takes 0.8 to 2 × the time the rate allows for what it sent, both directions',
    async () => {
      const t = await topology(1);
      const rate = 30e6;
      await t.link('d1').setRates(rate, rate);
      for (const reverse of [false, true]) {
        const port = await freePort(t.hostAddress);
        const server = spawn('iperf3', ['-s', '-1', '--forceflush', '-B', t.hostAddress, '-p', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
        children.push(server);
        // A probe connection would use up the one test of `-s -1`: wait for its banner instead.
        await outputMatching(server, /Server listening/);
        const argv = t.execArgv('d1', ['iperf3', '-c', t.hostAddress, '-p', String(port), '-t', '3', '-O', '1', '-J', ...(reverse ? ['-R'] : [])]);
        const out = execFileSync(argv[0] as string, argv.slice(1), { encoding: 'utf8', timeout: 20_000 });
        const report = JSON.parse(out) as { end: { sum_received: { bits_per_second: number } } };
        // seconds per bit, measured against the rate's: the shaper never lets more through than the rate
        expectShaped(1 / report.end.sum_received.bits_per_second, 1 / rate, reverse ? 'iperf3 -R (down)' : 'iperf3 (up)');
      }
    },
    { tools: ['iperf3'] },
  );

  tcIt('a rate change between transfers takes effect for the next transfer, with tc class change', async () => {
    const calls: string[] = [];
    const recording: Runner = async (argv, options) => {
      calls.push(`${argv.join(' ')}\n${options?.stdin ?? ''}`);
      return spawnRunner(argv, options);
    };
    const t = await topology(1, recording);
    const bytes = 2 * 1024 * 1024;
    const link = t.link('d1');
    await link.setRates(10e6, 40e6);
    const slow = await timedTransfer({ topology: t, deviceId: 'd1', bytes, direction: 'up' });
    calls.length = 0;
    await link.setRates(40e6, 10e6);
    expect(calls.join('\n')).toMatch(/class change dev \S+h0 .*rate \d+bit/);
    expect(calls.join('\n')).toMatch(/class change dev \S+n0 .*rate \d+bit/);
    const fast = await timedTransfer({ topology: t, deviceId: 'd1', bytes, direction: 'up' });
    const down = await timedTransfer({ topology: t, deviceId: 'd1', bytes, direction: 'down' });
    expectShaped(slow.seconds, (8 * bytes) / 10e6, 'up at 10 Mbit/s');
    expectShaped(fast.seconds, (8 * bytes) / 40e6, 'up after the change to 40 Mbit/s');
    expectShaped(down.seconds, (8 * bytes) / 10e6, 'down after the change to 10 Mbit/s');
    // the bounds keep 10 and 40 Mbit/s apart: the change took effect
    expect(fast.seconds).toBeLessThan(slow.seconds);
  });
});

describe('topology lifecycle', () => {
  tcIt('destroy() leaves no namespace, link or qdisc of the run, and is idempotent', async () => {
    const t = await topology(3);
    await t.link('d2').setRates(5e6, 5e6);
    expect(ours(t.prefix).netns).toHaveLength(3);
    expect(ours(t.prefix).links.length).toBeGreaterThanOrEqual(4);
    expect(ours(t.prefix).qdiscs.length).toBeGreaterThanOrEqual(1);
    expect(t.hostAddress).toMatch(/^198\.(18|19)\./);
    expect(t.execArgv('d1', ['true'])).toEqual(['ip', 'netns', 'exec', `${t.prefix}-0`, 'true']);
    // a process left inside a namespace must not keep it (and its veth) alive
    const [file, ...args] = t.execArgv('d3', ['sleep', '60']);
    const sleeper = spawn(file as string, args, { stdio: 'ignore' });
    children.push(sleeper);
    // the sleeper is in: the namespace holds its pid
    while ((await pidsInNetns([`${t.prefix}-2`])).get(`${t.prefix}-2`)!.length === 0) await new Promise((r) => setImmediate(r));
    expect((await t.destroy()).errors).toEqual([]);
    expect(ours(t.prefix)).toEqual({ netns: [], links: [], qdiscs: [] });
    expect((await t.destroy()).errors).toEqual([]);
  });

  tcIt('100 devices set up, get their rates in one batch, and tear down completely', async () => {
    const t = await topology(100);
    expect(ours(t.prefix).netns).toHaveLength(100);
    const { setRatesMany } = await import('../emulator/net/link.js');
    await setRatesMany(t.devices.map((d, i) => ({ link: t.link(d.deviceId), upBps: 1e6 * (i + 1), downBps: 2e6 * (i + 1) })));
    // every downlink is shaped on its host-side veth (uplinks are inside the namespaces)
    expect(ours(t.prefix).qdiscs.filter((q) => / htb /.test(q) && / root /.test(q))).toHaveLength(100);
    expect((await t.destroy()).errors).toEqual([]);
    expect(ours(t.prefix)).toEqual({ netns: [], links: [], qdiscs: [] });
  });

  tcIt(
    'a SIGKILLed owner leaves things behind; cleanNet({runPrefix}) removes them all',
    async () => {
      const id = runId();
      const prefix = runPrefix(id);
      const holder = spawn(join('node_modules', '.bin', 'vite-node'), [join('test', 'fixtures', 'net-holder.ts'), id, '2'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(holder);
      const info = await firstJsonLine<{ prefix: string; dir: string; sleeper: number; nats: number; netns: string[] }>(holder);
      tempDirs.push(info.dir);
      expect(info.prefix).toBe(prefix);
      holder.kill('SIGKILL');
      await new Promise((r) => holder.once('exit', r));

      const left = ours(prefix);
      expect(left.netns).toHaveLength(2);
      expect(left.links.length).toBeGreaterThanOrEqual(3);
      expect(isAlive(info.sleeper)).toBe(true);
      expect(isAlive(info.nats)).toBe(true);

      const report = await cleanNet({ runPrefix: prefix });
      expect(report.errors).toEqual([]);
      expect(report.namespaces.sort()).toEqual(info.netns.sort());
      expect(report.links).toContain(`${prefix}br`);
      expect(report.processes).toEqual(expect.arrayContaining([info.sleeper, info.nats]));
      expect(ours(prefix)).toEqual({ netns: [], links: [], qdiscs: [] });
      expect(isAlive(info.sleeper) || isAlive(info.nats)).toBe(false);
      expect(report.dirs).toEqual([info.dir]);
      expect(existsSync(info.dir)).toBe(false);
      // nothing else is left to clean
      expect(await cleanNet({ runPrefix: prefix })).toEqual({ namespaces: [], links: [], processes: [], dirs: [], errors: [] });
    },
    { tools: ['nats-server'], timeout: 60_000 },
  );

  tcIt('bad names and rates are refused before anything exists', async () => {
    const before = ours('sl');
    await expect(createTopology({ runId: 'x', prefix: 'eth0; rm -rf /', deviceIds: ['d1'] })).rejects.toThrow(UsageError);
    const t = await topology(1);
    const after = ours(t.prefix);
    for (const bad of [0, -1, NaN, Infinity]) await expect(t.link('d1').setRates(bad, 1e6)).rejects.toThrow(UsageError);
    expect(ours(t.prefix)).toEqual(after);
    expect(after.qdiscs.filter((q) => q.includes('htb'))).toEqual([]);
    await t.destroy();
    expect(ours('sl').netns).toEqual(before.netns);
  });
});

describe('capabilities', () => {
  tcIt('this host: htb, tbf, netns, veth and bridge work; netem as the kernel has it; auto → tc', async () => {
    for (const f of ['netns', 'veth', 'bridge', 'htb', 'tbf'] as const) expect(caps.features[f], f).toMatchObject({ ok: true });
    expect(caps.features.netem.ok).toBe(kernelHasNetem());
    expect(chooseNetworkMode('auto', caps).mode).toBe('tc');
    expect(ours('sl').netns.filter((n) => /^sl[0-9a-f]{6}p/.test(n))).toEqual([]);
  });
});

/** Ground truth for netem without tc: its symbols in the running kernel. */
function kernelHasNetem(): boolean {
  const syms = existsSync('/proc/kallsyms') ? readFileSync('/proc/kallsyms', 'utf8') : '';
  if (!/\bhtb_enqueue\b/.test(syms)) return caps.features.netem.ok; // unreadable: cannot tell
  return /\bnetem_enqueue\b/.test(syms);
}

async function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function outputMatching(child: ChildProcess, re: RegExp): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no ${re} from ${child.spawnfile}: ${out}`)), 10_000);
    const onData = (b: Buffer): void => {
      out += b.toString();
      if (re.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${child.spawnfile} exited ${code}: ${out}`)));
  });
}

function firstJsonLine<T>(child: ChildProcess): Promise<T> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr?.on('data', (b: Buffer) => (err += b.toString()));
    child.stdout?.on('data', (b: Buffer) => {
      out += b.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(JSON.parse(out.slice(0, nl)) as T);
    });
    child.once('exit', (code) => reject(new Error(`holder exited ${code}: ${err}`)));
  });
}
