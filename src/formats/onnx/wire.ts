import { MvError } from '../../core/index.js';

// Protocol Buffers wire format (protobuf.dev/programming-guides/encoding). Written by hand on
// purpose: we need five messages and a dozen fields, and every length, count and depth must be
// bounded against hostile input, which generated decoders do not do for us.

export const WT = { VARINT: 0, I64: 1, LEN: 2, SGROUP: 3, EGROUP: 4, I32: 5 } as const;

/** One decoded field: for LEN the value is [start, end); for VARINT `value` (imprecise beyond 2^53, flagged by `big`). */
export interface Field {
  readonly no: number;
  readonly wt: number;
  /** Offset of the field's tag. */
  readonly at: number;
  readonly start: number;
  readonly end: number;
  readonly value: number;
  readonly big: boolean;
}

export const invalid = (message: string, offset: number): MvError => new MvError('ONNX_INVALID', message, { offset });

/** Reads a varint at `p` (≤ 10 bytes); returns [value, next offset, exceeds 2^53]. */
export function varint(b: Uint8Array, p: number, end: number): [number, number, boolean] {
  let v = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (p >= end) throw invalid('truncated varint', p);
    const byte = b[p++]!;
    if (i === 9 && byte > 1) throw invalid('varint longer than 64 bits', p - 1);
    v += (byte & 0x7f) * scale;
    scale *= 128;
    if ((byte & 0x80) === 0) return [v, p, v > Number.MAX_SAFE_INTEGER];
  }
  throw invalid('varint longer than 10 bytes', p);
}

/** Calls `each` for every field of the message in `b[start, end)`; groups are rejected (proto3/ONNX never use them). */
export function forEachField(b: Uint8Array, start: number, end: number, each: (f: Field) => void): void {
  let p = start;
  while (p < end) {
    const at = p;
    const [tag, q] = varint(b, p, end);
    p = q;
    const no = Math.floor(tag / 8);
    const wt = tag % 8;
    if (no < 1 || no > 536_870_911) throw invalid(`invalid field number ${no}`, at);
    switch (wt) {
      case WT.VARINT: {
        const [value, next, big] = varint(b, p, end);
        each({ no, wt, at, start: p, end: next, value, big });
        p = next;
        break;
      }
      case WT.I64:
      case WT.I32: {
        const n = wt === WT.I64 ? 8 : 4;
        if (p + n > end) throw invalid('truncated fixed-width field', p);
        each({ no, wt, at, start: p, end: p + n, value: 0, big: false });
        p += n;
        break;
      }
      case WT.LEN: {
        const [len, next, big] = varint(b, p, end);
        if (big || next + len > end) throw invalid(`field ${no} length ${len} runs past its message`, p);
        each({ no, wt, at, start: next, end: next + len, value: len, big: false });
        p = next + len;
        break;
      }
      default:
        throw invalid(`unsupported wire type ${wt} (field ${no})`, at);
    }
  }
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** A string field (must be LEN and valid UTF-8). */
export function str(b: Uint8Array, f: Field): string {
  expectWire(f, WT.LEN);
  try {
    return UTF8.decode(b.subarray(f.start, f.end));
  } catch {
    throw invalid(`field ${f.no} is not valid UTF-8`, f.start);
  }
}

/** A non-negative int64 varint field that must be exact. */
export function int(f: Field): number {
  expectWire(f, WT.VARINT);
  if (f.big) throw invalid(`field ${f.no} integer out of range`, f.start);
  return f.value;
}

export function expectWire(f: Field, wt: number): void {
  if (f.wt !== wt) throw invalid(`field ${f.no} has wire type ${f.wt}, expected ${wt}`, f.at);
}
