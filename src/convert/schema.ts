/**
 * Input schema inference over a converted graph: which input columns are text, which are category
 * codes, and which accept missing values — propagated backwards from each consumer through the
 * column-preserving operators (identity, scale) so e.g. a scaler in front of a HistGradientBoosting
 * model still accepts NaN.
 */
import { MvError } from '../core/index.js';
import { MAX_FEATURES, readColumns, type FeatureSpec, type FeatureType, type IrTensor, type Op } from '../runtime/index.js';

// The input schema (one entry per feature) and column lists are sized by a count the model file
// states, so a claim above MAX_FEATURES is refused before anything is allocated for it.
export { MAX_FEATURES };

/** LIMIT_EXCEEDED when a model file claims more than MAX_FEATURES input features. */
export function assertFeatureCount(n: number, where: string, path: readonly (string | number)[]): void {
  if (n > MAX_FEATURES) throw new MvError('LIMIT_EXCEEDED', `${where} is ${n}; at most ${MAX_FEATURES} input features are supported`, { path, actual: n });
}

interface Req {
  readonly type: FeatureType;
  readonly missing: boolean;
  readonly used: boolean;
}

/** A column no operator reads (ColumnTransformer 'drop'): anything is accepted. */
const UNUSED: Req = { type: 'any', missing: true, used: false };
/** A column a feature selector drops: selectors validate numeric input, so it is still a number. */
const UNUSED_NUMBER: Req = { type: 'number', missing: true, used: false };
const num = (missing = false): Req => ({ type: 'number', missing, used: true });

function merge(a: Req, b: Req): Req {
  if (!a.used) return b;
  if (!b.used) return a;
  const type: FeatureType = a.type === 'string' || b.type === 'string' ? 'string' : a.type === 'category' || b.type === 'category' ? 'category' : 'number';
  return { type, missing: a.missing && b.missing, used: true };
}

type Tensors = ReadonlyMap<string, IrTensor>;

/** Output width of a transform given its input width. */
export function widthOf(op: Op, nIn: number): number {
  switch (op.kind) {
    case 'identity':
      return nIn;
    case 'scale':
      return op.n_features;
    case 'impute':
      return op.keep.length + op.indicator.length;
    case 'one-hot':
      return op.categories.reduce((a, c, j) => a + (c.kind === 'string' ? c.values.length : c.values.shape[0]!) - (op.drop[j] === null || op.drop[j] === undefined ? 0 : 1), 0);
    case 'ordinal':
      return op.categories.length;
    case 'polynomial':
      return op.powers.shape[0]!;
    case 'pca':
      return op.components.shape[0]!;
    case 'normalize':
    case 'binarize':
      return op.n_features;
    case 'column-select':
      return op.columns.length;
    case 'concat':
      return op.parts.reduce((a, p) => a + widthOf(p, nIn), 0);
    case 'pipeline':
      return op.steps.reduce((w, s) => widthOf(s, w), nIn);
    default:
      return 0;
  }
}

const fill = (n: number, r: Req): Req[] => Array.from({ length: n }, () => r);

function treeReqs(op: Extract<Op, { kind: 'tree-ensemble' }>, nIn: number, tensors: Tensors): Req[] {
  const missing = op.split !== 'sklearn-tree' || op.missing_left !== undefined;
  const out = fill(nIn, num(missing));
  if (op.cat_split) {
    const cs = tensors.get(op.cat_split.tensor)?.data;
    const f = tensors.get(op.feature.tensor)?.data;
    if (cs && f) {
      for (let n = 0; n < cs.length; n++) {
        if (Number(cs[n]) >= 0) out[Number(f[n])] = { type: 'category', missing, used: true };
      }
    }
  }
  return out;
}

