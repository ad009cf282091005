/**
 * C2SP signed notes (https://c2sp.org/signed-note), Ed25519 (type 0x01) signing and verification, plus
 * verification of ECDSA (type 0x02) notes such as Rekor v1 checkpoints. Keys are passed in; node:crypto
 * signing is computation (no I/O, no randomness: Ed25519 is deterministic).
 */
import { createHash, createPrivateKey, createPublicKey, sign as cryptoSign, verify as cryptoVerify, KeyObject } from 'node:crypto';
import { MvError } from '../core/index.js';
import { asText, decodeBase64Strict, encodeBase64, hasControlChars, isValidKeyName, utf8 } from './text.js';

/** Signature type bytes (signed-note §Signature types). */
export const SIG_TYPE_ED25519 = 0x01;
export const SIG_TYPE_ECDSA = 0x02;

/** Em dash + space that starts every signature line. */
export const SIG_PREFIX = '\u2014 ';

/** We accept at most this many signature lines (the spec requires at least 16) and this many note bytes. */
export const MAX_NOTE_SIGNATURES = 100;
export const MAX_NOTE_BYTES = 1 << 20;

/** PKCS#8 and SPKI DER prefixes around a raw 32-byte Ed25519 seed / public key (RFC 8410). */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** A key that can verify note signatures: the (name, key ID) pair identifies it (signed-note §Signatures). */
export interface NoteVerifier {
  readonly name: string;
  /** uint32 key ID. */
  readonly keyId: number;
  readonly kind: 'ed25519' | 'ecdsa';
  readonly publicKey: KeyObject;
}

/** A signer: key name and an Ed25519 private key (KeyObject or raw 32-byte seed). */
export interface NoteSigner {
  readonly name: string;
  readonly privateKey: KeyObject | Uint8Array;
}

/** One signature line of a verified note. */
export interface NoteSignature {
  readonly name: string;
  readonly keyId: number;
}

/** A note whose text was signed by at least one known key. */
export interface VerifiedNote {
  /** The signed text, including its final newline. */
  readonly text: string;
  /** Signatures that verified against known keys. */
  readonly signatures: readonly NoteSignature[];
  /** Signatures from unknown (name, key ID) pairs, ignored as the spec requires. */
  readonly unknown: readonly NoteSignature[];
}

/** Accepts a KeyObject or a raw 32-byte seed; returns an Ed25519 private KeyObject. */
export function ed25519PrivateKey(key: KeyObject | Uint8Array): KeyObject {
  if (key instanceof KeyObject) {
    if (key.type !== 'private' || key.asymmetricKeyType !== 'ed25519') {
      throw new MvError('AUDIT_KEY_INVALID', 'signing key must be an Ed25519 private key');
    }
    return key;
  }
  if (!(key instanceof Uint8Array) || key.length !== 32) throw new MvError('AUDIT_KEY_INVALID', 'Ed25519 seed must be 32 bytes');
  return createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, key]), format: 'der', type: 'pkcs8' });
}

const PUBLIC_RAW = new WeakMap<KeyObject, Uint8Array>();

/** Raw 32-byte Ed25519 public key of a private or public KeyObject (memoised per KeyObject). */
export function ed25519PublicRaw(key: KeyObject): Uint8Array {
  const cached = PUBLIC_RAW.get(key);
  if (cached) return cached.slice();
  const raw = publicRawUncached(key);
  PUBLIC_RAW.set(key, raw);
  return raw.slice();
}

function publicRawUncached(key: KeyObject): Uint8Array {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  if (pub.asymmetricKeyType !== 'ed25519') throw new MvError('AUDIT_KEY_INVALID', 'not an Ed25519 key');
  const der = pub.export({ format: 'der', type: 'spki' });
  return new Uint8Array(der.subarray(ED25519_SPKI_PREFIX.length));
}

/** Public KeyObject from a raw 32-byte Ed25519 key. */
export function ed25519PublicKey(raw: Uint8Array): KeyObject {
  if (raw.length !== 32) throw new MvError('AUDIT_KEY_INVALID', 'Ed25519 public key must be 32 bytes');
  try {
    return createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
  } catch (e) {
    throw new MvError('AUDIT_KEY_INVALID', 'invalid Ed25519 public key', {}, { cause: e });
  }
}

const u32be = (b: Uint8Array): number => ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;

/** Key ID = SHA-256(name ‖ 0x0A ‖ type ‖ public key)[:4] as big-endian u32 (signed-note §Signatures). */
export function noteKeyId(name: string, type: number, publicKey: Uint8Array): number {
  const h = createHash('sha256').update(utf8(name)).update(new Uint8Array([0x0a, type])).update(publicKey).digest();
  return u32be(h);
}

