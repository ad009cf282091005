import xxh32 from 'lz4js/xxh32.js';
import { MvError, viewOf } from '../../core/index.js';
import type { OutputCap } from './cap.js';

// LZ4 frame format 1.6.x (lz4/lz4 doc/lz4_Frame_format.md, lz4_Block_format.md). lz4js's decoder
// trusts every length (its frame walker allocates from the declared content size, its block decoder
// reads past the input and turns bad match offsets into zeros), so frames and blocks are decoded here
// with every bound checked; lz4js supplies the xxHash32 used by the frame checksums.
const MAGIC = 0x184d2204;
const SKIPPABLE_MASK = 0xfffffff0;
const SKIPPABLE = 0x184d2a50;
const BLOCK_MAX: Readonly<Record<number, number>> = { 4: 64 << 10, 5: 256 << 10, 6: 1 << 20, 7: 4 << 20 };

const corrupt = (message: string, offset: number): MvError => new MvError('DECOMPRESS_FAILED', `lz4 frame: ${message}`, { offset });

/** A growable output buffer that never grows past cap + one block. */
class Output {
  buf = new Uint8Array(1 << 16);
  length = 0;
  constructor(readonly cap: OutputCap) {}
  reserve(extra: number): void {
    const need = this.length + extra;
    if (need <= this.buf.length) return;
    const grown = new Uint8Array(Math.max(need, Math.min(this.buf.length * 2, this.cap.maxBytes + extra)));
    grown.set(this.buf.subarray(0, this.length));
    this.buf = grown;
  }
}

/** Decodes one or more concatenated LZ4 frames (skippable frames skipped), with checksums verified. */
export function decodeLz4Frames(src: Uint8Array, cap: OutputCap): Uint8Array {
  const out = new Output(cap);
  let p = 0;
  do p = decodeFrame(src, p, out);
  while (p < src.length);
  return out.buf.subarray(0, out.length);
}

function u32(src: Uint8Array, p: number): number {
  if (p + 4 > src.length) throw corrupt('truncated', src.length);
  return viewOf(src).getUint32(p, true);
}

function decodeFrame(src: Uint8Array, start: number, out: Output): number {
  const magic = u32(src, start);
  if ((magic & SKIPPABLE_MASK) >>> 0 === SKIPPABLE) {
    const end = start + 8 + u32(src, start + 4);
    if (end > src.length) throw corrupt('skippable frame runs past the input', start + 4);
    return end;
  }
  if (magic !== MAGIC) throw corrupt('bad magic', start);
  let p = start + 4;
  if (p + 3 > src.length) throw corrupt('truncated descriptor', p);
  const flg = src[p]!;
  const bd = src[p + 1]!;
  if (flg >> 6 !== 1 || (flg & 0x02) !== 0) throw corrupt('unsupported version or reserved flag', p);
  if ((bd & 0x8f) !== 0 || BLOCK_MAX[(bd >> 4) & 7] === undefined) throw corrupt('invalid block descriptor', p + 1);
  if (flg & 0x01) throw corrupt('dictionary IDs are not supported', p);
  const blockMax = BLOCK_MAX[(bd >> 4) & 7]!;
  const blockSum = (flg & 0x10) !== 0;
  const independent = (flg & 0x20) !== 0;
  const contentSum = (flg & 0x04) !== 0;
  const descEnd = p + 2 + (flg & 0x08 ? 8 : 0);
  if (descEnd + 1 > src.length) throw corrupt('truncated descriptor', p);
  const hc = (xxh32.hash(0, src, p, descEnd - p) >>> 8) & 0xff;
  if (src[descEnd] !== hc) throw corrupt('descriptor checksum mismatch', descEnd);
  p = descEnd + 1;
  const contentStart = out.length;
  for (;;) {
    const word = u32(src, p);
    p += 4;
    if (word === 0) break;
    const stored = (word & 0x80000000) !== 0;
    const size = word & 0x7fffffff;
    if (size > blockMax || p + size + (blockSum ? 4 : 0) > src.length) throw corrupt('block larger than its maximum or the input', p - 4);
    if (blockSum && (xxh32.hash(0, src, p, size) >>> 0) !== u32(src, p + size)) throw corrupt('block checksum mismatch', p + size);
    out.reserve(blockMax);
    const before = out.length;
    if (stored) {
      out.buf.set(src.subarray(p, p + size), out.length);
      out.length += size;
    } else {
      out.length = decodeBlock(src, p, p + size, out.buf, out.length, before + blockMax, independent ? before : contentStart);
    }
    if (out.length - before > blockMax) throw corrupt('block decodes past its maximum size', p);
    out.cap.check(out.length, p + size);
    p += size + (blockSum ? 4 : 0);
  }
  if (contentSum) {
    const want = u32(src, p);
    if ((xxh32.hash(0, out.buf, contentStart, out.length - contentStart) >>> 0) !== want) throw corrupt('content checksum mismatch', p);
    p += 4;
  }
  return p;
}

/**
 * Decodes one LZ4 block `src[p, end)` into `dst[d, limit)`; matches may reach back to `windowStart`
 * (this block when blocks are independent, else the frame's output). The caller reserved blockMax.
 */
function decodeBlock(src: Uint8Array, p: number, end: number, dst: Uint8Array, d: number, limit: number, windowStart: number): number {
  for (;;) {
    if (p >= end) throw corrupt('block ends inside a sequence', p);
    const token = src[p++]!;
    let lit = token >> 4;
    if (lit === 15) {
      let b;
      do {
        if (p >= end) throw corrupt('literal length runs past the block', p);
        b = src[p++]!;
        lit += b;
      } while (b === 255);
    }
    if (p + lit > end || d + lit > limit) throw corrupt('literals run past the block', p);
    dst.set(src.subarray(p, p + lit), d);
    p += lit;
    d += lit;
    if (p === end) return d; // the last sequence has literals only
    if (p + 2 > end) throw corrupt('truncated match offset', p);
    const offset = src[p]! | (src[p + 1]! << 8);
    p += 2;
    if (offset === 0 || offset > d - windowStart) throw corrupt(`match offset ${offset} points before the window`, p - 2);
    let len = (token & 15) + 4;
    if ((token & 15) === 15) {
      let b;
      do {
        if (p >= end) throw corrupt('match length runs past the block', p);
        b = src[p++]!;
        len += b;
      } while (b === 255);
    }
    if (d + len > limit) throw corrupt('match runs past the block maximum', p);
    let from = d - offset;
    if (offset >= len) {
      dst.copyWithin(d, from, from + len);
      d += len;
    } else {
      for (const stop = d + len; d < stop; ) dst[d++] = dst[from++]!;
    }
  }
}