/** Requirements on an operator's `nIn` inputs, given the requirements on its outputs (undefined for an estimator). */
function back(op: Op, nIn: number, out: readonly Req[] | undefined, tensors: Tensors): Req[] {
  const outAt = (i: number): Req => out?.[i] ?? num();
  switch (op.kind) {
    case 'identity':
      return Array.from({ length: nIn }, (_, j) => outAt(j));
    case 'scale':
      // NaN passes through a scaler (sklearn scalers accept NaN); the consumer decides.
      return Array.from({ length: nIn }, (_, j) => {
        const o = outAt(j);
        return { type: 'number', missing: o.used ? o.missing : true, used: true };
      });
    case 'impute':
      return Array.from({ length: nIn }, (_, j) => ({
        type: (op.text_statistics?.[j] ?? null) !== null || op.missing.kind === 'string' ? 'string' : 'number',
        missing: true,
        used: true,
      }));
    case 'one-hot':
    case 'ordinal': {
      const lenient = op.kind === 'one-hot' ? op.handle_unknown === 'ignore' : op.unknown_value !== null;
      // A NaN seen at fit is a category (one-hot) or encodes to encoded_missing_value (ordinal).
      const nanCategory = (c: (typeof op.categories)[number]): boolean => {
        if (c.kind === 'string') return false;
        const d = tensors.get(c.values.tensor)?.data;
        for (let k = 0; d && k < d.length; k++) if (Number.isNaN(Number(d[k]))) return true;
        return false;
      };
      return op.categories.map((c) => ({ type: c.kind === 'string' ? 'string' : 'number', missing: lenient || nanCategory(c), used: true }));
    }
    case 'polynomial':
    case 'pca':
    case 'normalize':
    case 'binarize':
      return fill(nIn, num());
    case 'column-select': {
      const req = fill(nIn, UNUSED_NUMBER);
      op.columns.forEach((c, i) => {
        if (c < nIn) req[c] = merge(req[c]!, { ...outAt(i), used: true });
      });
      return req;
    }
    case 'concat': {
      let req = fill(nIn, UNUSED);
      let offset = 0;
      for (const p of op.parts) {
        const w = widthOf(p, nIn);
        const slice = out ? out.slice(offset, offset + w) : undefined;
        const r = back(p, nIn, slice, tensors);
        req = req.map((a, j) => merge(a, r[j] ?? UNUSED));
        offset += w;
      }
      // ColumnTransformer 'drop': a column no part reads may hold anything (an id, free text).
      return req.map((r) => (r.used ? r : UNUSED));
    }
    case 'pipeline': {
      const widths = [nIn];
      for (const s of op.steps) widths.push(widthOf(s, widths[widths.length - 1]!));
      let r: readonly Req[] | undefined = out;
      for (let k = op.steps.length - 1; k >= 0; k--) r = back(op.steps[k]!, widths[k]!, r, tensors);
      return [...(r ?? fill(nIn, num()))];
    }
    case 'multi-output':
    case 'vote': {
      // every estimator reads the same inputs: each column must suit all of them
      let req = fill(nIn, UNUSED);
      for (const e of op.estimators) {
        const r = back(e, nIn, undefined, tensors);
        req = req.map((a, j) => merge(a, r[j] ?? UNUSED));
      }
      return req.map((r) => (r.used ? r : UNUSED));
    }
    case 'tree-ensemble':
      return treeReqs(op, nIn, tensors);
    case 'linear':
    case 'svm':
    case 'knn':
    case 'gaussian-nb':
      return fill(nIn, num());
    default:
      return fill(nIn, num());
  }
}

/** Feature specs for the graph's `nIn` inputs; names from `feature_names_in_` or `x0…`. */
export function inferFeatures(graph: Op, nIn: number, names: readonly string[] | undefined, tensors: Tensors, transformer: boolean): FeatureSpec[] {
  // A transformer's outputs go back to the caller, who may see NaN (sklearn scalers pass it through).
  const out = transformer ? fill(widthOf(graph, nIn), { type: 'number', missing: true, used: false }) : undefined;
  const reqs = back(graph, nIn, out, tensors);
  // `any` only where the runtime can see that nothing reads the column (readColumns is coarser than
  // `back`: a column carried along and dropped by a later step stays text, as it was typed before)
  const read = reqs.some((r) => r.type === 'any') ? readColumns(graph) : null;
  return reqs.map((r, j) => ({ name: names?.[j] ?? `x${j}`, type: r.type === 'any' && (read === null || read.has(j)) ? 'string' : r.type, missing: r.missing }));
}

