import { readFileSync } from 'node:fs';
import { readdir, readFile, readlink, stat } from 'node:fs/promises';

/**
 * Process lookups straight from /proc: finding the processes of 100 namespaces this way
 * takes one directory scan instead of 100 `ip netns pids` runs.
 */

export const NETNS_DIR = '/run/netns';

export interface ProcessInfo {
  readonly pid: number;
  readonly argv: readonly string[];
}

async function pids(): Promise<number[]> {
  const entries = await readdir('/proc');
  return entries.filter((e) => /^\d+$/.test(e)).map(Number);
}

/** pid → network namespace inode ('net:[N]'), skipping processes that vanished. */
async function netInodes(): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  await Promise.all(
    (await pids()).map(async (pid) => {
      try {
        out.set(pid, await readlink(`/proc/${pid}/ns/net`));
      } catch {
        // gone, or a kernel thread we may not inspect
      }
    }),
  );
  return out;
}

/** For each named namespace, the processes living in it (what `ip netns pids` prints). */
export async function pidsInNetns(names: readonly string[]): Promise<Map<string, number[]>> {
  const wanted = new Map<string, string>();
  for (const name of names) {
    try {
      wanted.set(`net:[${(await stat(`${NETNS_DIR}/${name}`)).ino}]`, name);
    } catch {
      // not mounted (already deleted)
    }
  }
  const result = new Map<string, number[]>(names.map((n) => [n, []]));
  if (wanted.size === 0) return result;
  for (const [pid, inode] of await netInodes()) {
    const name = wanted.get(inode);
    if (name !== undefined && pid !== process.pid) result.get(name)?.push(pid);
  }
  return result;
}

export async function listProcesses(): Promise<ProcessInfo[]> {
  const out: ProcessInfo[] = [];
  await Promise.all(
    (await pids()).map(async (pid) => {
      try {
        const raw = await readFile(`/proc/${pid}/cmdline`, 'utf8');
        if (raw.length > 0) out.push({ pid, argv: raw.replace(/\0$/, '').split('\0') });
      } catch {
        // gone
      }
    }),
  );
  return out.sort((a, b) => a.pid - b.pid);
}

/**
 * Whether `pid` may be signalled at all. kill(2) gives 0 and negative pids a meaning
 * (the caller's process group, every process it may signal, a process group) and 1 is
 * init: as root, `kill(-1, SIGKILL)` ends every process on the machine.
 */
export function isSignallablePid(pid: unknown): pid is number {
  return typeof pid === 'number' && Number.isSafeInteger(pid) && pid > 1;
}

/** process.kill guarded by isSignallablePid; false when not sent (refused, or the process is gone). */
export function signalPid(pid: unknown, signal: NodeJS.Signals | 0): boolean {
  if (!isSignallablePid(pid)) return false;
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Sends `signal` to each pid (never to ourselves, never to a pid <= 1); returns those it reached. */
export function signalPids(list: readonly number[], signal: NodeJS.Signals = 'SIGKILL'): number[] {
  return list.filter((pid) => pid !== process.pid && signalPid(pid, signal));
}

/** True while the process exists and is not a zombie (a zombie holds no namespace). */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // state is the field after the parenthesised command name, which may contain spaces
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Waits (briefly) until the pids are gone, so a namespace can really be freed. */
export async function waitGone(list: readonly number[], timeoutMs = 2000): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  let alive = list.filter(isAlive);
  while (alive.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
    alive = alive.filter(isAlive);
  }
  return alive;
}

/** An actor process: its run id from the SLEDGE_RUN_ID its launcher or agent gave it, and its parent. */
export interface ActorProcess {
  readonly pid: number;
  readonly runId: string;
  readonly ppid: number;
}

/**
 * The actor processes on this host (server, devices, wherever they run: on the host or in
 * a namespace), found by the run id in their environment. A killed launcher leaves its
 * host-side actors orphaned (reparented, usually to pid 1): `net clean` ends them itself
 * rather than wait for them to notice (docs/architecture.md §9).
 */
export async function listActors(): Promise<ActorProcess[]> {
  const out: ActorProcess[] = [];
  await Promise.all(
    (await pids()).map(async (pid) => {
      try {
        const env = await readFile(`/proc/${pid}/environ`, 'utf8');
        const runId = /(?:^|\0)SLEDGE_RUN_ID=([^\0]*)/.exec(env)?.[1];
        if (!runId) return;
        const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        out.push({ pid, runId, ppid });
      } catch {
        // gone, or not ours to read
      }
    }),
  );
  return out.sort((a, b) => a.pid - b.pid);
}
