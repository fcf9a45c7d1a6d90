#!/usr/bin/env node
// Bundles the actor entry (dist/emulator/actors/main.js, built by tsc) into one file,
// dist/actor.mjs: a device process then reads and compiles one script, not a module
// tree (docs/architecture.md §8). Run by scripts/bootstrap.mjs after tsc.
import { build } from 'esbuild';

const root = new URL('..', import.meta.url).pathname;
await build({
  entryPoints: [`${root}dist/emulator/actors/main.js`],
  outfile: `${root}dist/actor.mjs`,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
  // Some of the NATS client's dependencies are CommonJS and require() Node's modules.
  banner: { js: "import { createRequire as __sledgeRequire } from 'node:module'; const require = __sledgeRequire(import.meta.url);" },
});
