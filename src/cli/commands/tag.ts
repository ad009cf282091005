import type { Command } from 'commander';
import type { CliContext } from '../main.js';
import { withRegistry, type RegistryCliOptions } from './registry-options.js';

export function registerTag(program: Command, ctx: CliContext): void {
  const tag = program.command('tag').description('Set or remove tags on a model (NAME) or a version (NAME:VERSION).');
  withRegistry(tag.command('set').description('Set a tag.').argument('<REF>', 'NAME or NAME:VERSION').argument('<KEY>', 'key').argument('<VALUE>', 'value')).action(
    async (ref: string, key: string, value: string, o: RegistryCliOptions) => {
      const { runTagSet } = await import('./registry-run.js');
      await runTagSet(ref, key, value, o, ctx);
    },
  );
  withRegistry(tag.command('delete').description('Remove a tag.').argument('<REF>', 'NAME or NAME:VERSION').argument('<KEY>', 'key')).action(
    async (ref: string, key: string, o: RegistryCliOptions) => {
      const { runTagDelete } = await import('./registry-run.js');
      await runTagDelete(ref, key, o, ctx);
    },
  );
}
