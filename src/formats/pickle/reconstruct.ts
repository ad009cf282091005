import { indexUnique } from '../../core/index.js';
import type { PyDict, PyGlobal, PyObject, PySet, PyValue } from './types.js';
import { dtypeFromTypestr, fromBuffer, invalid, latin1Encode, npScalar, reconstructArray } from './numpy.js';
import { rebuildParameter, rebuildTensor } from './torch.js';
import { dictSet, newDict, setAdd } from './values.js';

/**
 * A native reconstructor: a callable whose effect is pure data, evaluated in TypeScript with strict
 * argument validation (formats.md §0.1, §1.3). Returns undefined to leave the call symbolic.
 */
export type Reconstruct = (args: PyValue[], fn: PyGlobal, at: number) => PyValue | undefined;

/** One native reconstructor: the global it answers to, why evaluating it is safe, and how. */
export interface NativeInfo {
  readonly module: string;
  readonly name: string;
  readonly doc: string;
  readonly run: Reconstruct;
}

const isTuple = (v: PyValue | undefined): v is { kind: 'tuple'; items: PyValue[] } =>
  typeof v === 'object' && v !== null && v.kind === 'tuple';
const isBoolish = (v: PyValue | undefined): boolean => typeof v === 'boolean' || v === 0 || v === 1;
const isIntOrNone = (v: PyValue | undefined): boolean => v === null || typeof v === 'number' || typeof v === 'bigint';

function iterItems(v: PyValue | undefined, what: string, at: number): PyValue[] {
  if (typeof v === 'object' && v !== null && (v.kind === 'list' || v.kind === 'tuple' || v.kind === 'set')) return v.items;
  throw invalid(`${what} needs a list, tuple or set`, at);
}

function makeSet(args: PyValue[], frozen: boolean, at: number): PySet {
  if (args.length > 1) throw invalid('set takes at most one iterable', at);
  const s: PySet = { kind: 'set', frozen, items: [] };
  if (args.length === 1) for (const it of iterItems(args[0], 'set', at)) setAdd(s, it);
  return s;
}

const LATIN1 = new Set(['latin1', 'latin-1', 'iso-8859-1', 'iso8859-1', 'l1']);

function codecsEncode(args: PyValue[], at: number): PyValue {
  const [s, enc] = args;
  if (args.length !== 2 || typeof s !== 'string' || typeof enc !== 'string' || !LATIN1.has(enc.toLowerCase())) {
    throw invalid("_codecs.encode is only evaluated as (str, 'latin1')", at);
  }
  return { kind: 'bytes', data: latin1Encode(s, at), mutable: false };
}

function makeBytes(args: PyValue[], mutable: boolean, at: number): PyValue {
  if (args.length === 0) return { kind: 'bytes', data: new Uint8Array(0), mutable };
  const [a, enc] = args;
  if (args.length === 1 && typeof a === 'object' && a !== null && a.kind === 'bytes') return { kind: 'bytes', data: a.data, mutable };
  if (args.length === 2 && typeof a === 'string' && typeof enc === 'string' && LATIN1.has(enc.toLowerCase())) {
    return { kind: 'bytes', data: latin1Encode(a, at), mutable };
  }
  if (args.length === 1 && typeof a === 'object' && a !== null && a.kind === 'list') {
    const out = new Uint8Array(a.items.length);
    a.items.forEach((x, i) => {
      if (typeof x !== 'number' || x < 0 || x > 255) throw invalid('bytes() list items must be 0..255', at);
      out[i] = x;
    });
    return { kind: 'bytes', data: out, mutable };
  }
  throw invalid(`${mutable ? 'bytearray' : 'bytes'}() got unsupported arguments`, at);
}

function orderedDict(args: PyValue[], at: number): PyDict {
  const d = newDict();
  if (args.length > 1) throw invalid('OrderedDict takes at most one argument', at);
  if (args.length === 1) {
    for (const pair of iterItems(args[0], 'OrderedDict', at)) {
      const kv = typeof pair === 'object' && pair !== null && (pair.kind === 'tuple' || pair.kind === 'list') ? pair.items : undefined;
      if (!kv || kv.length !== 2) throw invalid('OrderedDict items must be pairs', at);
      dictSet(d, kv[0]!, kv[1]!);
    }
  }
  return d;
}

