import type { Command } from 'commander';
import type { CliContext } from '../main.js';
import { withRegistry } from './registry-options.js';
import type { ReasonCliOptions } from './deprecate.js';

export interface DeleteCliOptions extends ReasonCliOptions {
  yes?: boolean;
}

export function registerDelete(program: Command, ctx: CliContext): void {
  withRegistry(
    program
      .command('delete')
      .description('Delete (tombstone) a version or a whole model (admin). The audit trail stays; numbers and names are never reused.')
      .argument('<REF>', 'NAME:VERSION, or NAME for the whole model')
      .requiredOption('-r, --reason <TEXT>', 'why (recorded in the audit log)')
      .option('-y, --yes', 'required: confirm the deletion'),
  ).action(async (ref: string, o: DeleteCliOptions) => {
    const { runDelete } = await import('./registry-run.js');
    await runDelete(ref, o, ctx);
  });
}
