import { GENERATED_ALLOW } from './allowlist-generated.js';

/**
 * The exact (module, qualified name) allow-list. A global not listed here is a finding; a listed one
 * is only ever modelled, never called. `use` says how it may appear: `construct` = may be called or
 * instantiated by REDUCE/NEWOBJ/INST/OBJ; `reference` = may appear as a value only (a parameter
 * holding a function), never called. `profiles` restricts where an entry applies (a torch checkpoint
 * has no business importing scikit-learn). Numpy 2 names (`numpy._core.*`) are normalised to numpy 1
 * names before lookup (scan/classify.ts).
 */
export type Profile = 'pickle' | 'torch';
export type Use = 'construct' | 'reference';

export interface AllowEntry {
  readonly module: string;
  readonly name: string;
  readonly use: Use;
  readonly reason: string;
  /** Profiles where the entry applies; all when absent. */
  readonly profiles?: readonly Profile[];
}

const c = (module: string, names: string, reason: string, use: Use = 'construct', profiles?: Profile[]): AllowEntry[] =>
  names.split(/\s+/).filter(Boolean).map((name) => ({ module, name, use, reason, ...(profiles ? { profiles } : {}) }));

const NUMPY_SCALARS =
  'bool_ int8 int16 int32 int64 uint8 uint16 uint32 uint64 float16 float32 float64 longdouble complex64 complex128 ' +
  'str_ bytes_ object_ datetime64 timedelta64 intc uintc longlong ulonglong void generic number';

const CURATED: AllowEntry[] = [
  // ── Python built-ins that only build plain data ──────────────────────────────────────────────
  ...c('builtins', 'set frozenset bytearray bytes slice complex int float str bool tuple list dict range object',
    'Built-in type: calling it builds plain data.'),
  ...c('copyreg', '_reconstructor __newobj__ __newobj_ex__',
    'Instance creation helper used by protocols 0-2: cls.__new__(cls); the class itself is judged separately.'),
  ...c('collections', 'OrderedDict defaultdict deque Counter', 'Container type: builds plain data.'),
  ...c('_codecs', 'encode', "Protocol 2 spelling of bytes: _codecs.encode(str, 'latin1'); evaluated in TypeScript."),
  // ── numpy ────────────────────────────────────────────────────────────────────────────────────
  ...c('numpy.core.multiarray', '_reconstruct', 'Allocates an empty ndarray; takes no callables. Evaluated in TypeScript.'),
  ...c('numpy.core.multiarray', 'scalar', 'Builds a numpy scalar from a dtype and raw bytes. Evaluated in TypeScript.'),
  ...c('numpy.core.numeric', '_frombuffer', 'Protocol 5 ndarray from an in-band buffer. Evaluated in TypeScript.'),
  ...c('numpy', 'dtype ndarray matrix', 'numpy array or dtype class; reconstructed from plain state.'),
  ...c('numpy', 'memmap', 'numpy.memmap named as an array subclass in joblib wrapper state; calling it would map a file.', 'reference'),
  ...c('numpy', NUMPY_SCALARS, 'numpy scalar type, referenced as a dtype parameter or built from raw bytes.'),
  ...c('numpy.matrixlib.defmatrix', 'matrix', 'numpy.matrix subclass of ndarray (plain data).'),
  ...c('numpy.ma.core', '_mareconstruct MaskedArray', 'Masked array reconstruction from plain state.'),
  ...c('numpy.random._pickle', '__randomstate_ctor __bit_generator_ctor __generator_ctor',
    'Rebuilds a random generator from a bit-generator name and state (scikit-learn random_state).'),
  ...c('numpy.random.mtrand', 'RandomState', 'Random generator object restored from plain state.'),
  ...c('numpy.random._mt19937', 'MT19937', 'Bit-generator class passed by name to __bit_generator_ctor.'),
  ...c('numpy.random._pcg64', 'PCG64 PCG64DXSM', 'Bit-generator class passed to __bit_generator_ctor.'),
  ...c('numpy.random._philox', 'Philox', 'Bit-generator class passed to __bit_generator_ctor.'),
  ...c('numpy.random._sfc64', 'SFC64', 'Bit-generator class passed to __bit_generator_ctor.'),
  ...c('numpy.random._generator', 'Generator', 'Random generator restored from plain state.'),
  ...c('numpy', 'mean median sum', 'numpy function stored as a parameter value; never called by unpickling.', 'reference'),
  ...c('builtins', 'len min max abs sum sorted', 'Built-in function stored as a parameter value; never called by unpickling.', 'reference'),
  // ── joblib ───────────────────────────────────────────────────────────────────────────────────
  ...c('joblib.numpy_pickle', 'NumpyArrayWrapper NDArrayWrapper ZNDArrayWrapper',
    'joblib array wrapper: its BUILD state describes the inline array that follows (read by length, never unpickled).'),
  // ── scipy ────────────────────────────────────────────────────────────────────────────────────
  ...['_csr', '_csc', '_coo', '_lil', '_dok', '_bsr', '_dia', 'csr', 'csc', 'coo'].flatMap((m) =>
    c(`scipy.sparse.${m}`, `${m.replace('_', '')}_matrix ${m.replace('_', '')}_array`,
      'scipy sparse matrix restored from its attribute dict of arrays.')),
  ...c('scipy.interpolate._bsplines', 'BSpline', 'B-spline restored from knots and coefficients (SplineTransformer).'),
  // ── XGBoost and LightGBM wrappers ────────────────────────────────────────────────────────────
  ...c('xgboost.sklearn', 'XGBClassifier XGBRegressor XGBRanker XGBRFClassifier XGBRFRegressor XGBModel',
    'XGBoost scikit-learn wrapper: parameters plus a Booster.'),
  ...c('xgboost.core', 'Booster', 'XGBoost Booster: its state holds the model as a UBJSON/binary bytearray (data only).'),
  ...c('lightgbm.sklearn', 'LGBMClassifier LGBMRegressor LGBMRanker LGBMModel',
    'LightGBM scikit-learn wrapper: parameters plus a Booster.'),
  ...c('lightgbm.basic', 'Booster', 'LightGBM Booster: its state holds the model as model_to_string text (data only).'),
  // ── PyTorch (after torch/_weights_only_unpickler.py) ─────────────────────────────────────────
  ...c('torch._utils', '_rebuild_tensor _rebuild_tensor_v2 _rebuild_tensor_v3 _rebuild_parameter _rebuild_parameter_with_state',
    'Rebuilds a dense tensor or Parameter from a storage reference; evaluated in TypeScript.'),
  ...c('torch', 'Size device', 'Shape tuple or device name (plain data).'),
  ...c('torch', 'DoubleStorage FloatStorage HalfStorage BFloat16Storage LongStorage IntStorage ShortStorage CharStorage ' +
    'ByteStorage BoolStorage ComplexFloatStorage ComplexDoubleStorage UntypedStorage',
    'Storage type named in a persistent id; the bytes are tensor data, never unpickled.'),
  ...c('torch', 'float64 float32 float16 bfloat16 int64 int32 int16 int8 uint8 bool complex64 complex128 ' +
    'float8_e4m3fn float8_e5m2 uint16 uint32 uint64 double float half long int short',
    'torch dtype object passed to _rebuild_tensor_v3 or stored as a value.', 'reference'),
  ...c('torch', 'Tensor', 'torch.Tensor class reference (weights-only unpickler allows it).'),
  ...c('torch.nn.parameter', 'Parameter', 'nn.Parameter wrapper around a tensor.'),
  ...c('torch.serialization', '_get_layout', 'Returns a layout constant by name (torch.strided).'),
  ...c('torch.jit._pickle', 'build_intlist build_tensorlist build_doublelist build_boollist build_genericlist restore_type_tag',
    'TorchScript pickle helper that builds a typed list from its argument (the archive itself is reported as code).', 'construct', ['torch']),
];