function inert(cls: PyGlobal, args: PyValue[], at: number): PyObject {
  return { kind: 'object', cls, args, at };
}

function slice(args: PyValue[], fn: PyGlobal, at: number): PyObject {
  if (args.length < 1 || args.length > 3 || !args.every(isIntOrNone)) throw invalid('slice takes 1–3 ints or None', at);
  const norm = args.length === 1 ? [null, args[0]!, null] : [args[0]!, args[1]!, args.length === 3 ? args[2]! : null];
  return inert(fn, norm, at);
}

function complex(args: PyValue[], fn: PyGlobal, at: number): PyObject {
  const num = (v: PyValue | undefined): number | undefined =>
    typeof v === 'number' ? v : typeof v === 'object' && v !== null && v.kind === 'float' ? v.value : undefined;
  if (args.length > 2) throw invalid('complex takes (real, imag)', at);
  const re = args.length > 0 ? num(args[0]) : 0;
  const im = args.length > 1 ? num(args[1]) : 0;
  if (re === undefined || im === undefined) throw invalid('complex parts must be numbers', at);
  return inert(fn, [{ kind: 'float', value: re }, { kind: 'float', value: im }], at);
}

function copyregReconstructor(args: PyValue[], at: number): PyValue | undefined {
  if (args.length !== 3) throw invalid('copyreg._reconstructor takes (cls, base, state)', at);
  const [cls, base, state] = args;
  if (typeof cls !== 'object' || cls === null || cls.kind !== 'global') throw invalid('copyreg._reconstructor cls must be a class', at);
  if (typeof base !== 'object' || base === null || base.kind !== 'global') throw invalid('copyreg._reconstructor base must be a class', at);
  if (base.module === 'builtins' && base.name === 'object' && state === null) return { kind: 'object', cls, args: [], at };
  return undefined; // builtin-subclass instances (base.__new__(cls, state)) stay symbolic
}

function newobj(args: PyValue[], at: number): PyObject {
  const cls = args[0];
  if (cls === undefined || typeof cls !== 'object' || cls === null || cls.kind !== 'global') throw invalid('copyreg.__newobj__ needs a class', at);
  return { kind: 'object', cls, args: args.slice(1), at };
}

function newobjEx(args: PyValue[], at: number): PyObject {
  const [cls, a, kw] = args;
  if (args.length !== 3 || typeof cls !== 'object' || cls === null || cls.kind !== 'global' || !isTuple(a) ||
    typeof kw !== 'object' || kw === null || kw.kind !== 'dict') {
    throw invalid('copyreg.__newobj_ex__ takes (cls, args tuple, kwargs dict)', at);
  }
  return { kind: 'object', cls, args: a.items, kwargs: kw, at };
}

function numpyDType(args: PyValue[], at: number): PyValue {
  if (args.length !== 3 || !isBoolish(args[1]) || !isBoolish(args[2])) throw invalid('numpy.dtype takes (typestr, align, copy)', at);
  return dtypeFromTypestr(args[0]!, at);
}

function torchSize(args: PyValue[], at: number): PyValue {
  if (args.length !== 1 || !isTuple(args[0]) || !args[0].items.every((x) => typeof x === 'number' && x >= 0)) {
    throw invalid('torch.Size takes a tuple of ints', at);
  }
  return args[0];
}

// numpy 1 writes numpy.core.*, numpy 2 numpy._core.* (formats.md §10.2): both spellings are listed.
const NP = (mod: string, name: string, doc: string, run: Reconstruct): NativeInfo[] => [
  { module: `numpy.core.${mod}`, name, doc, run },
  { module: `numpy._core.${mod}`, name, doc, run },
];

