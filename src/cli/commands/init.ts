import type { Command } from 'commander';
import type { CliContext } from '../main.js';
import { repeatable, withRegistry, type RegistryCliOptions } from './registry-options.js';

export interface InitCliOptions extends RegistryCliOptions {
  origin?: string;
  protectedAlias?: string[];
  separationOfDuties: boolean;
  admin?: string;
}

export function registerInit(program: Command, ctx: CliContext): void {
  withRegistry(
    program
      .command('init')
      .description('Create a registry folder: SQLite metadata, blob store and an Ed25519 audit-log key.')
      .option('--origin <ORIGIN>', 'audit log origin / key name (default modelvault.local/<random id>)')
      .option('--protected-alias <ALIAS>', 'alias that needs an approver (repeatable; default production)', repeatable)
      .option('--no-separation-of-duties', 'let an approver move a protected alias to a version they uploaded')
      .option('--admin <NAME>', 'first admin identity (default: the OS user)'),
  )
    .addHelpText('after', '\nPut a trust policy (docs/signing.md) at <registry>/policy.json to verify or require signatures on push.')
    .action(async (o: InitCliOptions) => {
      const { runInit } = await import('./registry-run.js');
      await runInit(o, ctx);
    });
}
