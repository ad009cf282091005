import type { Command } from 'commander';
import type { CliContext } from '../main.js';
import { withRegistry, type RegistryCliOptions } from './registry-options.js';

export function registerIdentity(program: Command, ctx: CliContext): void {
  const id = program.command('identity').description('Identities and roles: reader < publisher < approver < admin.');
  withRegistry(id.command('grant').description('Create an identity with ROLE, or change its role (admin).').argument('<NAME>', 'identity').argument('<ROLE>', 'reader, publisher, approver or admin')).action(
    async (name: string, role: string, o: RegistryCliOptions) => {
      const { runIdentityGrant } = await import('./registry-run.js');
      await runIdentityGrant(name, role, o, ctx);
    },
  );
  withRegistry(id.command('disable').description('Disable an identity (admin); its tokens stop working.').argument('<NAME>', 'identity')).action(
    async (name: string, o: RegistryCliOptions) => {
      const { runIdentityDisable } = await import('./registry-run.js');
      await runIdentityDisable(name, o, ctx);
    },
  );
  withRegistry(id.command('list').description('List identities and roles.')).action(async (o: RegistryCliOptions) => {
    const { runIdentityList } = await import('./registry-run.js');
    await runIdentityList(o, ctx);
  });
  withRegistry(id.command('whoami').description('Print the identity this CLI acts as, and its role.')).action(async (o: RegistryCliOptions) => {
    const { runWhoami } = await import('./registry-run.js');
    await runWhoami(o, ctx);
  });
}
