import type { Command } from 'commander';
import type { CliContext } from '../main.js';
import { withRegistry, type RegistryCliOptions } from './registry-options.js';

export interface AuditLogCliOptions extends RegistryCliOptions {
  model?: string;
  from?: string;
  limit?: string;
}
export interface AuditProofCliOptions extends RegistryCliOptions {
  size?: string;
  from?: string;
  to?: string;
}
export interface AuditExportCliOptions extends RegistryCliOptions {
  output?: string;
}

export function registerAudit(program: Command, ctx: CliContext): void {
  const audit = program.command('audit').description('The tamper-evident audit log: entries, verification, proofs, export.');
  withRegistry(
    audit.command('log').description('Print audit entries (who did what, when).')
      .option('--model <NAME>', 'only entries about this model').option('--from <INDEX>', 'first entry index').option('--limit <N>', 'at most N entries'),
  ).action(async (o: AuditLogCliOptions) => {
    const { runAuditLog } = await import('./registry-run.js');
    await runAuditLog(o, ctx);
  });
  withRegistry(audit.command('verify').description('Recompute the Merkle tree from the stored entries, check every checkpoint, replay the log against the registry tables.'))
    .addHelpText('after', '\nExit codes: 0 verified, 1 any problem (each is listed).')
    .action(async (o: RegistryCliOptions) => {
      const { runAuditVerify } = await import('./registry-run.js');
      await runAuditVerify(o, ctx);
    });
  withRegistry(
    audit.command('proof').description('Print an inclusion receipt (c2sp.org/tlog-proof@v1) for INDEX, or a consistency proof with --from.')
      .argument('[INDEX]', 'entry index')
      .option('--size <N>', 'tree size of a stored checkpoint to prove against (default: latest)')
      .option('--from <M>', 'consistency proof from tree size M ...')
      .option('--to <N>', '... to tree size N (default: current size)'),
    false,
  )
    .addHelpText('after', '\nCheck offline: bin/modelvault-audit-verify.js --vkey @<registry>/log.vkey --receipt FILE')
    .action(async (index: string | undefined, o: AuditProofCliOptions) => {
      const { runAuditProof } = await import('./registry-run.js');
      await runAuditProof(index, o, ctx);
    });
  withRegistry(audit.command('export').description('Export the whole log as JSON Lines (entries and checkpoints).').option('-o, --output <FILE>', 'write to FILE instead of stdout'), false).action(
    async (o: AuditExportCliOptions) => {
      const { runAuditExport } = await import('./registry-run.js');
      await runAuditExport(o, ctx);
    },
  );
  withRegistry(audit.command('checkpoint').description('Print the latest signed checkpoint (C2SP signed note).'), false).action(async (o: RegistryCliOptions) => {
    const { runAuditCheckpoint } = await import('./registry-run.js');
    await runAuditCheckpoint(o, ctx);
  });
  withRegistry(audit.command('vkey').description('Print the log\'s verifier key (pin it in clients).'), false).action(async (o: RegistryCliOptions) => {
    const { runAuditVkey } = await import('./registry-run.js');
    await runAuditVkey(o, ctx);
  });
}
