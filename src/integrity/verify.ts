import { verify as cryptoVerify, X509Certificate, type KeyObject } from 'node:crypto';
import { createRequire } from 'node:module';
import type * as AsnSchema from '@peculiar/asn1-schema';
import type * as AsnX509 from '@peculiar/asn1-x509';
import type * as SigstoreBundle from '@sigstore/bundle';
import type * as ProtobufSpecs from '@sigstore/protobuf-specs';
import type * as SigstoreVerify from '@sigstore/verify';
import { MvError } from '../core/index.js';
import type { SignatureBundle } from './bundle.js';
import { CURVES, type CurveName } from './constants.js';
import { pae } from './dsse.js';
import { curveOf, keyHint, parsePublicKeyPem, samePublicKey } from './keys.js';

// The ASN.1 and Sigstore libraries (several hundred CommonJS modules) are loaded on first use, so that
// commands which never check a certificate chain or a keyless bundle (scan, key verification) start fast.
const require = createRequire(import.meta.url);
let asn1: { AsnConvert: typeof AsnSchema.AsnConvert; asn: typeof AsnX509 } | undefined;
const loadAsn1 = () => (asn1 ??= { AsnConvert: (require('@peculiar/asn1-schema') as typeof AsnSchema).AsnConvert, asn: require('@peculiar/asn1-x509') as typeof AsnX509 });
let sigstore: { bundleFromJSON: typeof SigstoreBundle.bundleFromJSON; TrustedRoot: typeof ProtobufSpecs.TrustedRoot; v: typeof SigstoreVerify } | undefined;
const loadSigstore = () => (sigstore ??= {
  bundleFromJSON: (require('@sigstore/bundle') as typeof SigstoreBundle).bundleFromJSON,
  TrustedRoot: (require('@sigstore/protobuf-specs') as typeof ProtobufSpecs).TrustedRoot,
  v: require('@sigstore/verify') as typeof SigstoreVerify,
});

/** Who signed a verified bundle. */
export type Signer =
  | { readonly kind: 'key'; readonly hint: string; readonly curve: CurveName }
  | {
      readonly kind: 'certificate';
      readonly subject: string;
      readonly issuer: string;
      readonly serial: string;
      readonly fingerprint256: string;
      readonly curve: CurveName;
      /** Subject of the trust anchor the chain reached. */
      readonly anchor: string;
      /** ISO time the chain was validated at. */
      readonly validatedAt: string;
    }
  | { readonly kind: 'sigstore'; readonly identity: string; readonly issuer: string; readonly fingerprint256: string };

/** Result of a signature check: the signer plus non-fatal warnings. */
export interface SignatureCheck {
  readonly signer: Signer;
  readonly warnings: readonly string[];
}

/** ECDSA over PAE with the curve's hash (trap 2): SIG_INVALID when it does not verify. */
export function verifyDsse(bundle: SignatureBundle, key: KeyObject): void {
  const hash = CURVES[curveOf(key)].hash;
  let ok = false;
  try {
    ok = cryptoVerify(hash, pae(bundle.payloadType, bundle.payload), { key, dsaEncoding: 'der' }, bundle.signature);
  } catch {
    ok = false;
  }
  if (!ok) throw new MvError('SIG_INVALID', `the DSSE signature does not verify with the given key (ECDSA ${hash})`, { path: ['dsseEnvelope', 'signatures', 0] });
}

/**
 * Key method (§1.7 (1)): a hint that differs from the given key's ⇒ SIG_KEY_MISMATCH; v1.0 `rawBytes`
 * naming another key ⇒ SIG_KEY_MISMATCH; neither ⇒ warning only; then the DSSE signature.
 */
