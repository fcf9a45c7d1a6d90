import type { Command } from 'commander';
import type { Redis } from 'ioredis';
import { Interrupted, RunError, UsageError } from '../errors.js';
import { num } from '../format/table.js';
import { keys } from '../records/redis-keys.js';
import type { RunSummary } from '../records/run-summary.js';
import type { TurnRecord } from '../records/turn-record.js';
import { abortOnSignals } from '../terminal/signals.js';

interface WatchOptions {
  redis?: string;
}

const ENDED = ['finished', 'failed', 'interrupted'];
/** How long one XREAD waits for a turn before the run's status is looked at again. */
const BLOCK_MS = 1000;

export function registerWatch(program: Command): void {
  program
    .command('watch')
    .description('follow a live run from Redis: a line per finished turn with the progress, until the run ends')
    .argument('[run]', `run id (default: the latest run, ${keys.latest})`)
    .option('--redis <url>', 'the Redis the run writes to (default $REDIS_URL)')
    .addHelpText(
      'after',
      [
        '',
        'The run must use a shared Redis: start `sledge run` with REDIS_URL set and give watch the same',
        'URL (from any terminal or host that reaches it). Without REDIS_URL a run starts its own Redis,',
        'private to it and stopped when the run ends, so there is nothing to watch from outside.',
        'A watcher that starts late first prints the turns that already finished.',
        'Exit status: 0 when the run finished, 1 when it failed or was interrupted, 2 when the run is unknown,',
        '130 on Ctrl-C (the run itself goes on).',
      ].join('\n'),
    )
    .action(async (runArg: string | undefined, opts: WatchOptions) => {
      const url = opts.redis ?? process.env.REDIS_URL;
      if (!url) throw new UsageError('no Redis to watch: set REDIS_URL or give --redis URL (the one `sledge run` was given)');
      const where = hostOf(url);
      const { Redis } = await import('ioredis');
      const redis = new Redis(url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 5000, retryStrategy: (n) => (n > 5 ? null : 200 * n) });
      let lastError: Error | undefined; // why a connection failed; the command only says "closed"
      redis.on('error', (err: Error) => (lastError = err));
      const signals = abortOnSignals();
      // Closing the connection is what ends a blocked XREAD at once.
      signals.signal.addEventListener('abort', () => redis.disconnect(), { once: true });
      try {
        await redis.connect().catch((err: Error) => {
          throw new RunError(`cannot reach Redis at ${where}: ${(lastError ?? err).message}`);
        });
        const runId = runArg ?? (await redis.get(keys.latest));
        if (!runId) throw new UsageError(`no run in Redis at ${where} (${keys.latest} is not set): start one with REDIS_URL set`);
        const [strategy, turnsTotal] = await redis.hmget(keys.run(runId), 'strategy', 'turnsTotal');
        if (strategy === null) throw new UsageError(`run ${runId}: not found in Redis at ${where}`);
        process.stderr.write(`watching run ${runId} on ${where}: strategy ${strategy}, ${turnsTotal} turns\n`);
        await follow(redis, runId, Number(turnsTotal));
      } catch (err) {
        if (signals.signal.aborted) throw new Interrupted(signals.received() ?? 'signal');
        if (err instanceof UsageError || err instanceof RunError) throw err;
        throw new RunError(`lost Redis at ${where}: ${(err as Error).message} (a run without REDIS_URL stops its own Redis when it ends)`);
      } finally {
        signals.dispose();
        redis.disconnect();
      }
    });
}

/**
 * Reads the run's turn stream from its first entry, so a late watcher sees every turn.
 * The status is read before each XREAD: the run writes its last turn before it marks
 * itself ended, so once ended, reading until the stream is dry has seen every turn.
 */
async function follow(redis: Redis, runId: string, turnsTotal: number): Promise<void> {
  let last = '0-0';
  let seen = 0;
  for (;;) {
    const status = await redis.hget(keys.run(runId), 'status');
    const ended = status !== null && ENDED.includes(status);
    const reply = ended
      ? await redis.xread('COUNT', 500, 'STREAMS', keys.turns(runId), last)
      : await redis.xread('COUNT', 500, 'BLOCK', BLOCK_MS, 'STREAMS', keys.turns(runId), last);
    const entries = reply?.[0]?.[1] ?? [];
    for (const [id, fields] of entries) {
      last = id;
      seen++;
      process.stdout.write(`${turnLine(seen, turnsTotal, id, fields)}\n`);
    }
    if (ended && entries.length === 0) {
      const summary = await redis.hget(keys.run(runId), 'summary');
      process.stdout.write(`${endLine(runId, status, summary)}\n`);
      if (status !== 'finished') throw new RunError(`run ${runId} ${status}`);
      return;
    }
  }
}

/** `[3/9] round 1  d3  cut 8  1.41 GHz  predicted 4.213 s  measured 4.301 s (+2.1%)` */
function turnLine(done: number, total: number, id: string, fields: string[]): string {
  const progress = `[${done}/${total}]`;
  const raw = fields[fields.indexOf('record') + 1];
  let r: TurnRecord;
  try {
    r = JSON.parse(raw ?? '') as TurnRecord;
    if (typeof r.predicted?.delay?.total !== 'number' || typeof r.measured?.delay?.total !== 'number') throw new Error('incomplete');
  } catch {
    return `${progress} stream entry ${id}: not a turn record`;
  }
  const p = r.predicted.delay.total;
  const m = r.measured.delay.total;
  const diff = p > 0 ? ` (${m >= p ? '+' : ''}${((m / p - 1) * 100).toFixed(1)}%)` : '';
  return `${progress} round ${r.round}  ${r.device}  cut ${r.cut}  ${num(r.serverFreqHz / 1e9, 3)} GHz  predicted ${num(p)} s  measured ${num(m)} s${diff}`;
}

function endLine(runId: string, status: string | null, summaryJson: string | null): string {
  let s: RunSummary | undefined;
  try {
    s = summaryJson ? (JSON.parse(summaryJson) as RunSummary) : undefined;
  } catch {
    s = undefined;
  }
  if (!s?.predicted || !s.measured) return `run ${runId} ${status}`;
  return [
    `run ${runId} ${status}: ${s.turnsDone}/${s.turnsPlanned} turns`,
    `avg round delay predicted ${num(s.predicted.avgRoundDelay)} s, measured ${num(s.measured.avgRoundDelay)} s`,
    `avg server energy predicted ${num(s.predicted.avgServerEnergy)} J, measured ${num(s.measured.avgServerEnergy)} J${s.error ? `; ${s.error}` : ''}`,
  ].join('; ');
}

/** host:port of a Redis URL, never its password. */
function hostOf(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || 6379}`;
  } catch {
    throw new UsageError(`--redis / REDIS_URL: "${url.replace(/\/\/[^@]*@/, '//***@')}" is not a URL like redis://:password@host:port`);
  }
}
