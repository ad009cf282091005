import type { Command } from 'commander';
import type { CliContext } from '../main.js';
import { withRegistry, type RegistryCliOptions } from './registry-options.js';

export function registerList(program: Command, ctx: CliContext): void {
  withRegistry(program.command('list').description('List the models of the registry with their latest version and aliases.')).action(
    async (o: RegistryCliOptions) => {
      const { runList } = await import('./registry-run.js');
      await runList(o, ctx);
    },
  );
}
