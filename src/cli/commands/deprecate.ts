import type { Command } from 'commander';
import type { CliContext } from '../main.js';
import { withRegistry, type RegistryCliOptions } from './registry-options.js';

export interface ReasonCliOptions extends RegistryCliOptions {
  reason: string;
}

export function registerDeprecate(program: Command, ctx: CliContext): void {
  withRegistry(
    program
      .command('deprecate')
      .description('Mark a version deprecated (approver); it stays pullable, protected aliases cannot point at it.')
      .argument('<REF>', 'NAME:VERSION or NAME@ALIAS')
      .requiredOption('-r, --reason <TEXT>', 'why (recorded in the audit log)'),
  ).action(async (ref: string, o: ReasonCliOptions) => {
    const { runDeprecate } = await import('./registry-run.js');
    await runDeprecate(ref, o, ctx);
  });
}
