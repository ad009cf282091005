import type { MvError } from '../../core/index.js';

/**
 * The inert object graph built by the pickle VM. Nothing here is ever called: globals, calls,
 * instances and persistent ids stay symbolic; only the pure data reconstructors listed in
 * ../shared/spec/formats.md §0 are evaluated (to `ndarray`, `dtype`, `npscalar`, `tensor`, `bytes`).
 *
 * Python → TS mapping: None → null, bool → boolean, int → number (bigint beyond 2^53),
 * float → PyFloat, str → string, everything else → a tagged object below. Nodes are mutable
 * references (BUILD mutates in place, memo entries share identity); graphs may be cyclic.
 */
export type PyValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | PyFloat
  | PyBytes
  | PyTuple
  | PyList
  | PyDict
  | PySet
  | PyGlobal
  | PyCall
  | PyObject
  | PyPersId
  | NdArray
  | DType
  | NpScalar
  | TorchTensor
  | TorchStorage;

/** A Python float (kept apart from int so converters can tell 1 from 1.0). */
export interface PyFloat { readonly kind: 'float'; readonly value: number }
/** bytes, or bytearray when `mutable`. `data` is a view into the input where possible (zero-copy). */
export interface PyBytes { readonly kind: 'bytes'; readonly data: Uint8Array; readonly mutable: boolean }
/** A tuple (immutable in Python, but it may reference instances that are built later). */
export interface PyTuple { readonly kind: 'tuple'; readonly items: PyValue[] }
/** A list; may contain itself (cyclic graphs are legal pickles). */
export interface PyList { readonly kind: 'list'; readonly items: PyValue[] }
/** A dict with structural keys, in insertion order. Use `dictGet` for string keys. */
export interface PyDict {
  readonly kind: 'dict';
  readonly keys: PyValue[];
  readonly values: PyValue[];
  /** Set by BUILD on a dict (e.g. an OrderedDict carrying attributes such as torch's `_metadata`). */
  state?: PyValue;
}
/** A set or frozenset with Python-equal items deduplicated. */
export interface PySet { readonly kind: 'set'; readonly frozen: boolean; readonly items: PyValue[] }

/** A reference to a module attribute, as `find_class(module, name)` would resolve it. */
export interface PyGlobal {
  readonly kind: 'global';
  /** Normalised module (py2 names mapped: `__builtin__` → `builtins`, `copy_reg` → `copyreg`). */
  readonly module: string;
  readonly name: string;
  /** Module and name exactly as written in the file, when they differ from the normalised ones. */
  readonly raw?: { readonly module: string; readonly name: string };
  /** Offset of the GLOBAL/STACK_GLOBAL/INST opcode. */
  readonly at: number;
}

/** REDUCE of a callable that is not a native reconstructor: `fn(*args)`, never evaluated. */
export interface PyCall {
  readonly kind: 'call';
  readonly fn: PyValue;
  readonly args: PyValue;
  /** Set by BUILD (`__setstate__`). */
  state?: PyValue;
  /** Items appended / set by APPEND(S)/SETITEM(S) on this non-container. */
  mutations?: PyValue[];
  readonly at: number;
}

/** NEWOBJ/NEWOBJ_EX/INST/OBJ (or copyreg.__newobj__/_reconstructor): an instance of `cls`. */
export interface PyObject {
  readonly kind: 'object';
  readonly cls: PyValue;
  readonly args: PyValue[];
  readonly kwargs?: PyDict;
  /** Set by BUILD: usually a dict of attributes, or (dict, slotstate). */
  state?: PyValue;
  mutations?: PyValue[];
  readonly at: number;
}

/** A persistent id left symbolic (torch storages are resolved to TorchStorage by the torch profile). */
export interface PyPersId { readonly kind: 'persid'; readonly pid: PyValue; readonly at: number }

/** numpy byte order: little, big, or not applicable. */
export type ByteOrder = '<' | '>' | '|';

/** An evaluated numpy dtype (from `numpy.dtype(typestr, align, copy)` + BUILD state). */
export interface DType {
  readonly kind: 'dtype';
  /** Kind letter: f i u b c O U S V M m. */
  readonly char: string;
  /** Bytes per element. */
  itemsize: number;
  byteorder: ByteOrder;
  /** Structured dtypes: fields in `names` order. */
  fields?: { readonly name: string; readonly dtype: DType; readonly offset: number }[];
  /** Sub-array dtypes: base and shape. */
  subarray?: { readonly base: DType; readonly shape: number[] };
  /** Canonical string like `<f8`, `|u1`, `|V56`, `<U2`, `|O`, `<M8[ns]`. */
  readonly str: string;
  /** datetime64/timedelta64 unit from the version-4 state (`ns`, `10s`, …). */
  unit?: string;
}

