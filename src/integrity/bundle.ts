import { MvError, decodeBase64Canonical, decodeUtf8 } from '../core/index.js';
import { BUNDLE_MEDIA_TYPE, DSSE_PAYLOAD_TYPE, MAX_BUNDLE_BYTES } from './constants.js';
import { IssueList, isRecord } from './issues.js';

/** How the signer is identified (../shared/spec/signing.md §1.7). */
export type VerificationMaterial =
  | {
      readonly kind: 'publicKey';
      /** Lowercase hex SHA-256 of the SPKI PEM (v1.1); null when absent. */
      readonly hint: string | null;
      /** v1.0 material: the signer's public key PEM text; null when absent. */
      readonly rawPem: string | null;
    }
  | { readonly kind: 'chain'; /** DER certificates, leaf first. */ readonly certificates: readonly Uint8Array[] }
  | { readonly kind: 'keyless'; /** DER Fulcio leaf. */ readonly certificate: Uint8Array };

/** A parsed OMS signature bundle, valid by construction. */
export interface SignatureBundle {
  readonly mediaType: string;
  readonly material: VerificationMaterial;
  readonly payloadType: string;
  /** The exact signed payload bytes (the statement is parsed from these, never re-serialised). */
  readonly payload: Uint8Array;
  /** DER ECDSA signature of `signatures[0]` (only the first is used, as the reference does). */
  readonly signature: Uint8Array;
  /** The bundle JSON as read; keyless verification hands it to @sigstore/bundle. */
  readonly json: Readonly<Record<string, unknown>>;
}

const MAX_CHAIN = 10;

function parseMaterial(vm: unknown, issues: IssueList): VerificationMaterial | null {
  const at = ['verificationMaterial'];
  if (!isRecord(vm)) {
    issues.add(at, 'missing or not an object');
    return null;
  }
  const kinds = ['publicKey', 'x509CertificateChain', 'certificate'].filter((k) => vm[k] !== undefined);
  if (kinds.length !== 1) {
    issues.add(at, `needs exactly one of publicKey, x509CertificateChain, certificate (found ${kinds.length ? kinds.join(', ') : 'none'})`);
    return null;
  }
  if (vm.tlogEntries !== undefined && !Array.isArray(vm.tlogEntries)) issues.add([...at, 'tlogEntries'], 'not an array');
  const kind = kinds[0]!;
  if (kind === 'publicKey') {
    const pk = vm.publicKey;
    if (!isRecord(pk)) {
      issues.add([...at, 'publicKey'], 'not an object');
      return null;
    }
    let hint: string | null = null;
    if (pk.hint !== undefined && pk.hint !== null && pk.hint !== '') {
      if (typeof pk.hint !== 'string' || !/^[0-9a-f]{64}$/.test(pk.hint)) issues.add([...at, 'publicKey', 'hint'], 'not 64 lowercase hex digits');
      else hint = pk.hint;
    }
    let rawPem: string | null = null;
    if (pk.rawBytes !== undefined) {
      const raw = decodeBase64Canonical(pk.rawBytes);
      if (!raw) issues.add([...at, 'publicKey', 'rawBytes'], 'not standard base64');
      else {
        try {
          rawPem = decodeUtf8(raw, 'SIG_BUNDLE_INVALID');
        } catch {
          issues.add([...at, 'publicKey', 'rawBytes'], 'not a UTF-8 PEM text');
        }
      }
    }
    return { kind: 'publicKey', hint, rawPem };
  }
  if (kind === 'x509CertificateChain') {
    const certs = isRecord(vm.x509CertificateChain) ? vm.x509CertificateChain.certificates : undefined;
    if (!Array.isArray(certs) || certs.length === 0 || certs.length > MAX_CHAIN) {
      issues.add([...at, 'x509CertificateChain', 'certificates'], `needs 1 to ${MAX_CHAIN} certificates`);
      return null;
    }
    const out: Uint8Array[] = [];
    certs.forEach((c, i) => {
      const der = isRecord(c) ? decodeBase64Canonical(c.rawBytes) : null;
      if (!der || der.length === 0) issues.add([...at, 'x509CertificateChain', 'certificates', i, 'rawBytes'], 'missing or not standard base64');
      else out.push(der);
    });
    return { kind: 'chain', certificates: out };
  }
  const der = isRecord(vm.certificate) ? decodeBase64Canonical(vm.certificate.rawBytes) : null;
  if (!der || der.length === 0) {
    issues.add([...at, 'certificate', 'rawBytes'], 'missing or not standard base64');
    return null;
  }
  if (!Array.isArray(vm.tlogEntries) || vm.tlogEntries.length === 0) issues.add([...at, 'tlogEntries'], 'a keyless bundle needs a transparency-log entry');
  return { kind: 'keyless', certificate: der };
}

