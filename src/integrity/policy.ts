import { X509Certificate, type KeyObject } from 'node:crypto';
import type { ErrorObject } from 'ajv';
import { prebuiltValidator, MvError } from '../core/index.js';
import type { SignatureBundle } from './bundle.js';
import { keyHint } from './keys.js';
import { certificateIdentities, verifyChainBundle, verifyKeyBundle, verifyKeylessBundle, type SignatureCheck } from './verify.js';

/**
 * Trust policy file (docs/signing.md "Trust policy"): which keys, CA roots and Sigstore identities are
 * trusted to sign models, and whether unsigned models are refused. Key and certificate fields hold
 * PEM text or a file path relative to the policy file (resolved by host/).
 */
export const TRUST_POLICY_SCHEMA = {
  $id: 'https://modelvault.dev/schemas/trust-policy-v1.json',
  type: 'object',
  additionalProperties: false,
  required: ['version'],
  properties: {
    $schema: { type: 'string' },
    version: { const: 1 },
    requireSignature: { type: 'boolean', default: true },
    signature: { type: 'string', minLength: 1, description: 'Signature file, relative to the model folder (default model.sig).' },
    keys: {
      type: 'array',
      maxItems: 1000,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['publicKey'],
        properties: { name: { type: 'string' }, publicKey: { type: 'string', minLength: 1 } },
      },
    },
    certificateAuthorities: {
      type: 'array',
      maxItems: 1000,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['root'],
        properties: {
          name: { type: 'string' },
          root: { type: 'string', minLength: 1 },
          intermediates: { type: 'string', minLength: 1 },
          identities: { type: 'array', items: { type: 'string', minLength: 1 }, maxItems: 1000 },
        },
      },
    },
    sigstore: {
      type: 'array',
      maxItems: 1000,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['identity', 'issuer'],
        properties: {
          name: { type: 'string' },
          identity: { type: 'string', minLength: 1 },
          issuer: { type: 'string', minLength: 1 },
          trustedRoot: { type: 'string', minLength: 1, description: 'trusted_root.json path; default the seed root of @sigstore/tuf.' },
        },
      },
    },
    ignorePaths: { type: 'array', items: { type: 'string', minLength: 1 }, maxItems: 10000 },
    ignoreUnsignedFiles: { type: 'boolean', default: false },
  },
} as const;

/** A trust policy file as written (strings are PEM text or paths). */
export interface TrustPolicy {
  readonly version: 1;
  readonly requireSignature: boolean;
  readonly signature?: string;
  readonly keys: readonly { readonly name?: string; readonly publicKey: string }[];
  readonly certificateAuthorities: readonly { readonly name?: string; readonly root: string; readonly intermediates?: string; readonly identities?: readonly string[] }[];
  readonly sigstore: readonly { readonly name?: string; readonly identity: string; readonly issuer: string; readonly trustedRoot?: string }[];
  readonly ignorePaths: readonly string[];
  readonly ignoreUnsignedFiles: boolean;
}

/** A policy with every key, root and trusted root loaded. */
export interface ResolvedTrustPolicy {
  readonly requireSignature: boolean;
  readonly signature?: string;
  readonly keys: readonly { readonly name: string; readonly key: KeyObject }[];
  readonly certificateAuthorities: readonly {
    readonly name: string;
    readonly roots: readonly X509Certificate[];
    readonly intermediates: readonly X509Certificate[];
    readonly identities: readonly string[];
  }[];
  readonly sigstore: readonly { readonly name: string; readonly identity: string; readonly issuer: string; readonly trustedRoot: unknown }[];
  readonly ignorePaths: readonly string[];
  readonly ignoreUnsignedFiles: boolean;
}

/** The schema and ajv options the build prebuilds the policy validator from (scripts/gen-validators.mjs). */
export const TRUST_POLICY_VALIDATOR = { schema: TRUST_POLICY_SCHEMA, options: { useDefaults: false } } as const;
const validator = prebuiltValidator(new URL('./trust-policy.validate.cjs', import.meta.url), TRUST_POLICY_VALIDATOR.schema, TRUST_POLICY_VALIDATOR.options);

