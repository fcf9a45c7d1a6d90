import cliProgress from 'cli-progress';
import type { Progress } from './emulation.js';

/**
 * Progress of a run on stderr: a bar with round, turn and ETA on a terminal; on a
 * pipe (CI, a log file) one line per finished round instead of redraws.
 */
export function progressReporter(rounds: number, label = 'run'): { update: (p: Progress) => void; stop: () => void } {
  if (!process.stderr.isTTY) {
    let lastRound = 0;
    const started = performance.now();
    return {
      update: (p) => {
        const perDevice = p.turnsTotal / rounds;
        const finishedRound = Math.floor(p.turnsDone / perDevice);
        if (finishedRound > lastRound) {
          lastRound = finishedRound;
          const elapsed = (performance.now() - started) / 1000;
          const eta = p.turnsDone ? (elapsed / p.turnsDone) * (p.turnsTotal - p.turnsDone) : 0;
          process.stderr.write(`${label}: round ${finishedRound}/${rounds} done, ${p.turnsDone}/${p.turnsTotal} turns, ETA ${eta.toFixed(1)} s\n`);
        }
      },
      stop: () => undefined,
    };
  }
  const bar = new cliProgress.SingleBar(
    { format: `${label} |{bar}| round {round}/${rounds} · turn {value}/{total} ({device}) · ETA {eta_formatted}`, stream: process.stderr, hideCursor: true, etaBuffer: 20 },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update: (p) => {
      if (!started) {
        bar.start(p.turnsTotal, p.turnsDone, { round: p.round, device: p.device });
        started = true;
      } else bar.update(p.turnsDone, { round: p.round, device: p.device });
    },
    stop: () => started && bar.stop(),
  };
}
