import { closeSync, constants, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';

/**
 * Kernel settings that bite at hundreds of devices in tc mode (docs/architecture.md §8). The host
 * keeps one ARP entry per device on the run's bridge; past gc_thresh2 (512 by default) the
 * kernel evicts entries within seconds and past gc_thresh3 (1,024) it drops packets with
 * "neighbour table overflow". They are raised for the run only: the old values are saved
 * beside the run (so `sledge net clean` can put them back after a kill -9) and restored
 * at its end, unless something else changed them meanwhile.
 */
const NEIGH = '/proc/sys/net/ipv4/neigh/default';
const KEYS = ['gc_thresh1', 'gc_thresh2', 'gc_thresh3'] as const;

export interface LimitChange {
  setting: string;
  before: number;
  during: number;
}

export interface HostLimits {
  readonly changes: readonly LimitChange[];
  restore(): void;
}

/** What the neighbour table needs for `devices` neighbours (with room for the host's others). */
export function neighbourThresholds(devices: number): Record<(typeof KEYS)[number], number> {
  const need = 2 * devices + 256;
  return { gc_thresh1: Math.ceil(need / 4), gc_thresh2: need, gc_thresh3: 2 * need };
}

function read(path: string): number | undefined {
  try {
    const n = Number(readFileSync(path, 'utf8').trim());
    return Number.isFinite(n) ? n : undefined;
  } catch {
    return undefined;
  }
}

/** Raises what is too low for `devices` devices; never lowers anything. */
export function raiseHostLimits(devices: number, saveTo?: string): HostLimits {
  const want = neighbourThresholds(devices);
  const changes: LimitChange[] = [];
  for (const key of KEYS) {
    const path = `${NEIGH}/${key}`;
    const before = read(path);
    if (before === undefined || before >= want[key]) continue;
    try {
      writeFileSync(path, String(want[key]));
      changes.push({ setting: `net.ipv4.neigh.default.${key}`, before, during: want[key] });
    } catch {
      // not root, or a read-only /proc: the run goes on and the manifest shows nothing raised
    }
  }
  if (saveTo && changes.length) {
    // a new file in the run's 0700 temp dir, never through a link planted there
    const fd = openSync(saveTo, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    try {
      writeSync(fd, JSON.stringify(changes));
    } finally {
      closeSync(fd);
    }
  }
  return { changes, restore: () => restoreLimits(changes) };
}

/** The only settings a run changes, and so the only ones `restoreLimits` ever writes. */
export const KNOWN_SETTINGS: ReadonlySet<string> = new Set(KEYS.map((k) => `net.ipv4.neigh.default.${k}`));

/**
 * What a saved host-limits.json may say: known settings with whole, positive values. A
 * file that says anything else (a planted one naming fs.protected_symlinks) is refused whole.
 */
export function parseSavedLimits(text: string): LimitChange[] {
  const v = JSON.parse(text) as unknown;
  const whole = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x > 0 && x < 2 ** 31;
  if (!Array.isArray(v) || v.length > KEYS.length) throw new Error('not a list of the neighbour-table settings');
  return v.map((c: Record<string, unknown>) => {
    if (!c || typeof c.setting !== 'string' || !KNOWN_SETTINGS.has(c.setting) || !whole(c.before) || !whole(c.during)) throw new Error(`refused: ${JSON.stringify(c).slice(0, 120)} is not a neighbour-table setting sledge changes`);
    return { setting: c.setting, before: c.before, during: c.during };
  });
}

/** Puts back what a run raised, where the value is still the run's own; known settings only. */
export function restoreLimits(changes: readonly LimitChange[]): void {
  for (const c of changes) {
    if (!KNOWN_SETTINGS.has(c.setting) || !Number.isSafeInteger(c.before)) continue;
    const path = `/proc/sys/${c.setting.replaceAll('.', '/')}`;
    if (read(path) !== c.during) continue;
    try {
      writeFileSync(path, String(c.before));
    } catch {
      // reported by the caller's leftovers check, not fatal
    }
  }
}
