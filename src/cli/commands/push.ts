import type { Command } from 'commander';
import type { CliContext } from '../main.js';
import { IDENTITY_HELP, repeatable, withRegistry, type RegistryCliOptions } from './registry-options.js';

export interface PushCliOptions extends RegistryCliOptions {
  name: string;
  signature?: string;
  meta?: string[];
  keepOriginal?: boolean;
  receipt?: string;
}

export function registerPush(program: Command, ctx: CliContext): void {
  withRegistry(
    program
      .command('push')
      .description('Add a model file as a new immutable version: scan, verify, convert, store, audit.')
      .argument('<FILE>', 'model file')
      .requiredOption('-n, --name <NAME>', 'model name ([A-Za-z0-9._-], up to 128 characters)')
      .option('-s, --signature <SIG>', 'OMS signature bundle over FILE (checked against <registry>/policy.json)')
      .option('-m, --meta <KEY=VALUE>', 'user metadata, e.g. training data hash (repeatable)', repeatable)
      .option('--keep-original', 'keep a converted legacy original, quarantined (never loadable or pullable)')
      .option('--receipt <FILE>', 'write the tlog-proof receipt of the version.create audit entry to FILE'),
  )
    .addHelpText('after', `
Unsafe files are refused (and the refusal is audited). Pickle/joblib uploads are converted to a
modelvault/1 artifact; only the artifact is loadable. Pushing bytes that are already a version of the
model reports that version instead of creating a new one.${IDENTITY_HELP}`)
    .action(async (file: string, o: PushCliOptions) => {
      const { runPush } = await import('./registry-run.js');
      await runPush(file, o, ctx);
    });
}
