import type { Command } from 'commander';
import type { CliContext } from '../main.js';
import { IDENTITY_HELP, withRegistry, type RegistryCliOptions } from './registry-options.js';

export interface PullCliOptions extends RegistryCliOptions {
  output: string;
}

export function registerPull(program: Command, ctx: CliContext): void {
  withRegistry(
    program
      .command('pull')
      .description('Write a version\'s artifact to a file, re-verifying its SHA-256 on the way out.')
      .argument('<REF>', 'NAME:VERSION, NAME@ALIAS or sha256:<digest>')
      .requiredOption('-o, --output <FILE>', 'where to write the artifact'),
  )
    .addHelpText('after', `\nQuarantined originals are never pulled. A corrupted blob is refused and nothing is written.${IDENTITY_HELP}`)
    .action(async (ref: string, o: PullCliOptions) => {
      const { runPull } = await import('./registry-run.js');
      await runPull(ref, o, ctx);
    });
}
