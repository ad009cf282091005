import { indexUnique } from '../../core/index.js';

/** One safetensors dtype: name as written in the header, size in bits, and what it is. */
export interface StDtypeInfo {
  readonly name: StDtype;
  readonly bits: number;
  /** Writer alignment rank: tensors are written by descending alignment, then by name. */
  readonly alignBytes: number;
  readonly doc: string;
}

export type StDtype =
  | 'BOOL' | 'U8' | 'I8' | 'F8_E5M2' | 'F8_E4M3' | 'F8_E8M0' | 'F8_E4M3FNUZ' | 'F8_E5M2FNUZ'
  | 'I16' | 'U16' | 'F16' | 'BF16' | 'I32' | 'U32' | 'F32' | 'I64' | 'U64' | 'F64' | 'C64'
  | 'F4' | 'F6_E2M3' | 'F6_E3M2';

/** The dtype table of formats.md §8 (huggingface/safetensors `Dtype`, `bitsize()`). */
export const ST_DTYPES: readonly StDtypeInfo[] = [
  { name: 'BOOL', bits: 8, alignBytes: 1, doc: 'Boolean, one byte (0 or 1).' },
  { name: 'U8', bits: 8, alignBytes: 1, doc: 'Unsigned 8-bit integer.' },
  { name: 'I8', bits: 8, alignBytes: 1, doc: 'Signed 8-bit integer.' },
  { name: 'F8_E5M2', bits: 8, alignBytes: 1, doc: 'FP8, 5 exponent bits, 2 mantissa bits.' },
  { name: 'F8_E4M3', bits: 8, alignBytes: 1, doc: 'FP8, 4 exponent bits, 3 mantissa bits.' },
  { name: 'F8_E8M0', bits: 8, alignBytes: 1, doc: 'FP8 scale format (exponent only).' },
  { name: 'F8_E4M3FNUZ', bits: 8, alignBytes: 1, doc: 'FP8 E4M3, finite, unsigned zero.' },
  { name: 'F8_E5M2FNUZ', bits: 8, alignBytes: 1, doc: 'FP8 E5M2, finite, unsigned zero.' },
  { name: 'I16', bits: 16, alignBytes: 2, doc: 'Signed 16-bit integer, little-endian.' },
  { name: 'U16', bits: 16, alignBytes: 2, doc: 'Unsigned 16-bit integer, little-endian.' },
  { name: 'F16', bits: 16, alignBytes: 2, doc: 'IEEE half precision, little-endian.' },
  { name: 'BF16', bits: 16, alignBytes: 2, doc: 'bfloat16, little-endian.' },
  { name: 'I32', bits: 32, alignBytes: 4, doc: 'Signed 32-bit integer, little-endian.' },
  { name: 'U32', bits: 32, alignBytes: 4, doc: 'Unsigned 32-bit integer, little-endian.' },
  { name: 'F32', bits: 32, alignBytes: 4, doc: 'IEEE single precision, little-endian.' },
  { name: 'I64', bits: 64, alignBytes: 8, doc: 'Signed 64-bit integer, little-endian.' },
  { name: 'U64', bits: 64, alignBytes: 8, doc: 'Unsigned 64-bit integer, little-endian.' },
  { name: 'F64', bits: 64, alignBytes: 8, doc: 'IEEE double precision, little-endian.' },
  { name: 'C64', bits: 64, alignBytes: 4, doc: 'Complex of two F32 (real, imaginary).' },
  { name: 'F4', bits: 4, alignBytes: 1, doc: 'FP4 (E2M1), two per byte.' },
  { name: 'F6_E2M3', bits: 6, alignBytes: 1, doc: 'FP6, 2 exponent bits, 3 mantissa bits.' },
  { name: 'F6_E3M2', bits: 6, alignBytes: 1, doc: 'FP6, 3 exponent bits, 2 mantissa bits.' },
];

export const ST_DTYPE_BY_NAME: ReadonlyMap<string, StDtypeInfo> = indexUnique(ST_DTYPES, (d) => d.name);
