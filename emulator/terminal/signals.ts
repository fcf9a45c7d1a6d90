import { killAllSync } from '../servers/child.js';

/**
 * SIGINT and SIGTERM abort the run (it then stops within seconds, keeping every
 * finished turn); a second signal gives up waiting. On any exit, children that are
 * still alive are killed so nothing outlives the launcher.
 */
export function abortOnSignals(): { signal: AbortSignal; dispose: () => void; received: () => string | undefined } {
  const controller = new AbortController();
  let received: string | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    if (received) {
      killAllSync();
      process.exit(130);
    }
    received = sig;
    controller.abort(new Error(`interrupted by ${sig}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('exit', killAllSync);
  return {
    signal: controller.signal,
    received: () => received,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