/**
 * An evaluated ndarray. Exactly one of `data` (raw bytes in `order`, dtype byte order) or `items`
 * (object dtype, C order) is set. Joblib inline arrays point into the input: `source.offset`.
 */
export interface NdArray {
  readonly kind: 'ndarray';
  readonly dtype: DType;
  readonly shape: number[];
  readonly order: 'C' | 'F';
  data?: Uint8Array;
  items?: PyValue[];
  /** numpy subclass when not ndarray (e.g. `numpy.matrix`). */
  readonly subclass?: string;
  /** Where the payload lives in the input, for arrays skipped without copying. */
  readonly source?: { readonly offset: number; readonly length: number };
  readonly at: number;
}

/** A numpy scalar (`numpy.core.multiarray.scalar(dtype, payload)`). */
export interface NpScalar { readonly kind: 'npscalar'; readonly dtype: DType; readonly value: PyValue }

/** A torch storage reference from a persistent id ('storage', type, key, location, numel[, view]). */
export interface TorchStorage {
  readonly kind: 'storage';
  /** safetensors-style dtype name: F32, F16, BF16, I64, BOOL, … */
  readonly dtype: string;
  readonly key: string;
  readonly location: string;
  /** Element count of the storage (bytes for untyped storages). */
  readonly numel: number;
  /** Legacy format view metadata: (view_key, offset, size). */
  readonly view?: { readonly key: string; readonly offset: number; readonly size: number };
  readonly at: number;
}

/** `torch._utils._rebuild_tensor_v2/v3` (or `_rebuild_parameter`) evaluated to plain data. */
export interface TorchTensor {
  readonly kind: 'tensor';
  readonly storage: TorchStorage;
  /** Element offset into the storage. */
  readonly offset: number;
  readonly shape: number[];
  /** Strides in elements. */
  readonly stride: number[];
  readonly dtype: string;
  readonly requiresGrad: boolean;
  readonly parameter: boolean;
  readonly at: number;
}

/**
 * Everything the VM observed that a policy may judge, in stream order. Recorded as it happens so a
 * payload before a broken tail is still reported.
 */
export type PickleEvent =
  /** A GLOBAL/STACK_GLOBAL/INST reference (non-str STACK_GLOBAL operands give `bad-global` instead). */
  | { readonly kind: 'global'; readonly global: PyGlobal; readonly op: 'GLOBAL' | 'STACK_GLOBAL' | 'INST' }
  /** STACK_GLOBAL with non-string operands (`<int>`, `<NoneType>` … name their types); the parse then stops with PICKLE_BAD_OPERAND. */
  | { readonly kind: 'bad-global'; readonly module: string; readonly name: string; readonly at: number }
  /** REDUCE/NEWOBJ/NEWOBJ_EX/INST/OBJ of `callee` (a global, or another value such as a call result). */
  | { readonly kind: 'call'; readonly op: string; readonly callee: PyValue; readonly args: PyValue[]; readonly at: number }
  /** BUILD on `target` with `state`. */
  | { readonly kind: 'build'; readonly target: PyValue; readonly state: PyValue; readonly at: number }
  /** APPEND(S)/SETITEM(S)/ADDITEMS on something that is not a list/dict/set. */
  | { readonly kind: 'mutation'; readonly op: string; readonly target: PyValue; readonly at: number }
  /** A persistent id (PERSID/BINPERSID). */
  | { readonly kind: 'persid'; readonly pid: PyValue; readonly at: number }
  /** A nested pickle stream (joblib object array) started at `at`. */
  | { readonly kind: 'nested'; readonly at: number; readonly end: number }
  /** joblib NumpyArrayWrapper payload skipped by length. */
  | { readonly kind: 'array-payload'; readonly at: number; readonly length: number; /** Offset of the wrapper's BUILD. */ readonly build?: number };

/** What `parsePickle` returns; it never throws for bad input. */
export interface PickleResult {
  /** The value left by STOP (undefined when the stream broke before STOP). */
  readonly value: PyValue | undefined;
  readonly events: PickleEvent[];
  /** The protocol from PROTO (0 when absent). */
  readonly proto: number;
  /** Offset just after STOP, or of the break. */
  readonly end: number;
  /** Set when the stream could not be read to STOP: everything before `error.at.offset` was interpreted. */
  readonly error?: MvError;
}
