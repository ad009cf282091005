import type { Command } from 'commander';
import type { CliContext } from '../main.js';
import { withRegistry, type RegistryCliOptions } from './registry-options.js';

export interface TokenCreateCliOptions extends RegistryCliOptions {
  identity?: string;
  expiresIn?: string;
  description?: string;
}

export function registerToken(program: Command, ctx: CliContext): void {
  const token = program.command('token').description('API tokens (256-bit, stored only as SHA-256, shown once, expiring).');
  withRegistry(
    token.command('create').description('Issue a token (for yourself, or for IDENTITY as admin); printed once.')
      .option('--identity <NAME>', 'token owner (admin only when not yourself)')
      .option('--expires-in <DURATION>', 'lifetime: 3600s, 90m, 12h, 30d (default 30d, at most 366d)')
      .option('--description <TEXT>', 'what the token is for'),
  ).action(async (o: TokenCreateCliOptions) => {
    const { runTokenCreate } = await import('./registry-run.js');
    await runTokenCreate(o, ctx);
  });
  withRegistry(token.command('revoke').description('Revoke a token by its id (own tokens, or any as admin).').argument('<ID>', 'token id from token list')).action(
    async (id: string, o: RegistryCliOptions) => {
      const { runTokenRevoke } = await import('./registry-run.js');
      await runTokenRevoke(id, o, ctx);
    },
  );
  withRegistry(token.command('list').description('List tokens (never their secrets): own, or all as admin.')).action(async (o: RegistryCliOptions) => {
    const { runTokenList } = await import('./registry-run.js');
    await runTokenList(o, ctx);
  });
}
