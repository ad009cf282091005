/**
 * integrity/: OpenSSF Model Signing (OMS) — pure pieces. Manifests from host-computed digests, the
 * reference resource order, root digest, in-toto statement, DSSE PAE, bundle parse/build, signature
 * verification for the key, certificate and Sigstore keyless methods, and trust policies. Keys, trust
 * roots and times are passed in; no file, clock or network access (see host/ for the I/O side).
 */
export {
  BUNDLE_MEDIA_TYPE,
  CURVES,
  DEFAULT_SHARD_SIZE,
  DEFAULT_SIGNATURE_NAME,
  DSSE_PAYLOAD_TYPE,
  GIT_IGNORE_PATHS,
  HASH_TYPES,
  MAX_BUNDLE_BYTES,
  PREDICATE_TYPE,
  STATEMENT_TYPE,
  isHashType,
  type CurveName,
  type HashType,
} from './constants.js';
export { cmpCodePoints, cmpPosixPath, unsafePathReason, assertSafePath, normalizeIgnorePath, isIgnored } from './paths.js';
export {
  buildManifest,
  rootDigest,
  resourceAlgorithm,
  resourceName,
  parseShardName,
  shardRanges,
  type FileDigest,
  type Manifest,
  type Resource,
  type Serialization,
} from './manifest.js';
export { pae } from './dsse.js';
export { buildStatement, serializeStatement, parseStatement, assertStatementConsistent, type Statement } from './statement.js';
export { parseBundle, buildBundle, writeBundle, type SignatureBundle, type SigningMaterial, type VerificationMaterial } from './bundle.js';
export type { Issue } from './issues.js';
export { pemBlocks, curveOf, parsePublicKeyPem, parsePrivateKeyPem, parseCertificatesPem, spkiPem, keyHint, samePublicKey } from './keys.js';
export {
  verifyDsse,
  verifyKeyBundle,
  verifyChainBundle,
  verifyKeylessBundle,
  verifyCertificatePath,
  certificateIdentities,
  type ChainTrust,
  type KeylessTrust,
  type Signer,
  type SignatureCheck,
} from './verify.js';
export { diffManifests, isCleanDiff, type FileMismatch, type ManifestDiff } from './compare.js';
export {
  TRUST_POLICY_SCHEMA,
  parseTrustPolicy,
  verifyWithPolicy,
  type TrustPolicy,
  type ResolvedTrustPolicy,
  type PolicyCheck,
} from './policy.js';
