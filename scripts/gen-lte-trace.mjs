#!/usr/bin/env node
/**
 * Writes a small LTE-like capacity trace pair in Mahimahi format (docs/linktrace.md,
 * "The generator"), seeded so the same arguments give the same files on any machine.
 *
 *   node scripts/gen-lte-trace.mjs --out configs/traces/lte-a --seed 1
 *   node scripts/gen-lte-trace.mjs --out /tmp/fade --seed 3 --mean 8 --fade 20:4:0.02
 *
 * Model, per 100 ms step, each direction on its own stream:
 *   log-rate follows a Gauss-Markov (AR(1)) process around log(mean):
 *     x' = a*x + sqrt(1-a^2)*sigma*N(0,1), a = exp(-0.1/tauS), rate = mean*exp(x - sigma^2/2)
 *   (so the long-run mean is `mean`), clipped to [0.05, 6] x mean;
 *   deep fades arrive as a Poisson process (fadesPerMin), each lasting U(0.5, 2.5) s at
 *   U(1, 5)% of the rate, like the handover and shadowing dips of measured LTE traces;
 *   the downlink mean is `downRatio` times the uplink's.
 * Capacity becomes opportunities: one 1500-byte opportunity (one line, its ms) each
 * time the delivered bits reach another 12,000.
 * --fade AT:SECONDS:FACTOR forces one fade (both directions) for tests and demos.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    out: { type: 'string' },
    seed: { type: 'string', default: '1' },
    seconds: { type: 'string', default: '40' },
    mean: { type: 'string', default: '6' }, // Mbit/s, uplink
    'down-ratio': { type: 'string', default: '1.3' },
    sigma: { type: 'string', default: '0.45' },
    tau: { type: 'string', default: '3' },
    'fades-per-min': { type: 'string', default: '3' },
    fade: { type: 'string' },
  },
});
if (!values.out) {
  process.stderr.write('gen-lte-trace: --out PREFIX is required (writes PREFIX.up and PREFIX.down)\n');
  process.exit(2);
}

/** mulberry32: small, seedable, the same on every machine. */
function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
function normal(u) {
  return Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

const seconds = Number(values.seconds);
const step = 0.1;
const steps = Math.round(seconds / step);
const sigma = Number(values.sigma);
const a = Math.exp(-step / Number(values.tau));
const forced = values.fade ? values.fade.split(':').map(Number) : undefined;

function direction(meanBps, seed) {
  const u = rng(seed);
  const rates = [];
  let x = normal(u) * sigma;
  let fadeLeft = 0;
  let fadeFactor = 1;
  const fadeProb = (Number(values['fades-per-min']) / 60) * step;
  for (let i = 0; i < steps; i++) {
    x = a * x + Math.sqrt(1 - a * a) * sigma * normal(u);
    let r = Math.min(6, Math.max(0.05, Math.exp(x - (sigma * sigma) / 2))) * meanBps;
    if (fadeLeft <= 0 && u() < fadeProb) {
      fadeLeft = 0.5 + 2 * u();
      fadeFactor = 0.01 + 0.04 * u();
    }
    if (fadeLeft > 0) {
      r *= fadeFactor;
      fadeLeft -= step;
    }
    const t = i * step;
    if (forced && t >= forced[0] - 1e-9 && t < forced[0] + forced[1] - 1e-9) r = meanBps * forced[2];
    rates.push(r);
  }
  const lines = [];
  let bits = 0;
  rates.forEach((r, i) => {
    const end = bits + r * step;
    for (let k = Math.floor(bits / 12000) + 1; k * 12000 <= end; k++) lines.push(Math.round(1000 * (i * step + (k * 12000 - bits) / r)));
    bits = end;
  });
  // the period is the last line: end it at the trace's length
  if (lines[lines.length - 1] !== seconds * 1000) lines.push(seconds * 1000);
  return `${lines.join('\n')}\n`;
}

const seed = Number(values.seed);
const up = Number(values.mean) * 1e6;
writeFileSync(`${values.out}.up`, direction(up, seed * 2 + 1));
writeFileSync(`${values.out}.down`, direction(up * Number(values['down-ratio']), seed * 2 + 2));
process.stdout.write(`wrote ${values.out}.up and ${values.out}.down (${seconds} s, seed ${seed})\n`);