export function verifyKeyBundle(bundle: SignatureBundle, key: KeyObject): SignatureCheck {
  const m = bundle.material;
  if (m.kind !== 'publicKey') {
    throw new MvError('SIG_KEY_MISMATCH', `the bundle is signed with ${m.kind === 'chain' ? 'a certificate chain' : 'a Sigstore certificate'}, not a bare public key`);
  }
  const warnings: string[] = [];
  const hint = keyHint(key);
  const curve = curveOf(key);
  if (m.hint !== null && m.hint !== hint) {
    throw new MvError('SIG_KEY_MISMATCH', "the public key hash in the signature's verification material does not match the given public key", {
      path: ['verificationMaterial', 'publicKey', 'hint'],
    });
  }
  if (m.rawPem !== null) {
    let embedded: KeyObject;
    try {
      embedded = parsePublicKeyPem(m.rawPem);
    } catch {
      throw new MvError('SIG_BUNDLE_INVALID', 'verificationMaterial.publicKey.rawBytes is not an EC public key PEM', { path: ['verificationMaterial', 'publicKey', 'rawBytes'] });
    }
    if (!samePublicKey(embedded, key)) {
      throw new MvError('SIG_KEY_MISMATCH', 'the public key in the verification material is not the given public key', { path: ['verificationMaterial', 'publicKey', 'rawBytes'] });
    }
  }
  if (m.hint === null && m.rawPem === null) warnings.push('the bundle does not name its key (no publicKey.hint); only the signature check binds it to the given key');
  verifyDsse(bundle, key);
  return { signer: { kind: 'key', hint, curve }, warnings };
}

// ── certificate chains (§3) ────────────────────────────────────────────────────────────────────

/** Trust input of the certificate method. */
export interface ChainTrust {
  /** Trust anchors: matched by key and signature, never by name. */
  readonly roots: readonly X509Certificate[];
  /** Extra intermediates to build the path with (beside those in the bundle). */
  readonly intermediates?: readonly X509Certificate[];
  /** Required leaf identity: full subject DN, CN or a subjectAltName value. */
  readonly identity?: string;
  /** Validation time; default the leaf's notBefore (no trusted timestamp in these bundles, §1.10). */
  readonly at?: Date;
  /** When set, also require every certificate to be valid at this time (e.g. now). */
  readonly requireValidAt?: Date;
}

const OID_CODE_SIGNING = '1.3.6.1.5.5.7.3.3';
const MAX_PATH = 10;

interface CertInfo {
  readonly cert: X509Certificate;
  readonly notBefore: number;
  readonly notAfter: number;
  readonly ca: boolean;
  readonly pathLen: number | undefined;
  readonly keyUsage: readonly string[] | null;
  readonly extKeyUsage: readonly string[] | null;
}

/** Node exposes neither KeyUsage bits nor path-length constraints (§3.4): read them with asn1-x509. */
function certInfo(cert: X509Certificate): CertInfo {
  const { AsnConvert, asn } = loadAsn1();
  let c: AsnX509.Certificate;
  try {
    c = AsnConvert.parse(cert.raw, asn.Certificate);
  } catch {
    throw new MvError('SIG_BUNDLE_INVALID', `certificate ${cert.subject.replace(/\n/g, ', ')} cannot be decoded`);
  }
  let ca = false;
  let pathLen: number | undefined;
  let keyUsage: string[] | null = null;
  let extKeyUsage: string[] | null = null;
  for (const e of c.tbsCertificate.extensions ?? []) {
    try {
      if (e.extnID === asn.id_ce_basicConstraints) {
        const b = AsnConvert.parse(e.extnValue, asn.BasicConstraints);
        ca = b.cA;
        pathLen = b.pathLenConstraint;
      } else if (e.extnID === asn.id_ce_keyUsage) {
        keyUsage = AsnConvert.parse(e.extnValue, asn.KeyUsage).toJSON();
      } else if (e.extnID === asn.id_ce_extKeyUsage) {
        extKeyUsage = [...AsnConvert.parse(e.extnValue, asn.ExtendedKeyUsage)];
      }
    } catch {
      throw new MvError('SIG_CHAIN_INVALID', `certificate ${cert.subject.replace(/\n/g, ', ')} has a malformed extension ${e.extnID}`);
    }
  }
  const v = c.tbsCertificate.validity;
  return { cert, notBefore: v.notBefore.getTime().getTime(), notAfter: v.notAfter.getTime().getTime(), ca, pathLen, keyUsage, extKeyUsage };
}

const dn = (c: X509Certificate): string => c.subject.replace(/\n/g, ', ');

function assertValidAt(info: CertInfo, t: Date, what: string): void {
  const ms = t.getTime();
  if (ms < info.notBefore || ms > info.notAfter) {
    throw new MvError('SIG_CHAIN_INVALID', `certificate ${dn(info.cert)} is not valid at ${what} ${t.toISOString()}`);
  }
}

