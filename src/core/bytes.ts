import { MvError, type ErrorLocation } from './errors.js';
import type { ErrorCode } from './codes.js';

const UTF8_STRICT = new TextDecoder('utf-8', { fatal: true });

/** Decodes UTF-8 or throws `code` (never substitutes U+FFFD silently). */
export function decodeUtf8(bytes: Uint8Array, code: ErrorCode, at: ErrorLocation = {}): string {
  try {
    return UTF8_STRICT.decode(bytes);
  } catch {
    throw new MvError(code, 'invalid UTF-8', at);
  }
}

/** Latin-1: every byte maps to the code point of the same value (TextDecoder('latin1') is windows-1252). */
export function decodeLatin1(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 8192) {
    s += String.fromCharCode(...bytes.subarray(i, i + 8192));
  }
  return s;
}

/** Narrows a bigint (e.g. a u64 length field) to a safe JS integer or throws. */
export function toSafeInt(v: bigint, code: ErrorCode, at: ErrorLocation = {}): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new MvError(code, `integer ${v} is out of range`, at);
  }
  return Number(v);
}

/** Multiplies non-negative integers, throwing when the product is not a safe integer. */
export function mulChecked(values: readonly number[], code: ErrorCode, at: ErrorLocation = {}): number {
  let p = 1;
  for (const v of values) {
    if (!Number.isSafeInteger(v) || v < 0) throw new MvError(code, `invalid dimension ${v}`, at);
    p *= v;
    if (!Number.isSafeInteger(p)) throw new MvError(code, 'size overflows', at);
  }
  return p;
}

/** A DataView over a Uint8Array that respects its byteOffset. */
export const viewOf = (b: Uint8Array): DataView => new DataView(b.buffer, b.byteOffset, b.byteLength);

export const equalBytes = (a: Uint8Array, b: Uint8Array): boolean => {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
};

export const startsWith = (b: Uint8Array, prefix: readonly number[], at = 0): boolean => {
  if (b.length < at + prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (b[at + i] !== prefix[i]) return false;
  return true;
};

/** IEEE 754 binary16 bits → double (exact: every half is a double). */
export function halfToNumber(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

/**
 * Strict standard base64 (RFC 4648 §4, padded): null unless `s` is exactly the canonical encoding of
 * some bytes (no whitespace, URL alphabet, missing padding or stray trailing bits).
 */
export function decodeBase64Canonical(s: unknown): Uint8Array | null {
  if (typeof s !== 'string' || s.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(s)) return null;
  const b = Buffer.from(s, 'base64');
  // Non-canonical trailing bits: re-encoding must give the same text.
  return b.toString('base64') === s ? new Uint8Array(b.buffer, b.byteOffset, b.length) : null;
}

export const toHex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