/** Whether column j of a transform's output is text, given which inputs are text. */
export function outputText(op: Op, text: readonly boolean[]): boolean[] {
  switch (op.kind) {
    case 'identity':
      return [...text];
    case 'impute':
      return [...op.keep.map((j) => text[j] ?? false), ...op.indicator.map(() => false)];
    case 'column-select':
      return op.columns.map((j) => text[j] ?? false);
    case 'concat':
      return op.parts.flatMap((p) => outputText(p, text));
    case 'pipeline':
      return op.steps.reduce((t, s) => outputText(s, t), [...text]);
    default:
      return new Array<boolean>(widthOf(op, text.length)).fill(false);
  }
}

/** Python `str()` of a category value as scikit-learn prints it in feature names (floats keep `.0`). */
function pyStr(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (Number.isInteger(v) && Math.abs(v) < 1e16) return `${v}.0`;
  return String(v);
}

/**
 * Output column names as scikit-learn's `get_feature_names_out` gives them (1.2): scalers and
 * encoders keep or expand input names (`color_red`), the imputer appends `missingindicator_x`,
 * PolynomialFeatures writes `x0^2 x1`, PCA `pca0`, ColumnTransformer prefixes `name__`.
 */
export function outputNames(op: Op, inNames: readonly string[], tensors: Tensors, plain: WeakSet<object> = new WeakSet()): string[] {
  switch (op.kind) {
    case 'identity':
    case 'scale':
    case 'ordinal':
    case 'normalize':
    case 'binarize':
      return [...inNames];
    case 'impute':
      return [...op.keep.map((j) => inNames[j] ?? `x${j}`), ...op.indicator.map((j) => `missingindicator_${inNames[j] ?? `x${j}`}`)];
    case 'one-hot':
      return op.categories.flatMap((c, j) => {
        let vals: readonly string[];
        if (c.kind === 'string') vals = c.values;
        else {
          const d = tensors.get(c.values.tensor)?.data;
          const out: string[] = [];
          for (let k = 0; d && k < d.length; k++) out.push(pyStr(Number(d[k])));
          vals = out;
        }
        return vals.filter((_, k) => op.drop[j] !== k).map((v) => `${inNames[j] ?? `x${j}`}_${v}`);
      });
    case 'polynomial': {
      const p = tensors.get(op.powers.tensor)?.data;
      const [rows, cols] = op.powers.shape as [number, number];
      return Array.from({ length: rows }, (_, r) => {
        const terms: string[] = [];
        for (let j = 0; j < cols; j++) {
          const e = Number(p?.[r * cols + j] ?? 0);
          if (e > 0) terms.push(e === 1 ? inNames[j]! : `${inNames[j]}^${e}`);
        }
        return terms.length ? terms.join(' ') : '1';
      });
    }
    case 'pca':
      // sklearn ClassNamePrefixFeaturesOutMixin: lower-cased class name + index (pca0, truncatedsvd0).
      return Array.from({ length: op.components.shape[0]! }, (_, k) => `${(op.name ?? 'pca').toLowerCase()}${k}`);
    case 'column-select':
      return op.columns.map((j) => inNames[j] ?? `x${j}`);
    case 'concat':
      return op.parts.flatMap((p) => outputNames(p, inNames, tensors, plain).map((n) => (plain.has(op) ? n : `${p.name ?? 'part'}__${n}`)));
    case 'pipeline':
      return op.steps.reduce<string[]>((names, s) => outputNames(s, names, tensors, plain), [...inNames]);
    default:
      return [];
  }
}