function issuedBy(child: X509Certificate, issuer: X509Certificate): boolean {
  try {
    return child.checkIssued(issuer) && child.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

/** Identity strings of a leaf: subject DN, its CN, and each subjectAltName value. */
export function certificateIdentities(cert: X509Certificate): string[] {
  const ids = [dn(cert)];
  const cn = /(?:^|\n)CN=([^\n]*)/.exec(cert.subject)?.[1];
  if (cn) ids.push(cn);
  for (const part of (cert.subjectAltName ?? '').split(', ')) {
    const m = /^(?:email|DNS|URI|IP Address):(.*)$/.exec(part);
    if (m) ids.push(m[1]!);
  }
  return ids;
}

/**
 * Builds and checks the path leaf → intermediates → one of `roots`: every link by issuer name AND
 * signature, issuers must be CAs within their path-length constraint, every certificate valid at the
 * validation time; the anchor is accepted only by signature or identical DER. Returns the path.
 */
export function verifyCertificatePath(leaf: X509Certificate, pool: readonly X509Certificate[], trust: ChainTrust, at: Date): CertInfo[] {
  const isRoot = (c: X509Certificate) => trust.roots.some((r) => r.raw.equals(c.raw));
  const path: CertInfo[] = [certInfo(leaf)];
  const used = new Set<string>([leaf.fingerprint256]);
  for (;;) {
    const current = path[path.length - 1]!.cert;
    if (isRoot(current)) break; // the anchor itself is in the chain (identical DER)
    const root = trust.roots.find((r) => issuedBy(current, r));
    const next = root ?? pool.find((c) => !used.has(c.fingerprint256) && issuedBy(current, c));
    if (!next) {
      throw new MvError('SIG_CHAIN_INVALID', `unable to get local issuer certificate: no trusted root or intermediate signed ${dn(current)}`);
    }
    const info = certInfo(next);
    if (!info.ca) throw new MvError('SIG_CHAIN_INVALID', `issuer ${dn(next)} is not a CA certificate`);
    const below = path.length - 1; // intermediates between this issuer and the leaf
    if (info.pathLen !== undefined && below > info.pathLen) {
      throw new MvError('SIG_CHAIN_INVALID', `issuer ${dn(next)} allows ${info.pathLen} intermediates below it, the path has ${below}`);
    }
    path.push(info);
    used.add(next.fingerprint256);
    if (root) break;
    if (path.length > MAX_PATH) throw new MvError('SIG_CHAIN_INVALID', `certificate path longer than ${MAX_PATH}`);
  }
  for (const info of path) {
    assertValidAt(info, at, 'signing time');
    if (trust.requireValidAt) assertValidAt(info, trust.requireValidAt, 'the required time');
  }
  return path;
}

/**
 * Certificate method (§1.7 (2), §3): chain to a configured root, code-signing usage on the leaf
 * (KeyUsage digitalSignature, else ExtendedKeyUsage codeSigning), optional identity, then the DSSE
 * signature with the leaf key and its curve's hash.
 */
export function verifyChainBundle(bundle: SignatureBundle, trust: ChainTrust): SignatureCheck {
  const m = bundle.material;
  if (m.kind !== 'chain') {
    throw new MvError('SIG_KEY_MISMATCH', `the bundle is signed with ${m.kind === 'publicKey' ? 'a bare public key' : 'a Sigstore certificate'}, not a certificate chain`);
  }
  if (trust.roots.length === 0) throw new MvError('USAGE_INVALID', 'no trusted root certificate given');
  const certs = m.certificates.map((der, i) => {
    try {
      return new X509Certificate(der);
    } catch {
      throw new MvError('SIG_BUNDLE_INVALID', `certificate ${i} of the bundle cannot be decoded`, { path: ['verificationMaterial', 'x509CertificateChain', 'certificates', i] });
    }
  });
  const leaf = certs[0]!;
  let curve: CurveName;
  try {
    curve = curveOf(leaf.publicKey);
  } catch {
    throw new MvError('SIG_CHAIN_INVALID', 'the signing certificate does not hold a P-256, P-384 or P-521 key');
  }
  const warnings: string[] = [];
  const leafInfo = certInfo(leaf);
  const at = trust.at ?? new Date(leafInfo.notBefore);
  if (!trust.at) warnings.push(`no trusted timestamp: the chain was validated at the leaf's notBefore (${at.toISOString()}); expiry and revocation are not checked`);
  const path = verifyCertificatePath(leaf, [...certs.slice(1), ...(trust.intermediates ?? [])], trust, at);
  const canSign = (leafInfo.keyUsage?.includes('digitalSignature') ?? false) || (leafInfo.extKeyUsage?.includes(OID_CODE_SIGNING) ?? false);
  if (!canSign) throw new MvError('SIG_CHAIN_INVALID', 'the signing certificate cannot be used for signing (no KeyUsage digitalSignature, no ExtendedKeyUsage codeSigning)');
  if (trust.identity !== undefined && !certificateIdentities(leaf).includes(trust.identity)) {
    throw new MvError('SIG_IDENTITY_MISMATCH', `the signing certificate ${dn(leaf)} does not carry the identity ${JSON.stringify(trust.identity)}`);
  }
  verifyDsse(bundle, leaf.publicKey);
  const anchor = path[path.length - 1]!.cert;
  return {
    signer: {
      kind: 'certificate',
      subject: dn(leaf),
      issuer: leaf.issuer.replace(/\n/g, ', '),
      serial: leaf.serialNumber,
      fingerprint256: leaf.fingerprint256,
      curve,
      anchor: dn(anchor),
      validatedAt: at.toISOString(),
    },
    warnings,
  };
}

// ── Sigstore keyless (§2.2, §2.3) ──────────────────────────────────────────────────────────────

/** Trust input of the keyless method: a trusted root (JSON) and the required identity. */
export interface KeylessTrust {
  /** Parsed `trusted_root.json` (Sigstore TrustedRoot, e.g. the seed root of @sigstore/tuf). */
  readonly trustedRoot: unknown;
  /** Certificate subjectAlternativeName (e-mail or URI). */
  readonly identity: string;
  /** OIDC issuer URL (Fulcio extension). */
  readonly issuer: string;
}

/**
 * Keyless method: full Sigstore verification offline with @sigstore/verify (Fulcio chain, SCT, Rekor
 * inclusion, timestamps, DSSE) against the given trusted root and identity policy.
 */
export function verifyKeylessBundle(bundle: SignatureBundle, trust: KeylessTrust): SignatureCheck {
  if (bundle.material.kind !== 'keyless') throw new MvError('SIG_KEY_MISMATCH', 'the bundle is not a Sigstore keyless bundle');
  const { bundleFromJSON, TrustedRoot, v: { PolicyError, toSignedEntity, toTrustMaterial, VerificationError, Verifier } } = loadSigstore();
  let root: ProtobufSpecs.TrustedRoot;
  try {
    root = TrustedRoot.fromJSON(trust.trustedRoot);
    if (!root.certificateAuthorities?.length || !root.tlogs?.length) throw new Error('empty');
  } catch {
    throw new MvError('SIG_POLICY_INVALID', 'the trusted root is not a Sigstore trusted_root.json with CAs and transparency logs');
  }
  let sb: ReturnType<typeof SigstoreBundle.bundleFromJSON>;
  try {
    sb = bundleFromJSON(bundle.json);
  } catch (e) {
    throw new MvError('SIG_BUNDLE_INVALID', `not a valid Sigstore bundle: ${(e as Error).message}`);
  }
  let key: KeyObject;
  try {
    const signer = new Verifier(toTrustMaterial(root)).verify(toSignedEntity(sb), {
      subjectAlternativeName: trust.identity,
      extensions: { issuer: trust.issuer },
    });
    key = signer.key;
  } catch (e) {
    if (e instanceof PolicyError) throw new MvError('SIG_IDENTITY_MISMATCH', `Sigstore identity policy failed: ${e.message}`);
    if (e instanceof VerificationError) {
      const code = e.code === 'SIGNATURE_ERROR' ? 'SIG_INVALID' : 'SIG_CHAIN_INVALID';
      throw new MvError(code, `Sigstore verification failed: ${e.code}: ${e.message}`);
    }
    throw new MvError('SIG_BUNDLE_INVALID', `Sigstore verification failed: ${(e as Error).message}`);
  }
  // Belt and braces: the same DSSE check as the other methods, with the curve's hash.
  verifyDsse(bundle, key);
  const leaf = new X509Certificate(bundle.material.certificate);
  return { signer: { kind: 'sigstore', identity: trust.identity, issuer: trust.issuer, fingerprint256: leaf.fingerprint256 }, warnings: [] };
}
