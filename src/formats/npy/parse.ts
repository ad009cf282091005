import { MvError, checkLimit, decodeLatin1, decodeUtf8, mulChecked, startsWith, viewOf } from '../../core/index.js';
import { elementCount, parseDtypeString, type NpyDtype } from './dtype.js';
import { parsePyLiteral, type PyLiteral } from './literal.js';

/** `\x93NUMPY` (numpy/lib/format.py MAGIC_PREFIX). */
export const NPY_MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59] as const;
/** Largest header we parse. numpy itself refuses > 10 000 bytes unless told otherwise; structured dtypes can be longer. */
export const MAX_NPY_HEADER_BYTES = 1 << 20;

/** A parsed .npy header; valid by construction. */
export interface NpyHeader {
  readonly major: number;
  readonly minor: number;
  /** The descr as written: a type string, or the field list of a structured dtype. */
  readonly descr: string | readonly NpyField[];
  /** The element type (for a structured dtype: kind `V`, itemsize the record size). */
  readonly dtype: NpyDtype;
  readonly fortran: boolean;
  readonly shape: readonly number[];
  /** Offset of the first data byte (16-, 64-byte aligned by numpy; not required). */
  readonly dataOffset: number;
  /** Object dtype (`|O`, or a structured dtype with an object field): the data is a pickle, scan it. */
  readonly isObject: boolean;
  /** Bytes of raw data the header implies (undefined when isObject: the pickle has its own length). */
  readonly dataBytes?: number;
}

/** One field of a structured dtype. */
export interface NpyField {
  readonly name: string;
  readonly dtype: NpyDtype;
  readonly shape: readonly number[];
  readonly fields?: readonly NpyField[];
}

const invalid = (message: string, offset: number): MvError => new MvError('NPY_HEADER_INVALID', message, { offset });

/**
 * Parses the header of a .npy file (numpy/lib/format.py, formats.md §3.6): magic, version 1.0 (u16
 * header length) / 2.0 (u32) / 3.0 (u32, UTF-8 header), then the Python-literal dict with exactly
 * `descr`, `fortran_order` and `shape`. Parsed by hand, never evaluated. Only the header needs to be
 * present in `bytes`. Throws NPY_HEADER_INVALID (offset = where it went wrong) or LIMIT_EXCEEDED.
 */
export function parseNpy(bytes: Uint8Array): NpyHeader {
  if (!startsWith(bytes, NPY_MAGIC)) throw invalid('missing \\x93NUMPY magic', 0);
  if (bytes.length < 10) throw invalid('truncated preamble', bytes.length);
  const major = bytes[6]!;
  const minor = bytes[7]!;
  if (major < 1 || major > 3 || minor !== 0) throw invalid(`unsupported format version ${major}.${minor}`, 6);
  const wide = major >= 2;
  if (wide && bytes.length < 12) throw invalid('truncated preamble', bytes.length);
  const headerBytes = wide ? viewOf(bytes).getUint32(8, true) : viewOf(bytes).getUint16(8, true);
  const start = wide ? 12 : 10;
  checkLimit('maxNpyHeaderBytes', headerBytes, MAX_NPY_HEADER_BYTES, { offset: 8 });
  const dataOffset = start + headerBytes;
  if (dataOffset > bytes.length) throw invalid(`header of ${headerBytes} bytes runs past the input`, 8);
  const raw = bytes.subarray(start, dataOffset);
  const text = major === 3 ? decodeUtf8(raw, 'NPY_HEADER_INVALID', { offset: start }) : decodeLatin1(raw);
  if (!text.endsWith('\n')) throw invalid('header does not end with a newline', dataOffset - 1);
  const dict = parsePyLiteral(text, start);
  return fromDict(dict, { major, minor, dataOffset, start });
}

