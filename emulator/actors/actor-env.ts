/**
 * What a server or device process is told at start, through its environment: where NATS
 * is, which run and actor it is, which workload. Nothing else: the rest arrives over NATS,
 * so the same entry point runs on another host given these variables. Checked by hand,
 * not with zod, to keep the actor process lean (docs/architecture.md §8).
 */
export interface ActorEnv {
  SLEDGE_NATS_URL: string;
  SLEDGE_NATS_TOKEN?: string;
  /** The actor's own bus user and password (docs/trust.md), instead of a token. */
  SLEDGE_NATS_USER?: string;
  SLEDGE_NATS_PASSWORD?: string;
  SLEDGE_RUN_ID: string;
  SLEDGE_ACTOR: string;
  SLEDGE_WORKLOAD: 'sleep' | 'spin';
  /** JSON of the userspace impairments (delay, jitter, loss) when netem cannot do them. */
  SLEDGE_IMPAIRMENT?: string;
  SLEDGE_SEED: number;
  /** How long the bus may be down before the run gives up (seconds): the actor keeps reconnecting that long. */
  SLEDGE_BUS_DOWN_S: number;
}

export function checkActorEnv(env: NodeJS.ProcessEnv): { ok: true; env: ActorEnv } | { ok: false; problems: string[] } {
  const problems: string[] = [];
  const need = (key: string, re: RegExp, rule: string): string => {
    const v = env[key];
    if (v === undefined || !re.test(v)) problems.push(`${key}: ${rule}`);
    return v ?? '';
  };
  const natsUrl = need('SLEDGE_NATS_URL', /^\S+$/, 'required, a NATS URL');
  const runId = need('SLEDGE_RUN_ID', /^[A-Za-z0-9_-]{1,64}$/, 'required, [A-Za-z0-9_-]{1,64}');
  const actor = need('SLEDGE_ACTOR', /^(server|device\.[A-Za-z0-9_-]{1,64})$/, 'required, "server" or "device.<id>"');
  const workload = env.SLEDGE_WORKLOAD ?? 'sleep';
  if (workload !== 'sleep' && workload !== 'spin') problems.push('SLEDGE_WORKLOAD: "sleep" or "spin"');
  const seed = Number(env.SLEDGE_SEED ?? '1');
  if (!Number.isSafeInteger(seed) || seed < 0) problems.push('SLEDGE_SEED: a non-negative integer');
  const busDownS = Number(env.SLEDGE_BUS_DOWN_S ?? '60');
  if (!(busDownS > 0 && busDownS < 1e7)) problems.push('SLEDGE_BUS_DOWN_S: seconds, > 0');
  if (problems.length) return { ok: false, problems };
  return {
    ok: true,
    env: {
      SLEDGE_NATS_URL: natsUrl,
      ...(env.SLEDGE_NATS_TOKEN ? { SLEDGE_NATS_TOKEN: env.SLEDGE_NATS_TOKEN } : {}),
      ...(env.SLEDGE_NATS_USER && env.SLEDGE_NATS_PASSWORD ? { SLEDGE_NATS_USER: env.SLEDGE_NATS_USER, SLEDGE_NATS_PASSWORD: env.SLEDGE_NATS_PASSWORD } : {}),
      SLEDGE_RUN_ID: runId,
      SLEDGE_ACTOR: actor,
      SLEDGE_WORKLOAD: workload as 'sleep' | 'spin',
      ...(env.SLEDGE_IMPAIRMENT ? { SLEDGE_IMPAIRMENT: env.SLEDGE_IMPAIRMENT } : {}),
      SLEDGE_SEED: seed,
      SLEDGE_BUS_DOWN_S: busDownS,
    },
  };
}

export function readActorEnv(env: NodeJS.ProcessEnv = process.env): ActorEnv {
  const r = checkActorEnv(env);
  if (!r.ok) {
    process.stderr.write(`sledge actor: bad environment: ${r.problems.join('; ')}\n`);
    process.exit(2);
  }
  return r.env;
}

export interface Impairment {
  delayMs: number;
  jitterMs: number;
  lossPct: number;
}

export function parseImpairment(json: string | undefined): Impairment | undefined {
  if (!json) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch {
    return undefined;
  }
  const o = v as Partial<Impairment> | null;
  const ok = (x: unknown, max = Infinity) => typeof x === 'number' && Number.isFinite(x) && x >= 0 && x < max;
  return o && ok(o.delayMs) && ok(o.jitterMs) && ok(o.lossPct, 100) ? { delayMs: o.delayMs!, jitterMs: o.jitterMs!, lossPct: o.lossPct! } : undefined;
}
