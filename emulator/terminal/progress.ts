import cliProgress from 'cli-progress';
import type { Progress } from '../launcher/emulation.js';

export interface ProgressReporter {
  /** Actor start-up: `ready` of `total` processes are up. */
  starting: (ready: number, total: number) => void;
  update: (p: Progress) => void;
  stop: () => void;
}

/**
 * Progress of a run on stderr: "starting actors k/N", then a bar with round, turn and
 * ETA on a terminal; on a pipe (CI, a log file) a line per tenth of the actors started
 * and per finished round instead of redraws.
 */
export function progressReporter(rounds: number, label = 'run'): ProgressReporter {
  return process.stderr.isTTY ? terminalReporter(rounds, label) : lineReporter(rounds, label);
}

function lineReporter(rounds: number, label: string): ProgressReporter {
  let lastRound = 0;
  let lastTenth = -1;
  let started = 0;
  return {
    starting: (ready, total) => {
      const tenth = Math.floor((10 * ready) / total);
      if (tenth === lastTenth) return;
      lastTenth = tenth;
      process.stderr.write(`${label}: starting actors ${ready}/${total}\n`);
    },
    update: (p) => {
      started ||= performance.now();
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

function terminalReporter(rounds: number, label: string): ProgressReporter {
  const style = { stream: process.stderr, hideCursor: true, etaBuffer: 20 };
  const startBar = new cliProgress.SingleBar({ ...style, format: `${label} |{bar}| starting actors {value}/{total}` }, cliProgress.Presets.shades_classic);
  const bar = new cliProgress.SingleBar({ ...style, format: `${label} |{bar}| round {round}/${rounds} · turn {value}/{total} ({device}) · ETA {eta_formatted}` }, cliProgress.Presets.shades_classic);
  let phase: 'idle' | 'starting' | 'running' = 'idle';
  return {
    starting: (ready, total) => {
      if (phase === 'idle') {
        startBar.start(total, ready);
        phase = 'starting';
      } else if (phase === 'starting') startBar.update(ready);
    },
    update: (p) => {
      if (phase !== 'running') {
        if (phase === 'starting') startBar.stop();
        bar.start(p.turnsTotal, p.turnsDone, { round: p.round, device: p.device });
        phase = 'running';
      } else bar.update(p.turnsDone, { round: p.round, device: p.device });
    },
    stop: () => {
      if (phase === 'starting') startBar.stop();
      if (phase === 'running') bar.stop();
    },
  };
}
