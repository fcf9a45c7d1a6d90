/**
 * A server's refusal, said in one line (docs/trust.md): which server, its URL without
 * credentials, and the server's own words. Said before any actor starts, exit 2.
 */
import { UsageError } from '../errors.js';

/** The URL with user, password or token removed: what a log, an error or a report may show. */
export function withoutCredentials(url: string): string {
  try {
    const u = new URL(url);
    if (!u.username && !u.password) return url;
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//');
  }
}

/** Words of a NATS refusal (auth, permissions) as the server said them; other errors (down, timeouts) are not refusals. */
export function natsRefusalWords(err: unknown): string | undefined {
  const e = err as { message?: string; code?: string; cause?: { message?: string } } | undefined;
  const words = [e?.message, e?.cause?.message, e?.code].filter((w): w is string => typeof w === 'string').join(' ');
  return /authoriz|authent|permission|AUTHORIZATION_VIOLATION|PERMISSIONS_VIOLATION|user.*(expired|revoked)/i.test(words) ? (e?.message ?? words) : undefined;
}

export function natsRefused(what: string, url: string, words: string): UsageError {
  return new UsageError(`${what} at ${withoutCredentials(url)} refused: ${words}`);
}

/** Words of a Redis refusal: NOAUTH, WRONGPASS, DENIED (protected mode), NOPERM. */
export function redisRefusalWords(err: unknown): string | undefined {
  const msg = (err as { message?: string } | undefined)?.message ?? '';
  return /^(NOAUTH|WRONGPASS|DENIED|NOPERM|ERR AUTH|ERR invalid password|ERR Client sent AUTH)/.test(msg) || /WRONGPASS|NOAUTH|DENIED Redis is running in protected mode/.test(msg) ? msg.split('\n')[0] : undefined;
}
