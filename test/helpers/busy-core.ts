import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';

/** A process and every process under it, by parent pid, as /proc has them now. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // the command name may hold spaces and parentheses: the fields after it start at the last ')'
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i]!) ?? []));
  return tree;
}

/** Pins a process and all its threads (taskset -a) to `cpus`, a list or a hex mask; a process gone meanwhile is skipped. */
function pin(pid: number, cpuList: string, mask = false): void {
  try {
    execFileSync('taskset', ['-a', '-p', ...(mask ? [] : ['-c']), cpuList, String(pid)], { stdio: 'ignore' });
  } catch {
    // exited meanwhile
  }
}

/**
 * The host made busy under a run (docs/fidelity.md, "Monitoring while the run runs"): the
 * run's processes (the launcher `root` and everything under it: actors, nats-server,
 * redis-server) are pinned to one core, and a real-time process (SCHED_FIFO) spins on that
 * core 40 ms of every 50. No fair task runs on a core beside it, so a timer, a transfer or a
 * bus hop that falls due while it spins is late by up to 40 ms, whatever scale the run
 * chose and whatever else loads the host; the 10 ms it sleeps keep the run moving. (A
 * nice -20 spinner is no such certainty: beside one, a nice-0 process woke 4.5 ms late on
 * average on this project's host, docs/fidelity.md.) The other cores stay free for
 * everyone else. `stop` kills the spinner by pid and gives the run its cores back; the
 * spinner also ends by itself after `maxS`, should the test be torn down before it can.
 */
export function busyCore(root: number, maxS = 40): { pids: number[]; stop: () => void } {
  const core = String(cpus().length - 1);
  const before = /mask:\s*([0-9a-f,]+)/i.exec(execFileSync('taskset', ['-p', String(root)], { encoding: 'utf8' }))?.[1] ?? 'ffffffff';
  const pids = processTree(root);
  for (const pid of pids) pin(pid, core);
  const spin = `const z = new Int32Array(new SharedArrayBuffer(4)); const end = Date.now() + ${maxS * 1000}; while (Date.now() < end) { const t = Date.now() + 40; while (Date.now() < t); Atomics.wait(z, 0, 0, 10); }`;
  const spinner: ChildProcess = spawn('taskset', ['-c', core, 'chrt', '-f', '1', process.execPath, '-e', spin], { stdio: 'ignore' });
  let stopped = false;
  return {
    pids,
    stop: () => {
      if (stopped) return;
      stopped = true;
      // taskset and chrt exec the spinner: the pid is the spinner's
      if (spinner.pid && spinner.exitCode === null) process.kill(spinner.pid, 'SIGKILL');
      for (const pid of pids) pin(pid, before, true);
    },
  };
}