/** Key ID of an ECDSA (type 0x02) key: SHA-256(DER SPKI)[:4] (signed-note §Signature types; Rekor v1). */
export const ecdsaKeyId = (spkiDer: Uint8Array): number => u32be(createHash('sha256').update(spkiDer).digest());

const hex8 = (id: number): string => id.toString(16).padStart(8, '0');

/** Verifier key text `<name>+<hex key ID>+<base64(0x01 ‖ pub32)>` for an Ed25519 key. */
export function encodeVkey(name: string, key: KeyObject | Uint8Array): string {
  if (!isValidKeyName(name)) throw new MvError('AUDIT_KEY_INVALID', 'invalid key name');
  const pub = key instanceof KeyObject ? ed25519PublicRaw(key) : key;
  if (pub.length !== 32) throw new MvError('AUDIT_KEY_INVALID', 'Ed25519 public key must be 32 bytes');
  const typed = new Uint8Array([SIG_TYPE_ED25519, ...pub]);
  return `${name}+${hex8(noteKeyId(name, SIG_TYPE_ED25519, pub))}+${encodeBase64(typed)}`;
}

/**
 * Parses a vkey, splitting on the first two '+' only (base64 may contain '+'), and checks that the key
 * ID matches the key. Only Ed25519 (type 0x01) vkeys are supported.
 */
export function parseVkey(text: string): NoteVerifier {
  if (typeof text !== 'string' || text.length > 4096) throw new MvError('AUDIT_KEY_INVALID', 'vkey must be a short string');
  const s = text.trim();
  const a = s.indexOf('+');
  const b = a < 0 ? -1 : s.indexOf('+', a + 1);
  if (a < 0 || b < 0) throw new MvError('AUDIT_KEY_INVALID', 'vkey must be name+keyid+key');
  const name = s.slice(0, a);
  const idHex = s.slice(a + 1, b);
  const key = decodeBase64Strict(s.slice(b + 1), 'AUDIT_KEY_INVALID', 'vkey key');
  if (!isValidKeyName(name)) throw new MvError('AUDIT_KEY_INVALID', 'invalid vkey name');
  if (!/^[0-9a-fA-F]{8}$/.test(idHex)) throw new MvError('AUDIT_KEY_INVALID', 'vkey key ID must be 8 hex digits');
  if (key.length !== 33 || key[0] !== SIG_TYPE_ED25519) throw new MvError('AUDIT_KEY_INVALID', 'only Ed25519 (type 0x01) vkeys are supported');
  const raw = key.subarray(1);
  const keyId = parseInt(idHex, 16) >>> 0;
  if (noteKeyId(name, SIG_TYPE_ED25519, raw) !== keyId) throw new MvError('AUDIT_KEY_INVALID', 'vkey key ID does not match its key');
  return { name, keyId, kind: 'ed25519', publicKey: ed25519PublicKey(raw) };
}

/** Verifier for an Ed25519 key given as a KeyObject or raw 32 bytes. */
export function ed25519Verifier(name: string, key: KeyObject | Uint8Array): NoteVerifier {
  return parseVkey(encodeVkey(name, key));
}

/** Verifier for an ECDSA (type 0x02) key, e.g. Rekor v1's P-256 log key, from its DER SPKI. */
export function ecdsaVerifier(name: string, spkiDer: Uint8Array): NoteVerifier {
  if (!isValidKeyName(name)) throw new MvError('AUDIT_KEY_INVALID', 'invalid key name');
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: Buffer.from(spkiDer), format: 'der', type: 'spki' });
  } catch (e) {
    throw new MvError('AUDIT_KEY_INVALID', 'invalid ECDSA public key', {}, { cause: e });
  }
  if (publicKey.asymmetricKeyType !== 'ec') throw new MvError('AUDIT_KEY_INVALID', 'not an EC key');
  return { name, keyId: ecdsaKeyId(spkiDer), kind: 'ecdsa', publicKey };
}

/** Checks note text: non-empty, ends in newline, valid Unicode, no control characters but newline. */
function checkNoteText(text: string): void {
  asText(text, 'AUDIT_NOTE_INVALID', 'note text');
  if (text.length === 0 || !text.endsWith('\n')) throw new MvError('AUDIT_NOTE_INVALID', 'note text must be non-empty and end with a newline');
  if (hasControlChars(text)) throw new MvError('AUDIT_NOTE_INVALID', 'note text contains control characters');
}

