import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateLauncherKeys } from '../../emulator/trust/keys.js';
import { CLI, runCli, waitFor } from './emulation.js';

/**
 * A second "host" for tests of `sledge agent`: a network namespace with its own veth link
 * to the launcher's host (198.19.254.0/30, inside sledge's 198.18.0.0/15 pool, named like
 * sledge's own so that `sledge net clean` recognises it), nats-servers that accept leaf
 * nodes on either side, and agents started inside it with `ip netns exec`.
 */
export class OtherHost {
  readonly prefix = `sl${randomBytes(3).toString('hex')}`;
  readonly netns = `${this.prefix}-0`;
  /** A /30 at random in 198.19.255.0/24, so that a leftover of another test run is not in the way. */
  private readonly net = 4 * Math.floor(Math.random() * 64);
  readonly launcherAddress = `198.19.255.${this.net + 1}`;
  readonly address = `198.19.255.${this.net + 2}`;
  readonly token = randomBytes(12).toString('hex');
  private readonly procs: ChildProcess[] = [];
  private readonly agents = new Map<string, ChildProcess>();

  /** The launcher's key pair the agents trust: runs need SLEDGE_LAUNCHER_KEY=keys.privateKey. */
  keys!: { privateKey: string; publicKey: string };

  constructor(private readonly dir: string) {}

  create(): void {
    this.keys = generateLauncherKeys(join(this.dir, 'launcher-keys'));
    const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });
    ip('netns', 'add', this.netns);
    ip('link', 'add', `${this.prefix}h0`, 'type', 'veth', 'peer', 'name', `${this.prefix}n0`, 'netns', this.netns);
    ip('addr', 'add', `${this.launcherAddress}/30`, 'dev', `${this.prefix}h0`);
    ip('link', 'set', `${this.prefix}h0`, 'up');
    ip('-n', this.netns, 'link', 'set', 'lo', 'up');
    ip('-n', this.netns, 'addr', 'add', `${this.address}/30`, 'dev', `${this.prefix}n0`);
    ip('-n', this.netns, 'link', 'set', `${this.prefix}n0`, 'up');
  }

  /** A nats-server with a client, a leafnode and a cluster port; `routeTo` clusters it with another. */
  async startNats(name: string, address: string, ports: { client: number; leaf: number; cluster: number }, routeTo?: string): Promise<string> {
    const conf = join(this.dir, `${name}.conf`);
    writeFileSync(conf, [
      `server_name: ${name}`,
      `listen: "${address}:${ports.client}"`,
      `authorization { token: "${this.token}" }`,
      'max_payload: 1MB', 'max_pending: 256MB', 'write_deadline: "30s"',
      `leafnodes { listen: "${address}:${ports.leaf}" }`,
      `cluster { name: sledge-test, listen: "${address}:${ports.cluster}"${routeTo ? `, routes: ["nats-route://${routeTo}"]` : ''} }`,
      `log_file: "${join(this.dir, `${name}.log`)}"`,
    ].join('\n'));
    const argv = address === this.address ? ['ip', 'netns', 'exec', this.netns, 'nats-server', '-c', conf] : ['nats-server', '-c', conf];
    this.procs.push(spawn(argv[0]!, argv.slice(1), { stdio: 'ignore' }));
    const url = `nats://${this.token}@${address}:${ports.client}`;
    await waitFor(`${name} listening`, () => {
      const list = address === this.address ? ['ip', 'netns', 'exec', this.netns, 'ss', '-Hltn'] : ['ss', '-Hltn'];
      return execFileSync(list[0]!, list.slice(1), { encoding: 'utf8' }).includes(`${address}:${ports.client} `);
    });
    return url;
  }

  /** `sledge agent` inside the namespace; resolves once `sledge agent list` shows it. */
  async startAgent(name: string, natsUrl: string, leafUrl: string, extra: string[] = []): Promise<ChildProcess> {
    const child = spawn('ip', ['netns', 'exec', this.netns, process.execPath, CLI, 'agent', '--name', name, '--trust', this.keys.publicKey, '--logs', join(this.dir, 'agent-logs'), ...extra], {
      env: { ...process.env, NATS_URL: natsUrl, NATS_LEAF_URL: leafUrl },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let log = '';
    child.stderr!.on('data', (d) => (log += d));
    this.agents.set(name, child);
    this.procs.push(child);
    await waitFor(`agent ${name}`, () => log.includes('serving on') || child.exitCode !== null, 30_000);
    if (child.exitCode !== null) throw new Error(`agent ${name} exited: ${log}`);
    return child;
  }

  async listAgents(natsUrl: string): Promise<string> {
    return (await runCli(['agent', 'list'], { NATS_URL: natsUrl })).stdout;
  }

  /** What is left inside the host's namespace with `prefix` in its name (its own links aside). */
  linksInside(prefix: string): string[] {
    return execFileSync('ip', ['-n', this.netns, 'link', 'show'], { encoding: 'utf8' }).split('\n').filter((l) => l.includes(prefix));
  }

  /** Agents first, politely (they tear their runs down), then everything else. */
  async destroy(): Promise<void> {
    for (const a of this.agents.values()) a.kill('SIGTERM');
    await waitFor('agents stopped', () => [...this.agents.values()].every((a) => a.exitCode !== null || a.signalCode !== null), 10_000).catch(() => undefined);
    for (const p of this.procs) p.kill('SIGKILL');
    try {
      for (const pid of execFileSync('ip', ['netns', 'pids', this.netns], { encoding: 'utf8' }).split('\n').filter(Boolean)) process.kill(Number(pid), 'SIGKILL');
    } catch {
      // gone already
    }
    execFileSync('ip', ['netns', 'del', this.netns], { stdio: 'ignore' });
  }
}
