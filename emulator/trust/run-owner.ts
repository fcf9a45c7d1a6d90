/**
 * Proof of whose a run's temp dir is (docs/trust.md). `sledge net clean` removes, kills
 * and restores only what it can prove belongs to a dead run: a directory that is not a
 * symlink, owned by the cleaning user, mode 0700, holding the pid and start time of the
 * process that made it, which is no longer running.
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

const OWNER_FILE = 'owner.json';

/** The start time of a process in clock ticks since boot (/proc/<pid>/stat field 22): a pid reused later has another. */
function startTicks(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** Written by the launcher (or agent) right after it made the run's temp dir. */
export function markOwner(dir: string, pid = process.pid): void {
  const fd = openSync(join(dir, OWNER_FILE), constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    writeSync(fd, JSON.stringify({ pid, start: startTicks(pid) ?? null }));
  } finally {
    closeSync(fd);
  }
}

export type Ownership = { state: 'dead' } | { state: 'live'; pid: number } | { state: 'unproven'; why: string };

export function ownership(dir: string): Ownership {
  let st;
  try {
    st = lstatSync(dir);
  } catch {
    return { state: 'unproven', why: 'gone' };
  }
  if (!st.isDirectory()) return { state: 'unproven', why: 'not a directory (a symlink?)' };
  if (st.uid !== (process.getuid?.() ?? st.uid)) return { state: 'unproven', why: `owned by uid ${st.uid}` };
  if (st.mode & 0o077) return { state: 'unproven', why: `mode ${(st.mode & 0o777).toString(8)}, not 0700` };
  let owner: { pid?: unknown; start?: unknown };
  try {
    owner = JSON.parse(readNoFollow(join(dir, OWNER_FILE))) as typeof owner;
  } catch {
    return { state: 'unproven', why: `no readable ${OWNER_FILE}` };
  }
  if (!Number.isSafeInteger(owner.pid) || (owner.pid as number) <= 0) return { state: 'unproven', why: `a bad ${OWNER_FILE}` };
  const pid = owner.pid as number;
  const now = startTicks(pid);
  return now !== undefined && (owner.start === null || owner.start === now) ? { state: 'live', pid } : { state: 'dead' };
}

/** A small regular file of ours, read without following a symlink. */
export function readNoFollow(path: string, maxBytes = 64 * 1024): string {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || st.size > maxBytes || st.uid !== (process.getuid?.() ?? st.uid)) throw new Error(`${path}: not a file of ours`);
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}