/** Signs `text` with an Ed25519 key and returns the signed note (text, blank line, one signature line). */
export function signNote(text: string, signer: NoteSigner): string {
  checkNoteText(text);
  if (!isValidKeyName(signer.name)) throw new MvError('AUDIT_KEY_INVALID', 'invalid key name');
  const priv = ed25519PrivateKey(signer.privateKey);
  const keyId = noteKeyId(signer.name, SIG_TYPE_ED25519, ed25519PublicRaw(priv));
  const sig = cryptoSign(null, utf8(text), priv);
  const blob = new Uint8Array(4 + sig.length);
  new DataView(blob.buffer).setUint32(0, keyId);
  blob.set(sig, 4);
  return `${text}\n${SIG_PREFIX}${signer.name} ${encodeBase64(blob)}\n`;
}

function verifyOne(v: NoteVerifier, text: Uint8Array, sig: Uint8Array): boolean {
  try {
    if (v.kind === 'ed25519') return sig.length === 64 && cryptoVerify(null, text, v.publicKey, sig);
    return cryptoVerify('sha256', text, v.publicKey, sig); // ECDSA: DER signature over SHA-256(text)
  } catch {
    return false; // malformed DER and the like: a failed signature, not a crash
  }
}

/**
 * Opens a signed note (https://c2sp.org/signed-note): ignores signatures from unknown (name, key ID)
 * pairs, rejects the note if a known key's signature fails, and rejects it unless at least one known
 * key signed. Throws AUDIT_NOTE_INVALID (malformed) or AUDIT_NOTE_UNVERIFIED.
 */
export function verifyNote(note: string | Uint8Array, verifiers: readonly NoteVerifier[]): VerifiedNote {
  if (note instanceof Uint8Array && note.length > MAX_NOTE_BYTES) throw new MvError('AUDIT_NOTE_INVALID', 'note is too large');
  const msg = asText(note, 'AUDIT_NOTE_INVALID', 'note');
  if (msg.length > MAX_NOTE_BYTES) throw new MvError('AUDIT_NOTE_INVALID', 'note is too large');
  if (hasControlChars(msg)) throw new MvError('AUDIT_NOTE_INVALID', 'note contains control characters');
  // The text is separated from the signatures by the last blank line.
  const split = msg.lastIndexOf('\n\n');
  if (split < 0) throw new MvError('AUDIT_NOTE_INVALID', 'note has no signature block');
  const text = msg.slice(0, split + 1);
  const sigs = msg.slice(split + 2);
  if (sigs.length === 0 || !sigs.endsWith('\n')) throw new MvError('AUDIT_NOTE_INVALID', 'signature block must end with a newline');
  const lines = sigs.slice(0, -1).split('\n');
  if (lines.length > MAX_NOTE_SIGNATURES) throw new MvError('AUDIT_NOTE_INVALID', `note has more than ${MAX_NOTE_SIGNATURES} signatures`);
  const textBytes = utf8(text);
  const verified: NoteSignature[] = [];
  const unknown: NoteSignature[] = [];
  const seen = new Set<string>();
  for (const [i, line] of lines.entries()) {
    if (!line.startsWith(SIG_PREFIX)) throw new MvError('AUDIT_NOTE_INVALID', 'signature line must start with an em dash', { path: ['signature', i] });
    const rest = line.slice(SIG_PREFIX.length);
    const sp = rest.indexOf(' ');
    const name = sp < 0 ? rest : rest.slice(0, sp);
    const b64 = sp < 0 ? '' : rest.slice(sp + 1);
    if (!isValidKeyName(name) || b64 === '') throw new MvError('AUDIT_NOTE_INVALID', 'malformed signature line', { path: ['signature', i] });
    const blob = decodeBase64Strict(b64, 'AUDIT_NOTE_INVALID', 'signature');
    if (blob.length < 5) throw new MvError('AUDIT_NOTE_INVALID', 'signature is too short', { path: ['signature', i] });
    const keyId = u32be(blob);
    const v = verifiers.find((k) => k.name === name && k.keyId === keyId);
    if (!v) {
      unknown.push({ name, keyId });
      continue;
    }
    const tag = `${name}\n${keyId}`;
    if (seen.has(tag)) continue; // a repeated signature by the same key is checked once
    seen.add(tag);
    if (!verifyOne(v, textBytes, blob.subarray(4))) {
      throw new MvError('AUDIT_NOTE_UNVERIFIED', `signature by known key ${name} does not verify`, { path: ['signature', i] });
    }
    verified.push({ name, keyId });
  }
  if (verified.length === 0) throw new MvError('AUDIT_NOTE_UNVERIFIED', 'no known key signed the note');
  return { text, signatures: verified, unknown };
}
