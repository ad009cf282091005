/**
 * Reading the inert pickle graph (src/formats/pickle types) by field name: class names, attribute
 * state, numbers, strings and numpy arrays decoded to typed arrays. Every accessor names the path of
 * the value it reads, so a malformed state gives CONVERT_STATE_INVALID pointing at the field.
 *
 * The graph is attacker-controlled: nothing here trusts a field's type, shape or size.
 */
import { MvError, halfToNumber } from '../core/index.js';
import type { DType, NdArray, PyDict, PyValue } from '../formats/pickle/index.js';

export type { PyValue, NdArray, DType, PyDict };

/** `module.qualname` of an instance (NEWOBJ/BUILD) or of a REDUCE call's callee (sklearn `Tree`). */
export function className(v: PyValue | undefined): string | undefined {
  if (v === null || typeof v !== 'object' || !('kind' in v)) return undefined;
  const g = v.kind === 'object' ? v.cls : v.kind === 'call' ? v.fn : undefined;
  if (g && typeof g === 'object' && 'kind' in g && g.kind === 'global') return `${g.module}.${g.name}`;
  return undefined;
}

/** A Python value's type, for error messages. */
export function typeName(v: PyValue | undefined): string {
  if (v === undefined) return 'missing';
  if (v === null) return 'None';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number' || typeof v === 'bigint') return 'int';
  if (typeof v === 'string') return 'str';
  if (v.kind === 'object' || v.kind === 'call') return className(v) ?? v.kind;
  if (v.kind === 'global') return `${v.module}.${v.name} (class)`;
  if (v.kind === 'ndarray') return `ndarray ${v.dtype.str} ${JSON.stringify(v.shape)}`;
  return v.kind;
}

export const isDict = (v: PyValue | undefined): v is PyDict => typeof v === 'object' && v !== null && v.kind === 'dict';
export const isArray = (v: PyValue | undefined): v is NdArray => typeof v === 'object' && v !== null && v.kind === 'ndarray';

/** Items of a list or tuple, or undefined. */
export function seqItems(v: PyValue | undefined): PyValue[] | undefined {
  if (typeof v === 'object' && v !== null && (v.kind === 'list' || v.kind === 'tuple')) return v.items;
  return undefined;
}

/** The attribute dict set by BUILD: a dict, or the dict half of `(dict, slotstate)`. */
export function stateDict(v: PyValue | undefined): PyDict | undefined {
  if (v === null || typeof v !== 'object') return undefined;
  if (v.kind !== 'object' && v.kind !== 'call') return undefined;
  const s = v.state;
  if (isDict(s)) return s;
  const t = seqItems(s);
  if (t && t.length === 2 && isDict(t[0])) return t[0];
  return undefined;
}

/** Looks up a string key in a dict (structural keys: only exact `str` keys match). */
export function dictLookup(d: PyDict, key: string): PyValue | undefined {
  for (let i = d.keys.length - 1; i >= 0; i--) if (d.keys[i] === key) return d.values[i];
  return undefined;
}

/** A scalar read as a JS number: int, bigint (safe), float, bool, numpy scalar, 0-d/1-element array. */
export function scalarNumber(v: PyValue | undefined): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'bigint') return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : undefined;
  if (v === null || typeof v !== 'object') return undefined;
  if (v.kind === 'float') return v.value;
  if (v.kind === 'npscalar') {
    const p = v.value;
    if (typeof p === 'object' && p !== null && p.kind === 'bytes') {
      if (p.data.length !== v.dtype.itemsize) return undefined;
      return decodeNumeric(p.data, v.dtype, 1)[0];
    }
    return scalarNumber(p);
  }
  if (v.kind === 'ndarray' && v.data && numel(v.shape) === 1 && isNumericDtype(v.dtype)) return decodeNumeric(v.data, v.dtype, 1)[0];
  return undefined;
}

/** A string scalar: str, or a numpy str_ scalar. */
export function scalarString(v: PyValue | undefined): string | undefined {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && v.kind === 'npscalar' && typeof v.value === 'string') return v.value;
  return undefined;
}

export const numel = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

export const isNumericDtype = (d: DType): boolean =>
  (d.char === 'f' && (d.itemsize === 2 || d.itemsize === 4 || d.itemsize === 8)) ||
  ((d.char === 'i' || d.char === 'u') && [1, 2, 4, 8].includes(d.itemsize)) ||
  (d.char === 'b' && d.itemsize === 1);

/**
 * Decodes `count` elements of a numeric dtype (any byte order) at byte `start` with byte `stride`
 * into a Float64Array. int64 beyond 2^53 loses precision (never seen in model state).
 */
