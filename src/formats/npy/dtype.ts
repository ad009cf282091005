import { MvError, mulChecked } from '../../core/index.js';

/** A numpy array-protocol type string, parsed (`'<f8'`, `'|O'`, `'<U10'`, `'<M8[ns]'`). */
export interface NpyDtype {
  /** Kind character: b i u f c O S U V M m. */
  readonly char: string;
  /** Bytes per element. */
  readonly itemsize: number;
  /** `<` little, `>` big, `|` not applicable. */
  readonly byteorder: '<' | '>' | '|';
  /** The descr as written (a structured dtype is rendered as its field list). */
  readonly str: string;
}

interface KindInfo {
  readonly char: string;
  /** Allowed item sizes in bytes (undefined: any positive count, scaled by `unit`). */
  readonly sizes?: readonly number[];
  readonly unit?: number;
  readonly doc: string;
}

/** Kind characters numpy writes in .npy descr strings (numpy/core/_internal.py, `dtype.str`). */
export const NPY_KINDS: readonly KindInfo[] = [
  { char: 'b', sizes: [1], doc: 'bool' },
  { char: 'i', sizes: [1, 2, 4, 8], doc: 'signed integer' },
  { char: 'u', sizes: [1, 2, 4, 8], doc: 'unsigned integer' },
  { char: 'f', sizes: [2, 4, 8, 16], doc: 'float (16 = long double)' },
  { char: 'c', sizes: [8, 16, 32], doc: 'complex' },
  { char: 'O', sizes: [8, 4], doc: 'Python object: the data is a pickle (np.load allow_pickle=True)' },
  { char: 'S', unit: 1, doc: 'bytes, itemsize = length' },
  { char: 'U', unit: 4, doc: 'UCS-4 string, itemsize = 4 × length' },
  { char: 'V', unit: 1, doc: 'void / raw bytes' },
  { char: 'M', sizes: [8], doc: 'datetime64[unit]' },
  { char: 'm', sizes: [8], doc: 'timedelta64[unit]' },
];
const BY_CHAR = new Map(NPY_KINDS.map((k) => [k.char, k]));
const TIME_UNITS = new Set(['Y', 'M', 'W', 'D', 'h', 'm', 's', 'ms', 'us', 'μs', 'ns', 'ps', 'fs', 'as', 'generic']);

/** Parses a simple descr string; throws NPY_HEADER_INVALID for anything numpy would not write. */
export function parseDtypeString(s: string, offset: number): NpyDtype {
  const m = /^([<>|=]?)([a-zA-Z])([0-9]*)(?:\[([0-9]*[a-zA-Zμ]+)\])?$/.exec(s);
  const fail = (why: string): never => {
    throw new MvError('NPY_HEADER_INVALID', `descr ${JSON.stringify(s)}: ${why}`, { offset });
  };
  if (!m) return fail('not an array-protocol type string');
  const [, order = '', char = '', digits = '', unit] = m;
  const kind = BY_CHAR.get(char) ?? fail(`unknown kind ${char}`);
  if (digits.length > 12) fail('item size too large');
  const count = digits === '' ? (char === 'O' ? 8 : undefined) : Number(digits);
  if (count === undefined) return fail('missing item size');
  const itemsize = kind.unit !== undefined ? mulChecked([count, kind.unit], 'NPY_HEADER_INVALID', { offset }) : count;
  if (kind.sizes && !kind.sizes.includes(itemsize)) fail(`item size ${itemsize} is not valid for kind ${char}`);
  if ((char === 'M' || char === 'm') !== (unit !== undefined)) fail('only datetime kinds take a [unit]');
  if (unit !== undefined && !TIME_UNITS.has(unit.replace(/^[0-9]+/, ''))) fail(`unknown time unit ${unit}`);
  const byteorder = order === '>' ? '>' : order === '<' || order === '=' ? '<' : itemsize === 1 || order === '|' ? '|' : '<';
  return { char, itemsize, byteorder, str: s };
}

/** Product of a shape, with overflow checks. */
export const elementCount = (shape: readonly number[], offset: number): number => mulChecked(shape, 'NPY_HEADER_INVALID', { offset });