function fromDict(d: PyLiteral, ctx: { major: number; minor: number; dataOffset: number; start: number }): NpyHeader {
  const at = ctx.start;
  if (d.kind !== 'dict') throw invalid('header is not a dict', at);
  const got = new Map<string, PyLiteral>();
  for (const [k, v] of d.entries) {
    if (k.kind !== 'str') throw invalid('header key is not a string', at);
    if (got.has(k.value)) throw invalid(`duplicate header key ${k.value}`, at);
    got.set(k.value, v);
  }
  const keys = [...got.keys()].sort().join(',');
  if (keys !== 'descr,fortran_order,shape') throw invalid(`header keys are ${keys}, expected descr, fortran_order, shape`, at);
  const fortran = got.get('fortran_order')!;
  if (fortran.kind !== 'bool') throw invalid('fortran_order is not a bool', at);
  const shapeLit = got.get('shape')!;
  if (shapeLit.kind !== 'tuple') throw invalid('shape is not a tuple', at);
  const shape = shapeLit.items.map((x) => {
    if (x.kind !== 'int' || x.value < 0) throw invalid('shape entry is not a non-negative int', at);
    return x.value;
  });
  const descrLit = got.get('descr')!;
  let descr: NpyHeader['descr'];
  let dtype: NpyDtype;
  let isObject: boolean;
  if (descrLit.kind === 'str') {
    descr = descrLit.value;
    dtype = parseDtypeString(descrLit.value, at);
    isObject = dtype.char === 'O';
  } else if (descrLit.kind === 'list') {
    const fields = parseFields(descrLit, at, 0);
    descr = fields;
    const itemsize = fields.reduce((n, f) => n + f.dtype.itemsize * elementCount(f.shape, at), 0);
    dtype = { char: 'V', itemsize, byteorder: '|', str: `|V${itemsize}` };
    isObject = fields.some(hasObject);
  } else {
    throw invalid('descr is neither a type string nor a field list', at);
  }
  const dataBytes = isObject ? undefined : mulChecked([elementCount(shape, at), dtype.itemsize], 'NPY_HEADER_INVALID', { offset: at });
  return { major: ctx.major, minor: ctx.minor, descr, dtype, fortran: fortran.value, shape, dataOffset: ctx.dataOffset, isObject, ...(dataBytes === undefined ? {} : { dataBytes }) };
}

const hasObject = (f: NpyField): boolean => f.dtype.char === 'O' || (f.fields ?? []).some(hasObject);

/** Structured dtype descr: [(name | (title, name), descr[, shape]), ...] (numpy `descr_to_dtype`). */
function parseFields(list: { readonly items: readonly PyLiteral[] }, at: number, depth: number): NpyField[] {
  if (depth > 8) throw invalid('structured dtype nested too deeply', at);
  const names = new Set<string>();
  return list.items.map((item) => {
    if (item.kind !== 'tuple' || item.items.length < 2 || item.items.length > 3) throw invalid('structured field is not a (name, descr[, shape]) tuple', at);
    const [n, t, s] = item.items as [PyLiteral, PyLiteral, PyLiteral | undefined];
    const name = n.kind === 'str' ? n.value : n.kind === 'tuple' && n.items.length === 2 && n.items[1]!.kind === 'str' ? n.items[1]!.value : undefined;
    if (name === undefined) throw invalid('structured field name is not a string', at);
    if (name !== '' && names.has(name)) throw invalid(`duplicate field ${name}`, at);
    names.add(name);
    let shape: number[] = [];
    if (s !== undefined) {
      const items = s.kind === 'tuple' ? s.items : s.kind === 'int' ? [s] : undefined;
      if (!items) throw invalid('structured field shape is not a tuple', at);
      shape = items.map((x) => {
        if (x.kind !== 'int' || x.value < 0) throw invalid('structured field shape entry is not a non-negative int', at);
        return x.value;
      });
    }
    if (t.kind === 'str') return { name, dtype: parseDtypeString(t.value, at), shape };
    if (t.kind === 'list') {
      const fields = parseFields(t, at, depth + 1);
      const itemsize = fields.reduce((acc, f) => acc + f.dtype.itemsize * elementCount(f.shape, at), 0);
      return { name, dtype: { char: 'V', itemsize, byteorder: '|', str: `|V${itemsize}` }, shape, fields };
    }
    throw invalid('structured field descr is neither a type string nor a field list', at);
  });
}
