import { MvError } from '../../core/index.js';
import type { Method, TensorRef } from '../ir.js';
import type { IrTensor } from '../tensors.js';
import type { FinitePolicy, Frame, KernelOut } from './frame.js';

/** What a compiled estimator needs to know about its head. */
export interface HeadInfo {
  readonly classifier: boolean;
  readonly nClasses: number;
  /** Multi-output classifiers: the class count of each output (they sum to nClasses), else null. */
  readonly outputs: readonly number[] | null;
}

/** A compiled estimator: `run` answers one method; for classifiers `predict` returns class indices. */
export interface EstimatorKernel {
  readonly finite: FinitePolicy;
  readonly nFeatures: number;
  run(f: Frame, method: Method): KernelOut;
  /** Builds now what `run` would otherwise build on its first call (a server warms models at load). */
  prepare?(): void;
}

/** A compiled transform. */
export interface TransformKernel {
  readonly finite: FinitePolicy;
  run(f: Frame): Frame;
}

export type Tensors = ReadonlyMap<string, IrTensor>;

export const f64 = (t: Tensors, r: TensorRef): Float64Array => t.get(r.tensor)!.data as Float64Array;
export const u8 = (t: Tensors, r: TensorRef): Uint8Array => t.get(r.tensor)!.data as Uint8Array;
export const u32 = (t: Tensors, r: TensorRef): Uint32Array => t.get(r.tensor)!.data as Uint32Array;
/** I32 or I64 tensors as Int32Array (validated ranges make this lossless). */
export const i32 = (t: Tensors, r: TensorRef): Int32Array => {
  const d = t.get(r.tensor)!.data;
  if (d instanceof Int32Array) return d;
  const out = new Int32Array(d.length);
  for (let i = 0; i < d.length; i++) out[i] = Number(d[i]!);
  return out;
};

export const unsupported = (method: Method, kind: string): never => {
  throw new MvError('USAGE_INVALID', `method ${method} is not available for ${kind}`);
};

/** Classifier `predict` output from class indices. */
export const indicesOut = (idx: Float64Array): KernelOut => ({ shape: [idx.length], data: idx });
