/**
 * The two ways a command fails (docs/cli.md): bad input is exit 2, a run that
 * failed is exit 1. Both print one line; the CLI adds the stack only with --verbose.
 */
export class UsageError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export class RunError extends Error {
  readonly exitCode = 1;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RunError';
  }
}

/** Exit code 130 is what shells report for SIGINT; a run stopped by a signal ends with it. */
export class Interrupted extends Error {
  readonly exitCode = 130;
  constructor(signal: string) {
    super(`interrupted by ${signal}`);
    this.name = 'Interrupted';
  }
}

/** `--strict`: the run finished but missed the fidelity it declared (docs/fidelity.md); its records are complete. */
export class FidelityMissed extends Error {
  readonly exitCode = 3;
  constructor(line: string) {
    super(`${line} (--strict)`);
    this.name = 'FidelityMissed';
  }
}
