import type { Command } from 'commander';
import type { CliContext } from '../main.js';
import { withRegistry, type RegistryCliOptions } from './registry-options.js';

export function registerShow(program: Command, ctx: CliContext): void {
  withRegistry(
    program
      .command('show')
      .description('Show a model (versions, aliases, tags) or one version with its full provenance.')
      .argument('<REF>', 'NAME, NAME:VERSION or NAME@ALIAS'),
  ).action(async (ref: string, o: RegistryCliOptions) => {
    const { runShow } = await import('./registry-run.js');
    await runShow(ref, o, ctx);
  });
}
