import { type ChildProcess } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { existsSync, readFileSync, readlinkSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { agentControl, fromBytes, toBytes, type AgentFacts, type AgentReply } from '../emulator/agent/protocol.js';
import { findExecutable, spawnManaged, stopAll } from '../emulator/servers/child.js';
import { freePort } from '../emulator/servers/free-port.js';
import { generateLauncherKeys } from '../emulator/trust/keys.js';
import { RequestSigner } from '../emulator/trust/signed.js';
import { runCli, startCli, tempDir, waitFor } from './helpers/emulation.js';

/**
 * A live `sledge agent` and a hostile client on its bus (docs/trust.md): unsigned requests,
 * requests signed by another key, replayed or stale ones, env-carrying ones, a second spawn,
 * a foreign device and another launcher's session all do nothing and are counted; the
 * device the trusted launcher spawns runs as an unprivileged user with an environment the
 * agent built.
 */
describe('sledge agent obeys its launcher, not the bus', () => {
  let dir: string;
  let agent: ChildProcess;
  let agentLog = '';
  let nc: NatsConnection;
  let natsUrl: string;
  let trusted: RequestSigner;
  let keys: { privateKey: string; publicKey: string };
  const name = `trust${process.pid}`;
  const token = 'agent-trust-token';
  const runId = `trust-${process.pid}`;
  const marker = () => join(dir, 'pwned');

  beforeAll(async () => {
    dir = await tempDir('agent-trust');
    const clientPort = await freePort('127.0.0.1');
    const leafPort = await freePort('127.0.0.1');
    const conf = join(dir, 'hub.conf');
    writeFileSync(conf, [`listen: "127.0.0.1:${clientPort}"`, `authorization { token: "${token}" }`, `leafnodes { listen: "127.0.0.1:${leafPort}", authorization { user: "leaf", password: "${token}" } }`, 'max_payload: 1MB', ''].join('\n'));
    spawnManaged('nats-server', (await findExecutable('nats-server'))!, ['-c', conf], join(dir, 'hub.log'));
    natsUrl = `nats://${token}@127.0.0.1:${clientPort}`;
    for (let i = 0; i < 100 && !nc; i++) nc = (await connect({ servers: `127.0.0.1:${clientPort}`, token, reconnect: false }).catch(() => new Promise<undefined>((r) => setTimeout(r, 100))))!;
    keys = generateLauncherKeys(join(dir, 'keys'));
    trusted = new RequestSigner(createPrivateKey(readFileSync(keys.privateKey)));
    writeFileSync(join(dir, 'evil.js'), `require('fs').writeFileSync(${JSON.stringify(marker())}, String(process.getuid()))`);
    const started = startCli(['agent', '--name', name, '--trust', keys.publicKey, '--state', join(dir, 'state')], { NATS_URL: natsUrl, NATS_LEAF_URL: `nats-leaf://leaf:${token}@127.0.0.1:${leafPort}` });
    agent = started.child;
    agent.stderr!.on('data', (d) => (agentLog += d));
    await waitFor('agent serving', () => agentLog.includes('serving on') || agent.exitCode !== null, 30_000);
    expect(agent.exitCode, agentLog).toBeNull();
  }, 60_000);

  afterAll(async () => {
    agent?.kill('SIGTERM');
    await waitFor('agent stopped', () => agent.exitCode !== null || agent.signalCode !== null, 10_000).catch(() => agent.kill('SIGKILL'));
    await nc?.close();
    await stopAll();
    await rm(dir, { recursive: true, force: true });
  });

  const ask = async (body: Uint8Array): Promise<AgentReply> => fromBytes<AgentReply>((await nc.request(agentControl(name), body, { timeout: 30_000 })).data);
  const rejected = async (): Promise<Record<string, number>> => {
    const r = await runCli(['agent', 'list', '--json'], { NATS_URL: natsUrl });
    return (JSON.parse(r.stdout) as AgentFacts[]).find((a) => a.name === name)?.rejected ?? {};
  };
  const open = { kind: 'open', runId, mode: 'userspace', devices: ['a'], offsetMs: 0, workload: 'sleep', seed: 1, busDownS: 60 };

  it('refuses to start without --trust: one line, exit 2', async () => {
    const r = await runCli(['agent', '--name', 'untrusting'], { NATS_URL: natsUrl });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^sledge: sledge agent needs --trust/);
  });

  it('keeps its logs in a 0700 directory of its state, not the working directory', () => {
    expect(statSync(join(dir, 'state', 'logs')).mode & 0o777).toBe(0o700);
    expect(existsSync('sledge-agent-logs')).toBe(false);
  });

  it('hostile requests do nothing and are counted; the trusted launcher\'s device runs unprivileged with the agent\'s environment', async () => {
    const evil = { NODE_OPTIONS: `--require ${join(dir, 'evil.js')}`, LD_PRELOAD: join(dir, 'evil.so') };
    // unsigned: the request of the issue, as plain JSON
    expect(await ask(toBytes({ ...open, env: evil }))).toMatchObject({ kind: 'error' });
    // signed by a key the agent was not given
    const other = generateLauncherKeys(join(dir, 'other-keys'));
    const stranger = new RequestSigner(createPrivateKey(readFileSync(other.privateKey)));
    expect(await ask(stranger.sign(name, open))).toMatchObject({ kind: 'error' });
    // the trusted key, with an environment in it: the whole request is refused
    expect(await ask(trusted.sign(name, { ...open, env: evil }))).toMatchObject({ kind: 'error', message: expect.stringMatching(/unexpected field "env"/) });
    // stale: signed two minutes ago
    expect(await ask(trusted.sign(name, open, Date.now() - 120_000))).toMatchObject({ kind: 'error', message: expect.stringMatching(/too long ago/) });
    // the trusted launcher opens the run; the same bytes again are a replay
    const opening = trusted.sign(name, open);
    expect(await ask(opening)).toMatchObject({ kind: 'ok' });
    // as a launcher does: an agent tears down a run whose launcher falls silent
    const heartbeat = setInterval(() => void ask(trusted.sign(name, { kind: 'ping', runId })).catch(() => undefined), 1000);
    onTestFinished(() => clearInterval(heartbeat));
    expect(await ask(opening)).toMatchObject({ kind: 'error', message: 'a replayed request' });
    // a spawn carrying an environment, a device not in the run, the edge server
    expect(await ask(trusted.sign(name, { kind: 'spawn', runId, actor: 'device.a', env: evil }))).toMatchObject({ kind: 'error' });
    expect(await ask(trusted.sign(name, { kind: 'spawn', runId, actor: 'device.zz' }))).toMatchObject({ kind: 'error', message: expect.stringMatching(/not in run/) });
    // another launcher with the same key (another session) may not act on this run
    const otherSession = new RequestSigner(createPrivateKey(readFileSync(keys.privateKey)));
    expect(await ask(otherSession.sign(name, { kind: 'close', runId }))).toMatchObject({ kind: 'error', message: expect.stringMatching(/another launcher/) });
    // the trusted spawn works once; a second spawn of the same actor is refused
    const spawned = await ask(trusted.sign(name, { kind: 'spawn', runId, actor: 'device.a' }));
    expect(spawned).toMatchObject({ kind: 'ok' });
    const pid = (spawned as { pid: number }).pid;
    expect(await ask(trusted.sign(name, { kind: 'spawn', runId, actor: 'device.a' }))).toMatchObject({ kind: 'error', message: expect.stringMatching(/spawned already/) });

    // the device: not root, and nothing of the requests in its environment. The agent answers as it
    // spawns: the process is `ip netns exec` (root) and setpriv before it is the actor, so look once it is.
    const node = realpathSync(process.execPath);
    await waitFor('the spawned process to become the actor', () => {
      try {
        return readlinkSync(`/proc/${pid}/exe`) === node;
      } catch {
        return false;
      }
    });
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    // alive, not a zombie: a dead process's environ is empty and would pass the checks below
    expect(status).not.toMatch(/^State:\s+[ZX]/m);
    const uid = Number(/^Uid:\s+(\d+)/m.exec(status)![1]);
    expect(uid).not.toBe(0);
    const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    expect(environ.filter((e) => /^(NODE_OPTIONS|LD_PRELOAD)=/.test(e))).toEqual([]);
    expect(environ.filter((e) => e.includes(token))).toEqual([]);
    expect(environ.find((e) => e.startsWith('SLEDGE_NATS_USER='))).toBe('SLEDGE_NATS_USER=device.a');
    expect(existsSync(marker())).toBe(false);

    expect(await rejected()).toMatchObject({ unsigned: 1, 'untrusted-key': 1, 'bad-request': 2, stale: 1, replayed: 1, 'foreign-device': 1, 'foreign-run': 1, 'second-spawn': 1 });
    // the run is intact for its launcher
    expect(await ask(trusted.sign(name, { kind: 'ping', runId }))).toMatchObject({ kind: 'ok' });
    expect(await ask(trusted.sign(name, { kind: 'close', runId }))).toMatchObject({ kind: 'ok' });
    await waitFor('the device stopped', () => !existsSync(`/proc/${pid}`), 10_000);
  }, 60_000);
});