const describeAjv = (e: ErrorObject): string => `${e.instancePath || '(root)'} ${e.message ?? 'is invalid'}${e.params && 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : ''}`;

/** Validates a parsed policy JSON against TRUST_POLICY_SCHEMA, listing every bad field (SIG_POLICY_INVALID). */
export function parseTrustPolicy(json: unknown): TrustPolicy {
  const validate = validator();
  if (!validate(json)) {
    const errs = (validate.errors ?? []).map(describeAjv).join('; ');
    throw new MvError('SIG_POLICY_INVALID', `invalid trust policy: ${errs}`);
  }
  const p = json as Partial<TrustPolicy> & { version: 1 };
  return {
    version: 1,
    requireSignature: p.requireSignature ?? true,
    ...(p.signature !== undefined ? { signature: p.signature } : {}),
    keys: p.keys ?? [],
    certificateAuthorities: p.certificateAuthorities ?? [],
    sigstore: p.sigstore ?? [],
    ignorePaths: p.ignorePaths ?? [],
    ignoreUnsignedFiles: p.ignoreUnsignedFiles ?? false,
  };
}

/** Result of checking a bundle against a policy: the signature check plus the entry that matched. */
export interface PolicyCheck extends SignatureCheck {
  readonly matched: string;
}

function firstSuccess(attempts: readonly { name: string; run: () => SignatureCheck }[], none: string): PolicyCheck {
  if (attempts.length === 0) throw new MvError('SIG_KEY_MISMATCH', none);
  const errors: MvError[] = [];
  for (const a of attempts) {
    try {
      return { ...a.run(), matched: a.name };
    } catch (e) {
      if (!(e instanceof MvError)) throw e;
      errors.push(e);
    }
  }
  if (errors.length === 1) throw errors[0]!;
  // Several candidates: prefer the most specific failure (a matching key whose signature failed).
  const order = ['SIG_INVALID', 'SIG_IDENTITY_MISMATCH', 'SIG_CHAIN_INVALID', 'SIG_BUNDLE_INVALID', 'SIG_KEY_MISMATCH'];
  errors.sort((a, b) => order.indexOf(a.code) - order.indexOf(b.code));
  const first = errors[0]!;
  throw new MvError(first.code, `no trusted signer in the policy verifies the bundle: ${errors.map((e) => e.message).join(' | ')}`);
}

/**
 * Verifies the bundle's signature against every policy entry of its kind (key hint first) and returns
 * the first that verifies; SIG_KEY_MISMATCH when the policy trusts no signer of that kind.
 */
export function verifyWithPolicy(bundle: SignatureBundle, policy: ResolvedTrustPolicy): PolicyCheck {
  const m = bundle.material;
  switch (m.kind) {
    case 'publicKey': {
      const keys = [...policy.keys].sort((a, b) => Number(keyHint(b.key) === m.hint) - Number(keyHint(a.key) === m.hint));
      const matching = m.hint === null ? keys : keys.filter((k) => keyHint(k.key) === m.hint);
      return firstSuccess(
        matching.map((k) => ({ name: k.name, run: () => verifyKeyBundle(bundle, k.key) })),
        m.hint === null || keys.length === 0 ? 'the trust policy lists no public key' : 'the bundle was signed by a key the trust policy does not list',
      );
    }
    case 'chain':
      return firstSuccess(
        policy.certificateAuthorities.map((ca) => ({
          name: ca.name,
          run: () => {
            const check = verifyChainBundle(bundle, { roots: ca.roots, intermediates: ca.intermediates });
            if (ca.identities.length > 0) {
              const leaf = new X509Certificate(m.certificates[0]!);
              const ids = certificateIdentities(leaf);
              if (!ca.identities.some((i) => ids.includes(i))) {
                throw new MvError('SIG_IDENTITY_MISMATCH', `the signing certificate ${ids[0]} is not one of the identities allowed for ${ca.name}`);
              }
            }
            return check;
          },
        })),
        'the trust policy lists no certificate authority',
      );
    case 'keyless':
      return firstSuccess(
        policy.sigstore.map((s) => ({ name: s.name, run: () => verifyKeylessBundle(bundle, s) })),
        'the trust policy lists no Sigstore identity',
      );
  }
}
