import { Option, type Command } from 'commander';
import { isMvError, MvError } from '../../core/index.js';
import { ExitCode, type CliContext } from '../main.js';
import { paint } from '../output.js';
import { repeatable } from './registry-options.js';
import { readTextFile } from './signing-options.js';

interface VerifyCliOptions {
  signature?: string;
  publicKey?: string;
  ca?: string;
  certChain?: string;
  identity?: string;
  issuer?: string;
  trustedRoot?: string;
  policy?: string;
  ignore?: string[];
  ignoreUnsignedFiles?: boolean;
  ignoreGitPaths: boolean;
  requireUnexpired?: boolean;
  format: 'text' | 'json';
}

export function registerVerify(program: Command, ctx: CliContext): void {
  program
    .command('verify')
    .description('Verify an OMS model signature, then re-hash the model and name every modified, missing or extra file.')
    .argument('<MODEL_PATH>', 'model file or folder')
    .option('-s, --signature <SIG>', 'signature bundle (model.sig)')
    .option('--public-key <PUB.pem>', 'key method: the signer’s EC public key')
    .option('--ca <ROOT.pem>', 'certificate method: trusted root certificate(s)')
    .option('--cert-chain <CHAIN.pem>', 'certificate method: extra intermediate certificates')
    .option('--identity <ID>', 'certificate: required leaf subject DN, CN or SAN; keyless: required SAN (e-mail or URI)')
    .option('--issuer <URL>', 'keyless (Sigstore): required OIDC issuer')
    .option('--trusted-root <ROOT.json>', 'keyless: Sigstore trusted_root.json (default: the seed root shipped with @sigstore/tuf)')
    .option('--policy <POLICY.json>', 'trust policy file (trusted keys, CA roots, identities; see docs/signing.md)')
    .option('--ignore <PATH>', 'path to leave out (repeatable)', repeatable)
    .option('--ignore-unsigned-files', 'hash only the files named in the signature; extra files are tolerated')
    .option('--no-ignore-git-paths', 'do not skip top-level .git* paths')
    .option('--require-unexpired', 'certificate method: also require the chain to be valid now')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .addHelpText('after', `
Give exactly one trust input: --public-key, --ca, --issuer with --identity (keyless, verified offline),
or --policy. Exit codes: 0 valid, 1 invalid (signature, signer, chain, or files differ), 2 usage or I/O
error (commander itself exits 4 for unknown options or a missing MODEL_PATH).`)
    .action(async (modelPath: string, o: VerifyCliOptions) => {
      try {
        await runVerify(modelPath, o, ctx);
      } catch (e) {
        if (e instanceof ExitCode) throw e;
        if (!isMvError(e)) throw e;
        ctx.output.err(`modelvault: ${e.describe()}`);
        throw new ExitCode(2);
      }
    });
}

async function runVerify(modelPath: string, o: VerifyCliOptions, ctx: CliContext): Promise<void> {
  const host = await import('../../host/index.js');
  const { resolve, dirname } = await import('node:path');
  const { statSync } = await import('node:fs');
  const modes = [o.publicKey && '--public-key', o.ca && '--ca', (o.issuer || o.trustedRoot) && '--issuer', o.policy && '--policy'].filter(Boolean);
  if (modes.length !== 1) {
    throw new MvError('USAGE_INVALID', modes.length ? `give only one trust input, not ${modes.join(' and ')}` : 'give a trust input: --public-key, --ca, --issuer + --identity, or --policy');
  }
  if (o.signature === undefined && !o.policy) throw new MvError('USAGE_INVALID', 'give the signature with --signature SIG');
  if ((o.issuer || o.trustedRoot) && (!o.issuer || !o.identity)) throw new MvError('USAGE_INVALID', 'keyless verification needs both --identity and --issuer');
  if (o.certChain && !o.ca) throw new MvError('USAGE_INVALID', '--cert-chain needs --ca');
  if (o.signature !== undefined && !statSync(o.signature, { throwIfNoEntry: false })) throw new MvError('IO_NOT_FOUND', `no signature file ${o.signature}`);
  let trust: import('../../host/index.js').Trust;
  if (o.publicKey) trust = { kind: 'key', publicKey: readTextFile(o.publicKey, 'public key') };
  else if (o.ca) {
    trust = {
      kind: 'certificate',
      roots: readTextFile(o.ca, 'root certificate'),
      ...(o.certChain ? { intermediates: readTextFile(o.certChain, 'certificate chain') } : {}),
      ...(o.identity !== undefined ? { identity: o.identity } : {}),
      requireUnexpired: o.requireUnexpired === true,
    };
  } else if (o.issuer) {
    trust = {
      kind: 'sigstore',
      identity: o.identity!,
      issuer: o.issuer,
      ...(o.trustedRoot ? { trustedRoot: await host.readTrustedRoot(o.trustedRoot) } : {}),
    };
  } else trust = { kind: 'policy', policy: await host.loadTrustPolicy(o.policy!) };
  const st = statSync(modelPath, { throwIfNoEntry: false });
  if (!st) throw new MvError('IO_NOT_FOUND', `no model at ${modelPath}`);
  const root = st.isDirectory() ? resolve(modelPath) : dirname(resolve(modelPath));
  const r = await host.verifyModel(modelPath, {
    ...(o.signature !== undefined ? { signature: o.signature } : {}),
    trust,
    ignorePaths: host.resolveIgnorePaths(root, o.ignore ?? []),
    ignoreGitPaths: o.ignoreGitPaths,
    ignoreUnsignedFiles: o.ignoreUnsignedFiles === true,
    progress: ctx.output.isTTY,
  });
  if (o.format === 'json') ctx.output.out(JSON.stringify(r, null, 2));
  else printText(r, ctx);
  if (!r.ok) throw new ExitCode(1);
}

function signerLine(s: NonNullable<import('../../host/index.js').VerifyResult['signer']>): string {
  switch (s.kind) {
    case 'key':
      return `key ${s.hint} (${s.curve.toUpperCase().replace('P', 'P-')})`;
    case 'certificate':
      return `certificate ${s.subject} (serial ${s.serial}, SHA-256 ${s.fingerprint256}) issued by ${s.issuer}, anchored at ${s.anchor}`;
    case 'sigstore':
      return `sigstore identity ${s.identity} (issuer ${s.issuer})`;
  }
}

function printText(r: import('../../host/index.js').VerifyResult, ctx: CliContext): void {
  const o = ctx.output;
  if (r.ok) {
    o.out(`${paint(o, 'green', 'Verification succeeded')}: ${r.modelName ?? ''}${r.rootDigest ? ` (root sha256:${r.rootDigest})` : ''}, ${r.files} file(s) checked`);
  } else {
    o.out(`${paint(o, 'red', 'Verification failed')}: ${r.code}: ${r.reason}`);
  }
  if (r.signer) o.out(`  signer: ${signerLine(r.signer)}${r.matched ? ` [policy entry ${r.matched}]` : ''}`);
  for (const m of r.modified) o.out(`  ${paint(o, 'red', 'modified')}: ${m.name}${m.shard ? ` (shard ${m.shard})` : ''}: expected ${m.expected}, actual ${m.actual}`);
  for (const m of r.missing) o.out(`  ${paint(o, 'red', 'missing')}:  ${m}`);
  for (const m of r.extra) o.out(`  ${paint(o, 'yellow', 'extra')}:    ${m}`);
  for (const w of r.warnings) o.err(`  ${paint(o, 'yellow', 'warning')}: ${w}`);
}
