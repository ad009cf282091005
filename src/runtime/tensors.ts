import { MvError } from '../core/index.js';
import type { IrDtype, TensorRef } from './ir.js';

/** Typed array matching an IR dtype. */
export type TypedArrayOf<D extends IrDtype> = D extends 'F64'
  ? Float64Array
  : D extends 'F32'
    ? Float32Array
    : D extends 'I64'
      ? BigInt64Array
      : D extends 'I32'
        ? Int32Array
        : D extends 'U32'
          ? Uint32Array
          : Uint8Array;

export type IrTypedArray = Float64Array | Float32Array | BigInt64Array | Int32Array | Uint32Array | Uint8Array;

/** One named tensor of an artifact: dtype, shape and its elements (C order). */
export interface IrTensor {
  readonly dtype: IrDtype;
  readonly shape: readonly number[];
  readonly data: IrTypedArray;
}

export const IR_DTYPE_BYTES: Readonly<Record<IrDtype, number>> = { F64: 8, F32: 4, I64: 8, I32: 4, U32: 4, U8: 1 };

const ARRAY_OF: Readonly<Record<IrDtype, (n: number) => IrTypedArray>> = {
  F64: (n) => new Float64Array(n),
  F32: (n) => new Float32Array(n),
  I64: (n) => new BigInt64Array(n),
  I32: (n) => new Int32Array(n),
  U32: (n) => new Uint32Array(n),
  U8: (n) => new Uint8Array(n),
};

export const numelOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

function coerce(dtype: IrDtype, n: number, data: ArrayLike<number> | ArrayLike<bigint> | IrTypedArray): IrTypedArray {
  const out = ARRAY_OF[dtype](n);
  if (out instanceof BigInt64Array) {
    for (let i = 0; i < n; i++) {
      const v = (data as ArrayLike<number | bigint>)[i]!;
      out[i] = typeof v === 'bigint' ? v : BigInt(v);
    }
  } else {
    for (let i = 0; i < n; i++) {
      const v = (data as ArrayLike<number | bigint>)[i]!;
      out[i] = typeof v === 'bigint' ? Number(v) : v;
    }
  }
  return out;
}

/**
 * Collects the tensors of an artifact while a converter builds the IR: `add` stores a copy of the
 * data under a unique name and returns the {@link TensorRef} to put into the description.
 */
export class TensorBuilder {
  readonly tensors = new Map<string, IrTensor>();

  add(name: string, dtype: IrDtype, shape: readonly number[], data: ArrayLike<number> | ArrayLike<bigint> | IrTypedArray): TensorRef {
    if (this.tensors.has(name)) throw new MvError('INTERNAL', `tensor name ${name} used twice`);
    const n = numelOf(shape);
    if (data.length !== n) throw new MvError('INTERNAL', `tensor ${name}: ${data.length} elements for shape [${shape.join(', ')}]`);
    this.tensors.set(name, { dtype, shape: [...shape], data: coerce(dtype, n, data) });
    return { tensor: name, dtype, shape: [...shape] };
  }

  /** A name not used yet, from a prefix: `prefix`, `prefix.1`, `prefix.2`, … */
  fresh(prefix: string): string {
    if (!this.tensors.has(prefix)) return prefix;
    for (let i = 1; ; i++) if (!this.tensors.has(`${prefix}.${i}`)) return `${prefix}.${i}`;
  }
}
