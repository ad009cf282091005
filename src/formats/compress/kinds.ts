import { startsWith } from '../../core/index.js';

/** Compressed containers we can open (formats.md §2.1, threats.md §6). */
export type CompressionKind = 'zlib' | 'gzip' | 'bz2' | 'xz' | 'lzma' | 'lz4' | 'joblib-zf';

/** joblib ≤ 0.9 `ZF` header: "ZF" + hex length left-justified to len(hex(2**64)) = 19 chars. */
export const ZF_HEADER_BYTES = 2 + 19;

interface KindInfo {
  readonly kind: CompressionKind;
  readonly test: (b: Uint8Array) => boolean;
  readonly doc: string;
}

/** Detection table, in the order joblib uses (`ZF` first, then the compressor prefixes). */
export const COMPRESSION_KINDS: readonly KindInfo[] = [
  { kind: 'joblib-zf', test: (b) => parseZfLength(b) !== undefined, doc: 'joblib ≤ 0.9 ZF container: "ZF", 19-char hex length, zlib stream.' },
  { kind: 'gzip', test: (b) => startsWith(b, [0x1f, 0x8b, 0x08]), doc: 'gzip member (RFC 1952), deflate method.' },
  { kind: 'zlib', test: isZlibHeader, doc: 'zlib stream (RFC 1950) with CMF 0x78 (deflate, 32 KiB window), FCHECK valid, no preset dictionary.' },
  { kind: 'bz2', test: (b) => startsWith(b, [0x42, 0x5a, 0x68]) && b.length > 3 && b[3]! >= 0x31 && b[3]! <= 0x39, doc: '"BZh" + block size digit 1-9.' },
  { kind: 'xz', test: (b) => startsWith(b, [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), doc: 'xz stream header magic.' },
  { kind: 'lzma', test: (b) => startsWith(b, [0x5d, 0x00, 0x00]), doc: 'LZMA "alone" header: properties 0x5D (lc=3 lp=0 pb=2), dictionary size (as Python lzma.FORMAT_ALONE writes).' },
  { kind: 'lz4', test: (b) => startsWith(b, [0x04, 0x22, 0x4d, 0x18]), doc: 'LZ4 frame magic 0x184D2204 (not the legacy or block format).' },
];

/** RFC 1950 §2.2: CMF = 0x78, (CMF·256 + FLG) divisible by 31, FDICT clear. */
export function isZlibHeader(b: Uint8Array): boolean {
  if (b.length < 2 || b[0] !== 0x78) return false;
  return ((b[0] << 8) | b[1]!) % 31 === 0 && (b[1]! & 0x20) === 0;
}

/**
 * Parses a joblib `ZF` header (joblib `numpy_pickle_compat.read_zfile`): returns the declared
 * uncompressed length, or undefined when `b` does not start with a valid header. Python parses the
 * 19 characters with `int(s, 16)`: optional whitespace, optional 0x, hex digits.
 */
export function parseZfLength(b: Uint8Array): number | undefined {
  if (b.length < ZF_HEADER_BYTES || b[0] !== 0x5a || b[1] !== 0x46) return undefined;
  const text = String.fromCharCode(...b.subarray(2, ZF_HEADER_BYTES));
  const m = /^\s*(?:0[xX])?([0-9a-fA-F]{1,16})\s*$/.exec(text);
  if (!m) return undefined;
  const n = Number.parseInt(m[1]!, 16);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** The compression of a stream from its first bytes (at least 21 for ZF), or undefined. */
export function detectCompression(prefix: Uint8Array): CompressionKind | undefined {
  return COMPRESSION_KINDS.find((k) => k.test(prefix))?.kind;
}
