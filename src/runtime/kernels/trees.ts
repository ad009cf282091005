import type { Method, TreeEnsembleOp } from '../ir.js';
import { activateElementwise, activateProba } from './activation.js';
import { f64, i32, indicesOut, u32, u8, unsupported, type EstimatorKernel, type HeadInfo, type Tensors } from './common.js';
import { argmaxRow, type FinitePolicy, type Frame, type KernelOut } from './frame.js';

/**
 * Tree-ensemble kernel over the flattened struct-of-arrays of the IR. The graph was validated
 * (validate.ts: every root starts a proper tree, indices in range), so traversal needs no bounds
 * checks and always terminates. Per-library split semantics: formats.md §4.3, §4.6, §5.2, §6.2.
 */
interface Soa {
  readonly feature: Int32Array;
  /** Thresholds; float32-rounded for 'xgboost'. */
  readonly thr: Float64Array;
  readonly left: Int32Array;
  readonly right: Int32Array;
  readonly missLeft: Uint8Array;
  readonly missType: Uint8Array;
  readonly catSplit: Int32Array | null;
  readonly catOff: Int32Array;
  readonly catWords: Uint32Array;
  readonly known: Uint32Array | null;
}

const hasBit = (words: Uint32Array, off: number, nWords: number, c: number): boolean => {
  const w = c >>> 5;
  return w < nWords && ((words[off + w]! >>> (c & 31)) & 1) === 1;
};

/** sklearn DecisionTree `_apply_dense`: x already float32-rounded; NaN → missing_go_to_left. */
function leafSklearn(s: Soa, x: Float64Array, xo: number, n: number): number {
  const { feature, thr, left, right, missLeft } = s;
  while (left[n] !== -1) {
    const v = x[xo + feature[n]!]!;
    if (v <= thr[n]!) n = left[n]!;
    else if (v !== v) n = missLeft[n] ? left[n]! : right[n]!;
    else n = right[n]!;
  }
  return n;
}

/** sklearn HGB `_predict_one_from_raw_data`: f64 `<=`; categorical bitsets with known categories. */
function leafHgb(s: Soa, x: Float64Array, xo: number, n: number): number {
  const { feature, thr, left, right, missLeft, catSplit, catOff, catWords, known } = s;
  while (left[n] !== -1) {
    const v = x[xo + feature[n]!]!;
    if (v !== v) {
      n = missLeft[n] ? left[n]! : right[n]!;
    } else if (catSplit !== null && catSplit[n]! >= 0) {
      const c = catSplit[n]!;
      const off = catOff[c]!;
      const nw = catOff[c + 1]! - off;
      if (v < 0 || v >= 256) n = missLeft[n] ? left[n]! : right[n]!;
      else {
        const cat = Math.trunc(v);
        if (hasBit(catWords, off, nw, cat)) n = left[n]!;
        else if (known === null || hasBit(known, off, nw, cat)) n = right[n]!;
        else n = missLeft[n] ? left[n]! : right[n]!; // unknown category: treated as missing
      }
    } else n = v <= thr[n]! ? left[n]! : right[n]!;
  }
  return n;
}

/** XGBoost `predict_fn.h`: float32 x and threshold, strict `<`; listed categories go right. */
function leafXgb(s: Soa, x: Float64Array, xo: number, n: number): number {
  const { feature, thr, left, right, missLeft, catSplit, catOff, catWords } = s;
  while (left[n] !== -1) {
    const v = x[xo + feature[n]!]!;
    if (v !== v) {
      n = missLeft[n] ? left[n]! : right[n]!;
    } else if (catSplit !== null && catSplit[n]! >= 0) {
      const c = catSplit[n]!;
      const off = catOff[c]!;
      const nw = catOff[c + 1]! - off;
      // InvalidCat (negative or ≥ 2^24) or not listed ⇒ left
      n = v < 0 || v >= 16777216 || !hasBit(catWords, off, nw, Math.trunc(v)) ? left[n]! : right[n]!;
    } else n = v < thr[n]! ? left[n]! : right[n]!;
  }
  return n;
}

