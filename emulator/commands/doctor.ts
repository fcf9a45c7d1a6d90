import type { Command } from 'commander';
import { formatCapabilities, probeCapabilities } from '../net/probe.js';

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('what works on this host: root, netns, veth, bridge, htb, tbf, ifb, netem, the servers; which network mode auto picks')
    .option('--json', 'print the probe as JSON')
    .action(async (opts: { json?: boolean }) => {
      const caps = await probeCapabilities();
      process.stdout.write(opts.json ? `${JSON.stringify(caps, null, 2)}\n` : `${formatCapabilities(caps)}\n`);
    });
}
