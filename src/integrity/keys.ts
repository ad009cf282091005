import { createHash, createPrivateKey, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { MvError } from '../core/index.js';
import { CURVES, type CurveName } from './constants.js';

/**
 * Key handling. Messages never quote key material: a private key must not reach a log or an error
 * (issue 4 §7), so every failure here names only the kind of problem.
 */

const BY_NODE_NAME: Readonly<Record<string, CurveName>> = Object.fromEntries(
  Object.entries(CURVES).map(([k, v]) => [v.nodeName, k as CurveName]),
);

/** The PEM blocks of `text` with label `label`; human-readable text around them (certtool) is skipped. */
export function pemBlocks(text: string, label: string): string[] {
  const re = new RegExp(`-----BEGIN ${label}-----\\r?\\n[A-Za-z0-9+/=\\r\\n]*?-----END ${label}-----`, 'g');
  return [...text.matchAll(re)].map((m) => `${m[0]}\n`);
}

/** The supported curve of an EC key; SIG_KEY_INVALID for RSA, Ed25519 and other curves (§1.7). */
export function curveOf(key: KeyObject): CurveName {
  const curve = key.asymmetricKeyType === 'ec' ? BY_NODE_NAME[key.asymmetricKeyDetails?.namedCurve ?? ''] : undefined;
  if (!curve) throw new MvError('SIG_KEY_INVALID', 'only elliptic-curve keys on P-256, P-384 or P-521 are supported');
  return curve;
}

/** Parses an EC public key (SPKI PEM, text before the BEGIN line allowed). */
export function parsePublicKeyPem(text: string): KeyObject {
  const block = pemBlocks(text, 'PUBLIC KEY')[0];
  if (!block) throw new MvError('SIG_KEY_INVALID', 'no "PUBLIC KEY" PEM block found');
  let key: KeyObject;
  try {
    key = createPublicKey({ key: block, format: 'pem' });
  } catch {
    throw new MvError('SIG_KEY_INVALID', 'the public key PEM cannot be decoded');
  }
  curveOf(key);
  return key;
}

/**
 * Parses an EC private key: PKCS#8 (plain or encrypted) or SEC1 `EC PRIVATE KEY`. Wrong passphrase
 * and malformed key give the same message, without any key bytes.
 */
export function parsePrivateKeyPem(text: string, passphrase?: string): KeyObject {
  const block =
    pemBlocks(text, 'ENCRYPTED PRIVATE KEY')[0] ?? pemBlocks(text, 'PRIVATE KEY')[0] ?? pemBlocks(text, 'EC PRIVATE KEY')[0];
  if (!block) throw new MvError('SIG_KEY_INVALID', 'no private key PEM block found');
  if (block.includes('ENCRYPTED') && passphrase === undefined) {
    throw new MvError('SIG_KEY_INVALID', 'the private key is encrypted: give a passphrase (--passphrase-env or --passphrase-file)');
  }
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: block, format: 'pem', ...(passphrase !== undefined ? { passphrase } : {}) });
  } catch {
    throw new MvError('SIG_KEY_INVALID', 'the private key cannot be decoded (wrong passphrase or not a key)');
  }
  curveOf(key);
  return key;
}

/** Parses every CERTIFICATE block of a PEM text (bundle of roots or a chain file). */
export function parseCertificatesPem(text: string): X509Certificate[] {
  const blocks = pemBlocks(text, 'CERTIFICATE');
  if (blocks.length === 0) throw new MvError('SIG_KEY_INVALID', 'no CERTIFICATE PEM block found');
  return blocks.map((b, i) => {
    try {
      return new X509Certificate(b);
    } catch {
      throw new MvError('SIG_KEY_INVALID', `certificate ${i + 1} of the PEM file cannot be decoded`);
    }
  });
}

/** SPKI PEM text exactly as the reference re-encodes it (64-char lines, '\n', trailing newline). */
export const spkiPem = (key: KeyObject): string => toPublic(key).export({ type: 'spki', format: 'pem' }).toString();

/** The public half of a key (createPublicKey rejects a KeyObject that is already public). */
export const toPublic = (key: KeyObject): KeyObject => (key.type === 'public' ? key : createPublicKey(key));

/** `publicKey.hint` (§1.7): lowercase hex SHA-256 of the SPKI PEM text, not of the key file. */
export const keyHint = (key: KeyObject): string => createHash('sha256').update(spkiPem(key)).digest('hex');

/** True when two keys (public or private) have the same public half. */
export function samePublicKey(a: KeyObject, b: KeyObject): boolean {
  const da = toPublic(a).export({ type: 'spki', format: 'der' });
  const db = toPublic(b).export({ type: 'spki', format: 'der' });
  return da.equals(db);
}
