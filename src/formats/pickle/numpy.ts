import { MvError, halfToNumber, mulChecked } from '../../core/index.js';
import type { ByteOrder, DType, NdArray, NpScalar, PyGlobal, PyValue } from './types.js';
import { dictGet, dtypeHasObject } from './values.js';
import { decodeLong } from './text.js';

// numpy objects inside pickles, evaluated as plain data (formats.md §3). Every argument is
// attacker-controlled: anything that does not have exactly the shape numpy itself writes raises
// PICKLE_RECONSTRUCT_INVALID.

type Mut<T> = { -readonly [K in keyof T]: T[K] };

export const invalid = (what: string, at: number): MvError =>
  new MvError('PICKLE_RECONSTRUCT_INVALID', what, { offset: at });

const KINDS = 'fiubcOUSVMm';

/** `numpy.dtype(typestr, align, copy)` before its BUILD state (formats.md §3.3). */
export function dtypeFromTypestr(typestr: PyValue, at: number): DType {
  let char: string;
  let size: number;
  if (typeof typestr === 'string') {
    const m = /^([a-zA-Z])([0-9]{0,9})$/.exec(typestr);
    if (!m || !KINDS.includes(m[1]!)) throw invalid(`unknown dtype ${JSON.stringify(typestr.slice(0, 20))}`, at);
    char = m[1]!;
    size = m[2] === '' ? (char === 'O' ? 8 : 0) : Number(m[2]);
    if (char === 'U') size *= 4;
    if (char === 'O' && size !== 8 && size !== 4) throw invalid(`bad object dtype size ${typestr}`, at);
    if ('fiuc'.includes(char) && ![1, 2, 4, 8, 16, 32].includes(size)) throw invalid(`bad dtype size ${typestr}`, at);
    if (char === 'b' && size !== 1) throw invalid(`bad bool dtype ${typestr}`, at);
    if ((char === 'M' || char === 'm') && size !== 8) throw invalid(`bad datetime dtype ${typestr}`, at);
    if (char === 'O') size = 8;
  } else if (isNumpyGlobal(typestr, 'record')) {
    // np.record structured dtypes pass the scalar type instead of a typestr; itemsize comes from state
    char = 'V';
    size = 0;
  } else {
    throw invalid('numpy.dtype needs a type string', at);
  }
  const d: Mut<DType> = { kind: 'dtype', char, itemsize: size, byteorder: defaultOrder(char, size), str: '' };
  d.str = dtypeStr(d);
  return d;
}

const defaultOrder = (char: string, size: number): ByteOrder =>
  size <= 1 || char === 'O' || char === 'V' || char === 'S' || char === 'b' ? '|' : '<';

function isNumpyGlobal(v: PyValue, name: string): v is PyGlobal {
  return typeof v === 'object' && v !== null && v.kind === 'global' && v.name === name && (v.module === 'numpy' || v.module.startsWith('numpy.'));
}

/** Canonical dtype string as numpy's `dtype.str`: `<f8`, `|b1`, `<U2`, `|V56`, `|O`, `<M8[ns]`. */
export function dtypeStr(d: DType): string {
  if (d.char === 'O') return '|O';
  const n = d.char === 'U' ? d.itemsize / 4 : d.itemsize;
  return `${d.byteorder}${d.char}${n}${d.unit ? `[${d.unit}]` : ''}`;
}

const isInt = (v: PyValue | undefined): v is number => typeof v === 'number';
const tupleItems = (v: PyValue | undefined): PyValue[] | undefined =>
  typeof v === 'object' && v !== null && v.kind === 'tuple' ? v.items : undefined;

function shapeOf(v: PyValue | undefined, at: number): number[] {
  const items = tupleItems(v);
  if (!items) throw invalid('shape must be a tuple of ints', at);
  const shape: number[] = [];
  for (const x of items) {
    if (!isInt(x) || x < 0) throw invalid('shape must be a tuple of non-negative ints', at);
    shape.push(x);
  }
  mulChecked(shape, 'PICKLE_RECONSTRUCT_INVALID', { offset: at });
  return shape;
}

