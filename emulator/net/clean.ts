import { readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { spawnRunner, type BatchLine, type Runner } from './exec.js';
import { Ip } from './ip.js';
import { agentRunPrefix, assertRunPrefix, runPrefix, SLEDGE_NAME } from './names.js';
import { waitForLinksGone } from './topology.js';
import { parseSavedLimits, restoreLimits } from '../launcher/host-limits.js';
import { ownership, readNoFollow } from '../trust/run-owner.js';

/** The prefix of a temp dir's or server's tag: `<runId>` (a launcher's) or `<runId>@<agent>` (an agent's share). */
function prefixOf(tag: string): string {
  const at = tag.indexOf('@');
  return at > 0 ? agentRunPrefix(tag.slice(0, at), tag.slice(at + 1)) : runPrefix(tag);
}
import { listActors, listProcesses, pidsInNetns, signalPids, waitGone, type ProcessInfo } from './procs.js';

export interface CleanOptions {
  /** Only this run's leftovers ('sl' + 6 hex); all sledge runs' when neither is given. */
  readonly runPrefix?: string;
  /** Same, by run id; also matches its servers by `sledge-<runId>` exactly. */
  readonly runId?: string;
  readonly runner?: Runner;
  /** Where runs keep their temp dirs; default the OS temp dir (tests give their own). */
  readonly tmpRoot?: string;
}

export interface CleanReport {
  readonly namespaces: string[];
  readonly links: string[];
  /** Pids killed: processes inside the namespaces, the runs' actors on the host and stray embedded servers. */
  readonly processes: number[];
  /** The runs' temp dirs (`sledge-<runId>-XXXXXX` under the OS temp dir) removed. */
  readonly dirs: string[];
  readonly errors: string[];
}

const SERVERS = new Set(['nats-server', 'redis-server']);

/**
 * Does any `sledge-<runId>[-tmp]` path component in argv belong to the run? With only a
 * prefix we cannot know where the run id ends (run ids contain '-', mkdtemp adds
 * '-XXXXXX'), so every '-'-split candidate is tried against the prefix.
 */
function serverOfRun(proc: ProcessInfo, runId: string | undefined, prefix: string | undefined, deadDirs: ReadonlySet<string>): boolean {
  if (!SERVERS.has(basename(proc.argv[0] ?? ''))) return false;
  const tags = proc.argv.flatMap((arg) => arg.split('/')).filter((part) => part.startsWith('sledge-'));
  return tags.some((tag) => {
    const rest = tag.slice('sledge-'.length);
    if (runId !== undefined) return rest === runId || rest.startsWith(`${runId}-`);
    // every run: only the servers whose temp dir is proven a dead run's; a live run's are spared
    if (prefix === undefined) return deadDirs.has(tag);
    const parts = rest.split('-');
    return parts.some((_, i) => prefixOf(parts.slice(0, i + 1).join('-')) === prefix);
  });
}

/** `sledge-<id>-XXXXXX` → `<id>`. */
function tagId(tag: string): string {
  return tag.slice('sledge-'.length, -7);
}

/**
 * Is an actor (by its SLEDGE_RUN_ID) one of the runs to clean? A run named by id or prefix:
 * all its actors. Every run: only orphans (parent gone, reparented to pid 1), so a live
 * run's actors are left to their launcher.
 */
function actorOfRun(actorRun: string, ppid: number, runId: string | undefined, prefix: string | undefined): boolean {
  if (runId !== undefined) return actorRun === runId;
  if (prefix !== undefined) return prefixOf(actorRun) === prefix;
  return GENERATED_RUN_ID.test(actorRun) && ppid === 1;
}

/** Run ids as `newRunId` makes them: what "every run" means when no run is named. */
const GENERATED_RUN_ID = /^\d{8}-\d{6}-[0-9a-f]{6}$/;

/** The temp dirs of the runs named (mkdtemp appends '-' and 6 characters to `sledge-<runId>`). */
async function runTempDirs(runId: string | undefined, prefix: string | undefined, root: string): Promise<string[]> {
  const names = await readdir(root).catch(() => [] as string[]);
  return names
    .filter((name) => {
      const id = /^sledge-(.+)-[A-Za-z0-9]{6}$/.exec(name)?.[1];
      if (id === undefined) return false;
      if (runId !== undefined) return id === runId || id.startsWith(`${runId}@`);
      if (prefix !== undefined) return prefixOf(id) === prefix;
      return GENERATED_RUN_ID.test(id.split('@')[0]!);
    })
    .map((name) => join(root, name));
}

/**
 * Removes what crashed runs left behind: processes in their namespaces (a namespace with
 * a live process outlives `netns del`, and keeps its veth), their actors on the host
 * (killed here, not left to notice the launcher is gone), stray nats-server/redis-server
 * of those runs, then host links and namespaces, then the runs' temp dirs. Matches only
 * sledge's naming scheme.
 *
 * Trust (docs/trust.md): a temp dir counts only if it is provably sledge's (not a symlink,
 * ours, 0700); kernel limits are restored only from such a dir, known settings only. Named
 * (a run id or prefix), the run is ended whoever still runs it. Unnamed, only dead runs
 * are touched: a run whose launcher (or agent) is alive keeps its servers, namespaces and
 * temp dir, and a dir that cannot be proven a dead run's is left alone.
 */
export async function cleanNet(options: CleanOptions = {}): Promise<CleanReport> {
  const prefix =
    options.runPrefix !== undefined ? assertRunPrefix(options.runPrefix) : options.runId !== undefined ? runPrefix(options.runId) : undefined;
  const named = prefix !== undefined;
  const errors: string[] = [];
  const candidates = await runTempDirs(options.runId, prefix, options.tmpRoot ?? tmpdir());
  const owned = candidates.map((dir) => ({ dir, tag: basename(dir), owner: ownership(dir) }));
  // no run named: only the namespaces and links of runs proven dead (a run's prefix is 'sl' + 6 hex)
  const deadDirs = new Set(owned.filter((d) => d.owner.state === 'dead').map((d) => d.tag));
  const deadPrefixes = new Set(owned.filter((d) => d.owner.state === 'dead').map((d) => prefixOf(tagId(d.tag))));
  const ours = (name: string): boolean => SLEDGE_NAME.test(name) && (named ? name.startsWith(prefix) : deadPrefixes.has(name.slice(0, 8)));
  const ip = new Ip(options.runner ?? spawnRunner);

  const namespaces = (await ip.listNetns()).filter(ours);
  const links = (await ip.listLinks()).map((l) => l.name).filter(ours);

  const inNamespaces = [...(await pidsInNetns(namespaces)).values()].flat();
  const servers = (await listProcesses()).filter((p) => serverOfRun(p, options.runId, prefix, deadDirs)).map((p) => p.pid);
  const actors = (await listActors()).filter((a) => actorOfRun(a.runId, a.ppid, options.runId, prefix)).map((a) => a.pid);
  const victims = [...new Set([...inNamespaces, ...servers, ...actors])];
  const processes = signalPids(victims, 'SIGKILL');
  const stuck = await waitGone(processes);
  if (stuck.length > 0) errors.push(`still alive after SIGKILL: ${stuck.join(', ')}`);

  // Namespaces first: their veth pairs go with them in one batched kernel cleanup. What
  // is still there after that (bridges, veths whose peer was not in a namespace) goes by name.
  const quiet = (lines: BatchLine[]): Promise<void> =>
    // A peer gone along with its partner fails its own line; the re-check below decides.
    ip.batch(lines, { force: true }).catch(() => {});
  await quiet(namespaces.map((n): BatchLine => ['netns', 'del', n]));
  await quiet(links.filter((l) => !/h\d+$/.test(l)).map((l): BatchLine => ['link', 'del', l]));
  const vethsLeft = await waitForLinksGone(ip, links.filter((l) => /h\d+$/.test(l)));
  await quiet(vethsLeft.map((l): BatchLine => ['link', 'del', l]));
  const leftNs = new Set((await ip.listNetns()).filter(ours));
  const leftLinks = new Set((await ip.listLinks()).map((l) => l.name).filter(ours));
  // Last: the servers that kept their files there are gone by now.
  const dirs: string[] = [];
  for (const { dir, owner } of owned) {
    // named: ended whoever runs it, but only a dir provably sledge's; unnamed: dead runs only
    if (owner.state === 'unproven' ? true : owner.state === 'live' && !named) continue;
    await restoreSavedLimits(dir, errors);
    await rm(dir, { recursive: true, force: true }).then(
      () => dirs.push(dir),
      (e: unknown) => errors.push(`cannot remove ${dir}: ${e instanceof Error ? e.message : String(e)}`),
    );
  }
  for (const n of leftNs) errors.push(`namespace ${n} still present`);
  for (const l of leftLinks) errors.push(`link ${l} still present`);
  return {
    namespaces: namespaces.filter((n) => !leftNs.has(n)),
    links: links.filter((l) => !leftLinks.has(l)),
    processes,
    dirs,
    errors,
  };
}

/** Kernel limits a killed run raised (host-limits.ts saved them in its temp dir) go back to their old values. */
async function restoreSavedLimits(dir: string, errors: string[]): Promise<void> {
  let text: string;
  try {
    text = readNoFollow(join(dir, 'host-limits.json'));
  } catch {
    return; // the run raised nothing (or the file is not ours: a link, someone else's)
  }
  try {
    restoreLimits(parseSavedLimits(text));
  } catch (e) {
    errors.push(`cannot restore the kernel limits saved in ${dir}: ${e instanceof Error ? e.message : String(e)}`);
  }
}
