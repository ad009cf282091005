import type { PyValue, TorchStorage, TorchTensor } from './types.js';
import { invalid } from './numpy.js';
import { MvError } from '../../core/index.js';

/** One torch storage class or dtype: safetensors-style dtype name and element size (formats.md §7.1). */
export interface TorchDTypeInfo {
  readonly name: string;
  readonly dtype: string;
  readonly bytes: number;
  readonly doc: string;
}

/** Legacy typed storage classes (`GLOBAL torch.<X>Storage`) → element dtype. */
export const TORCH_STORAGES: readonly TorchDTypeInfo[] = [
  { name: 'DoubleStorage', dtype: 'F64', bytes: 8, doc: 'float64' },
  { name: 'FloatStorage', dtype: 'F32', bytes: 4, doc: 'float32' },
  { name: 'HalfStorage', dtype: 'F16', bytes: 2, doc: 'float16' },
  { name: 'BFloat16Storage', dtype: 'BF16', bytes: 2, doc: 'bfloat16' },
  { name: 'LongStorage', dtype: 'I64', bytes: 8, doc: 'int64' },
  { name: 'IntStorage', dtype: 'I32', bytes: 4, doc: 'int32' },
  { name: 'ShortStorage', dtype: 'I16', bytes: 2, doc: 'int16' },
  { name: 'CharStorage', dtype: 'I8', bytes: 1, doc: 'int8' },
  { name: 'ByteStorage', dtype: 'U8', bytes: 1, doc: 'uint8' },
  { name: 'BoolStorage', dtype: 'BOOL', bytes: 1, doc: 'bool' },
  { name: 'ComplexFloatStorage', dtype: 'C64', bytes: 8, doc: 'complex64' },
  { name: 'ComplexDoubleStorage', dtype: 'C128', bytes: 16, doc: 'complex128 (no safetensors dtype)' },
  { name: 'UntypedStorage', dtype: 'U8', bytes: 1, doc: 'untyped bytes; the tensor dtype comes from _rebuild_tensor_v3' },
];

/** `torch.<dtype>` globals passed to `_rebuild_tensor_v3`. */
export const TORCH_DTYPES: readonly TorchDTypeInfo[] = [
  { name: 'float64', dtype: 'F64', bytes: 8, doc: 'double' },
  { name: 'float32', dtype: 'F32', bytes: 4, doc: 'float' },
  { name: 'float16', dtype: 'F16', bytes: 2, doc: 'half' },
  { name: 'bfloat16', dtype: 'BF16', bytes: 2, doc: 'brain float' },
  { name: 'int64', dtype: 'I64', bytes: 8, doc: 'long' },
  { name: 'int32', dtype: 'I32', bytes: 4, doc: 'int' },
  { name: 'int16', dtype: 'I16', bytes: 2, doc: 'short' },
  { name: 'int8', dtype: 'I8', bytes: 1, doc: 'char' },
  { name: 'uint8', dtype: 'U8', bytes: 1, doc: 'byte' },
  { name: 'uint16', dtype: 'U16', bytes: 2, doc: 'torch ≥ 2.3' },
  { name: 'uint32', dtype: 'U32', bytes: 4, doc: 'torch ≥ 2.3' },
  { name: 'uint64', dtype: 'U64', bytes: 8, doc: 'torch ≥ 2.3' },
  { name: 'bool', dtype: 'BOOL', bytes: 1, doc: 'bool' },
  { name: 'complex64', dtype: 'C64', bytes: 8, doc: 'complex float' },
  { name: 'complex128', dtype: 'C128', bytes: 16, doc: 'complex double' },
  { name: 'float8_e4m3fn', dtype: 'F8_E4M3', bytes: 1, doc: 'torch ≥ 2.1' },
  { name: 'float8_e5m2', dtype: 'F8_E5M2', bytes: 1, doc: 'torch ≥ 2.1' },
];

const STORAGE_BY_NAME = new Map(TORCH_STORAGES.map((s) => [s.name, s]));
const DTYPE_BY_NAME = new Map(TORCH_DTYPES.map((s) => [s.name, s]));
const BYTES_BY_DTYPE = new Map([...TORCH_STORAGES, ...TORCH_DTYPES].map((s) => [s.dtype, s.bytes]));

const tuple = (v: PyValue | undefined): PyValue[] | undefined =>
  typeof v === 'object' && v !== null && v.kind === 'tuple' ? v.items : undefined;
const isNat = (v: PyValue | undefined): v is number => typeof v === 'number' && v >= 0;

/**
 * torch's `persistent_load` for `('storage', storage_type, key, location, numel[, view_metadata])`
 * (zip: 5-tuple; legacy: 6-tuple). Any other persistent id is refused (PICKLE_PERSID).
 */
