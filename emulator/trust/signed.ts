/**
 * Signed requests from a launcher to an agent (docs/trust.md). The bus is not trusted: any
 * client of a shared NATS can publish on an agent's subject, so every request carries an
 * ed25519 signature over the agent it is for, the launcher's session, a sequence number
 * and a timestamp. The agent checks all four before it looks at the request.
 */
import { randomBytes, sign, verify, type KeyObject } from 'node:crypto';

/** A request older (or newer) than this by the agent's clock is stale: hosts' clocks agree far better. */
export const MAX_AGE_MS = 60_000;
/** Sessions an agent remembers for replay checks; one launcher process is one session. */
const MAX_SESSIONS = 4096;
/** Bytes of a signed envelope an agent reads at all. */
export const MAX_ENVELOPE_BYTES = 64 * 1024;

export interface SignedBody {
  /** The agent's name: a request signed for one agent is refused by every other. */
  agent: string;
  /** 32 hex digits, random per launcher process. */
  session: string;
  /** Strictly increasing within a session: a replayed request is refused. */
  seq: number;
  /** The launcher's wall clock (ms since the epoch) when it signed. */
  at: number;
  req: unknown;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** The launcher's side: one per launcher process. */
export class RequestSigner {
  readonly session = randomBytes(16).toString('hex');
  private seq = 0;

  constructor(private readonly key: KeyObject) {}

  sign(agent: string, req: unknown, now = Date.now()): Uint8Array {
    const body: SignedBody = { agent, session: this.session, seq: ++this.seq, at: now, req };
    const signed = Buffer.from(JSON.stringify(body));
    const sig = sign(null, signed, this.key);
    return enc.encode(JSON.stringify({ signed: signed.toString('base64'), sig: sig.toString('base64') }));
  }
}

export type DropReason = 'unsigned' | 'untrusted-key' | 'other-agent' | 'stale' | 'replayed';

export type Verified = { ok: true; session: string; keyIndex: number; req: unknown } | { ok: false; reason: DropReason };

/** The agent's side: which launchers it obeys, and the last sequence number of each session. */
export class RequestVerifier {
  private readonly sessions = new Map<string, { seq: number; at: number }>();

  constructor(
    private readonly agent: string,
    private readonly trusted: readonly KeyObject[],
  ) {}

  check(data: Uint8Array, now = Date.now()): Verified {
    if (data.length > MAX_ENVELOPE_BYTES) return { ok: false, reason: 'unsigned' };
    let envelope: { signed?: unknown; sig?: unknown };
    try {
      envelope = JSON.parse(dec.decode(data)) as typeof envelope;
    } catch {
      return { ok: false, reason: 'unsigned' };
    }
    if (!envelope || typeof envelope.signed !== 'string' || typeof envelope.sig !== 'string') return { ok: false, reason: 'unsigned' };
    const signed = Buffer.from(envelope.signed, 'base64');
    const sig = Buffer.from(envelope.sig, 'base64');
    const keyIndex = this.trusted.findIndex((k) => safeVerify(signed, k, sig));
    if (keyIndex < 0) return { ok: false, reason: 'untrusted-key' };
    let body: SignedBody;
    try {
      body = JSON.parse(signed.toString('utf8')) as SignedBody;
    } catch {
      return { ok: false, reason: 'unsigned' };
    }
    if (body.agent !== this.agent) return { ok: false, reason: 'other-agent' };
    if (typeof body.session !== 'string' || !/^[0-9a-f]{32}$/.test(body.session) || !Number.isSafeInteger(body.seq) || !Number.isFinite(body.at)) return { ok: false, reason: 'unsigned' };
    if (Math.abs(now - body.at) > MAX_AGE_MS) return { ok: false, reason: 'stale' };
    const last = this.sessions.get(body.session);
    if (last && body.seq <= last.seq) return { ok: false, reason: 'replayed' };
    this.sessions.delete(body.session); // re-inserted last: the map's order is by last use
    this.sessions.set(body.session, { seq: body.seq, at: now });
    this.forgetOld(now);
    return { ok: true, session: body.session, keyIndex, req: body.req };
  }

  /**
   * A session silent for longer than MAX_AGE_MS can be forgotten: whatever of it is replayed
   * is stale by then. Beyond MAX_SESSIONS the least recently used go first.
   */
  private forgetOld(now: number): void {
    for (const [s, v] of this.sessions) {
      if (this.sessions.size <= MAX_SESSIONS && now - v.at <= MAX_AGE_MS) break;
      this.sessions.delete(s);
    }
  }
}

function safeVerify(data: Buffer, key: KeyObject, sig: Buffer): boolean {
  try {
    return verify(null, data, key, sig);
  } catch {
    return false;
  }
}
