import { MvError, mulChecked } from '../../core/index.js';
import type { NdArray, PyObject, PyValue } from './types.js';
import type { Vm } from './vm.js';
import { dictGet, dtypeHasObject } from './values.js';
import { invalid } from './numpy.js';

// joblib's inline arrays (formats.md §2.2): after the BUILD of a NumpyArrayWrapper the array bytes
// sit in the stream itself, outside any FRAME. We read exactly what joblib's `read_array` reads.

/** Modules that define joblib's array wrappers (sklearn < 0.23 vendored joblib). */
const JOBLIB_MODULES = new Set(['joblib.numpy_pickle', 'sklearn.externals.joblib.numpy_pickle']);

/** True for an instance of joblib's current `NumpyArrayWrapper` (the only wrapper with inline data). */
export function isJoblibWrapper(o: PyObject): boolean {
  const c = o.cls;
  return typeof c === 'object' && c !== null && c.kind === 'global' && c.name === 'NumpyArrayWrapper' && JOBLIB_MODULES.has(c.module);
}

/**
 * True for joblib ≤ 0.9 `NDArrayWrapper` / `ZNDArrayWrapper` instances, whose data lives in side
 * files named by `state.filename`. They stay inert objects: the engine never opens files.
 */
export function isLegacyJoblibWrapper(v: PyValue): boolean {
  if (typeof v !== 'object' || v === null || v.kind !== 'object') return false;
  const c = v.cls;
  return typeof c === 'object' && c !== null && c.kind === 'global' && JOBLIB_MODULES.has(c.module) &&
    (c.name === 'NDArrayWrapper' || c.name === 'ZNDArrayWrapper');
}

/**
 * Reads the payload that follows a NumpyArrayWrapper BUILD and returns what joblib puts on the stack
 * instead of the wrapper: an NdArray viewing the input (never copied), or the value of the nested
 * pickle for object dtypes. Leaves the cursor after the payload.
 */
export function readWrapperPayload(vm: Vm, w: PyObject, at: number): PyValue {
  const st = w.state;
  if (typeof st !== 'object' || st === null || st.kind !== 'dict') throw invalid('NumpyArrayWrapper state must be a dict', at);
  const shapeV = dictGet(st, 'shape');
  const order = dictGet(st, 'order');
  const dtype = dictGet(st, 'dtype');
  const sub = dictGet(st, 'subclass');
  const align = dictGet(st, 'numpy_array_alignment_bytes');
  if (typeof shapeV !== 'object' || shapeV === null || shapeV.kind !== 'tuple') throw invalid('NumpyArrayWrapper shape must be a tuple of ints', at);
  const shape: number[] = [];
  for (let i = 0; i < shapeV.items.length; i++) {
    const x = shapeV.items[i];
    if (typeof x !== 'number' || x < 0) throw invalid('NumpyArrayWrapper shape must be a tuple of ints', at);
    shape.push(x);
  }
  if (order !== 'C' && order !== 'F') throw invalid("NumpyArrayWrapper order must be 'C' or 'F'", at);
  if (typeof dtype !== 'object' || dtype === null || dtype.kind !== 'dtype') throw invalid('NumpyArrayWrapper dtype must be a numpy dtype', at);
  if (typeof sub !== 'object' || sub === null || sub.kind !== 'global') throw invalid('NumpyArrayWrapper subclass must be a class', at);
  if (align !== undefined && align !== null && (typeof align !== 'number' || align < 1 || align > 4096)) {
    throw invalid('numpy_array_alignment_bytes must be a small positive int or None', at);
  }
  // The payload is read from the raw stream: the BUILD must end its frame (joblib commits the frame first).
  if (vm.frameEnd >= 0) {
    if (vm.pos !== vm.frameEnd) {
      throw new MvError('PICKLE_FRAME_VIOLATION', 'joblib array payload starts inside a frame', { offset: at });
    }
    vm.frameEnd = -1;
  }
  const count = mulChecked(shape, 'PICKLE_RECONSTRUCT_INVALID', { offset: at });
  if (dtypeHasObject(dtype)) return vm.nested(at).value;
  if (typeof align === 'number') {
    // joblib ≥ 1.2 writes one pad-length byte then that many 0xFF bytes; like joblib's read_array we
    // trust the stored length (the writer computed it from its own file offset).
    const pad = vm.b[vm.take(1, at)]!;
    vm.take(pad, at);
  }
  const length = mulChecked([count, dtype.itemsize], 'PICKLE_RECONSTRUCT_INVALID', { offset: at });
  const offset = vm.take(length, at);
  vm.events.push({ kind: 'array-payload', at: offset, length, build: at });
  const data = vm.b.subarray(offset, offset + length);
  if (sub.module === 'numpy' && sub.name === 'ndarray') {
    return { kind: 'ndarray', dtype, shape, order, data, source: { offset, length }, at } satisfies NdArray;
  }
  return { kind: 'ndarray', dtype, shape, order, data, source: { offset, length }, at, subclass: `${sub.module}.${sub.name}` } satisfies NdArray;
}
