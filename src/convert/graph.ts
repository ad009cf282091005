/**
 * scikit-learn graph → model description: support check over the whole graph first, then dispatch
 * through the estimator table, input schema inference and the head.
 */
import { MvError } from '../core/index.js';
import { TensorBuilder, isEstimatorOp, type IrTensor, type ModelIR, type OutputSchema, type Provenance } from '../runtime/index.js';
import { className, type PyValue } from './py.js';
import { inferFeatures, outputNames, outputText } from './schema.js';
import { State, type Path } from './state.js';
import type { Ctx, Mapped } from './sklearn/common.js';
import { ESTIMATOR_BY_CLASS, ESTIMATORS, INNER_TYPES, isInnerType, type EstimatorRow, type Family } from './sklearn/table.js';
import { classesInGraph, type ClassUse } from './walk.js';

export { ESTIMATORS, INNER_TYPES, classesInGraph, type EstimatorRow, type Family, type ClassUse };

/** Version of this converter, recorded in provenance. */
export const CONVERTER_VERSION = '0.1.0';

export interface ConvertOptions {
  /** SHA-256 (hex) of the source file. */
  readonly sourceSha256: string;
  /** ISO-8601 time (passed in: rank 3 never reads the clock). */
  readonly created: string;
  /** e.g. 'joblib' or 'pickle'. */
  readonly sourceFormat?: string;
  /** Overrides for the detected library name and version. */
  readonly library?: string;
  readonly libraryVersion?: string;
  readonly converterVersion?: string;
}

export interface ConvertReport {
  /** Class of the root estimator. */
  readonly root: string;
  /** Every supported estimator class in the graph (sorted). */
  readonly estimators: readonly string[];
  readonly library: { readonly name: string; readonly version: string };
  readonly role: Mapped['role'];
  /** Version quirks handled, options ignored, columns dropped … */
  readonly notes: readonly string[];
  readonly tensorCount: number;
  readonly tensorBytes: number;
}

export interface Conversion {
  readonly ir: ModelIR;
  readonly tensors: ReadonlyMap<string, IrTensor>;
  readonly report: ConvertReport;
}

export interface SupportReport {
  readonly root: string | undefined;
  /** Estimator classes with a mapper. */
  readonly supported: readonly string[];
  /** Helper classes read or ignored by a mapper. */
  readonly inner: readonly string[];
  /** Every class that is neither. */
  readonly unsupported: readonly ClassUse[];
}

/** Classifies every class in the graph: a supported estimator, a known helper, or unsupported. */
export function checkSupport(value: PyValue): SupportReport {
  const uses = classesInGraph(value);
  return {
    root: className(value),
    supported: uses.filter((u) => ESTIMATOR_BY_CLASS.has(u.cls)).map((u) => u.cls),
    inner: uses.filter((u) => !ESTIMATOR_BY_CLASS.has(u.cls) && isInnerType(u.cls)).map((u) => u.cls),
    unsupported: uses.filter((u) => !ESTIMATOR_BY_CLASS.has(u.cls) && !isInnerType(u.cls)),
  };
}

function libraryOf(root: State, m: Mapped, opts: ConvertOptions): { name: string; version: string } {
  const mod = root.cls.split('.')[0]!;
  const name = opts.library ?? m.library?.name ?? (mod === 'sklearn' ? 'scikit-learn' : mod);
  const version = opts.libraryVersion ?? m.library?.version ?? root.sklearnVersion ?? 'unknown';
  return { name, version };
}

function unsupportedError(list: readonly ClassUse[]): MvError {
  const names = list.map((u) => u.cls);
  return new MvError('CONVERT_UNSUPPORTED', `unsupported type${names.length > 1 ? 's' : ''} in the model: ${names.join(', ')}`, {
    offset: list[0]?.at,
  });
}

/**
 * `joblib.dump({'model': pipe, 'version': 3}, …)` is common: a dict (or list/tuple) whose values
 * hold exactly one supported estimator converts that estimator; the other entries are left out.
 */