function asDType(v: PyValue | undefined, at: number): DType {
  if (typeof v !== 'object' || v === null || v.kind !== 'dtype') throw invalid('expected a numpy dtype', at);
  return v;
}

/** `dtype.__setstate__` for state versions 3 and 4 (numpy descriptor.c `arraydescr_setstate`). */
export function setDTypeState(target: DType, state: PyValue, at: number): void {
  const s = tupleItems(state);
  if (!s || !((s[0] === 3 && s.length === 8) || (s[0] === 4 && s.length === 9))) {
    throw invalid('dtype state must be a version 3 (8-tuple) or 4 (9-tuple) tuple', at);
  }
  const d = target as Mut<DType>;
  const [, order, sub, names, fields, elsize, alignment, flags] = s;
  if (order !== '<' && order !== '>' && order !== '|') throw invalid('dtype byte order must be <, > or |', at);
  if (!isInt(elsize) || elsize < -1 || !isInt(alignment) || alignment < -1) throw invalid('dtype elsize/alignment must be ints', at);
  // flags may be negative (numpy 1.x C char) or a large u64 (numpy 2.x): accept any int
  if (!isInt(flags) && typeof flags !== 'bigint') throw invalid('dtype flags must be an int', at);
  if (elsize >= 0) {
    if (d.char !== 'V' && d.char !== 'U' && d.char !== 'S' && elsize !== d.itemsize) {
      throw invalid(`dtype elsize ${elsize} does not match ${d.str}`, at);
    }
    d.itemsize = elsize;
  }
  if (d.char === 'U' && d.itemsize % 4 !== 0) throw invalid('unicode dtype size must be a multiple of 4', at);
  d.byteorder = order;
  if (sub !== null) {
    const t = tupleItems(sub);
    if (!t || t.length !== 2) throw invalid('dtype subarray must be (dtype, shape)', at);
    const base = asDType(t[0], at);
    const shape = isInt(t[1]) ? [t[1]] : shapeOf(t[1], at);
    const n = mulChecked([...shape, base.itemsize], 'PICKLE_RECONSTRUCT_INVALID', { offset: at });
    if (n !== d.itemsize) throw invalid('dtype subarray size does not match itemsize', at);
    d.subarray = { base, shape };
  }
  if (names !== null || fields !== null) {
    const nm = tupleItems(names);
    if (!nm || typeof fields !== 'object' || fields === null || fields.kind !== 'dict') {
      throw invalid('structured dtype needs names (tuple) and fields (dict)', at);
    }
    const out: { name: string; dtype: DType; offset: number }[] = [];
    const seen = new Set<string>();
    for (const name of nm) {
      if (typeof name !== 'string' || seen.has(name)) throw invalid('dtype field names must be distinct strings', at);
      seen.add(name);
      const f = tupleItems(dictGet(fields, name));
      if (!f || (f.length !== 2 && f.length !== 3)) throw invalid(`dtype field ${name} must be (dtype, offset[, title])`, at);
      const fd = asDType(f[0], at);
      const off = f[1];
      if (!isInt(off) || off < 0 || off + fd.itemsize > d.itemsize) throw invalid(`dtype field ${name} lies outside the item`, at);
      out.push({ name, dtype: fd, offset: off });
    }
    d.fields = out;
  }
  if (s.length === 9 && (d.char === 'M' || d.char === 'm')) d.unit = datetimeUnit(s[8]!, at);
  d.str = dtypeStr(d);
}

/** Version-4 metadata `(metadata, (unit, num, den, events))` → `ns`, `10s` … */
function datetimeUnit(meta: PyValue, at: number): string | undefined {
  const t = tupleItems(meta);
  const u = t && tupleItems(t[1]);
  if (!u) return undefined;
  const unit = typeof u[0] === 'string' ? u[0] : u[0] && typeof u[0] === 'object' && u[0].kind === 'bytes' && u[0].data.length <= 16 ? String.fromCharCode(...u[0].data) : undefined;
  if (unit === undefined || !/^[a-zA-Z]{1,8}$/.test(unit)) throw invalid('bad datetime unit', at);
  const num = u[1];
  return isInt(num) && num !== 1 ? `${num}${unit}` : unit;
}

