/**
 * Text helpers shared by the note, checkpoint and receipt parsers: strict base64 (RFC 4648 §4), canonical
 * decimals, and the C2SP character rules. All input here is attacker-controlled.
 */
import { MvError, decodeBase64Canonical, type ErrorCode } from '../core/index.js';

/** Standard base64 with padding; rejects non-canonical encodings (stray bits, whitespace, URL alphabet). */
export function decodeBase64Strict(s: string, code: ErrorCode, what: string): Uint8Array {
  const bytes = decodeBase64Canonical(s);
  if (!bytes) throw new MvError(code, `${what} is not valid canonical base64`);
  return bytes;
}

export const encodeBase64 = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');

/** ASCII decimal with no leading zeros ("0" alone is allowed), at most 20 digits, as bigint. */
export function parseDecimal(s: string, code: ErrorCode, what: string): bigint {
  if (!/^(?:0|[1-9][0-9]{0,19})$/.test(s)) throw new MvError(code, `${what} is not a canonical decimal`);
  return BigInt(s);
}

/** Narrows a parsed decimal to a safe integer (our trees and indices stay below 2^53). */
export function safeDecimal(s: string, code: ErrorCode, what: string): number {
  const b = parseDecimal(s, code, what);
  if (b > BigInt(Number.MAX_SAFE_INTEGER)) throw new MvError(code, `${what} is too large`);
  return Number(b);
}

const UTF8 = new TextEncoder();
// ignoreBOM keeps a leading U+FEFF as text: the bytes that were signed are exactly the bytes we were given.
const UTF8_STRICT = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export const utf8 = (s: string): Uint8Array => UTF8.encode(s);

/** Accepts a string or bytes; returns well-formed text (no lone surrogates, valid UTF-8) or throws. */
export function asText(input: string | Uint8Array, code: ErrorCode, what: string): string {
  if (typeof input === 'string') {
    // A lone surrogate would be silently replaced by U+FFFD when encoded: reject instead.
    if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(input)) {
      throw new MvError(code, `${what} is not well-formed Unicode`);
    }
    return input;
  }
  if (!(input instanceof Uint8Array)) throw new MvError(code, `${what} must be text`);
  try {
    return UTF8_STRICT.decode(input);
  } catch {
    throw new MvError(code, `${what} is not valid UTF-8`);
  }
}

/** C2SP signed-note: no ASCII control characters other than newline. */
export const hasControlChars = (s: string): boolean => /[\u0000-\u0009\u000b-\u001f]/.test(s);

/** C2SP signed-note key names: non-empty, no Unicode spaces (Go's unicode.IsSpace), no '+'. */
export const isValidKeyName = (s: string): boolean => s.length > 0 && !/[\s\u0085+]/u.test(s) && !hasControlChars(s);
