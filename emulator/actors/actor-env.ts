import { z } from 'zod';

/**
 * What a server or device process is told at start, through its environment: where NATS
 * is, which run and actor it is, which workload. Nothing else: the rest arrives over NATS,
 * so the same entry point runs on another host given these variables.
 */
const actorEnv = z.object({
  SLEDGE_NATS_URL: z.string().min(1),
  SLEDGE_NATS_TOKEN: z.string().optional(),
  SLEDGE_RUN_ID: z.string().regex(/^[A-Za-z0-9_-]+$/),
  SLEDGE_ACTOR: z.string().regex(/^(server|device\.[A-Za-z0-9_-]+)$/),
  SLEDGE_WORKLOAD: z.enum(['sleep', 'spin']).default('sleep'),
  /** JSON of the userspace impairments (delay, jitter, loss) when netem cannot do them. */
  SLEDGE_IMPAIRMENT: z.string().optional(),
  SLEDGE_SEED: z.coerce.number().int().min(0).default(1),
});

export type ActorEnv = z.infer<typeof actorEnv>;

export function readActorEnv(env: NodeJS.ProcessEnv = process.env): ActorEnv {
  const r = actorEnv.safeParse(env);
  if (!r.success) {
    const problems = r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    process.stderr.write(`sledge actor: bad environment: ${problems}\n`);
    process.exit(2);
  }
  return r.data;
}

export interface Impairment {
  delayMs: number;
  jitterMs: number;
  lossPct: number;
}

export function parseImpairment(json: string | undefined): Impairment | undefined {
  if (!json) return undefined;
  const r = z.strictObject({ delayMs: z.number().min(0), jitterMs: z.number().min(0), lossPct: z.number().min(0).lt(100) }).safeParse(JSON.parse(json));
  return r.success ? r.data : undefined;
}
