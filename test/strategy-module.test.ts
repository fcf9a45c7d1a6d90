import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { plan } from '../src/plan.js';
import { SystemModel } from '../src/system-model.js';
import { loadModulesInto, loadStrategyModule } from '../emulator/experiment/strategy-module.js';
import { UsageError } from '../emulator/errors.js';
import { ensureBuilt, ROOT } from './helpers/cli.js';
import { runCli, smallConfig, tempDir, writeJson } from './helpers/emulation.js';
import { mustParse } from './unit/helpers.js';

/**
 * A user's own strategy module (docs/strategies.md): loaded by emulator/experiment/strategy-module.ts,
 * run through the same contract as the built-ins, every decision checked.
 */
let dir: string;
beforeAll(async () => {
  dir = await tempDir('strategy-module');
  ensureBuilt();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A module file whose decide body is `body` (turn, params in scope); endRound appends to globalThis.__seen. */
function moduleFile(name: string, body: string, extra = ''): string {
  const path = join(dir, `${name}.mjs`);
  writeFileSync(
    path,
    `export default {
  name: ${JSON.stringify(name)},
  params: { step: 1, label: 'x' },
  create(params, env) {
    ${extra}
    return {
      decide(turn) { ${body} },
      endRound(round, figures) { (globalThis.__seen ??= []).push({ strategy: ${JSON.stringify(name)}, round, ...figures }); },
    };
  },
};
`,
  );
  return path;
}

const paperNoLatency = () => JSON.parse(readFileSync(join(ROOT, 'configs', 'paper-nolatency.json'), 'utf8'));

async function systemWith(path: string, params: Record<string, unknown> = {}) {
  const system = new SystemModel(mustParse({ ...paperNoLatency(), rounds: 4 }));
  await loadModulesInto(system, [{ name: path, params, module: path }]);
  return system.strategy({ name: path, params, module: path });
}

describe('the module loader', () => {
  it("a good module's decisions are exactly what its code computes, with its params (numbers stay numbers)", async () => {
    // the largest feasible cut minus (round-1)*step, floored at the smallest; the GPU at min+max/2
    const path = moduleFile('stepper', `const c = turn.feasibleCuts; const i = Math.max(0, c.length - 1 - (turn.round - 1) * params.step);
      return { cut: c[i], freqHz: (turn.predict(c[i], 1e9).delay.total > 0 ? 1 : 0) * 8.1e8 };`, 'params.step = Number(params.step);');
    const system = new SystemModel(mustParse({ ...paperNoLatency(), rounds: 4 }));
    await loadModulesInto(system, [{ name: path, params: { step: 2 }, module: path }]);
    const strategy = system.strategy({ name: path, params: { step: 2 }, module: path });
    expect(strategy.spec).toBe('stepper:step=2,label=x');
    expect(strategy.module?.sha256).toMatch(/^[0-9a-f]{64}$/);
    const p = plan(system, strategy);
    for (const t of p.turns) {
      const cuts = system.feasibleCuts.get(t.device)!;
      expect(t.cut).toBe(cuts[Math.max(0, cuts.length - 1 - (t.round - 1) * 2)]);
      expect(t.serverFreqHz).toBe(8.1e8);
      // predict is the model's own cost: the planned turn is what predict said
      expect(t.delay.total).toBeCloseTo(system.costModels.get(t.device)!.cost(t.cut, 8.1e8, { upBps: t.rateUpBps, downBps: t.rateDownBps }).delay.total, 12);
    }
  });

  it('endRound sees each round, in order, with its planned delay and server energy; every plan starts afresh', async () => {
    const path = moduleFile('watcher', 'return { cut: turn.feasibleCuts[0], freqHz: 1e9 };');
    const strategy = await systemWith(path);
    const system = new SystemModel(mustParse({ ...paperNoLatency(), rounds: 4 }));
    (globalThis as { __seen?: unknown[] }).__seen = [];
    const p = plan(system, strategy);
    const seen = (globalThis as { __seen?: { strategy: string; round: number; delay: number; serverEnergy: number }[] }).__seen!.filter((s) => s.strategy === 'watcher');
    expect(seen.map((s) => s.round)).toEqual([1, 2, 3, 4]);
    for (const [i, r] of p.rounds.entries()) {
      expect(seen[i]!.delay).toBe(r.delay);
      expect(seen[i]!.serverEnergy).toBe(r.serverEnergy);
    }
  });

  const bad: [string, string, RegExp][] = [
    ['infeasible-cut', 'return { cut: 999, freqHz: 1e9 };', /round 1, device d1: cut 999 is not feasible \(feasible: 1\.\.\d+\)$/],
    ['low-freq', 'return { cut: turn.feasibleCuts[0], freqHz: 1 };', /round 1, device d1: freqHz 1 is outside the server's range \[210000000, 1410000000\]$/],
    ['thrower', 'if (turn.device.id === "d2") throw new Error("no idea\\nsecond line"); return { cut: turn.feasibleCuts[0], freqHz: 1e9 };', /round 1, device d2: decide threw: no idea$/],
    ['non-object', 'return 7;', /round 1, device d1: decide returned number 7, not \{ cut, freqHz \}$/],
    ['nothing', 'return;', /round 1, device d1: decide returned undefined undefined, not \{ cut, freqHz \}$/],
    ['async', 'return Promise.resolve({ cut: 1, freqHz: 1e9 });', /decide returned a Promise \(decide must be synchronous\)/],
    ['string-cut', 'return { cut: "3", freqHz: 1e9 };', /cut the string "3" is not feasible/],
  ];
  for (const [name, body, message] of bad) {
    it(`a bad return (${name}) fails the plan with one line naming the module, round and device`, async () => {
      const strategy = await systemWith(moduleFile(name, body));
      const system = new SystemModel(mustParse({ ...paperNoLatency(), rounds: 4 }));
      let error: Error | undefined;
      try {
        plan(system, strategy);
      } catch (err) {
        error = err as Error;
      }
      expect(error?.name).toBe('DecisionError');
      expect(error!.message.split('\n')).toHaveLength(1);
      expect(error!.message).toMatch(new RegExp(`^strategy ${name} \\(${join(dir, name)}\\.mjs\\), `));
      expect(error!.message).toMatch(message);
    });
  }

  it('a missing file, a syntax error, a bad export: one line each', async () => {
    const load = async (path: string) => loadStrategyModule(path).then(() => 'loaded', (err: Error) => err);
    const missing = await load(join(dir, 'nope.mjs'));
    expect(missing).toBeInstanceOf(UsageError);
    expect((missing as Error).message).toBe(`strategy module ${join(dir, 'nope.mjs')}: no such file`);
    const broken = join(dir, 'broken.mjs');
    writeFileSync(broken, 'export default {\n  name: "broken",\n  create() { return { decide(turn) { return { cut: 1,, }; } }; },\n};\n');
    const syntax = await load(broken);
    expect(syntax).toBeInstanceOf(UsageError);
    expect((syntax as Error).message).toMatch(new RegExp(`^strategy module ${broken}: cannot load: \\w*Error: `)); // vitest transforms the import itself (RollupError); node says SyntaxError (the CLI test below)
    expect((syntax as Error).message.split('\n')).toHaveLength(1);
    const noCreate = join(dir, 'nocreate.mjs');
    writeFileSync(noCreate, 'export default { name: "nocreate" };\n');
    expect(((await load(noCreate)) as Error).message).toBe(`strategy module ${noCreate}: "create" must be a function create(params, env) returning { decide(turn) }`);
    const builtIn = join(dir, 'card.mjs');
    writeFileSync(builtIn, 'export default { name: "card", create() { return { decide() { return {}; } }; } };\n');
    expect(((await load(builtIn)) as Error).message).toMatch(/name "card" is a built-in strategy's; choose another$/);
  });

  it('unknown or mistyped parameters are refused against the declared defaults', async () => {
    const path = moduleFile('typed', 'return { cut: turn.feasibleCuts[0], freqHz: 1e9 };');
    await expect(systemWith(path, { stpe: 2 })).rejects.toThrow(/strategy "typed": .*stpe/);
    await expect(systemWith(path, { step: 'two' })).rejects.toThrow(/strategy "typed": step/);
  });
});

describe('sledge with a module (CLI)', () => {
  it('plan --strategy ./examples/strategies/rotor.mjs works, and --json reports what it returned per round', async () => {
    const r = await runCli(['plan', join(ROOT, 'configs', 'paper.json'), '--strategy', join(ROOT, 'examples', 'strategies', 'rotor.mjs') + ':step=2', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const p = JSON.parse(r.stdout);
    expect(p.strategy).toBe('rotor:step=2,slack=1.1');
    expect(p.rounds).toHaveLength(20);
    expect(p.rounds[0].avgServerEnergy).toBe(0);
    expect(p.rounds[1].avgServerEnergy).toBeCloseTo(p.rounds[0].serverEnergy, 9);
  });

  it('a module named in the config, relative to the config; bad decisions exit 2 in plan, exit 1 in run with nothing left behind', async () => {
    const sub = join(dir, 'cfg');
    const path = moduleFile('cfg-bad', 'return { cut: turn.round === 2 ? 0 : turn.feasibleCuts[0], freqHz: 1e9 };');
    const config = writeJson(join(dir, 'bad.json'), { ...smallConfig({ devices: 2, rounds: 3 }), strategy: { module: './cfg-bad.mjs', step: 3 } });
    const p = await runCli(['plan', config]);
    expect(p.code).toBe(2);
    expect(p.stderr.trim().split('\n')).toEqual([`sledge: strategy cfg-bad (${path}), round 2, device d1: cut 0 is not feasible (feasible: 1..15)`]);
    const out = join(dir, 'bad-run');
    const r = await runCli(['run', config, '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n').at(-1)).toBe(`sledge: strategy cfg-bad (${path}), round 2, device d1: cut 0 is not feasible (feasible: 1..15)`);
    expect(existsSync(out)).toBe(false);
    expect(existsSync(sub)).toBe(false);
    const broken = join(dir, 'broken-cli.mjs');
    writeFileSync(broken, 'export default {\n  name: "b",\n  create( { return 1; },\n};\n');
    const syntax = await runCli(['plan', config, '--strategy', broken]);
    expect(syntax.code).toBe(2);
    expect(syntax.stderr.trim().split('\n')).toEqual([expect.stringMatching(new RegExp(`^sledge: strategy module ${broken}: cannot load: SyntaxError: .+`))]);
    const missing = await runCli(['plan', config, '--strategy', './no/such.mjs']);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim().split('\n')).toEqual([`sledge: strategy module ${join(ROOT, 'no', 'such.mjs')}: no such file`]);
  });

  it('a run with a module works (userspace, short config); the manifest records its path and sha256; resume refuses it once changed', async () => {
    const path = moduleFile('smallest', 'return { cut: turn.feasibleCuts[0], freqHz: 1.2e9 };');
    const config = writeJson(join(dir, 'good.json'), smallConfig({ devices: 2, rounds: 2 }));
    const out = join(dir, 'good-run');
    const r = await runCli(['run', config, '--strategy', `${path}:step=5`, '--out', out]);
    expect(r.code).toBe(0);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    expect(manifest.strategy).toBe('smallest:step=5,label=x');
    expect(manifest.strategyModule).toEqual({ name: 'smallest', path, sha256: expect.stringMatching(/^[0-9a-f]{64}$/), params: { step: 5, label: 'x' } });
    const turns = readFileSync(join(out, 'turns.csv'), 'utf8').trim().split('\n');
    expect(turns).toHaveLength(1 + 4);
    // a run stopped before its summary (kill -9) is resumable; the module changed since: refused, one line, nothing touched
    rmSync(join(out, 'summary.json'));
    const before = readdirSync(out).sort();
    writeFileSync(path, readFileSync(path, 'utf8').replace('1.2e9', '1.3e9'));
    const resumed = await runCli(['resume', out]);
    expect(resumed.code).toBe(2);
    expect(resumed.stderr.trim().split('\n')).toEqual([expect.stringMatching(new RegExp(`^sledge: strategy module ${path}: changed since run \\S+ started \\(sha256 [0-9a-f]{12}… then, [0-9a-f]{12}… now\\)`))]);
    expect(readdirSync(out).sort()).toEqual(before);
  });
});

describe('sledge sweep over a strategy parameter: the delay-vs-energy frontier', () => {
  it('--set lyapunov.energyBudgetJ=… and card.weightDelay=… expand those strategies (no config grid); sweep.json and a report with the frontier', async () => {
    const config = writeJson(join(dir, 'sweep.json'), smallConfig({ devices: 2, rounds: 2 }));
    const out = join(dir, 'sweep');
    const r = await runCli(['sweep', config, '--strategies', 'card,lyapunov:V=100', '--set', 'card.weightDelay=0.2,0.9', '--set', 'lyapunov.energyBudgetJ=3,10', '-o', out]);
    expect(r.code).toBe(0);
    const sweep = JSON.parse(readFileSync(join(out, 'sweep.json'), 'utf8'));
    expect(sweep.axes).toEqual([]);
    expect(sweep.rows.map((x: { run: { strategy: string } }) => x.run.strategy)).toEqual([
      'card:weightDelay=0.2,energyScale=1',
      'card:weightDelay=0.9,energyScale=1',
      'lyapunov:energyBudgetJ=3,V=100',
      'lyapunov:energyBudgetJ=10,V=100',
    ]);
    const csv = readFileSync(join(out, 'sweep.csv'), 'utf8').trim().split('\n');
    expect(csv).toHaveLength(1 + 4);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toMatch(/<figure id="fig-frontier">[\s\S]*<svg/);
    expect(r.stdout).toMatch(new RegExp(`report: ${join(out, 'report.html')}`));
    // the same parameter in --strategies and in --set is refused before anything runs
    const twice = await runCli(['sweep', config, '--strategies', 'lyapunov:energyBudgetJ=3', '--set', 'lyapunov.energyBudgetJ=3,10', '-o', join(dir, 'never')]);
    expect(twice.code).toBe(2);
    expect(twice.stderr.trim().split('\n')).toEqual(['sledge: --set lyapunov.energyBudgetJ: energyBudgetJ is also given in --strategies; give it in one place']);
    expect(existsSync(join(dir, 'never'))).toBe(false);
  });
});
