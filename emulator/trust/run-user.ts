/**
 * Least privilege (docs/trust.md): the launcher and agents keep root for `ip` and `tc`;
 * the actors (edge server, devices) run unprivileged, each as a uid of its own
 * (actor-uids.ts) in the group of the run user: `sledge` (a system user that
 * `scripts/bootstrap.mjs` creates), else `nobody`. SLEDGE_RUN_AS names a user that every
 * actor then runs as.
 */
import { createHash } from 'node:crypto';
import { closeSync, constants, fchmodSync, lstatSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, extname, join } from 'node:path';
import { UsageError } from '../errors.js';

/** Who one actor process runs as. */
export interface ActorIdentity {
  uid: number;
  gid: number;
}

export interface RunUser {
  name: string;
  uid: number;
  gid: number;
  /** Named by SLEDGE_RUN_AS: the actors run as this very user, not as uids of their own. */
  named: boolean;
}

const PREFERRED = ['sledge', 'nobody'];

/** undefined when not root: the actors then run as whoever runs sledge, which is no more. */
export function actorUser(env: NodeJS.ProcessEnv = process.env): RunUser | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const wanted = env.SLEDGE_RUN_AS;
  const users = passwd();
  if (wanted) {
    const u = users.get(wanted);
    if (!u) throw new UsageError(`SLEDGE_RUN_AS=${wanted}: no such user in /etc/passwd`);
    if (u.uid === 0) throw new UsageError(`SLEDGE_RUN_AS=${wanted}: uid 0; actors never run as root`);
    return { ...u, named: true };
  }
  for (const name of PREFERRED) {
    const u = users.get(name);
    if (u && u.uid !== 0) return u;
  }
  throw new UsageError('no unprivileged user to run actors as: create one (npm start/npm test create "sledge") or set SLEDGE_RUN_AS');
}

function passwd(): Map<string, RunUser> {
  const users = new Map<string, RunUser>();
  for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const [name, , uid, gid] = line.split(':');
    if (name && uid !== undefined && gid !== undefined && /^\d+$/.test(uid) && /^\d+$/.test(gid)) users.set(name, { name, uid: Number(uid), gid: Number(gid), named: false });
  }
  return users;
}

/**
 * The command with privileges dropped right before it runs: `setpriv` changes user and group,
 * clears the supplementary groups and forbids regaining privileges. It goes after
 * `ip netns exec` (which needs root) and before the actor.
 */
export function asUser(who: ActorIdentity | undefined, cmd: readonly string[]): string[] {
  if (!who) return [...cmd];
  return ['setpriv', `--reuid=${who.uid}`, `--regid=${who.gid}`, '--clear-groups', '--no-new-privs', '--', ...cmd];
}

/**
 * A file an actor can read whatever its uid (it is never the owner nor, with a uid of its
 * own, anyone the file names): `path` itself when every directory above it lets others pass
 * and the file lets others read (a checkout in /work), else a root-owned copy in the temp
 * directory named by its content hash (a checkout in root's 0700 home). An existing copy
 * is used only if it is a regular root-owned file (not a symlink) with the same content.
 */
export function readableBy(who: ActorIdentity | undefined, path: string): string {
  if (!who || othersCanRead(path)) return path;
  const content = readFileSync(path);
  const copy = join(tmpdir(), `sledge-actor-${createHash('sha256').update(content).digest('hex').slice(0, 16)}${extname(path)}`);
  try {
    const fd = openSync(copy, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
    try {
      writeSync(fd, content);
      fchmodSync(fd, 0o644);
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const st = lstatSync(copy);
    if (!st.isFile() || st.uid !== 0 || st.mode & 0o022 || !readFileSync(copy).equals(content)) throw new UsageError(`${copy} exists but is not sledge's copy of ${path}; remove it`);
  }
  return copy;
}

function othersCanRead(path: string): boolean {
  try {
    if (!(statSync(path).mode & 0o004)) return false;
    for (let dir = dirname(path); ; dir = dirname(dir)) {
      if (!(statSync(dir).mode & 0o001)) return false;
      if (dir === dirname(dir)) return true;
    }
  } catch {
    return false;
  }
}
