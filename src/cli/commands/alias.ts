import type { Command } from 'commander';
import type { CliContext } from '../main.js';
import { withRegistry, type RegistryCliOptions } from './registry-options.js';

export function registerAlias(program: Command, ctx: CliContext): void {
  const alias = program.command('alias').description('Move, remove and trace aliases (production, staging, …).');
  withRegistry(
    alias.command('set').description('Point ALIAS of model NAME at VERSION (protected aliases need an approver).')
      .argument('<NAME>', 'model').argument('<ALIAS>', 'alias').argument('<VERSION>', 'version number'),
  ).action(async (name: string, a: string, version: string, o: RegistryCliOptions) => {
    const { runAliasSet } = await import('./registry-run.js');
    await runAliasSet(name, a, version, o, ctx);
  });
  withRegistry(alias.command('delete').description('Remove an alias.').argument('<NAME>', 'model').argument('<ALIAS>', 'alias')).action(
    async (name: string, a: string, o: RegistryCliOptions) => {
      const { runAliasDelete } = await import('./registry-run.js');
      await runAliasDelete(name, a, o, ctx);
    },
  );
  withRegistry(
    alias.command('history').description('Every move of the model\'s aliases: who, when, from, to, audit entry.')
      .argument('<NAME>', 'model').argument('[ALIAS]', 'only this alias'),
  ).action(async (name: string, a: string | undefined, o: RegistryCliOptions) => {
    const { runAliasHistory } = await import('./registry-run.js');
    await runAliasHistory(name, a, o, ctx);
  });
}