/** LightGBM `tree.h` NumericalDecision / CategoricalDecision. */
function leafLgbm(s: Soa, x: Float64Array, xo: number, n: number): number {
  const { feature, thr, left, right, missLeft, missType, catSplit, catOff, catWords } = s;
  while (left[n] !== -1) {
    let v = x[xo + feature[n]!]!;
    if (catSplit !== null && catSplit[n]! >= 0) {
      const iv = Math.trunc(v);
      if (v !== v || iv < 0) n = right[n]!;
      else {
        const c = catSplit[n]!;
        const off = catOff[c]!;
        n = hasBit(catWords, off, catOff[c + 1]! - off, iv) ? left[n]! : right[n]!;
      }
      continue;
    }
    const mt = missType[n]!;
    if (v !== v && mt !== 2) v = 0;
    if ((mt === 1 && v >= -1e-35 && v <= 1e-35) || (mt === 2 && v !== v)) n = missLeft[n] ? left[n]! : right[n]!;
    else n = v <= thr[n]! ? left[n]! : right[n]!;
  }
  return n;
}

const LEAF = { 'sklearn-tree': leafSklearn, 'sklearn-hgb': leafHgb, xgboost: leafXgb, lightgbm: leafLgbm } as const;

/** Leaf vectors, normalised to sum 1 per node when `leaf_normalize` (sklearn tree predict_proba; 0 sums stay). */
function leafValues(op: TreeEnsembleOp, t: Tensors): Float64Array {
  const v = f64(t, op.values);
  if (!op.leaf_normalize) return v;
  const V = op.value_width;
  const out = new Float64Array(v.length);
  for (let n = 0; n < op.n_nodes; n++) {
    let s = 0;
    for (let c = 0; c < V; c++) s += v[n * V + c]!;
    const d = s === 0 ? 1 : s;
    for (let c = 0; c < V; c++) out[n * V + c] = v[n * V + c]! / d;
  }
  return out;
}

const FINITE: Readonly<Record<TreeEnsembleOp['split'], FinitePolicy>> = {
  'sklearn-tree': 'finite',
  'sklearn-hgb': 'any',
  xgboost: 'allow-nan',
  lightgbm: 'any',
};

function buildSoa(op: TreeEnsembleOp, t: Tensors): Soa {
  const N = op.n_nodes;
  const thrRaw = f64(t, op.threshold);
  return {
    feature: i32(t, op.feature),
    thr: op.split === 'xgboost' ? Float64Array.from(thrRaw, Math.fround) : thrRaw,
    left: i32(t, op.left),
    right: i32(t, op.right),
    missLeft: op.missing_left ? u8(t, op.missing_left) : new Uint8Array(N),
    missType: op.missing_type ? u8(t, op.missing_type) : new Uint8Array(N),
    catSplit: op.cat_split ? i32(t, op.cat_split) : null,
    catOff: op.cat_offsets ? i32(t, op.cat_offsets) : new Int32Array(1),
    catWords: op.cat_words ? u32(t, op.cat_words) : new Uint32Array(0),
    known: op.cat_known_words ? u32(t, op.cat_known_words) : null,
  };
}

