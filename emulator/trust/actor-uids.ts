/**
 * A uid of its own for every actor (docs/trust.md, "A uid per actor"): a process may read
 * another's /proc/<pid>/environ (and with it its bus password) and memory only if both
 * run as the same uid, so no two actors of a run, nor of two runs on one host, share one.
 *
 * The uids are numbers only, with no /etc/passwd entry (setpriv needs none), from
 * [ACTOR_UID_FIRST, ACTOR_UID_END): above every range systemd hands out (its container
 * ranges end at 0x6FFFFFFF) and below 2^31, which some tools read as signed. The range is
 * cut into blocks of BLOCK_UIDS; a run takes one block, its actors the uids `first +
 * index` (the server 0, devices 1..N in the config's order; an agent numbers its own
 * devices 1..n in its block). The block is the hash of the run's key (an agent's is the run
 * id and its name, like its names: net/names.ts), moved on past any block that holds a
 * uid of /etc/passwd or of a live process. The group is the run user's.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { UsageError } from '../errors.js';
import type { ActorIdentity, RunUser } from './run-user.js';

export const ACTOR_UID_FIRST = 0x7000_0000;
export const ACTOR_UID_END = 0x7ffe_0000;
/** 2^17: a local run may have 100,000 devices (src/devices.ts) and the server. */
export const BLOCK_UIDS = 2 ** 17;
const BLOCKS = Math.floor((ACTOR_UID_END - ACTOR_UID_FIRST) / BLOCK_UIDS);

/** The uids of one run's actors on this host. */
export interface ActorUids {
  /** For the run's log line: the uids, or the one user SLEDGE_RUN_AS named. */
  readonly description: string;
  /** The identity of the actor numbered `index` (0 the server, devices from 1). */
  of(index: number): ActorIdentity;
}

/**
 * `actors` uids for the run `key`. A user named by SLEDGE_RUN_AS keeps its meaning:
 * every actor runs as that one user, as the operator asked (and shares its uid).
 */
export function actorUids(user: RunUser, key: string, actors: number): ActorUids {
  if (user.named) return { description: `${user.name} (SLEDGE_RUN_AS: one uid for every actor)`, of: () => ({ uid: user.uid, gid: user.gid }) };
  if (!Number.isInteger(actors) || actors < 1 || actors > BLOCK_UIDS) throw new UsageError(`${actors} actors: at most ${BLOCK_UIDS} get a uid of their own`);
  const first = freeBlock(key, takenUids());
  return {
    description: `uids ${first}..${first + actors - 1}, one per actor, group of ${user.name}`,
    of: (index) => {
      if (!Number.isInteger(index) || index < 0 || index >= actors) throw new RangeError(`actor index ${index}: the run has ${actors}`);
      return { uid: first + index, gid: user.gid };
    },
  };
}

/** The first uid of the block `key` hashes to, or of the next one free of `taken`. */
export function freeBlock(key: string, taken: ReadonlySet<number>): number {
  const busy = new Set<number>();
  for (const uid of taken) if (uid >= ACTOR_UID_FIRST && uid < ACTOR_UID_FIRST + BLOCKS * BLOCK_UIDS) busy.add(Math.floor((uid - ACTOR_UID_FIRST) / BLOCK_UIDS));
  const start = createHash('sha256').update(key).digest().readUInt32BE(0) % BLOCKS;
  for (let i = 0; i < BLOCKS; i++) {
    const block = (start + i) % BLOCKS;
    if (!busy.has(block)) return ACTOR_UID_FIRST + block * BLOCK_UIDS;
  }
  throw new UsageError(`every block of uids ${ACTOR_UID_FIRST}..${ACTOR_UID_END - 1} is in use`);
}

/** The uids of /etc/passwd and of every live process: one directory scan, a stat per process. */
function takenUids(): Set<number> {
  const taken = new Set<number>();
  for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const uid = line.split(':')[2];
    if (uid !== undefined && /^\d+$/.test(uid)) taken.add(Number(uid));
  }
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      taken.add(statSync(`/proc/${entry}`).uid);
    } catch {
      // it exited meanwhile
    }
  }
  return taken;
}