export function torchStorage(pid: PyValue, at: number): TorchStorage {
  const t = tuple(pid);
  if (!t || t[0] !== 'storage') {
    throw new MvError('PICKLE_PERSID', "torch persistent ids must be ('storage', …) tuples", { offset: at });
  }
  if (t.length !== 5 && t.length !== 6) throw invalid('torch storage id must have 5 or 6 items', at);
  const [, type, key, location, numel] = t;
  if (typeof type !== 'object' || type === null || type.kind !== 'global' || type.module !== 'torch') {
    throw invalid('torch storage type must be a torch.*Storage class', at);
  }
  const info = STORAGE_BY_NAME.get(type.name);
  if (!info) throw invalid(`unsupported torch storage type torch.${type.name}`, at);
  if (typeof key !== 'string' || typeof location !== 'string' || !isNat(numel)) {
    throw invalid('torch storage id needs (key: str, location: str, numel: int)', at);
  }
  const s: { -readonly [K in keyof TorchStorage]: TorchStorage[K] } = { kind: 'storage', dtype: info.dtype, key, location, numel, at };
  if (t.length === 6 && t[5] !== null) {
    const v = tuple(t[5]);
    if (!v || v.length !== 3 || typeof v[0] !== 'string' || !isNat(v[1]) || !isNat(v[2])) {
      throw invalid('torch view metadata must be (key, offset, size)', at);
    }
    if (v[1] + v[2] > numel) throw invalid('torch view lies outside its storage', at);
    s.view = { key: v[0], offset: v[1], size: v[2] };
  }
  return s;
}

function ints(v: PyValue | undefined, what: string, at: number): number[] {
  const t = tuple(v);
  if (!t || !t.every(isNat)) throw invalid(`${what} must be a tuple of non-negative ints`, at);
  return t as number[];
}

/**
 * `_rebuild_tensor(storage, offset, size, stride)`, `_rebuild_tensor_v2(…, requires_grad, hooks[, metadata])`
 * and `_rebuild_tensor_v3(…, dtype[, metadata])`: checks that every element lies inside the storage.
 */
export function rebuildTensor(args: PyValue[], version: 1 | 2 | 3, at: number): TorchTensor {
  const n = args.length;
  const ok = version === 1 ? n === 4 : version === 2 ? n === 6 || n === 7 : n === 7 || n === 8;
  if (!ok) throw invalid(`_rebuild_tensor${version === 1 ? '' : `_v${version}`} got ${n} arguments`, at);
  const storage = args[0];
  if (typeof storage !== 'object' || storage === null || storage.kind !== 'storage') throw invalid('tensor storage must be a torch storage', at);
  const offset = args[1];
  if (!isNat(offset)) throw invalid('tensor storage offset must be a non-negative int', at);
  const shape = ints(args[2], 'tensor size', at);
  const stride = ints(args[3], 'tensor stride', at);
  if (shape.length !== stride.length) throw invalid('tensor size and stride differ in length', at);
  let requiresGrad = false;
  if (version > 1) {
    if (typeof args[4] !== 'boolean') throw invalid('requires_grad must be a bool', at);
    requiresGrad = args[4];
    const hooks = args[5];
    if (typeof hooks !== 'object' || hooks === null || hooks.kind !== 'dict') throw invalid('backward_hooks must be a dict', at);
  }
  let dtype = storage.dtype;
  if (version === 3) {
    const g = args[6];
    const info = typeof g === 'object' && g !== null && g.kind === 'global' && g.module === 'torch' ? DTYPE_BY_NAME.get(g.name) : undefined;
    if (!info) throw invalid('_rebuild_tensor_v3 dtype must be a torch dtype', at);
    dtype = info.dtype;
  }
  const elem = BYTES_BY_DTYPE.get(dtype)!;
  const storageBytes = storage.numel * BYTES_BY_DTYPE.get(storage.dtype)!;
  if (!shape.includes(0)) {
    let last = offset;
    for (let i = 0; i < shape.length; i++) last += (shape[i]! - 1) * stride[i]!;
    if (!Number.isSafeInteger(last) || (last + 1) * elem > storageBytes) throw invalid('tensor extends beyond its storage', at);
  }
  return { kind: 'tensor', storage, offset, shape, stride, dtype, requiresGrad, parameter: false, at };
}

/** `_rebuild_parameter(data, requires_grad, hooks)` / `_rebuild_parameter_with_state(…, state)`. */
export function rebuildParameter(args: PyValue[], withState: boolean, at: number): TorchTensor {
  if (args.length !== (withState ? 4 : 3)) throw invalid('_rebuild_parameter got the wrong number of arguments', at);
  const data = args[0];
  if (typeof data !== 'object' || data === null || data.kind !== 'tensor') throw invalid('parameter data must be a tensor', at);
  if (typeof args[1] !== 'boolean') throw invalid('requires_grad must be a bool', at);
  return { ...data, requiresGrad: args[1], parameter: true, at };
}
