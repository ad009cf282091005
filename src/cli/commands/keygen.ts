import { Option, type Command } from 'commander';
import type { CliContext } from '../main.js';
import { readPassphrase } from './signing-options.js';

interface KeygenOptions {
  curve: 'p256' | 'p384' | 'p521';
  output: string;
  passphraseEnv?: string;
  passphraseFile?: string;
  force?: boolean;
}

export function registerKeygen(program: Command, ctx: CliContext): void {
  program
    .command('keygen')
    .description('Create an EC signing key pair for `modelvault sign` (PKCS#8 private key, mode 0600; public key beside it).')
    .addOption(new Option('--curve <curve>', 'elliptic curve (the signature hash follows it: SHA-256/384/512)').choices(['p256', 'p384', 'p521']).default('p256'))
    .option('-o, --output <KEY.pem>', 'private key file; the public key goes to KEY.pub', 'signing-key.pem')
    .option('--passphrase-env <VAR>', 'encrypt the private key with the passphrase in environment variable VAR')
    .option('--passphrase-file <FILE>', 'encrypt the private key with the passphrase in FILE (one line)')
    .option('--force', 'overwrite existing key files')
    .addHelpText('after', '\nExit codes: 0 written, 2 I/O error (e.g. the key file exists), 4 usage error.')
    .action(async (o: KeygenOptions) => {
      const { writeSigningKey } = await import('../../host/index.js');
      const { keyHint, parsePublicKeyPem } = await import('../../integrity/index.js');
      const passphrase = readPassphrase(o);
      const r = await writeSigningKey(o.output, { curve: o.curve, ...(passphrase !== undefined ? { passphrase } : {}), force: o.force === true });
      const { readFileSync } = await import('node:fs');
      const hint = keyHint(parsePublicKeyPem(readFileSync(r.publicPath, 'utf8')));
      ctx.output.out(`private key: ${r.privatePath} (mode 0600${passphrase !== undefined ? ', encrypted' : ''})`);
      ctx.output.out(`public key:  ${r.publicPath}`);
      ctx.output.out(`curve ${o.curve.toUpperCase().replace('P', 'P-')}, key hint ${hint}`);
    });
}
