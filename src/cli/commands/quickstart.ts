import type { Command } from 'commander';
import type { CliContext } from '../main.js';
import { logLevelOption, portOption } from './serve.js';

export interface QuickstartCliOptions {
  registry?: string;
  host: string;
  port: number;
  logLevel: string;
  serve: boolean;
}

export function registerQuickstart(program: Command, ctx: CliContext): void {
  program
    .command('quickstart')
    .description('One command from a fresh clone to a signed, audited iris predictor served over the Open Inference Protocol.')
    .option('--registry <DIR>', 'registry folder (default: $MODELVAULT_HOME, else ./.modelvault); reused if it exists')
    .option('--host <HOST>', 'address to listen on', '127.0.0.1')
    .option('--port <PORT>', 'TCP port (0 = any free port)', portOption, 8080)
    .option('--log-level <LEVEL>', 'JSON log level of the server', logLevelOption, 'warn')
    .option('--no-serve', 'set everything up, print the commands, do not start the server')
    .addHelpText('after', `
Steps (each reused when already done, so a second run changes nothing):
  1. registry in the folder, the OS user as admin, separation of duties on
  2. development signing key <registry>/dev-signing-key.pem (0600) and policy.json trusting it (signatures required)
  3. admin API token: printed once, stored in <registry>/admin-token (0600)
  4. examples/predictor.joblib: signed with the dev key, pushed by the identity quickstart-publisher
     (scan, signature check, conversion to modelvault/1, audit), then alias production set by the admin
  5. modelvault serve, and a curl command for an inference
See docs/serving.md.`)
    .action(async (o: QuickstartCliOptions) => {
      const { runQuickstart } = await import('./quickstart-run.js');
      await runQuickstart(o, ctx);
    });
}
