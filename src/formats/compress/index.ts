/**
 * Compressed containers (formats.md §2.1, serving.md §6): detection by magic and capped
 * decompression for zlib, gzip, bz2, xz, lzma-alone, lz4 frames and joblib's legacy ZF container.
 *
 * @packageDocumentation
 */
export { detectCompression, isZlibHeader, parseZfLength, COMPRESSION_KINDS, ZF_HEADER_BYTES, type CompressionKind } from './kinds.js';
export { decompress, MAX_LZMA_MEMORY_BYTES } from './decompress.js';
export { OutputCap } from './cap.js';
