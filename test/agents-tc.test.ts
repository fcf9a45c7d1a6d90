import { execFileSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { cleanNet } from '../emulator/net/clean.js';
import { runPrefix } from '../emulator/net/names.js';
import { startRedis, type EmbeddedRedis } from '../emulator/servers/redis-server.js';
import { actorPid, planKeys, processesOfRun, readTurns, runCli, runIdOf, smallConfig, startCli, tempDir, tempDirsOfRun, turnKeys, waitFor, writeJson } from './helpers/emulation.js';
import { OtherHost } from './helpers/other-host.js';
import { kernelStateOf, missing, tcIt } from './helpers/tc.js';
import { expectShaped, expectTurnsShaped } from './helpers/bounds.js';

const NOTHING = { netns: [], links: [], qdiscs: [] };
const TOOLS = { tools: ['nats-server', 'redis-server'] as ('nats-server' | 'redis-server')[], timeout: 90_000 };

/**
 * `sledge run --agents` (docs/architecture.md §10) with a second "host": a network namespace with its
 * own link to this one, agents started inside it, devices split between the two hosts.
 */
describe('sledge agent: devices on another host', () => {
  let dir: string;
  let host: OtherHost;
  let redis: EmbeddedRedis;
  let busA: string;
  let busB: string;
  let killable: ChildProcess;
  const runs: string[] = [];
  const base = 20_000 + Math.floor(Math.random() * 20_000);
  const env = () => ({ NATS_URL: busA, NATS_LEAF_URL: `nats-leaf://${host.launcherAddress}:${base + 1}`, REDIS_URL: redis.url, SLEDGE_LAUNCHER_KEY: host.keys.privateKey });

  beforeAll(async () => {
    if (missing.length) return;
    dir = await tempDir('agents');
    host = new OtherHost(dir);
    host.create();
    busA = await host.startNats('bus-a', host.launcherAddress, { client: base, leaf: base + 1, cluster: base + 2 });
    busB = await host.startNats('bus-b', host.address, { client: base + 3, leaf: base + 4, cluster: base + 5 }, `${host.launcherAddress}:${base + 2}`);
    redis = await startRedis({ dir: join(dir, 'sledge-agents-redis'), runId: 'agents-test' });
    const leafA = `nats-leaf://${host.launcherAddress}:${base + 1}`;
    await host.startAgent('hostb', busA, leafA);
    await host.startAgent('skewed', busA, leafA, ['--clock-skew-ms', '250']);
    await host.startAgent('clustered', busB, `nats-leaf://${host.address}:${base + 4}`);
    killable = await host.startAgent('doomed', busA, leafA);
  }, 60_000);

  afterAll(async () => {
    if (missing.length) return;
    await host?.destroy().catch(() => undefined);
    await redis?.stop().catch(() => undefined);
    for (const id of runs) await cleanNet({ runId: id });
    if (!process.env.SLEDGE_KEEP_TEST_DIR) await rm(dir, { recursive: true, force: true });
  });

  const config = (name: string, rounds = 3, faults?: unknown[]) => writeJson(join(dir, `${name}.json`), { ...smallConfig({ network: 'tc', devices: 4, rounds }), ...(faults ? { faults } : {}) });

  /** Runs 4 devices, two on `agent`; checks every turn, that they were shaped for real, the agent's namespaces and that both hosts are clean. */
  async function runSplit(name: string, agent: string, runEnv: NodeJS.ProcessEnv, faults?: unknown[]) {
    const out = join(dir, name);
    const { done } = startCli(['run', config(name, 3, faults), '--out', out, '--agents', `local,${agent}`], runEnv);
    // while it runs: the agent's devices are in the agent's own namespaces
    const early = done.then((r) => Promise.reject(new Error(`run ended before its manifest: ${r.stderr}`)));
    early.catch(() => undefined);
    const manifest = await Promise.race([early, waitFor('the manifest', () => runIdOf(out) && JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')), 60_000)]);
    runs.push(manifest.runId);
    const agentPrefix = manifest.agents[agent].namePrefix as string;
    // (read through the process: a namespace an agent makes inside `ip netns exec` is not mounted out here)
    const inAgentNs = await waitFor('device d2 behind the agent\'s veth', () => {
      const pid = actorPid(manifest.runId, 'device.d2');
      return pid !== undefined && execFileSync('nsenter', ['-t', String(pid), '-n', 'ip', '-o', 'link', 'show'], { encoding: 'utf8' }).includes(`${agentPrefix}n0`);
    });
    const r = await done;
    expect(r.stderr).not.toMatch(/Error|failed|warning/i);
    expect(r.code).toBe(0);
    expect(inAgentNs).toBe(true);
    expect(manifest.placement).toEqual({ d1: 'local', d2: agent, d3: 'local', d4: agent });
    const turns = readTurns(out);
    expect(turns).toHaveLength(12);
    const errors = turns.map((t) => Math.abs(Number(t.measured_total) / Number(t.predicted_total) - 1));
    const clock = manifest.agents[agent].clock;
    console.log(`${name}: offset ${clock.offsetMs} ms ± ${clock.uncertaintyMs} ms; |measured/predicted − 1| of totals: ${errors.map((e) => e.toFixed(3)).join(' ')}`);
    expectTurnsShaped(turns);
    // nothing of the run left on either host
    expect(kernelStateOf(runPrefix(manifest.runId))).toEqual(NOTHING);
    expect(kernelStateOf(agentPrefix)).toEqual(NOTHING);
    expect(host.linksInside(agentPrefix)).toEqual([]);
    expect(processesOfRun(manifest.runId)).toEqual([]);
    expect(tempDirsOfRun(manifest.runId)).toEqual([]);
    return { manifest, turns, errors };
  }

  tcIt('lists the agents on the bus, with their host facts and version', async () => {
    const list = await host.listAgents(busA);
    for (const name of ['hostb', 'skewed', 'clustered', 'doomed']) expect(list).toMatch(new RegExp(`^${name}\\t.*\\ttc\\tsledge \\d`, 'm'));
  }, TOOLS);

  tcIt('a missing agent is one line, exit 2', async () => {
    const r = await runCli(['run', config('missing'), '--agents', 'local,nobody'], env());
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n').at(-1)).toMatch(/^sledge: agent nobody is not on the bus/);
  }, TOOLS);

  tcIt('4 devices, two on an agent in the other host: every turn shaped for real, agent namespaces used, both hosts clean', async () => {
    const { manifest } = await runSplit('split', 'hostb', env());
    expect(Math.abs(manifest.agents.hostb.clock.offsetMs)).toBeLessThan(50);
  }, TOOLS);

  tcIt('two nats-servers clustered by routes, the agent on its own host\'s server: every turn recorded', async () => {
    await runSplit('cluster', 'clustered', env());
  }, TOOLS);

  tcIt('the agent\'s clock skewed by +250 ms: the offset is measured and the phases do not move', async () => {
    const { manifest } = await runSplit('skew', 'skewed', env());
    const { offsetMs, uncertaintyMs } = manifest.agents.skewed.clock;
    expect(Math.abs(offsetMs - 250)).toBeLessThanOrEqual(uncertaintyMs + 5);
  }, TOOLS);

  tcIt('an outage on a device behind the agent is held by the agent\'s kernel for real, every turn, both hosts clean', async () => {
    const { turns } = await runSplit('outage', 'hostb', env(), [{ kind: 'outage', device: 'd2', round: 2, phase: 'downlink', seconds: 2 }]);
    const outage = turns.find((t) => t.fault === 'outage@downlink+2s')!;
    expect(`${outage.round}/${outage.device}/${outage.status}`).toBe('2/d2/done');
    expectShaped(Number(outage.measured_downlink), Number(outage.predicted_downlink), 'the outage turn\'s downlink');
  }, TOOLS);

  tcIt('killing the agent mid-run fails the run naming it, the launcher\'s host clean; the agent restarted, sledge resume finishes it with every turn once, both hosts clean', async () => {
    const out = join(dir, 'killed');
    const rounds = 6;
    const { done } = startCli(['run', config('killed', rounds), '--out', out, '--agents', 'local,doomed'], env());
    await waitFor('two finished turns', () => readTurns(out).length >= 2, 60_000);
    const runId = runIdOf(out)!;
    runs.push(runId);
    const agentPrefix = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')).agents.doomed.namePrefix as string;
    killable.kill('SIGKILL');
    const r = await done;
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr.trim().split('\n').at(-1)).toMatch(/^sledge: run failed: .*agent doomed (vanished|did not answer)/);
    expect(kernelStateOf(runPrefix(runId))).toEqual(NOTHING);
    // the other host's leftovers (its leaf server, namespaces) are its own business: the restarted agent's
    const otherHost = new Set(execFileSync('ip', ['netns', 'pids', host.netns], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number));
    await waitFor('the agent\'s actors gone', () => processesOfRun(runId).filter((p) => !otherHost.has(p.pid)).length === 0, 10_000);
    expect(tempDirsOfRun(runId).filter((d) => !d.includes('@'))).toEqual([]);
    expect(host.linksInside(agentPrefix)).not.toEqual([]);

    const missingAgent = await runCli(['resume', out], env());
    expect(missingAgent.code).toBe(2);
    expect(missingAgent.stderr.trim().split('\n').at(-1)).toMatch(/^sledge: agent doomed is not on the bus/);

    await host.startAgent('doomed', busA, `nats-leaf://${host.launcherAddress}:${base + 1}`);
    const resumed = await runCli(['resume', out], env());
    expect(resumed.stderr).toMatch(new RegExp(`resuming run ${runId}: \\d+ of ${rounds * 4} turns finished`));
    expect(resumed.code, resumed.stderr).toBe(0);
    expect([...turnKeys(readTurns(out))].sort()).toEqual([...planKeys(rounds, ['d1', 'd2', 'd3', 'd4'])].sort());
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.status).toBe('finished');
    expect(summary.turnsDone).toBe(rounds * 4);
    expect(JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')).placement).toEqual({ d1: 'local', d2: 'doomed', d3: 'local', d4: 'doomed' });
    // both hosts: the resumed run's and the killed agent's leftovers are gone
    expect(kernelStateOf(runPrefix(runId))).toEqual(NOTHING);
    expect(kernelStateOf(agentPrefix)).toEqual(NOTHING);
    expect(host.linksInside(agentPrefix)).toEqual([]);
    expect(processesOfRun(runId)).toEqual([]);
    expect(tempDirsOfRun(runId)).toEqual([]);
  }, { ...TOOLS, timeout: 180_000 });
});