/** Raw element bytes from a bytes payload, or a Python-2 latin-1 str (numpy `array_setstate`). */
export function payloadBytes(v: PyValue | undefined, at: number): Uint8Array {
  if (typeof v === 'string') return latin1Encode(v, at);
  if (typeof v === 'object' && v !== null && v.kind === 'bytes') return v.data;
  throw invalid('array payload must be bytes', at);
}

/** str → bytes by latin-1 (`_codecs.encode(s, 'latin1')`, py2 str payloads). */
export function latin1Encode(s: string, at: number): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff) throw invalid('latin-1 payload contains a character above U+00FF', at);
    out[i] = c;
  }
  return out;
}

/** `_reconstruct(subtype, (0,), b'b')`: an empty int8 array waiting for its BUILD state. */
export function reconstructArray(args: PyValue[], at: number): NdArray | undefined {
  if (args.length !== 3) throw invalid('_reconstruct takes (subtype, shape, dtype char)', at);
  const [sub, shape, ch] = args;
  if (typeof sub !== 'object' || sub === null || sub.kind !== 'global') throw invalid('_reconstruct subtype must be a class', at);
  const subclass = arraySubclass(sub);
  if (subclass === undefined) return undefined; // unknown subclass: stays a symbolic call
  shapeOf(shape, at);
  const c = typeof ch === 'string' ? ch : ch && typeof ch === 'object' && ch.kind === 'bytes' && ch.data.length === 1 ? String.fromCharCode(ch.data[0]!) : '';
  if (c !== 'b') throw invalid("_reconstruct dtype char must be b'b'", at);
  const a: Mut<NdArray> = { kind: 'ndarray', dtype: dtypeFromTypestr('i1', at), shape: [0], order: 'C', data: new Uint8Array(0), at };
  if (subclass) a.subclass = subclass;
  return a;
}

const SUBCLASSES = new Set(['ndarray', 'matrix', 'memmap', 'recarray']);

/** '' for numpy.ndarray, the dotted name for numpy's own subclasses, undefined for anything else. */
function arraySubclass(g: PyGlobal): string | undefined {
  if (!(g.module === 'numpy' || g.module.startsWith('numpy.')) || !SUBCLASSES.has(g.name)) return undefined;
  return g.name === 'ndarray' ? '' : `${g.module}.${g.name}`;
}

/** `ndarray.__setstate__((version, shape, dtype, is_fortran, rawdata))` (formats.md §3.1). */
export function setArrayState(target: NdArray, state: PyValue, at: number): void {
  let s = tupleItems(state);
  if (s && s.length === 5) {
    if (!isInt(s[0])) throw invalid('ndarray state version must be an int', at);
    s = s.slice(1);
  }
  if (!s || s.length !== 4) throw invalid('ndarray state must be (version, shape, dtype, is_fortran, data)', at);
  const shape = shapeOf(s[0], at);
  const dtype = asDType(s[1], at);
  const fortran = s[2];
  if (typeof fortran !== 'boolean' && fortran !== 0 && fortran !== 1) throw invalid('is_fortran must be a bool', at);
  const count = mulChecked(shape, 'PICKLE_RECONSTRUCT_INVALID', { offset: at });
  const a = target as Mut<NdArray>;
  const raw = s[3];
  if (dtypeHasObject(dtype)) {
    if (typeof raw !== 'object' || raw === null || raw.kind !== 'list' || raw.items.length !== count) {
      throw invalid('object array state must be a list of its elements', at);
    }
    a.items = raw.items.slice(); // numpy copies the list; later APPENDs to it must not resize the array
    delete a.data;
  } else {
    const data = payloadBytes(raw, at);
    const want = mulChecked([count, dtype.itemsize], 'PICKLE_RECONSTRUCT_INVALID', { offset: at });
    if (data.length !== want) throw invalid(`array data is ${data.length} bytes, shape and dtype need ${want}`, at);
    a.data = data;
    delete a.items;
  }
  a.shape = shape;
  a.dtype = dtype;
  a.order = fortran === true || fortran === 1 ? 'F' : 'C';
}

