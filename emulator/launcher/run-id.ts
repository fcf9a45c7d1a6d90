import { randomBytes } from 'node:crypto';

/**
 * `20261125-093012-3fa9c1`: sortable by start time, unique by its random tail, and made
 * only of characters that are safe in a NATS subject token, a Redis key and a path.
 */
export function newRunId(now = new Date()): string {
  const iso = now.toISOString();
  const stamp = `${iso.slice(0, 10).replaceAll('-', '')}-${iso.slice(11, 19).replaceAll(':', '')}`;
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}