/**
 * Parses an OMS bundle (attacker-controlled bytes): size cap, strict UTF-8 JSON, the v0.3 bundle media
 * type, one kind of verification material, a DSSE envelope with the in-toto payload type and at least
 * one signature. Collects every bad field, then throws SIG_BUNDLE_INVALID.
 */
export function parseBundle(bytes: Uint8Array): SignatureBundle {
  if (bytes.length > MAX_BUNDLE_BYTES) {
    throw new MvError('LIMIT_EXCEEDED', `signature bundle is larger than ${MAX_BUNDLE_BYTES} bytes`, {
      limit: 'maxBundleBytes',
      actual: bytes.length,
    });
  }
  let v: unknown;
  try {
    v = JSON.parse(decodeUtf8(bytes, 'SIG_BUNDLE_INVALID'));
  } catch {
    throw new MvError('SIG_BUNDLE_INVALID', 'the signature bundle is not UTF-8 JSON');
  }
  if (!isRecord(v)) throw new MvError('SIG_BUNDLE_INVALID', 'the signature bundle is not a JSON object');
  const issues = new IssueList();
  if (v.mediaType !== BUNDLE_MEDIA_TYPE) issues.add(['mediaType'], `unknown media type ${JSON.stringify(v.mediaType)} (expected ${BUNDLE_MEDIA_TYPE})`);
  const material = parseMaterial(v.verificationMaterial, issues);
  const env = v.dsseEnvelope;
  let payload: Uint8Array | null = null;
  let signature: Uint8Array | null = null;
  let payloadType = '';
  if (!isRecord(env)) {
    issues.add(['dsseEnvelope'], v.messageSignature !== undefined ? 'message-signature bundles are not model signatures' : 'missing or not an object');
  } else {
    if (env.payloadType !== DSSE_PAYLOAD_TYPE) issues.add(['dsseEnvelope', 'payloadType'], `unknown payload type ${JSON.stringify(env.payloadType)} (expected ${DSSE_PAYLOAD_TYPE})`);
    else payloadType = env.payloadType;
    payload = decodeBase64Canonical(env.payload);
    if (!payload || payload.length === 0) issues.add(['dsseEnvelope', 'payload'], 'missing or not standard base64');
    const sigs = env.signatures;
    if (!Array.isArray(sigs) || sigs.length === 0) issues.add(['dsseEnvelope', 'signatures'], 'needs at least one signature');
    else {
      const s0 = sigs[0];
      signature = isRecord(s0) ? decodeBase64Canonical(s0.sig) : null;
      if (!signature || signature.length === 0) issues.add(['dsseEnvelope', 'signatures', 0, 'sig'], 'missing or not standard base64');
      // keyid: absent, "", null or a string are all accepted and never trusted (§1.6).
      if (isRecord(s0) && s0.keyid !== undefined && s0.keyid !== null && typeof s0.keyid !== 'string') {
        issues.add(['dsseEnvelope', 'signatures', 0, 'keyid'], 'not a string');
      }
    }
  }
  issues.throwIfAny('SIG_BUNDLE_INVALID', 'invalid signature bundle');
  return { mediaType: BUNDLE_MEDIA_TYPE, material: material!, payloadType, payload: payload!, signature: signature!, json: v };
}

/** Material our signer writes: key hint, or leaf + intermediates. */
export type SigningMaterial =
  | { readonly kind: 'publicKey'; readonly hint: string }
  | { readonly kind: 'chain'; readonly certificates: readonly Uint8Array[] };

/** Builds the bundle JSON object for a signed payload (§1.7 shapes (1) and (2)). */
export function buildBundle(payload: Uint8Array, signature: Uint8Array, material: SigningMaterial): Record<string, unknown> {
  const verificationMaterial =
    material.kind === 'publicKey'
      ? { publicKey: { hint: material.hint }, tlogEntries: [] }
      : {
          x509CertificateChain: { certificates: material.certificates.map((c) => ({ rawBytes: Buffer.from(c).toString('base64') })) },
          tlogEntries: [],
        };
  return {
    mediaType: BUNDLE_MEDIA_TYPE,
    verificationMaterial,
    dsseEnvelope: {
      payload: Buffer.from(payload).toString('base64'),
      payloadType: DSSE_PAYLOAD_TYPE,
      signatures: [{ sig: Buffer.from(signature).toString('base64'), keyid: '' }],
    },
  };
}

/** Bundle file bytes: JSON, no trailing newline (the reference writes none either). */
export const writeBundle = (bundle: Record<string, unknown>): Uint8Array => Buffer.from(JSON.stringify(bundle), 'utf8');
