import { createGunzip, createInflate, type Gunzip, type Inflate } from 'node:zlib';
import { MvError, assertNever, type Limits } from '../../core/index.js';
import { OutputCap } from './cap.js';
import { ZF_HEADER_BYTES, parseZfLength, type CompressionKind } from './kinds.js';
import { decodeLz4Frames } from './lz4.js';
import { decodeBz2 } from './bz2.js';
import { runCapped, type StreamDecoder } from './stream.js';

/** Output chunk of the zlib streams (the 16 KiB default makes a 1 GB stream 65 536 events). */
const ZLIB_CHUNK_BYTES = 1 << 20;

/** liblzma decoder memory cap (preset 9 needs 65 MiB; a hostile dictionary size is refused). */
export const MAX_LZMA_MEMORY_BYTES = 256 * 1024 * 1024;

const corrupt = (kind: string) => (e: Error): MvError =>
  new MvError('DECOMPRESS_FAILED', `${kind} stream is corrupt: ${e.message}`, { offset: 0 }, { cause: e });

/**
 * Decompresses a whole stream of `kind` with caps: output above `maxDecompressedBytes`, or above
 * `maxCompressionRatio` × the compressed bytes consumed so far, raises LIMIT_EXCEEDED as soon as it
 * happens (a 1 GB gzip of zeros stops after ~64 MB); corrupt or truncated data raises
 * DECOMPRESS_FAILED. zstd, 7z and rar are not decompressed (the sniffer reports them unsupported).
 * Only the xz/lzma decoder (liblzma, native) is loaded lazily, on first use.
 */
export async function decompress(kind: CompressionKind, bytes: Uint8Array, limits: Limits): Promise<Uint8Array> {
  const cap = OutputCap.of(kind, limits);
  switch (kind) {
    case 'gzip':
      return runCapped(() => zlibDecoder(createGunzip({ chunkSize: ZLIB_CHUNK_BYTES })), bytes, cap, corrupt(kind));
    case 'zlib':
      return runCapped(() => zlibDecoder(createInflate({ chunkSize: ZLIB_CHUNK_BYTES })), bytes, cap, corrupt(kind));
    case 'joblib-zf':
      return decodeZf(bytes, cap);
    case 'bz2':
      return decodeBz2(bytes, cap);
    case 'lz4':
      return decodeLz4Frames(bytes, cap);
    case 'xz':
    case 'lzma':
      return decodeLzma(kind, bytes, cap);
    default:
      return assertNever(kind, 'compression kind');
  }
}

/** node:zlib reports the compressed bytes it consumed in `bytesWritten` (trailing data excluded). */
const zlibDecoder = (stream: Gunzip | Inflate): StreamDecoder => ({ stream, consumed: () => stream.bytesWritten });

/** joblib `read_zfile`: header, an optional py2 space, then zlib; the output must match the declared length. */
async function decodeZf(bytes: Uint8Array, cap: OutputCap): Promise<Uint8Array> {
  const declared = parseZfLength(bytes);
  if (declared === undefined) throw new MvError('DECOMPRESS_FAILED', 'invalid joblib ZF header', { offset: 0 });
  const start = bytes[ZF_HEADER_BYTES] === 0x20 ? ZF_HEADER_BYTES + 1 : ZF_HEADER_BYTES;
  const body = bytes.subarray(start);
  cap.check(declared, body.length);
  // read_zfile calls zlib.decompress once: one stream, trailing bytes ignored.
  const out = await runCapped(() => zlibDecoder(createInflate({ chunkSize: ZLIB_CHUNK_BYTES })), body, cap, corrupt('joblib-zf'), { single: true });
  if (out.length !== declared) throw new MvError('DECOMPRESS_FAILED', `ZF stream is ${out.length} bytes, header says ${declared}`, { offset: 2 });
  return out;
}

/** xz / lzma-alone through liblzma (native addon, imported only when such a stream is met). */
async function decodeLzma(kind: 'xz' | 'lzma', bytes: Uint8Array, cap: OutputCap): Promise<Uint8Array> {
  const lzma = (await import('lzma-native')).default;
  const open = (): StreamDecoder => {
    const stream = kind === 'xz'
      ? lzma.createStream('streamDecoder', { memlimit: MAX_LZMA_MEMORY_BYTES })
      : lzma.createStream('aloneDecoder', { memlimit: MAX_LZMA_MEMORY_BYTES });
    return { stream, consumed: () => stream.totalIn() };
  };
  // liblzma's xz stream decoder as lzma-native sets it up reads concatenated .xz streams itself (its
  // totalIn then covers only part of the input), the .lzma alone decoder stops after one stream.
  return runCapped(open, bytes, cap, (e) =>
    e.name === 'LZMA_MEMLIMIT_ERROR' || e.name === 'LZMA_MEM_ERROR'
      ? new MvError('LIMIT_EXCEEDED', `${kind} stream needs more than ${MAX_LZMA_MEMORY_BYTES} bytes of decoder memory`, { limit: 'lzmaDecoderMemory', actual: MAX_LZMA_MEMORY_BYTES + 1 }, { cause: e })
      : corrupt(kind)(e), { single: kind === 'xz' });
}
