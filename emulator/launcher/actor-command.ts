import { existsSync } from 'node:fs';
import { asUser, readableBy, type ActorIdentity } from '../trust/run-user.js';

/**
 * The command line of an actor process. The build bundles the actor entry into one file
 * (dist/actor.mjs, scripts/bundle-actor.mjs), so a device loads one script instead of a
 * module tree (and never zod, the CLI or the report). The V8 flags trade peak speed the
 * actors do not need for memory at 1,000 copies: a 1 MiB young generation (payload bytes
 * live outside the V8 heap), no optimizing compiler and no helper threads. Measured with
 * `npm run bench:scale`; the README has the figures.
 */
const BUNDLE = new URL('../../actor.mjs', import.meta.url).pathname;
const UNBUNDLED = new URL('../actors/main.js', import.meta.url).pathname;

export const DEVICE_V8_FLAGS = ['--max-semi-space-size=1', '--lite-mode', '--single-threaded'] as const;

/** SLEDGE_DEVICE_V8_FLAGS (space-separated) replaces them, for measuring other choices. */
function deviceFlags(): string[] {
  const custom = process.env.SLEDGE_DEVICE_V8_FLAGS;
  return custom === undefined ? [...DEVICE_V8_FLAGS] : custom.split(' ').filter((f) => /^--[a-z0-9-]+(=[\w.-]+)?$/.test(f));
}

export function actorEntry(): string {
  return existsSync(BUNDLE) ? BUNDLE : UNBUNDLED;
}

/**
 * The server is one process and does the timed GPU work: it keeps V8's defaults. With a
 * identity, the actor runs as its own uid (docs/trust.md), from a copy of the entry it can
 * read if the checkout is not readable by others.
 */
export function actorCommand(actor: string, who?: ActorIdentity): string[] {
  const flags = actor === 'server' ? [] : deviceFlags();
  return asUser(who, [process.execPath, ...flags, readableBy(who, actorEntry())]);
}
