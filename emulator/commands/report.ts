import type { Command } from 'commander';

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('write a self-contained report.html (inline SVG charts, nothing fetched) for a run or a comparison directory')
    .argument('<dir>', 'a run directory (summary.json), a comparison directory (compare.json) or a sweep directory (sweep.json: the delay-vs-energy frontier)')
    .option('-o, --out <file>', 'where the HTML goes (default <dir>/report.html)')
    .action(async (dir: string, opts: { out?: string }) => {
      // the path alone on stdout, so that scripts can pick it up
      const { writeReport } = await import('../report/report.js');
      process.stdout.write(`${await writeReport(dir, opts.out)}\n`);
    });
}