/** `_frombuffer(buf, dtype, shape, order[, axis_order])` (protocol 5, formats.md §3.2). */
export function fromBuffer(args: PyValue[], at: number): NdArray {
  if (args.length !== 4 && args.length !== 5) throw invalid('_frombuffer takes (buffer, dtype, shape, order[, axis_order])', at);
  const buf = args[0];
  if (typeof buf !== 'object' || buf === null || buf.kind !== 'bytes') throw invalid('_frombuffer buffer must be bytes', at);
  const dtype = asDType(args[1], at);
  if (dtypeHasObject(dtype)) throw invalid('_frombuffer cannot carry object dtype', at);
  let shape = shapeOf(args[2], at);
  let order: 'C' | 'F';
  const o = args[3];
  const axes = args.length === 5 ? args[4] : null;
  if ((o === 'C' || o === 'F') && axes === null) order = o;
  else if (o === 'K' && axes !== null) {
    // reshape(shape, 'C').transpose(axis_order): only identity (C) and full reversal (F) are plain layouts
    const p = tupleItems(axes)?.map((x) => (isInt(x) ? x : -1)) ?? [];
    if (p.length !== shape.length) throw invalid('axis_order does not match shape', at);
    if (p.every((x, i) => x === i)) order = 'C';
    else if (p.every((x, i) => x === p.length - 1 - i)) { order = 'F'; shape = [...shape].reverse(); }
    else throw invalid('_frombuffer axis orders other than C or F are not supported', at);
  } else throw invalid("_frombuffer order must be 'C' or 'F'", at);
  const want = mulChecked([...shape, dtype.itemsize], 'PICKLE_RECONSTRUCT_INVALID', { offset: at });
  if (buf.data.length !== want) throw invalid(`buffer is ${buf.data.length} bytes, shape and dtype need ${want}`, at);
  return { kind: 'ndarray', dtype, shape, order, data: buf.data, at };
}

/** `numpy.core.multiarray.scalar(dtype, payload)` (formats.md §3.4). */
export function npScalar(args: PyValue[], at: number): NpScalar {
  if (args.length !== 2 && args.length !== 1) throw invalid('scalar takes (dtype, payload)', at);
  const dtype = asDType(args[0], at);
  if (dtypeHasObject(dtype)) {
    if (dtype.char !== 'O') throw invalid('structured scalars with objects are not supported', at);
    return { kind: 'npscalar', dtype, value: args.length === 2 ? args[1]! : null };
  }
  if (args.length !== 2) throw invalid('scalar payload missing', at);
  const p = args[1];
  if (typeof p === 'string' && p.length !== dtype.itemsize) throw invalid('scalar payload has the wrong length', at);
  const data = payloadBytes(p, at);
  if (data.length !== dtype.itemsize) throw invalid(`scalar payload is ${data.length} bytes, ${dtype.str} needs ${dtype.itemsize}`, at);
  return { kind: 'npscalar', dtype, value: decodeScalar(dtype, data) };
}

/** One element → PyValue: floats, ints (bigint when needed), bools, str; raw bytes otherwise. */
export function decodeScalar(d: DType, b: Uint8Array): PyValue {
  const le = d.byteorder !== '>';
  const bytes = le || d.itemsize <= 1 ? b : Uint8Array.from(b).reverse();
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (d.char) {
    case 'f':
      if (d.itemsize === 8) return { kind: 'float', value: dv.getFloat64(0, true) };
      if (d.itemsize === 4) return { kind: 'float', value: dv.getFloat32(0, true) };
      if (d.itemsize === 2) return { kind: 'float', value: halfToNumber(dv.getUint16(0, true)) };
      break;
    case 'b': return bytes[0] !== 0;
    case 'i': case 'M': case 'm': return decodeLong(bytes, 0, d.itemsize);
    case 'u': return decodeLong(Uint8Array.of(...bytes, 0), 0, d.itemsize + 1);
    case 'U': {
      let s = '';
      for (let i = 0; i + 4 <= bytes.length; i += 4) {
        const cp = le ? dv.getUint32(i, true) : new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(i, false);
        if (cp === 0) break;
        s += String.fromCodePoint(cp);
      }
      return s;
    }
    default: break;
  }
  return { kind: 'bytes', data: b, mutable: false };
}