export function compileTrees(op: TreeEnsembleOp, t: Tensors, head: HeadInfo): EstimatorKernel {
  const soa = buildSoa(op, t);
  const values = leafValues(op, t);
  const roots = i32(t, op.roots);
  const groups = i32(t, op.groups);
  const weights = op.weights ? f64(t, op.weights) : null;
  const lin = op.linear_offsets
    ? { off: i32(t, op.linear_offsets), feat: i32(t, op.linear_features!), coef: f64(t, op.linear_coeffs!), cst: f64(t, op.linear_const!) }
    : null;
  const leafOf = LEAF[op.split];
  const V = op.value_width;
  const K = op.n_outputs;
  const F = op.n_features;
  const T = op.n_trees;
  const f32acc = op.accumulate === 'f32';
  const castRow = op.split === 'sklearn-tree' || op.split === 'xgboost';
  const missingValue = op.missing_value;
  // sklearn trees without missing-value support (≤ 1.2 or trained without NaN) reject NaN at predict.
  const finite: FinitePolicy = op.split === 'sklearn-tree' && op.missing_left ? 'allow-nan' : FINITE[op.split];
  const divisor = op.aggregation === 'mean' ? (op.divisor ?? T) : 1;

  /** raw scores n × K. */
  function raw(f: Frame): Float64Array {
    const n = f.rows;
    const x = f.data;
    const out = new Float64Array(n * K);
    const row = new Float64Array(F);
    for (let i = 0; i < n; i++) {
      let src = x;
      let xo = i * F;
      if (castRow) {
        for (let j = 0; j < F; j++) {
          const v = x[xo + j]!;
          row[j] = missingValue !== undefined && v === missingValue ? NaN : Math.fround(v);
        }
        src = row;
        xo = 0;
      }
      const oo = i * K;
      if (f32acc) for (let k = 0; k < K; k++) out[oo + k] = Math.fround(op.base[k]!);
      else for (let k = 0; k < K; k++) out[oo + k] = op.base[k]!;
      for (let tr = 0; tr < T; tr++) {
        const leaf = leafOf(soa, src, xo, roots[tr]!);
        const go = oo + groups[tr]! * V;
        if (lin !== null) {
          let v = lin.cst[leaf]!;
          for (let q = lin.off[leaf]!; q < lin.off[leaf + 1]!; q++) {
            const fv = src[xo + lin.feat[q]!]!;
            if (fv !== fv) {
              v = values[leaf]!;
              break;
            }
            v += fv * lin.coef[q]!;
          }
          out[go] = out[go]! + (weights !== null ? weights[tr]! * v : v);
          continue;
        }
        const vo = leaf * V;
        if (f32acc) {
          for (let c = 0; c < V; c++) out[go + c] = Math.fround(out[go + c]! + (weights !== null ? Math.fround(weights[tr]! * values[vo + c]!) : values[vo + c]!));
        } else if (weights !== null) {
          const w = weights[tr]!;
          for (let c = 0; c < V; c++) out[go + c] = out[go + c]! + w * values[vo + c]!;
        } else {
          for (let c = 0; c < V; c++) out[go + c] = out[go + c]! + values[vo + c]!;
        }
      }
      if (divisor !== 1) for (let k = 0; k < K; k++) out[oo + k] = out[oo + k]! / divisor;
    }
    return out;
  }

  return {
    finite,
    nFeatures: F,
    run(f: Frame, method: Method): KernelOut {
      const n = f.rows;
      const r = raw(f);
      const shape = K === 1 ? [n] : [n, K];
      if (!head.classifier) {
        if (method !== 'predict') return unsupported(method, 'a tree-ensemble regressor');
        return { shape, data: activateElementwise(op.activation, r, K) };
      }
      if (method === 'decision_function') {
        if (!op.decision) return unsupported(method, 'this tree ensemble');
        return { shape, data: r };
      }
      const proba = activateProba(op.activation, r, n, K, K === 1);
      if (method === 'predict_proba') return { shape: [n, head.nClasses], data: proba };
      if (method === 'predict') {
        const idx = new Float64Array(n);
        for (let i = 0; i < n; i++) idx[i] = argmaxRow(proba, i, head.nClasses);
        return indicesOut(idx);
      }
      return unsupported(method, 'a tree-ensemble classifier');
    },
  };
}

/** Leaf node index per row and tree (n × T, global node ids), for exact differential tests. */
export function applyTrees(op: TreeEnsembleOp, t: Tensors, f: Frame): Int32Array {
  const soa = buildSoa(op, t);
  const roots = i32(t, op.roots);
  const F = op.n_features;
  const out = new Int32Array(f.rows * op.n_trees);
  const row = new Float64Array(F);
  const cast = op.split === 'sklearn-tree' || op.split === 'xgboost';
  for (let i = 0; i < f.rows; i++) {
    for (let j = 0; j < F; j++) {
      const v = f.data[i * F + j]!;
      row[j] = op.missing_value !== undefined && v === op.missing_value ? NaN : cast ? Math.fround(v) : v;
    }
    for (let tr = 0; tr < op.n_trees; tr++) out[i * op.n_trees + tr] = LEAF[op.split](soa, row, 0, roots[tr]!);
  }
  return out;
}