export const ALLOWLIST: readonly AllowEntry[] = [
  ...CURATED,
  ...GENERATED_ALLOW.map(([module, name, use, reason]) => ({ module, name, use, reason })),
];

/**
 * Classes whose instances are dict/list/set containers: APPEND(S)/SETITEM(S)/ADDITEMS on them only fill
 * them (sklearn's Bunch and the collections types are dict/list subclasses written with NEWOBJ + SETITEMS).
 */
export const CONTAINER_TYPES: ReadonlyMap<string, string> = new Map([
  ['collections.OrderedDict', 'dict subclass'], ['collections.defaultdict', 'dict subclass'], ['collections.Counter', 'dict subclass'],
  ['collections.deque', 'list-like container'], ['builtins.dict', 'dict'], ['builtins.list', 'list'], ['builtins.set', 'set'],
  ['sklearn.utils._bunch.Bunch', 'dict subclass with attribute access'], ['sklearn.utils.Bunch', 'dict subclass with attribute access'],
]);

/**
 * Allow-listed helpers that call one of their arguments (threats.md §7.3): the argument at each listed
 * position is judged as if it were called. `copyreg._reconstructor(cls, base, state)` runs
 * `base.__new__(cls, state)`; `__newobj__(cls, …)` runs `cls.__new__`; numpy's generator constructors call
 * the bit-generator constructor they are given.
 */
export const CALLS_ARGUMENTS: ReadonlyMap<string, readonly number[]> = new Map([
  ['copyreg._reconstructor', [0, 1]], ['copyreg.__newobj__', [0]], ['copyreg.__newobj_ex__', [0]],
  ['numpy.random._pickle.__randomstate_ctor', [1]], ['numpy.random._pickle.__generator_ctor', [1]],
  ['numpy.random._pickle.__bit_generator_ctor', [0]],
]);

/** Profiles a container implies. Torch checkpoints may hold numpy values and plain Python data. */
export const PROFILE_MODULES: Readonly<Record<Profile, (module: string) => boolean>> = {
  pickle: () => true,
  torch: (m) => m.startsWith('torch') || m.startsWith('numpy') || ['builtins', 'collections', 'copyreg', '_codecs'].includes(m),
};