/** Every native reconstructor (formats.md §0.1). Everything else stays a symbolic PyCall. */
export const NATIVES: readonly NativeInfo[] = [
  ...NP('multiarray', '_reconstruct', 'Allocates an empty ndarray; data arrives by BUILD.', (a, _f, at) => reconstructArray(a, at)),
  ...NP('multiarray', 'scalar', 'A numpy scalar from a dtype and its raw bytes.', (a, _f, at) => npScalar(a, at)),
  ...NP('numeric', '_frombuffer', 'Protocol-5 ndarray over an in-band bytearray.', (a, _f, at) => fromBuffer(a, at)),
  { module: 'numpy', name: 'dtype', doc: 'A dtype from its type string; fields arrive by BUILD.', run: (a, _f, at) => numpyDType(a, at) },
  { module: '_codecs', name: 'encode', doc: "Protocol 0–2 bytes: encode(str, 'latin1').", run: (a, _f, at) => codecsEncode(a, at) },
  { module: 'builtins', name: 'bytes', doc: 'bytes() / bytes(b) / bytes(str, latin1).', run: (a, _f, at) => makeBytes(a, false, at) },
  { module: 'builtins', name: 'bytearray', doc: 'bytearray() / bytearray(b) / bytearray(str, latin1).', run: (a, _f, at) => makeBytes(a, true, at) },
  { module: 'builtins', name: 'set', doc: 'A set from an iterable of items.', run: (a, _f, at) => makeSet(a, false, at) },
  { module: 'builtins', name: 'frozenset', doc: 'A frozenset from an iterable of items.', run: (a, _f, at) => makeSet(a, true, at) },
  { module: 'builtins', name: 'slice', doc: 'slice(start, stop, step) of ints/None, kept as an inert object.', run: slice },
  { module: 'builtins', name: 'complex', doc: 'complex(real, imag), kept as an inert object of two floats.', run: complex },
  { module: 'collections', name: 'OrderedDict', doc: 'An insertion-ordered dict.', run: (a, _f, at) => orderedDict(a, at) },
  { module: 'copyreg', name: '_reconstructor', doc: 'Protocol 0/1 instance of a plain class (object.__new__).', run: (a, _f, at) => copyregReconstructor(a, at) },
  { module: 'copyreg', name: '__newobj__', doc: 'cls.__new__(cls, *args) as an inert instance.', run: (a, _f, at) => newobj(a, at) },
  { module: 'copyreg', name: '__newobj_ex__', doc: 'cls.__new__(cls, *args, **kwargs) as an inert instance.', run: (a, _f, at) => newobjEx(a, at) },
  { module: 'torch._utils', name: '_rebuild_tensor', doc: 'Oldest tensor rebuild: a view of a storage.', run: (a, _f, at) => rebuildTensor(a, 1, at) },
  { module: 'torch._utils', name: '_rebuild_tensor_v2', doc: 'A tensor view of a storage (offset/size/stride in elements).', run: (a, _f, at) => rebuildTensor(a, 2, at) },
  { module: 'torch._utils', name: '_rebuild_tensor_v3', doc: 'A tensor view of an untyped storage with an explicit dtype.', run: (a, _f, at) => rebuildTensor(a, 3, at) },
  { module: 'torch._utils', name: '_rebuild_parameter', doc: 'nn.Parameter around a tensor.', run: (a, _f, at) => rebuildParameter(a, false, at) },
  { module: 'torch._utils', name: '_rebuild_parameter_with_state', doc: 'nn.Parameter with extra state.', run: (a, _f, at) => rebuildParameter(a, true, at) },
  { module: 'torch', name: 'Size', doc: 'torch.Size(tuple) is a tuple of ints.', run: (a, _f, at) => torchSize(a, at) },
];

indexUnique(NATIVES, (n) => `${n.module} ${n.name}`); // throws at import on a duplicate row
const BY_MODULE = new Map<string, Map<string, NativeInfo>>();
for (const n of NATIVES) {
  let m = BY_MODULE.get(n.module);
  if (!m) BY_MODULE.set(n.module, (m = new Map()));
  m.set(n.name, n);
}

/** The native reconstructor for a global, if any (two map lookups, no string building). */
export function nativeFor(g: PyGlobal): NativeInfo | undefined {
  return BY_MODULE.get(g.module)?.get(g.name);
}

