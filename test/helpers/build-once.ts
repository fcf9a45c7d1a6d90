import { ensureBuilt } from './cli.js';

/** vitest globalSetup: dist/ is built (or found fresh) once, before any test file runs. */
export default function setup(): void {
  ensureBuilt();
}
