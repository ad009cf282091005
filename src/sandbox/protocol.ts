import type { Method } from '../runtime/index.js';

/** A batch of rows as plain transferable data: row-major numbers plus optional text columns. */
export interface WireFrame {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float64Array;
  readonly text?: readonly (readonly (string | null)[] | undefined)[];
}

/** Element types of ONNX tensors on the wire (ONNX Runtime's `Tensor.Type` names). */
export type WireTensorType = 'float32' | 'float64' | 'float16' | 'int8' | 'int16' | 'int32' | 'int64' | 'uint8' | 'uint16' | 'uint32' | 'uint64' | 'bool' | 'string';

/** One named ONNX tensor (inputs and outputs of the onnx worker): row-major data, BOOL as 0/1 bytes. */
export interface WireTensor {
  readonly type: WireTensorType;
  readonly dims: readonly number[];
  readonly data:
    | Float32Array | Float64Array | Uint16Array | Int8Array | Int16Array | Int32Array | BigInt64Array
    | Uint8Array | Uint32Array | BigUint64Array | readonly string[];
}

export type WireTensors = Readonly<Record<string, WireTensor>>;

export type ToWorker =
  | { readonly t: 'load'; readonly id: number; readonly key: string; readonly bytes: Uint8Array }
  | { readonly t: 'unload'; readonly key: string }
  | { readonly t: 'predict'; readonly id: number; readonly key: string; readonly method: Method; readonly frame: WireFrame }
  /** Several methods over the same rows in one round trip (the server's default: every output of a model). */
  | { readonly t: 'predictAll'; readonly id: number; readonly key: string; readonly methods: readonly Method[]; readonly frame: WireFrame }
  | { readonly t: 'run'; readonly id: number; readonly key: string; readonly feeds: WireTensors; readonly outputs: readonly string[] };

export type FromWorker =
  /** `pipe`: the worker reads and writes wire.ts frames on fd 4; every later message goes there. */
  | { readonly t: 'ready'; readonly pipe?: boolean }
  | { readonly t: 'loaded'; readonly id: number; readonly info: unknown }
  | { readonly t: 'result'; readonly id: number; readonly shape: readonly number[]; readonly data: Float64Array | readonly (string | number | boolean)[] }
  | { readonly t: 'tensors'; readonly id: number; readonly tensors: WireTensors }
  | { readonly t: 'results'; readonly id: number; readonly results: readonly { readonly shape: readonly number[]; readonly data: Float64Array | readonly (string | number | boolean)[] }[] }
  | { readonly t: 'error'; readonly id: number; readonly code: string; readonly message: string };
