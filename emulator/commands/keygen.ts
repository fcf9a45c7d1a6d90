import { resolve } from 'node:path';
import type { Command } from 'commander';
import { defaultKeyDir, generateLauncherKeys } from '../trust/keys.js';

/**
 * `sledge keygen [--out DIR]` (docs/trust.md): the launcher's ed25519 pair. The private key
 * (launcher.key, 0600) stays on the launcher's host; launcher.pub goes to every agent host,
 * for `sledge agent --trust launcher.pub`.
 */
export function registerKeygen(program: Command): void {
  program
    .command('keygen')
    .description('make the launcher key pair agents obey: launcher.key (private, 0600) and launcher.pub (for sledge agent --trust)')
    .option('--out <dir>', `where to write them (default ${defaultKeyDir()}; sledge run reads launcher.key there unless SLEDGE_LAUNCHER_KEY names another)`)
    .action((opts: { out?: string }) => {
      const { privateKey, publicKey } = generateLauncherKeys(resolve(opts.out ?? defaultKeyDir()));
      process.stdout.write(`${privateKey}\n${publicKey}\n`);
    });
}
