import type { Command } from 'commander';
import { DEFAULT_SIGNATURE_NAME } from '../../integrity/index.js';
import type { CliContext } from '../main.js';
import { paint } from '../output.js';
import { repeatable } from './registry-options.js';
import { positiveInt, readPassphrase, readTextFile } from './signing-options.js';

interface SignCliOptions {
  key: string;
  certChain?: string;
  output: string;
  ignore?: string[];
  passphraseEnv?: string;
  passphraseFile?: string;
  ignoreGitPaths: boolean;
  allowSymlinks?: boolean;
  shardSize?: number;
}

export function registerSign(program: Command, ctx: CliContext): void {
  program
    .command('sign')
    .description('Sign a model file or folder with an OpenSSF Model Signing (OMS) signature (verifiable by model_signing).')
    .argument('<MODEL_PATH>', 'model file or folder')
    .requiredOption('-k, --key <KEY.pem>', 'EC private key (P-256, P-384 or P-521; PKCS#8, encrypted PKCS#8 or SEC1)')
    .option('--cert-chain <CHAIN.pem>', 'certificate method: leaf certificate first, then intermediates')
    .option('-o, --output <SIG>', 'signature file to write', DEFAULT_SIGNATURE_NAME)
    .option('--ignore <PATH>', 'path to leave out (repeatable; inside the model, or relative to its root)', repeatable)
    .option('--passphrase-env <VAR>', 'passphrase of an encrypted key, from environment variable VAR')
    .option('--passphrase-file <FILE>', 'passphrase of an encrypted key, from FILE')
    .option('--no-ignore-git-paths', 'also sign top-level .git, .gitattributes, .github, .gitignore')
    .option('--allow-symlinks', 'hash symlinked files by their target (targets must stay inside the model)')
    .option('--shard-size <BYTES>', 'use the shards serialization with this shard size (default: files)', positiveInt('--shard-size'))
    .addHelpText('after', `
The signature lists every file's SHA-256 in the reference order; top-level .git* paths, the signature
itself and --ignore paths are left out and recorded in the signature. Default output: ./model.sig, as
the reference tool. Exit codes: 0 signed, 2 I/O error, 4 usage error or bad key.`)
    .action(async (modelPath: string, o: SignCliOptions) => {
      const { signModel, resolveIgnorePaths } = await import('../../host/index.js');
      const { resolve, dirname } = await import('node:path');
      const { statSync } = await import('node:fs');
      const passphrase = readPassphrase(o);
      const st = statSync(modelPath, { throwIfNoEntry: false });
      const root = st?.isDirectory() ? resolve(modelPath) : dirname(resolve(modelPath));
      const r = await signModel(modelPath, {
        privateKey: readTextFile(o.key, 'private key'),
        ...(passphrase !== undefined ? { passphrase } : {}),
        ...(o.certChain !== undefined ? { certChain: readTextFile(o.certChain, 'certificate chain') } : {}),
        signaturePath: o.output,
        ignorePaths: resolveIgnorePaths(root, o.ignore ?? []),
        ignoreGitPaths: o.ignoreGitPaths,
        allowSymlinks: o.allowSymlinks === true,
        ...(o.shardSize !== undefined ? { method: 'shards' as const, shardSize: o.shardSize } : {}),
        progress: ctx.output.isTTY,
      });
      ctx.output.out(`${paint(ctx.output, 'green', 'Signed')} ${r.modelName}: ${r.files} file(s), root sha256:${r.rootDigest}`);
      ctx.output.out(`signature: ${r.signaturePath}`);
    });
}