export function decodeNumeric(data: Uint8Array, d: DType, count: number, start = 0, stride = d.itemsize): Float64Array {
  const out = new Float64Array(count);
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const le = d.byteorder !== '>';
  const k = d.char + d.itemsize;
  for (let i = 0, o = start; i < count; i++, o += stride) {
    switch (k) {
      case 'f8': out[i] = dv.getFloat64(o, le); break;
      case 'f4': out[i] = dv.getFloat32(o, le); break;
      case 'f2': out[i] = halfToNumber(dv.getUint16(o, le)); break;
      case 'i8': out[i] = Number(dv.getBigInt64(o, le)); break;
      case 'i4': out[i] = dv.getInt32(o, le); break;
      case 'i2': out[i] = dv.getInt16(o, le); break;
      case 'i1': out[i] = dv.getInt8(o); break;
      case 'u8': out[i] = Number(dv.getBigUint64(o, le)); break;
      case 'u4': out[i] = dv.getUint32(o, le); break;
      case 'u2': out[i] = dv.getUint16(o, le); break;
      case 'u1': case 'b1': out[i] = dv.getUint8(o); break;
      default: throw new MvError('CONVERT_UNSUPPORTED', `dtype ${d.str} is not numeric`);
    }
  }
  return out;
}

/** Reorders F-order element data to C order. */
function fToC<T extends { length: number; [i: number]: unknown }>(src: T, shape: readonly number[], make: (n: number) => T): T {
  if (shape.length < 2) return src;
  const n = numel(shape);
  const out = make(n);
  const nd = shape.length;
  const idx = new Array<number>(nd).fill(0);
  // F strides
  const fs = new Array<number>(nd);
  let s = 1;
  for (let a = 0; a < nd; a++) { fs[a] = s; s *= shape[a]!; }
  for (let c = 0; c < n; c++) {
    let f = 0;
    for (let a = 0; a < nd; a++) f += idx[a]! * fs[a]!;
    out[c] = src[f];
    for (let a = nd - 1; a >= 0; a--) { if (++idx[a]! < shape[a]!) break; idx[a] = 0; }
  }
  return out;
}

/** A decoded numeric array in C order. */
export interface F64Array { readonly data: Float64Array; readonly shape: readonly number[] }

/** Every element of a numeric ndarray as float64, C order. */
export function arrayF64(a: NdArray): F64Array {
  if (!a.data || !isNumericDtype(a.dtype) || a.dtype.fields) throw new MvError('CONVERT_STATE_INVALID', `expected a numeric array, got ${a.dtype.str}`);
  const n = numel(a.shape);
  if (a.data.length < n * a.dtype.itemsize) throw new MvError('CONVERT_STATE_INVALID', 'array data is shorter than its shape');
  const flat = decodeNumeric(a.data, a.dtype, n);
  return { data: a.order === 'F' ? fToC(flat, a.shape, (k) => new Float64Array(k)) : flat, shape: a.shape };
}

/** Elements of an object-dtype array (C order), or of a str/bytes array decoded to strings. */
export function arrayItems(a: NdArray): PyValue[] {
  const n = numel(a.shape);
  if (a.items) {
    if (a.items.length !== n) throw new MvError('CONVERT_STATE_INVALID', 'object array length does not match its shape');
    return a.order === 'F' ? fToC(a.items, a.shape, (k) => new Array<PyValue>(k)) : a.items;
  }
  if (a.data && (a.dtype.char === 'U' || a.dtype.char === 'S')) {
    const out: PyValue[] = [];
    const dv = new DataView(a.data.buffer, a.data.byteOffset, a.data.byteLength);
    const le = a.dtype.byteorder !== '>';
    for (let i = 0; i < n; i++) {
      let s = '';
      if (a.dtype.char === 'U') {
        const chars = a.dtype.itemsize / 4;
        for (let c = 0; c < chars; c++) {
          const cp = dv.getUint32((i * chars + c) * 4, le);
          if (cp === 0) break;
          s += String.fromCodePoint(cp);
        }
      } else {
        for (let c = 0; c < a.dtype.itemsize; c++) {
          const b = a.data[i * a.dtype.itemsize + c]!;
          if (b === 0) break;
          s += String.fromCharCode(b);
        }
      }
      out.push(s);
    }
    return a.order === 'F' ? fToC(out, a.shape, (k) => new Array<PyValue>(k)) : out;
  }
  if (a.data && isNumericDtype(a.dtype)) {
    const f = arrayF64(a).data;
    const asBool = a.dtype.char === 'b';
    return Array.from(f, (x) => (asBool ? x !== 0 : x));
  }
  throw new MvError('CONVERT_STATE_INVALID', `cannot read elements of a ${a.dtype.str} array`);
}

/** One field of a structured array (Tree / HGB node records), read by name from the pickled dtype. */
export function structField(a: NdArray, name: string): Float64Array | undefined {
  const f = a.dtype.fields?.find((x) => x.name === name);
  if (!f || !a.data) return undefined;
  if (!isNumericDtype(f.dtype)) throw new MvError('CONVERT_STATE_INVALID', `node field ${name} has dtype ${f.dtype.str}`);
  if (a.shape.length !== 1) throw new MvError('CONVERT_STATE_INVALID', 'structured array must be 1-D');
  const n = a.shape[0]!;
  if (f.offset + f.dtype.itemsize > a.dtype.itemsize || a.data.length < n * a.dtype.itemsize) {
    throw new MvError('CONVERT_STATE_INVALID', `node field ${name} lies outside its record`);
  }
  return decodeNumeric(a.data, f.dtype, n, f.offset, a.dtype.itemsize);
}