function unwrapContainer(v: PyValue): { value: PyValue; note?: string } {
  if (v === null || typeof v !== 'object' || (v.kind !== 'dict' && v.kind !== 'list' && v.kind !== 'tuple')) return { value: v };
  const entries: [string, PyValue][] = v.kind === 'dict'
    ? v.keys.map((k, i) => [typeof k === 'string' ? JSON.stringify(k) : String(k), v.values[i]!])
    : v.items.map((x, i) => [`[${i}]`, x]);
  const found = entries.filter(([, x]) => {
    const c = className(x);
    return c !== undefined && ESTIMATOR_BY_CLASS.has(c);
  });
  if (found.length !== 1) return { value: v };
  const [key, est] = found[0]!;
  return { value: est, note: `the file holds a ${v.kind}; converted the estimator at ${key}, the other ${entries.length - 1} entr${entries.length === 2 ? 'y was' : 'ies were'} left out` };
}

/**
 * Converts a parsed scikit-learn graph (a supported estimator, Pipeline or ColumnTransformer at the
 * root) into the model description and its tensors. Throws CONVERT_UNSUPPORTED naming EVERY
 * unsupported class in the graph (checked before any mapping), or CONVERT_STATE_INVALID with the
 * graph path of a malformed field.
 */
export function convertGraph(input: PyValue, opts: ConvertOptions): Conversion {
  const { value, note } = unwrapContainer(input);
  const support = checkSupport(value);
  if (support.unsupported.length) throw unsupportedError(support.unsupported);
  const rootCls = className(value);
  if (!rootCls || !ESTIMATOR_BY_CLASS.has(rootCls)) {
    throw new MvError('CONVERT_UNSUPPORTED', `the root object is ${rootCls ?? 'not an estimator'}, not a supported estimator`);
  }
  const tb = new TensorBuilder();
  const notes: string[] = note ? [note] : [];
  const plainNames = new WeakSet<object>();
  const ctx: Ctx = {
    tb,
    notes,
    plainNames,
    map(v: PyValue | undefined, path: Path): Mapped {
      const s = State.of(v, path);
      const row = ESTIMATOR_BY_CLASS.get(s.cls);
      if (!row) throw new MvError('CONVERT_UNSUPPORTED', `unsupported type in the model: ${s.cls}`, { path: path.map(String) });
      return row.map(s, ctx);
    },
  };
  const root = State.of(value, []);
  const m = ctx.map(value, []);
  if (m.nIn === undefined || m.nIn < 0) throw new MvError('CONVERT_STATE_INVALID', 'cannot tell the number of input features');
  const features = inferFeatures(m.op, m.nIn, m.featureNames, tb.tensors, m.role === 'transformer');
  if (m.role === 'transformer' && outputText(m.op, features.map((f) => f.type === 'string')).some(Boolean)) {
    throw new MvError('CONVERT_UNSUPPORTED', `${root.shortName} outputs text columns; the artifact computes numbers only (use it inside a pipeline that encodes them)`);
  }
  const output: OutputSchema =
    m.role === 'classifier'
      ? { kind: 'classifier', classes: m.classes ?? [], ...(m.nClasses ? { n_classes: m.nClasses } : {}), methods: m.methods }
      : m.role === 'transformer'
        ? { kind: 'transformer', n_outputs: m.nOut, names: outputNames(m.op, features.map((f) => f.name), tb.tensors, plainNames), methods: m.methods }
        : { kind: 'regressor', n_outputs: m.nOut, methods: m.methods };
  const library = libraryOf(root, m, opts);
  const provenance: Provenance = {
    source_sha256: opts.sourceSha256,
    source_format: opts.sourceFormat ?? 'pickle',
    library,
    converter: { name: 'modelvault', version: opts.converterVersion ?? CONVERTER_VERSION },
    created: opts.created,
    estimators: support.supported,
  };
  const ir: ModelIR = {
    version: 1,
    input: { n_features: m.nIn, features, named: m.featureNames !== undefined },
    output,
    graph: m.op,
    provenance,
  };
  if (m.role !== 'transformer' && !isEstimatorOp(m.op) && m.op.kind !== 'pipeline') {
    throw new MvError('INTERNAL', `a ${m.role} graph must end in an estimator`);
  }
  let bytes = 0;
  for (const t of tb.tensors.values()) bytes += t.data.byteLength;
  return {
    ir,
    tensors: tb.tensors,
    report: { root: root.cls, estimators: support.supported, library, role: m.role, notes, tensorCount: tb.tensors.size, tensorBytes: bytes },
  };
}
