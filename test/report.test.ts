import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIGURE_IDS } from '../emulator/report/figures.js';
import { CHROMIUM, Chromium } from './helpers/chromium.js';
import { ensureBuilt, ROOT } from './helpers/cli.js';
import { runCli, smallConfig, tempDir, writeJson } from './helpers/emulation.js';

/**
 * `sledge report` on real records: a run and a comparison of two strategies produced
 * here (2 devices × 2 rounds, userspace links, scaled to take seconds), then the page
 * opened in headless Chromium the way a reader opens it: from a file, offline.
 */
const OUT = join(ROOT, 'test-output', 'report');
const STRATEGIES = ['card', 'server-heavy'];

describe('sledge report', () => {
  let dir: string;
  let runDir: string;
  let compareDir: string;
  const chromium = new Chromium();

  beforeAll(async () => {
    ensureBuilt();
    mkdirSync(OUT, { recursive: true });
    dir = await tempDir('report');
    const config = writeJson(join(dir, 'small.json'), smallConfig({ devices: 2, rounds: 2, timeScale: 0.05 }));
    runDir = join(dir, 'run');
    compareDir = join(dir, 'compare');
    await mustRun(['run', config, '--strategy', 'card', '--out', runDir]);
    const help = await runCli(['--help']);
    if (/^\s+compare\b/m.test(help.stdout)) {
      await mustRun(['compare', config, '--strategies', STRATEGIES.join(','), '--out', compareDir]);
    } else {
      await handMadeComparison(config, compareDir);
    }
  }, 120_000);

  afterAll(() => {
    chromium.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('writes a self-contained report.html for a run directory, by default inside it', async () => {
    const r = await runCli(['report', runDir]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(join(runDir, 'report.html'));
    const html = readFileSync(join(runDir, 'report.html'), 'utf8');
    expectSelfContained(html);
    expectFigures(html);
    const manifest = JSON.parse(readFileSync(join(runDir, 'manifest.json'), 'utf8'));
    expect(html).toContain(manifest.runId);
    expect(html).toContain(manifest.git?.commit.slice(0, 12) ?? 'unknown');
    expect(html).toContain('userspace');
  });

  it('writes a report for a comparison directory to --out, with every strategy and the reductions', async () => {
    const out = join(OUT, 'compare.html');
    const r = await runCli(['report', compareDir, '--out', out]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(out);
    const html = readFileSync(out, 'utf8');
    expectSelfContained(html);
    expectFigures(html);
    const compare = JSON.parse(readFileSync(join(compareDir, 'compare.json'), 'utf8'));
    for (const s of compare.strategies) expect(html).toContain(s.strategy);
    expect(html).toMatch(/Reduction by/);
    // a comparison's lines carry a colour per strategy: the legend names both
    const rounds = figure(html, 'fig-rounds');
    for (const s of compare.strategies) expect(rounds).toContain(`>${s.strategy}</text>`);
    // small: the charts' marks, not the records
    expect(statSync(out).size).toBeLessThan(400_000);
  });

  it.skipIf(!CHROMIUM)('renders in headless Chromium: every figure has a laid-out SVG with marks; screenshots saved', async () => {
    const runHtml = join(OUT, 'run.html');
    writeFileSync(runHtml, readFileSync(join(runDir, 'report.html')));
    for (const [name, file] of [['run', runHtml], ['compare', join(OUT, 'compare.html')]] as const) {
      if (!existsSync(file)) await runCli(['report', compareDir, '--out', file]);
      const dom = await chromium.dumpDom(file);
      for (const id of FIGURE_IDS) {
        const fig = figure(dom, id);
        expect(fig, `${name}: ${id} in the rendered DOM`).toMatch(/<svg[^>]*width="[1-9]/);
        expect(markCount(fig), `${name}: ${id} marks in the rendered DOM`).toBeGreaterThan(0);
      }
      const measured = await chromium.measureFigures(file);
      expect(measured.map((f) => f.id)).toEqual([...FIGURE_IDS]);
      for (const f of measured) {
        expect(f.width, `${name}: ${f.id} width`).toBeGreaterThan(200);
        expect(f.height, `${name}: ${f.id} height`).toBeGreaterThan(100);
        expect(f.marks, `${name}: ${f.id} drawn marks`).toBeGreaterThan(0);
      }
      const png = join(OUT, `${name}.png`);
      rmSync(png, { force: true });
      await chromium.screenshot(file, png, [1280, 2400]);
      expect(statSync(png).size).toBeGreaterThan(20_000);
    }
  });

  it('refuses a missing or empty directory with exit 2 and one line', async () => {
    const missing = await runCli(['report', join(dir, 'nope')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim().split('\n')).toEqual([`sledge: report ${join(dir, 'nope')}: no such directory`]);
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    const r = await runCli(['report', empty]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([`sledge: report ${empty}: no summary.json or compare.json here`]);
    expect(existsSync(join(empty, 'report.html'))).toBe(false);
  });
});

async function mustRun(args: string[]): Promise<void> {
  const r = await runCli(args);
  if (r.code !== 0) throw new Error(`sledge ${args.join(' ')} exited ${r.code}: ${r.stderr.slice(-800)}`);
}

/** compare.json in the documented shape, for when `sledge compare` is not built yet. */
async function handMadeComparison(config: string, out: string): Promise<void> {
  const strategies = [];
  for (const [i, s] of STRATEGIES.entries()) {
    const run = `${i + 1}-${s}`;
    await mustRun(['run', config, '--strategy', s, '--out', join(out, run)]);
    const summary = JSON.parse(readFileSync(join(out, run, 'summary.json'), 'utf8'));
    const pick = (side: { avgRoundDelay: number; avgServerEnergy: number }) => ({ avgRoundDelay: side.avgRoundDelay, avgServerEnergy: side.avgServerEnergy });
    strategies.push({ strategy: summary.strategy, run, predicted: pick(summary.predicted), measured: pick(summary.measured) });
  }
  writeJson(join(out, 'compare.json'), { config, strategies, reference: strategies[0]?.strategy });
}

/** No resource from the network: no remote src/href, no @import, no url(http…); the page has no http at all. */
function expectSelfContained(html: string): void {
  expect(html).not.toMatch(/\b(?:src|href)\s*=\s*["']?\s*(?:https?:)?\/\//i);
  expect(html).not.toMatch(/@import/i);
  expect(html).not.toMatch(/url\(\s*["']?\s*(?:https?:)?\/\//i);
  expect(html).not.toMatch(/<script\b/i);
  expect(html).not.toMatch(/https?:\/\//i);
}

function expectFigures(html: string): void {
  for (const id of FIGURE_IDS) {
    const fig = figure(html, id);
    expect(fig, id).toMatch(/<svg\b/);
    expect(fig, id).toMatch(/<figcaption>/);
    expect(markCount(fig), `${id} marks`).toBeGreaterThan(0);
  }
}

function figure(html: string, id: string): string {
  const m = new RegExp(`<figure id="${id}">([\\s\\S]*?)</figure>`).exec(html);
  expect(m, `figure ${id}`).not.toBeNull();
  return m?.[1] ?? '';
}

/** Vega draws each mark as an element inside a group of class "mark-<type> role-mark". */
function markCount(svg: string): number {
  return [...svg.matchAll(/class="mark-(?:symbol|line|rect|rule|area|tick)\s+role-mark[^"]*"[^>]*>\s*<(?:path|line|rect)\b/g)].length;
}
