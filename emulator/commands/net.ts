import type { Command } from 'commander';
import { cleanNet } from '../net/clean.js';
import { RunError } from '../errors.js';

export function registerNet(program: Command): void {
  const net = program.command('net').description('kernel network state of runs');
  net
    .command('clean')
    .description("remove what killed runs left: namespaces, veths and bridges named sl<6 hex>, processes in them, the runs' stray nats-server/redis-server and temp dirs")
    .option('--run <id>', 'only this run (its id, or its sl<6 hex> prefix)')
    .action(async (opts: { run?: string }) => {
      const which = opts.run === undefined ? {} : /^sl[0-9a-f]{6}$/.test(opts.run) ? { runPrefix: opts.run } : { runId: opts.run };
      const report = await cleanNet(which);
      const line = (what: string, items: readonly (string | number)[]) => `${what}: ${items.length ? items.join(' ') : 'none'}`;
      process.stdout.write(
        [line('namespaces removed', report.namespaces), line('links removed', report.links), line('processes killed', report.processes), line('temp dirs removed', report.dirs)].join('\n') + '\n',
      );
      if (report.errors.length) throw new RunError(`net clean: ${report.errors.join('; ')}`);
    });
}
