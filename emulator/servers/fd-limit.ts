import { readFileSync } from 'node:fs';

/**
 * nats-server needs a file descriptor per client: 1,000 devices need more than the 1,024
 * that many shells give by default. Node cannot raise a limit itself, so the server is
 * started through util-linux's `prlimit`, which raises the soft limit to the hard one for
 * that process alone (and execs it: the pid stays the server's).
 */
export interface FdLimit {
  soft: number;
  hard: number;
}

export function openFilesLimit(limitsText?: string): FdLimit | undefined {
  let text = limitsText;
  try {
    text ??= readFileSync('/proc/self/limits', 'utf8');
  } catch {
    return undefined;
  }
  const m = /^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/m.exec(text);
  if (!m) return undefined;
  const n = (v: string) => (v === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(v));
  return { soft: n(m[1]!), hard: n(m[2]!) };
}

/** argv prefix that gives the command `needed` descriptors, or [] where the soft limit already does (or nothing can). */
export function raiseOpenFiles(needed: number, prlimit: string | undefined, limit = openFilesLimit()): string[] {
  if (!limit || limit.soft >= needed || !prlimit) return [];
  const target = Math.min(limit.hard, Math.max(needed, 65_536));
  return target > limit.soft ? [prlimit, `--nofile=${target}:${limit.hard === Number.MAX_SAFE_INTEGER ? 'unlimited' : limit.hard}`, '--'] : [];
}
