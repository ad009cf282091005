import { crc32, constants, inflateRawSync } from 'node:zlib';
import { MvError, checkLimit, type ByteSource, type Limits } from '../../core/index.js';
import { ZIP_METHOD, type ZipAnomaly, type ZipMember } from './types.js';

/** Worst-case deflate expansion is 1032:1 (RFC 1951 length/distance codes). */
const DEFLATE_MAX_RATIO = 1032;

const at = (m: ZipMember): { offset: number; path: string[] } => ({ offset: m.dataOffset, path: [m.name] });

/**
 * Returns a member's bytes. Stored: the data as-is (only the first `maxBytes` when given, for
 * sniffing). Deflate: a declared size above `maxDecompressedBytes` or `maxCompressionRatio` ×
 * compressed size is LIMIT_EXCEEDED before anything is inflated; the stream is then inflated with the
 * declared size as `maxOutputLength` (more output: ZIP_SIZE_MISMATCH; corrupt: DECOMPRESS_FAILED). Members whose
 * central flags mark them encrypted are returned as stored, whatever the method, so the caller can
 * sniff them (the corpus hides clear-text pickles under the flag; real ciphertext sniffs as unknown).
 * Other methods: ZIP_UNSUPPORTED_METHOD.
 */
export function readZipMember(src: ByteSource, member: ZipMember, limits: Limits, maxBytes?: number): Uint8Array {
  const cap = maxBytes === undefined ? Infinity : Math.max(0, maxBytes);
  if (member.method === ZIP_METHOD.STORED || member.encrypted) {
    const length = Math.min(member.compressedSize, cap);
    checkLimit('maxInputBytes', length, limits.maxInputBytes, at(member));
    return readExactly(src, member.dataOffset, length, member);
  }
  if (member.method !== ZIP_METHOD.DEFLATE) {
    throw new MvError('ZIP_UNSUPPORTED_METHOD', `compression method ${member.method} is not supported`, { offset: member.centralOffset + 10, path: [member.name] });
  }
  checkLimit('maxInputBytes', member.compressedSize, limits.maxInputBytes, at(member));
  if (cap !== Infinity) return inflatePrefix(src, member, cap);
  // The declared size bounds the output: loaders never return more than it (miniz extracts into a
  // buffer of that size, zipfile stops there), so memory is bounded by a size that passed the caps.
  const byRatio = Math.floor(Math.max(1, member.compressedSize) * limits.maxCompressionRatio);
  const [max, limit] = byRatio < limits.maxDecompressedBytes ? [byRatio, 'maxCompressionRatio'] : [limits.maxDecompressedBytes, 'maxDecompressedBytes'];
  if (member.uncompressedSize > max) {
    throw new MvError('LIMIT_EXCEEDED', `${limit} limit exceeded: ${member.name} declares ${member.uncompressedSize} bytes`, { ...at(member), limit, actual: member.uncompressedSize });
  }
  const input = readExactly(src, member.dataOffset, member.compressedSize, member);
  return inflateDeclared(input, member);
}

function readExactly(src: ByteSource, offset: number, length: number, member: ZipMember): Uint8Array {
  const bytes = src.read(offset, length);
  if (bytes.length !== length) throw new MvError('ZIP_INVALID', 'member data is truncated', at(member));
  return bytes;
}

function inflateDeclared(input: Uint8Array, member: ZipMember): Uint8Array {
  let out: Buffer;
  try {
    out = inflateRawSync(input, { maxOutputLength: Math.max(1, member.uncompressedSize) });
  } catch (e) {
    if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new MvError('ZIP_SIZE_MISMATCH', `${member.name} inflates to more than its declared ${member.uncompressedSize} bytes`, at(member), { cause: e });
    }
    throw new MvError('DECOMPRESS_FAILED', `deflate stream of ${member.name} is corrupt: ${(e as Error).message}`, at(member), { cause: e });
  }
  if (out.length > member.uncompressedSize) throw new MvError('ZIP_SIZE_MISMATCH', `${member.name} inflates to more than its declared ${member.uncompressedSize} bytes`, at(member));
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

/** The first `maxBytes` of a deflated member, inflating only a compressed prefix (sync flush tolerates the cut). */
function inflatePrefix(src: ByteSource, member: ZipMember, maxBytes: number): Uint8Array {
  // Stored deflate blocks add 5 bytes per 64 KiB, so maxBytes + slack compressed bytes yield ≥ maxBytes.
  const inputLength = Math.min(member.compressedSize, maxBytes + 64 + Math.ceil(maxBytes / 65535) * 5);
  const input = readExactly(src, member.dataOffset, inputLength, member);
  try {
    const out = inflateRawSync(input, { finishFlush: constants.Z_SYNC_FLUSH, maxOutputLength: Math.max(1, inputLength * DEFLATE_MAX_RATIO) });
    return new Uint8Array(out.buffer, out.byteOffset, Math.min(out.length, maxBytes));
  } catch (e) {
    throw new MvError('DECOMPRESS_FAILED', `deflate stream of ${member.name} is corrupt: ${(e as Error).message}`, at(member), { cause: e });
  }
}

/**
 * Compares the CRC-32 of a member's full bytes (not a `maxBytes` prefix) with the central directory. A mismatch is an
 * anomaly, never an error: torch ignores CRCs, so the bytes are scanned anyway (threats.md §5).
 * Encrypted members are not checked (their stored bytes are ciphertext plus a header).
 */
export function checkZipCrc(member: ZipMember, bytes: Uint8Array): ZipAnomaly | undefined {
  if (member.encrypted) return undefined;
  const actual = crc32(bytes) >>> 0;
  if (actual === member.crc32 >>> 0) return undefined;
  return {
    code: 'ZIP_CRC_MISMATCH',
    message: `CRC-32 is ${hex8(actual)}, central directory says ${hex8(member.crc32)}`,
    offset: member.centralOffset + 16,
  };
}

const hex8 = (n: number): string => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;
