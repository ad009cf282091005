/**
 * OpenSSF Model Signing (OMS) constants (../shared/spec/signing.md §1.1). One place for every media,
 * payload and predicate type we accept, so an unknown one is an error, never a skip.
 */
export const BUNDLE_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
export const DSSE_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
export const PREDICATE_TYPE = 'https://model_signing/signature/v1.0';
/** Legacy v0.2 predicate: recognised only to give a clear "not supported" reason. */
export const LEGACY_PREDICATE_TYPE = 'https://model_signing/Digests/v0.1';

/** Default signature file name of the reference CLI (`model_signing sign --signature`). */
export const DEFAULT_SIGNATURE_NAME = 'model.sig';
/** Default shard size of the reference (10^9 bytes). */
export const DEFAULT_SHARD_SIZE = 1_000_000_000;
/** Top-level paths the reference ignores by default (`ignore_git_paths`). */
export const GIT_IGNORE_PATHS: readonly string[] = ['.git', '.gitattributes', '.github', '.gitignore'];

/** Content hashes: name in `hash_type` → node:crypto algorithm and hex digest length. */
export const HASH_TYPES = {
  sha256: { node: 'sha256', hexLength: 64 },
  blake2b: { node: 'blake2b512', hexLength: 128 },
} as const;
export type HashType = keyof typeof HASH_TYPES;
export const isHashType = (s: string): s is HashType => Object.hasOwn(HASH_TYPES, s);

/** ECDSA hash by curve — the reference's trap 2 (§1.6): P-256→SHA-256, P-384→SHA-384, P-521→SHA-512. */
export const CURVES = {
  p256: { nodeName: 'prime256v1', hash: 'sha256', keyDetails: 'PKIX_ECDSA_P256_SHA_256' },
  p384: { nodeName: 'secp384r1', hash: 'sha384', keyDetails: 'PKIX_ECDSA_P384_SHA_384' },
  p521: { nodeName: 'secp521r1', hash: 'sha512', keyDetails: 'PKIX_ECDSA_P521_SHA_512' },
} as const;
export type CurveName = keyof typeof CURVES;

/** Largest signature bundle we read (real ones are a few KB; keyless ones ~10 KB). */
export const MAX_BUNDLE_BYTES = 16 * 1024 * 1024;
/** Most resources in one statement. */
export const MAX_RESOURCES = 10_000_000;
