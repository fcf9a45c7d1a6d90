/**
 * Actor logs: one JSON object per line on stderr, which the launcher writes to the
 * actor's log file. Enough for post-mortems; no logging framework in the hot path.
 */
export function makeLog(actor: string) {
  return (level: 'info' | 'warn' | 'error', msg: string, fields: Record<string, unknown> = {}) => {
    process.stderr.write(`${JSON.stringify({ t: new Date().toISOString(), level, actor, msg, ...fields })}\n`);
  };
}
export type Log = ReturnType<typeof makeLog>;
