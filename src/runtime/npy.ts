import { MvError, decodeLatin1, decodeUtf8, mulChecked, viewOf } from '../core/index.js';

/**
 * A small strict `.npy` reader for prediction input (formats.md §3.6): numeric and bool dtypes
 * only (object arrays would need pickle and are refused), C or Fortran order, converted to f64.
 */
export interface NpyArray {
  readonly shape: readonly number[];
  /** C-order values. */
  readonly data: Float64Array;
  readonly descr: string;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
const HEADER_RE = /^\{\s*'descr'\s*:\s*'([^']+)'\s*,\s*'fortran_order'\s*:\s*(True|False)\s*,\s*'shape'\s*:\s*\(([^)]*)\)\s*,?\s*\}\s*$/;

const fail = (msg: string, offset?: number): never => {
  throw new MvError('NPY_HEADER_INVALID', msg, offset === undefined ? {} : { offset });
};

type Reader = (v: DataView, at: number, le: boolean) => number;
const READERS: Readonly<Record<string, { size: number; read: Reader }>> = {
  f8: { size: 8, read: (v, a, le) => v.getFloat64(a, le) },
  f4: { size: 4, read: (v, a, le) => v.getFloat32(a, le) },
  i8: { size: 8, read: (v, a, le) => Number(v.getBigInt64(a, le)) },
  i4: { size: 4, read: (v, a, le) => v.getInt32(a, le) },
  i2: { size: 2, read: (v, a, le) => v.getInt16(a, le) },
  i1: { size: 1, read: (v, a) => v.getInt8(a) },
  u8: { size: 8, read: (v, a, le) => Number(v.getBigUint64(a, le)) },
  u4: { size: 4, read: (v, a, le) => v.getUint32(a, le) },
  u2: { size: 2, read: (v, a, le) => v.getUint16(a, le) },
  u1: { size: 1, read: (v, a) => v.getUint8(a) },
  b1: { size: 1, read: (v, a) => v.getUint8(a) },
};

export function parseNpy(bytes: Uint8Array): NpyArray {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) fail('not a .npy file (bad magic)', 0);
  const major = bytes[6]!;
  const view = viewOf(bytes);
  let headerLen: number;
  let start: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) fail('truncated .npy header', 8);
    headerLen = view.getUint32(8, true);
    start = 12;
  } else return fail(`unsupported .npy version ${major}`, 6);
  if (start + headerLen > bytes.length) fail('.npy header runs past the end', 8);
  const raw = bytes.subarray(start, start + headerLen);
  const header = major === 3 ? decodeUtf8(raw, 'NPY_HEADER_INVALID', { offset: start }) : decodeLatin1(raw);
  const m = HEADER_RE.exec(header.trim());
  if (!m) return fail(`cannot read .npy header ${JSON.stringify(header.slice(0, 80))}`, start);
  const descr = m[1]!;
  const fortran = m[2] === 'True';
  const dims = m[3]!.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const shape = dims.map((d) => {
    if (!/^[0-9]+$/.test(d)) fail(`bad .npy shape entry ${d}`, start);
    return Number(d);
  });
  const dm = /^([<>|=])([fiub][1248])$/.exec(descr);
  if (!dm || !READERS[dm[2]!]) return fail(`unsupported .npy dtype ${descr} (numeric or bool only; object arrays are refused)`, start);
  const le = dm[1] !== '>';
  const { size, read } = READERS[dm[2]!]!;
  const numel = mulChecked(shape, 'NPY_HEADER_INVALID', { offset: start });
  const dataStart = start + headerLen;
  if (bytes.length - dataStart !== numel * size) fail(`.npy data is ${bytes.length - dataStart} bytes, expected ${numel * size}`, dataStart);
  const out = new Float64Array(numel);
  if (!fortran || shape.length < 2) {
    for (let i = 0; i < numel; i++) out[i] = read(view, dataStart + i * size, le);
  } else {
    // Fortran order: first index varies fastest. Convert 2-D (the only input shape we use) and N-D generally.
    const strides = new Array<number>(shape.length);
    let s = 1;
    for (let d = 0; d < shape.length; d++) {
      strides[d] = s;
      s *= shape[d]!;
    }
    const idx = new Array<number>(shape.length).fill(0);
    for (let i = 0; i < numel; i++) {
      let src = 0;
      for (let d = 0; d < shape.length; d++) src += idx[d]! * strides[d]!;
      out[i] = read(view, dataStart + src * size, le);
      for (let d = shape.length - 1; d >= 0; d--) {
        if (++idx[d]! < shape[d]!) break;
        idx[d] = 0;
      }
    }
  }
  return { shape, data: out, descr };
}
