import { UsageError } from '../errors.js';
import { settleLimit, type BatchLine } from './exec.js';
import { holdLine, kick, passLine } from './outage.js';
import { assertIfName, assertNetnsName, assertRate } from './names.js';
import { changeLines, DEFAULT_SHAPER, headStartBytes, installLines, removeLines, type ShaperConfig } from './shaper.js';
import type { Tc } from './tc.js';
import type { PacingSchedule } from '../protocol/messages.js';

/**
 * One device's access link as the coordinator sees it. Kept this small on purpose: the
 * userspace transport's token bucket implements the same interface, so the coordinator
 * does not care which mode shapes the bytes. Many links change at once through
 * `setRates(changes)` below, which batches what the kernel can take in one go.
 */
export interface Link {
  readonly deviceId: string;
  /** Application goodput in bit/s, device → server and server → device. */
  setRates(upBps: number, downBps: number): Promise<void>;
  /** Bytes each sender adds to a transfer at the current rates (see headStartBytes). */
  padding(): { upBytes: number; downBytes: number };
  /** Kernel-held outages (tc): make them possible while the link is idle, then hold and release a direction. */
  prepareOutages?(): Promise<void>;
  hold?(direction: Direction, wallS: number): Promise<void>;
  release?(direction: Direction): Promise<void>;
  /** Trace-following links (docs/linktrace.md): step the rates along the trace from run time `runStartS`, from now on. */
  follow?(runStartS: number): void;
  /** Stops stepping (the turn ended). */
  unfollow?(): void;
  /**
   * Userspace links only (absent where the kernel shapes): what each sender paces at over
   * a turn, which rides with the turn's messages.
   */
  pacing?(turn: TurnWindow): { up: Pacing; down: Pacing };
}

/** A turn as a link sees it: its planned start in run time and its planned length, emulated seconds. */
export interface TurnWindow {
  startS: number;
  totalS: number;
}

/** One sender's pacing: a wall rate, or on a trace-following link (docs/linktrace.md) the turn's opportunity schedule. */
export interface Pacing {
  rateBps: number;
  schedule?: PacingSchedule;
}

/** `up`: device → server, shaped inside the namespace; `down`: server → device, on the host. */
export type Direction = 'up' | 'down';

export interface TcLinkOptions {
  readonly deviceId: string;
  readonly netns: string;
  /** Egress here is the downlink (server → device). */
  readonly hostVeth: string;
  /** Egress here (inside netns) is the uplink (device → server). */
  readonly nsVeth: string;
  readonly tc: Tc;
  readonly shaper?: ShaperConfig;
  /** The device's address, for waking a released queue (outage.ts). */
  readonly address?: string;
}

/** A Link shaped by the kernel: htb on both ends of the device's veth pair. */
export class TcLink implements Link {
  readonly deviceId: string;
  readonly netns: string;
  readonly hostVeth: string;
  readonly nsVeth: string;
  readonly tc: Tc;
  readonly shaper: ShaperConfig;
  private installed = false;
  private outageLeaves = false;
  readonly address: string | undefined;
  private current: { upBps: number; downBps: number } | undefined;

  constructor(options: TcLinkOptions) {
    this.deviceId = options.deviceId;
    this.netns = assertNetnsName(options.netns);
    this.hostVeth = assertIfName(options.hostVeth);
    this.nsVeth = assertIfName(options.nsVeth);
    this.tc = options.tc;
    this.shaper = options.shaper ?? DEFAULT_SHAPER;
    this.address = options.address;
  }

  /** The rates last applied, if any. */
  get rates(): { upBps: number; downBps: number } | undefined {
    return this.current;
  }

  /** Validates and builds the tc lines for new rates without running anything. */
  plan(upBps: number, downBps: number): { host: BatchLine[]; ns: BatchLine[] } {
    assertRate(`uplink rate of ${this.deviceId}`, upBps);
    assertRate(`downlink rate of ${this.deviceId}`, downBps);
    // The first time replaces whatever qdisc is there; afterwards `class change` keeps
    // the queue, so a rate change lands between two packets, not between two transfers.
    const lines = this.installed ? changeLines : installLines;
    return { host: lines(this.hostVeth, downBps, this.shaper), ns: lines(this.nsVeth, upBps, this.shaper) };
  }

  setRates(upBps: number, downBps: number): Promise<void> {
    return setRatesMany([{ link: this, upBps, downBps }]);
  }

  padding(): { upBytes: number; downBytes: number } {
    if (!this.current) throw new Error(`link of ${this.deviceId}: rates not set`);
    return { upBytes: headStartBytes(this.current.upBps, this.shaper), downBytes: headStartBytes(this.current.downBps, this.shaper) };
  }

  async prepareOutages(): Promise<void> {
    if (this.shaper.kind !== 'htb') throw new UsageError(`link of ${this.deviceId}: outages need the htb shaper`);
    if (!this.installed) throw new Error(`link of ${this.deviceId}: rates not set`);
    if (this.outageLeaves) return;
    await this.tc.batch([passLine(this.hostVeth)]);
    await this.tc.batch([passLine(this.nsVeth)], { netns: this.netns });
    this.outageLeaves = true;
  }

  async hold(direction: Direction, wallS: number): Promise<void> {
    await this.prepareOutages();
    await this.onSide(direction, [holdLine(this.side(direction), wallS)]);
  }

  async release(direction: Direction): Promise<void> {
    await this.onSide(direction, [passLine(this.side(direction), 'change')]);
    if (this.address) await kick(this.address);
  }

  private side(direction: Direction): string {
    return direction === 'up' ? this.nsVeth : this.hostVeth;
  }

  private onSide(direction: Direction, lines: BatchLine[]): Promise<void> {
    return direction === 'up' ? this.tc.batch(lines, { netns: this.netns }) : this.tc.batch(lines);
  }

  /** Removes the shaping (both directions back to unlimited). */
  async clear(): Promise<void> {
    this.installed = false;
    this.current = undefined;
    await this.tc.batch(removeLines(this.hostVeth), { force: true }).catch(() => {});
    await this.tc.batch(removeLines(this.nsVeth), { netns: this.netns, force: true }).catch(() => {});
  }

  /** @internal bookkeeping for setRatesMany */
  applied(ok: boolean, upBps: number, downBps: number): void {
    // a fresh install (or a failed one) replaced the root, and the outage leaves with it
    if (!ok || !this.installed) this.outageLeaves = false;
    this.installed = ok;
    this.current = ok ? { upBps, downBps } : undefined;
  }
}

/** New rates for one link, in application goodput bit/s. */
export interface LinkRates<L extends Link = Link> {
  readonly link: L;
  readonly upBps: number;
  readonly downBps: number;
}

/**
 * Sets many links' rates at once, whatever shapes them: kernel links in one tc batch
 * (setRatesMany) rather than a process per device, the others each on its own.
 */
export async function setRates(changes: readonly LinkRates[]): Promise<void> {
  const kernel = changes.filter((x): x is LinkRates<TcLink> => x.link instanceof TcLink);
  await setRatesMany(kernel);
  await Promise.all(changes.filter((x) => !(x.link instanceof TcLink)).map((x) => x.link.setRates(x.upBps, x.downBps)));
}

export interface RateChange {
  readonly link: TcLink;
  readonly upBps: number;
  readonly downBps: number;
}

/**
 * Sets many links at once: all host-side changes in one `tc -batch`, and one batch per
 * namespace (tc cannot switch namespaces inside a batch). Every rate is validated before
 * any command runs.
 */
export async function setRatesMany(changes: readonly RateChange[], options: { concurrency?: number } = {}): Promise<void> {
  const seen = new Set<TcLink>();
  const plans = changes.map((c) => {
    if (seen.has(c.link)) throw new UsageError(`link ${c.link.deviceId} appears twice in one rate change`);
    seen.add(c.link);
    return { change: c, plan: c.link.plan(c.upBps, c.downBps) };
  });
  if (plans.length === 0) return;
  const tc = plans[0]?.change.link.tc as Tc;
  const concurrency = Math.max(1, options.concurrency ?? 8);
  const errors: unknown[] = [];
  try {
    await tc.batch(plans.flatMap((p) => p.plan.host));
  } catch (e) {
    errors.push(e);
  }
  errors.push(
    ...(await settleLimit(plans, concurrency, (p) => p.change.link.tc.batch(p.plan.ns, { netns: p.change.link.netns }))),
  );
  // On failure nobody knows which lines landed: the next call reinstalls from scratch.
  for (const { change } of plans) change.link.applied(errors.length === 0, change.upBps, change.downBps);
  if (errors.length > 0) throw errors[0];
}
