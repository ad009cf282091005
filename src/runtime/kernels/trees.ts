import { MvError } from '../../core/index.js';
import type { Method, TreeEnsembleOp } from '../ir.js';
import { activateElementwise, activateProba } from './activation.js';
import { f64, i32, indicesOut, u32, u8, unsupported, type EstimatorKernel, type HeadInfo, type Tensors } from './common.js';
import { argmaxRow, perOutputArgmax, type FinitePolicy, type Frame, type KernelOut } from './frame.js';

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
function leafSklearn(s: Soa, x: Float64Array | Float32Array, xo: number, n: number): number {
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
function leafHgb(s: Soa, x: Float64Array | Float32Array, xo: number, n: number): number {
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
function leafXgb(s: Soa, x: Float64Array | Float32Array, xo: number, n: number): number {
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
function leafLgbm(s: Soa, x: Float64Array | Float32Array, xo: number, n: number): number {
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

/**
 * Leaf of every row for one tree (tree-major order, as sklearn's `apply`: one tree's nodes stay in
 * cache while all rows pass). One loop per split rule so each call site is monomorphic and inlined.
 */
type LeavesFn = (s: Soa, x: Float64Array | Float32Array, n: number, F: number, root: number, out: Int32Array) => void;
function leavesSklearn(s: Soa, x: Float64Array | Float32Array, n: number, F: number, root: number, out: Int32Array): void {
  const { feature, thr, left, right, missLeft } = s;
  for (let i = 0, xo = 0; i < n; i++, xo += F) {
    let nd = root;
    while (left[nd] !== -1) {
      const v = x[xo + feature[nd]!]!;
      nd = v <= thr[nd]! ? left[nd]! : v !== v && missLeft[nd] ? left[nd]! : right[nd]!;
    }
    out[i] = nd;
  }
}
function leavesXgb(s: Soa, x: Float64Array | Float32Array, n: number, F: number, root: number, out: Int32Array): void {
  if (s.catSplit !== null) {
    for (let i = 0; i < n; i++) out[i] = leafXgb(s, x, i * F, root);
    return;
  }
  const { feature, thr, left, right, missLeft } = s;
  for (let i = 0, xo = 0; i < n; i++, xo += F) {
    let nd = root;
    while (left[nd] !== -1) {
      const v = x[xo + feature[nd]!]!;
      nd = v < thr[nd]! ? left[nd]! : v !== v && missLeft[nd] ? left[nd]! : right[nd]!;
    }
    out[i] = nd;
  }
}
function leavesHgb(s: Soa, x: Float64Array | Float32Array, n: number, F: number, root: number, out: Int32Array): void {
  if (s.catSplit !== null) {
    for (let i = 0; i < n; i++) out[i] = leafHgb(s, x, i * F, root);
    return;
  }
  const { feature, thr, left, right, missLeft } = s;
  for (let i = 0, xo = 0; i < n; i++, xo += F) {
    let nd = root;
    while (left[nd] !== -1) {
      const v = x[xo + feature[nd]!]!;
      nd = v <= thr[nd]! ? left[nd]! : v !== v && missLeft[nd] ? left[nd]! : right[nd]!;
    }
    out[i] = nd;
  }
}
function leavesLgbm(s: Soa, x: Float64Array | Float32Array, n: number, F: number, root: number, out: Int32Array): void {
  for (let i = 0; i < n; i++) out[i] = leafLgbm(s, x, i * F, root);
}
const LEAVES: Readonly<Record<TreeEnsembleOp['split'], LeavesFn>> = { 'sklearn-tree': leavesSklearn, 'sklearn-hgb': leavesHgb, xgboost: leavesXgb, lightgbm: leavesLgbm };

/**
 * A faster layout for numeric-only trees (no categorical splits, no LightGBM missing types): nodes
 * renumbered breadth-first per tree so the two children of a node are adjacent, and leaves turned
 * into self-loops (threshold NaN, never "greater"), so a row descends with the branch-free step
 * `nd = child[nd] + goRight` until `child[nd] === nd`. Every split rule is brought to one form,
 * go right iff `x > thr` (NaN by `nanRight`), with thresholds chosen so the decision is unchanged:
 * - sklearn trees compare float32 x `<=` an f64 threshold t: for a float32 x, `x <= t` ⇔
 *   `x <= t'` with t' the largest float32 ≤ t, so thresholds are stored as float32 and the rows
 *   stay float32 (half the bytes of f64);
 * - XGBoost compares float32 x `<` float32 t: `x < t` ⇔ `!(x > t')` with t' the largest float32 < t;
 * - HGB compares f64 x `<=` f64 t: t' = t, kept f64 (rows are not rounded).
 * Eight rows descend together to overlap their memory latency; a group stops when its deepest row
 * reaches its leaf. Same decisions as the reference loops above (test/runtime/trees-packed).
 */
interface Packed<A extends Float32Array | Float64Array> {
  readonly feature: Int32Array;
  readonly child: Int32Array;
  readonly thr: A;
  readonly nanRight: Uint8Array;
  /** Original node id of a (renumbered) leaf. */
  readonly leafOf: Int32Array;
  readonly roots: Int32Array;
}

const F32 = new Float32Array(1);
const F32_BITS = new Uint32Array(F32.buffer);

/**
 * The largest float32 ≤ t (`strict`: < t), so that for every finite float32 x, `x <= t` ⇔ `x <= t'`
 * (`strict`: `x < t` ⇔ `x <= t'`). NaN thresholds (no x passes) give −∞. Exported for tests.
 */
export function float32Below(t: number, strict: boolean): number {
  if (t !== t) return -Infinity;
  const r = Math.fround(t);
  if (r < t || (r === t && !strict)) return r;
  if (r === -Infinity) return r;
  if (r === 0) return -1.401298464324817e-45; // −(smallest subnormal)
  F32[0] = r;
  F32_BITS[0] = r > 0 ? F32_BITS[0]! - 1 : F32_BITS[0]! + 1; // one float32 step towards −∞
  return F32[0]!;
}

function buildPacked<A extends Float32Array | Float64Array>(s: Soa, roots: Int32Array, thr: A, cut: (t: number) => number): Packed<A> {
  const N = s.left.length;
  const feature = new Int32Array(N);
  const child = new Int32Array(N);
  const nanRight = new Uint8Array(N);
  const leafOf = new Int32Array(N);
  const proots = new Int32Array(roots.length);
  const queue = new Int32Array(N);
  let next = 0;
  for (let t = 0; t < roots.length; t++) {
    // breadth-first: queue[k] is the original id of new node k
    let head = next;
    proots[t] = next;
    queue[next++] = roots[t]!;
    for (; head < next; head++) {
      const o = queue[head]!;
      if (s.left[o] === -1) {
        child[head] = head;
        thr[head] = NaN;
        leafOf[head] = o;
        continue;
      }
      feature[head] = s.feature[o]!;
      thr[head] = cut(s.thr[o]!);
      nanRight[head] = s.missLeft[o] ? 0 : 1;
      child[head] = next;
      queue[next++] = s.left[o]!;
      queue[next++] = s.right[o]!;
    }
  }
  return { feature, child, thr, nanRight, leafOf, roots: proots };
}

/** Packed descent of float32 rows (sklearn trees, XGBoost), NaN routed by `nanRight`. */
function descend32(p: Packed<Float32Array>, x: Float32Array, n: number, F: number, t: number, out: Int32Array): void {
  const { feature: f, child: c, thr: th, nanRight: nr, leafOf } = p;
  const root = p.roots[t]!;
  const c0r = c[root]!;
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o0 = i * F;
    const o1 = o0 + F;
    const o2 = o1 + F;
    const o3 = o2 + F;
    const o4 = o3 + F;
    const o5 = o4 + F;
    const o6 = o5 + F;
    const o7 = o6 + F;
    let a0 = root;
    let a1 = root;
    let a2 = root;
    let a3 = root;
    let a4 = root;
    let a5 = root;
    let a6 = root;
    let a7 = root;
    let c0 = c0r;
    let c1 = c0r;
    let c2 = c0r;
    let c3 = c0r;
    let c4 = c0r;
    let c5 = c0r;
    let c6 = c0r;
    let c7 = c0r;
    // every lane steps until all sit on their leaf (a leaf is its own child and never goes right)
    while (((c0 ^ a0) | (c1 ^ a1) | (c2 ^ a2) | (c3 ^ a3) | (c4 ^ a4) | (c5 ^ a5) | (c6 ^ a6) | (c7 ^ a7)) !== 0) {
      const v0 = x[o0 + f[a0]!]!;
      const v1 = x[o1 + f[a1]!]!;
      const v2 = x[o2 + f[a2]!]!;
      const v3 = x[o3 + f[a3]!]!;
      const v4 = x[o4 + f[a4]!]!;
      const v5 = x[o5 + f[a5]!]!;
      const v6 = x[o6 + f[a6]!]!;
      const v7 = x[o7 + f[a7]!]!;
      a0 = c0 + (+(v0 > th[a0]!) | (+(v0 !== v0) & nr[a0]!));
      a1 = c1 + (+(v1 > th[a1]!) | (+(v1 !== v1) & nr[a1]!));
      a2 = c2 + (+(v2 > th[a2]!) | (+(v2 !== v2) & nr[a2]!));
      a3 = c3 + (+(v3 > th[a3]!) | (+(v3 !== v3) & nr[a3]!));
      a4 = c4 + (+(v4 > th[a4]!) | (+(v4 !== v4) & nr[a4]!));
      a5 = c5 + (+(v5 > th[a5]!) | (+(v5 !== v5) & nr[a5]!));
      a6 = c6 + (+(v6 > th[a6]!) | (+(v6 !== v6) & nr[a6]!));
      a7 = c7 + (+(v7 > th[a7]!) | (+(v7 !== v7) & nr[a7]!));
      c0 = c[a0]!;
      c1 = c[a1]!;
      c2 = c[a2]!;
      c3 = c[a3]!;
      c4 = c[a4]!;
      c5 = c[a5]!;
      c6 = c[a6]!;
      c7 = c[a7]!;
    }
    out[i] = leafOf[a0]!;
    out[i + 1] = leafOf[a1]!;
    out[i + 2] = leafOf[a2]!;
    out[i + 3] = leafOf[a3]!;
    out[i + 4] = leafOf[a4]!;
    out[i + 5] = leafOf[a5]!;
    out[i + 6] = leafOf[a6]!;
    out[i + 7] = leafOf[a7]!;
  }
  for (; i < n; i++) {
    const o = i * F;
    let a = root;
    let ca = c0r;
    while (ca !== a) {
      const v = x[o + f[a]!]!;
      a = ca + (+(v > th[a]!) | (+(v !== v) & nr[a]!));
      ca = c[a]!;
    }
    out[i] = leafOf[a]!;
  }
}

/** `descend32` for a block known to hold no NaN: the missing-value term drops out. */
function descend32Dense(p: Packed<Float32Array>, x: Float32Array, n: number, F: number, t: number, out: Int32Array): void {
  const { feature: f, child: c, thr: th, leafOf } = p;
  const root = p.roots[t]!;
  const c0r = c[root]!;
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o0 = i * F;
    const o1 = o0 + F;
    const o2 = o1 + F;
    const o3 = o2 + F;
    const o4 = o3 + F;
    const o5 = o4 + F;
    const o6 = o5 + F;
    const o7 = o6 + F;
    let a0 = root;
    let a1 = root;
    let a2 = root;
    let a3 = root;
    let a4 = root;
    let a5 = root;
    let a6 = root;
    let a7 = root;
    let c0 = c0r;
    let c1 = c0r;
    let c2 = c0r;
    let c3 = c0r;
    let c4 = c0r;
    let c5 = c0r;
    let c6 = c0r;
    let c7 = c0r;
    // every lane steps until all sit on their leaf (a leaf is its own child and never goes right)
    while (((c0 ^ a0) | (c1 ^ a1) | (c2 ^ a2) | (c3 ^ a3) | (c4 ^ a4) | (c5 ^ a5) | (c6 ^ a6) | (c7 ^ a7)) !== 0) {
      a0 = c0 + +(x[o0 + f[a0]!]! > th[a0]!);
      a1 = c1 + +(x[o1 + f[a1]!]! > th[a1]!);
      a2 = c2 + +(x[o2 + f[a2]!]! > th[a2]!);
      a3 = c3 + +(x[o3 + f[a3]!]! > th[a3]!);
      a4 = c4 + +(x[o4 + f[a4]!]! > th[a4]!);
      a5 = c5 + +(x[o5 + f[a5]!]! > th[a5]!);
      a6 = c6 + +(x[o6 + f[a6]!]! > th[a6]!);
      a7 = c7 + +(x[o7 + f[a7]!]! > th[a7]!);
      c0 = c[a0]!;
      c1 = c[a1]!;
      c2 = c[a2]!;
      c3 = c[a3]!;
      c4 = c[a4]!;
      c5 = c[a5]!;
      c6 = c[a6]!;
      c7 = c[a7]!;
    }
    out[i] = leafOf[a0]!;
    out[i + 1] = leafOf[a1]!;
    out[i + 2] = leafOf[a2]!;
    out[i + 3] = leafOf[a3]!;
    out[i + 4] = leafOf[a4]!;
    out[i + 5] = leafOf[a5]!;
    out[i + 6] = leafOf[a6]!;
    out[i + 7] = leafOf[a7]!;
  }
  for (; i < n; i++) {
    const o = i * F;
    let a = root;
    let ca = c0r;
    while (ca !== a) {
      a = ca + +(x[o + f[a]!]! > th[a]!);
      ca = c[a]!;
    }
    out[i] = leafOf[a]!;
  }
}

/** Packed descent of f64 rows (HGB), NaN routed by `nanRight`. */
function descend64(p: Packed<Float64Array>, x: Float64Array, n: number, F: number, t: number, out: Int32Array): void {
  const { feature: f, child: c, thr: th, nanRight: nr, leafOf } = p;
  const root = p.roots[t]!;
  const c0r = c[root]!;
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o0 = i * F;
    const o1 = o0 + F;
    const o2 = o1 + F;
    const o3 = o2 + F;
    const o4 = o3 + F;
    const o5 = o4 + F;
    const o6 = o5 + F;
    const o7 = o6 + F;
    let a0 = root;
    let a1 = root;
    let a2 = root;
    let a3 = root;
    let a4 = root;
    let a5 = root;
    let a6 = root;
    let a7 = root;
    let c0 = c0r;
    let c1 = c0r;
    let c2 = c0r;
    let c3 = c0r;
    let c4 = c0r;
    let c5 = c0r;
    let c6 = c0r;
    let c7 = c0r;
    // every lane steps until all sit on their leaf (a leaf is its own child and never goes right)
    while (((c0 ^ a0) | (c1 ^ a1) | (c2 ^ a2) | (c3 ^ a3) | (c4 ^ a4) | (c5 ^ a5) | (c6 ^ a6) | (c7 ^ a7)) !== 0) {
      const v0 = x[o0 + f[a0]!]!;
      const v1 = x[o1 + f[a1]!]!;
      const v2 = x[o2 + f[a2]!]!;
      const v3 = x[o3 + f[a3]!]!;
      const v4 = x[o4 + f[a4]!]!;
      const v5 = x[o5 + f[a5]!]!;
      const v6 = x[o6 + f[a6]!]!;
      const v7 = x[o7 + f[a7]!]!;
      a0 = c0 + (+(v0 > th[a0]!) | (+(v0 !== v0) & nr[a0]!));
      a1 = c1 + (+(v1 > th[a1]!) | (+(v1 !== v1) & nr[a1]!));
      a2 = c2 + (+(v2 > th[a2]!) | (+(v2 !== v2) & nr[a2]!));
      a3 = c3 + (+(v3 > th[a3]!) | (+(v3 !== v3) & nr[a3]!));
      a4 = c4 + (+(v4 > th[a4]!) | (+(v4 !== v4) & nr[a4]!));
      a5 = c5 + (+(v5 > th[a5]!) | (+(v5 !== v5) & nr[a5]!));
      a6 = c6 + (+(v6 > th[a6]!) | (+(v6 !== v6) & nr[a6]!));
      a7 = c7 + (+(v7 > th[a7]!) | (+(v7 !== v7) & nr[a7]!));
      c0 = c[a0]!;
      c1 = c[a1]!;
      c2 = c[a2]!;
      c3 = c[a3]!;
      c4 = c[a4]!;
      c5 = c[a5]!;
      c6 = c[a6]!;
      c7 = c[a7]!;
    }
    out[i] = leafOf[a0]!;
    out[i + 1] = leafOf[a1]!;
    out[i + 2] = leafOf[a2]!;
    out[i + 3] = leafOf[a3]!;
    out[i + 4] = leafOf[a4]!;
    out[i + 5] = leafOf[a5]!;
    out[i + 6] = leafOf[a6]!;
    out[i + 7] = leafOf[a7]!;
  }
  for (; i < n; i++) {
    const o = i * F;
    let a = root;
    let ca = c0r;
    while (ca !== a) {
      const v = x[o + f[a]!]!;
      a = ca + (+(v > th[a]!) | (+(v !== v) & nr[a]!));
      ca = c[a]!;
    }
    out[i] = leafOf[a]!;
  }
}

/** `descend64` for a block known to hold no NaN. */
function descend64Dense(p: Packed<Float64Array>, x: Float64Array, n: number, F: number, t: number, out: Int32Array): void {
  const { feature: f, child: c, thr: th, leafOf } = p;
  const root = p.roots[t]!;
  const c0r = c[root]!;
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o0 = i * F;
    const o1 = o0 + F;
    const o2 = o1 + F;
    const o3 = o2 + F;
    const o4 = o3 + F;
    const o5 = o4 + F;
    const o6 = o5 + F;
    const o7 = o6 + F;
    let a0 = root;
    let a1 = root;
    let a2 = root;
    let a3 = root;
    let a4 = root;
    let a5 = root;
    let a6 = root;
    let a7 = root;
    let c0 = c0r;
    let c1 = c0r;
    let c2 = c0r;
    let c3 = c0r;
    let c4 = c0r;
    let c5 = c0r;
    let c6 = c0r;
    let c7 = c0r;
    // every lane steps until all sit on their leaf (a leaf is its own child and never goes right)
    while (((c0 ^ a0) | (c1 ^ a1) | (c2 ^ a2) | (c3 ^ a3) | (c4 ^ a4) | (c5 ^ a5) | (c6 ^ a6) | (c7 ^ a7)) !== 0) {
      a0 = c0 + +(x[o0 + f[a0]!]! > th[a0]!);
      a1 = c1 + +(x[o1 + f[a1]!]! > th[a1]!);
      a2 = c2 + +(x[o2 + f[a2]!]! > th[a2]!);
      a3 = c3 + +(x[o3 + f[a3]!]! > th[a3]!);
      a4 = c4 + +(x[o4 + f[a4]!]! > th[a4]!);
      a5 = c5 + +(x[o5 + f[a5]!]! > th[a5]!);
      a6 = c6 + +(x[o6 + f[a6]!]! > th[a6]!);
      a7 = c7 + +(x[o7 + f[a7]!]! > th[a7]!);
      c0 = c[a0]!;
      c1 = c[a1]!;
      c2 = c[a2]!;
      c3 = c[a3]!;
      c4 = c[a4]!;
      c5 = c[a5]!;
      c6 = c[a6]!;
      c7 = c[a7]!;
    }
    out[i] = leafOf[a0]!;
    out[i + 1] = leafOf[a1]!;
    out[i + 2] = leafOf[a2]!;
    out[i + 3] = leafOf[a3]!;
    out[i + 4] = leafOf[a4]!;
    out[i + 5] = leafOf[a5]!;
    out[i + 6] = leafOf[a6]!;
    out[i + 7] = leafOf[a7]!;
  }
  for (; i < n; i++) {
    const o = i * F;
    let a = root;
    let ca = c0r;
    while (ca !== a) {
      a = ca + +(x[o + f[a]!]! > th[a]!);
      ca = c[a]!;
    }
    out[i] = leafOf[a]!;
  }
}

const hasNaN = (x: Float64Array | Float32Array, len: number): boolean => {
  for (let q = 0; q < len; q++) if (x[q] !== x[q]) return true;
  return false;
};

/**
 * dst[q] = float32(src[off + q]) (the missing-value marker becomes NaN). Returns the first q whose
 * finite value overflows float32 (sklearn casts to float32 before its finiteness check, so
 * |x| > 3.4e38 becomes inf and is refused), or −1.
 */
function castBlock32(src: Float64Array, off: number, len: number, dst: Float32Array, missingValue: number | undefined): number {
  let bad = -1;
  if (missingValue === undefined) {
    for (let q = 0; q < len; q++) dst[q] = src[off + q]!;
  } else {
    for (let q = 0; q < len; q++) {
      const v = src[off + q]!;
      dst[q] = v === missingValue ? NaN : v;
    }
  }
  for (let q = 0; q < len; q++) {
    const c = dst[q]!;
    if (c - c !== 0) {
      const v = src[off + q]!;
      if (v === v && v !== missingValue) {
        bad = q;
        break;
      }
    }
  }
  return bad;
}

/*
 * Accumulation of one tree's leaf vectors into the raw scores of a block: out[o + i·K + c] += leaf
 * value c of row i (o = first row's offset + the tree's group column). Rows receive the trees in
 * order, so every sum is the libraries' (left to right, same rounding).
 */
function addLeaves(out: Float64Array, o: number, K: number, values: Float64Array, V: number, leaves: Int32Array, n: number): void {
  if (V === 2) {
    for (let i = 0; i < n; i++, o += K) {
      const vo = leaves[i]! * 2;
      out[o] = out[o]! + values[vo]!;
      out[o + 1] = out[o + 1]! + values[vo + 1]!;
    }
    return;
  }
  if (V === 3) {
    for (let i = 0; i < n; i++, o += K) {
      const vo = leaves[i]! * 3;
      out[o] = out[o]! + values[vo]!;
      out[o + 1] = out[o + 1]! + values[vo + 1]!;
      out[o + 2] = out[o + 2]! + values[vo + 2]!;
    }
    return;
  }
  for (let i = 0; i < n; i++, o += K) {
    const vo = leaves[i]! * V;
    for (let c = 0; c < V; c++) out[o + c] = out[o + c]! + values[vo + c]!;
  }
}
function addLeaves1(out: Float64Array, o: number, K: number, values: Float64Array, leaves: Int32Array, n: number): void {
  for (let i = 0; i < n; i++, o += K) out[o] = out[o]! + values[leaves[i]!]!;
}
function addLeavesWeighted(out: Float64Array, o: number, K: number, values: Float64Array, V: number, w: number, leaves: Int32Array, n: number): void {
  for (let i = 0; i < n; i++, o += K) {
    const vo = leaves[i]! * V;
    for (let c = 0; c < V; c++) out[o + c] = out[o + c]! + w * values[vo + c]!;
  }
}
/** XGBoost: float32 partial sums; `w` NaN = unweighted. */
function addLeavesF32(out: Float64Array, o: number, K: number, values: Float64Array, V: number, w: number, leaves: Int32Array, n: number): void {
  const weighted = w === w;
  for (let i = 0; i < n; i++, o += K) {
    const vo = leaves[i]! * V;
    for (let c = 0; c < V; c++) out[o + c] = Math.fround(out[o + c]! + (weighted ? Math.fround(w * values[vo + c]!) : values[vo + c]!));
  }
}
interface LinearLeaves {
  readonly off: Int32Array;
  readonly feat: Int32Array;
  readonly coef: Float64Array;
  readonly cst: Float64Array;
}
/** LightGBM linear trees: leaf constant + Σ coef·x, the plain leaf value when a used feature is NaN. */
function addLinearLeaves(out: Float64Array, o: number, K: number, values: Float64Array, lin: LinearLeaves, w: number, x: Float64Array | Float32Array, F: number, leaves: Int32Array, n: number): void {
  for (let i = 0; i < n; i++, o += K) {
    const leaf = leaves[i]!;
    let v = lin.cst[leaf]!;
    const xo = i * F;
    for (let q = lin.off[leaf]!; q < lin.off[leaf + 1]!; q++) {
      const fv = x[xo + lin.feat[q]!]!;
      if (fv !== fv) {
        v = values[leaf]!;
        break;
      }
      v += fv * lin.coef[q]!;
    }
    out[o] = out[o]! + (w !== 1 ? w * v : v);
  }
}

/**
 * Leaf vectors, normalised to sum 1 per node when `leaf_normalize` (sklearn tree predict_proba; 0 sums
 * stay) — per output for a multi-output classifier, whose leaf vector holds each output's classes in turn.
 */
function leafValues(op: TreeEnsembleOp, t: Tensors, outputs: readonly number[] | null): Float64Array {
  const v = f64(t, op.values);
  if (!op.leaf_normalize) return v;
  const V = op.value_width;
  const segments = outputs ?? [V];
  const left = i32(t, op.left);
  const out = new Float64Array(v.length);
  for (let n = 0; n < op.n_nodes; n++) {
    if (left[n] !== -1) continue; // only leaves are ever read
    for (let c0 = n * V, q = 0; q < segments.length; c0 += segments[q]!, q++) {
      const c1 = c0 + segments[q]!;
      let s = 0;
      for (let c = c0; c < c1; c++) s += v[c]!;
      const d = s === 0 ? 1 : s;
      for (let c = c0; c < c1; c++) out[c] = v[c]! / d;
    }
  }
  return out;
}

/**
 * Rows per block. Every tree passes over a block of rows, so each block reads all the tree data once
 * more (5 MB for a 100-tree random forest) while the block's rows should stay in cache: blocks grow
 * with the trees, to about an eighth of the tree data in rows, from 1,024 up to 16,384 rows or 4 MiB.
 * Measured (2-core EPYC, 100,000 rows): RandomForest(100) 1.26–1.36× faster with 8,192–16,384 rows
 * than with 1,024; HistGradientBoosting (0.5 MB of trees) flat from 1,024 to 2,048, slower beyond.
 */
function blockRowsFor(treeBytes: number, rowBytes: number): number {
  let rows = 1024;
  while (rows < 16_384 && rows * rowBytes * 8 < treeBytes && 2 * rows * rowBytes <= 4 << 20) rows *= 2;
  return rows;
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

export interface TreeKernelOptions {
  /** Use the packed branch-free layout when the trees allow it (default true; false = reference loops). */
  readonly packed?: boolean;
  /** Rows per block (default blockRowsFor the ensemble; tests use tiny blocks). */
  readonly blockRows?: number;
}

/**
 * Compiles a tree ensemble. The packed layout and the leaf tables are built on the first `run`, not
 * here: for a 100-tree forest they take longer than decoding and validating the whole artifact
 * (≈ 5 ms for 116k nodes), and the graph was already validated by decodeArtifact, so building them
 * cannot fail. Every later call reuses them (predict is synchronous, so two calls never race).
 */
export function compileTrees(op: TreeEnsembleOp, t: Tensors, head: HeadInfo, opts: TreeKernelOptions = {}): EstimatorKernel {
  // sklearn trees without missing-value support (≤ 1.2 or trained without NaN) reject NaN at predict.
  const finite: FinitePolicy = op.split === 'sklearn-tree' && op.missing_left ? 'allow-nan' : FINITE[op.split];
  let run: EstimatorKernel['run'] | null = null;
  return {
    finite,
    nFeatures: op.n_features,
    run(f: Frame, method: Method): KernelOut {
      run ??= buildTrees(op, t, head, opts);
      return run(f, method);
    },
    prepare(): void {
      run ??= buildTrees(op, t, head, opts);
    },
  };
}

/** The packed layout, leaf tables and block size of an ensemble, and the `run` that uses them. */
function buildTrees(op: TreeEnsembleOp, t: Tensors, head: HeadInfo, opts: TreeKernelOptions): EstimatorKernel['run'] {
  const soa = buildSoa(op, t);
  const values = leafValues(op, t, head.outputs);
  const roots = i32(t, op.roots);
  const groups = i32(t, op.groups);
  const weights = op.weights ? f64(t, op.weights) : null;
  const lin = op.linear_offsets
    ? { off: i32(t, op.linear_offsets), feat: i32(t, op.linear_features!), coef: f64(t, op.linear_coeffs!), cst: f64(t, op.linear_const!) }
    : null;
  const usePacked = soa.catSplit === null && op.split !== 'lightgbm' && opts.packed !== false;
  const castRow = op.split === 'sklearn-tree' || op.split === 'xgboost';
  const strict = op.split === 'xgboost';
  // float32 rows and thresholds for sklearn trees and XGBoost, f64 for HGB (one element type per descent)
  const packed32 = usePacked && castRow ? buildPacked(soa, roots, new Float32Array(soa.left.length), (x) => float32Below(x, strict)) : null;
  const packed64 = usePacked && !castRow ? buildPacked(soa, roots, new Float64Array(soa.left.length), (x) => x) : null;
  const leavesRef = LEAVES[op.split];
  const V = op.value_width;
  const K = op.n_outputs;
  const F = op.n_features;
  const T = op.n_trees;
  const f32acc = op.accumulate === 'f32';
  const missingValue = op.missing_value;
  const divisor = op.aggregation === 'mean' ? (op.divisor ?? T) : 1;
  const packed = packed32 ?? packed64;
  const treeBytes = values.byteLength + (packed ? packed.feature.byteLength * 3 + packed.thr.byteLength + packed.nanRight.byteLength : soa.left.length * 24);
  const BLOCK_ROWS = opts.blockRows ?? blockRowsFor(treeBytes, F * (castRow ? 4 : 8));

  /** raw scores n × K, tree-major over blocks of rows. */
  function raw(f: Frame): Float64Array {
    const n = f.rows;
    const out = new Float64Array(n * K);
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < K; k++) out[i * K + k] = f32acc ? Math.fround(op.base[k]!) : op.base[k]!;
    }
    const leaves = new Int32Array(Math.min(n, BLOCK_ROWS));
    const block32 = castRow ? new Float32Array(Math.min(n, BLOCK_ROWS) * F) : null;
    for (let b0 = 0; b0 < n; b0 += BLOCK_ROWS) {
      const bn = Math.min(BLOCK_ROWS, n - b0);
      let xb: Float64Array | Float32Array;
      if (block32 !== null) {
        // sklearn trees and XGBoost compare float32 features (the store rounds to nearest f32)
        const bad = castBlock32(f.data, b0 * F, bn * F, block32, missingValue);
        if (bad >= 0) {
          const row = b0 + Math.floor(bad / F);
          throw new MvError('INPUT_INVALID', `row ${row}, column ${bad % F}: ${f.data[b0 * F + bad]!} is too large for float32`, { path: ['input', row, bad % F] });
        }
        xb = block32;
      } else xb = f.data.subarray(b0 * F, (b0 + bn) * F);
      const dense = (packed32 !== null || packed64 !== null) && !hasNaN(xb, bn * F);
      for (let tr = 0; tr < T; tr++) {
        if (packed32 !== null) (dense ? descend32Dense : descend32)(packed32, xb as Float32Array, bn, F, tr, leaves);
        else if (packed64 !== null) (dense ? descend64Dense : descend64)(packed64, xb as Float64Array, bn, F, tr, leaves);
        else leavesRef(soa, xb, bn, F, roots[tr]!, leaves);
        const g = b0 * K + groups[tr]! * V;
        if (lin !== null) addLinearLeaves(out, g, K, values, lin, weights !== null ? weights[tr]! : 1, xb, F, leaves, bn);
        else if (f32acc) addLeavesF32(out, g, K, values, V, weights !== null ? weights[tr]! : NaN, leaves, bn);
        else if (weights !== null) addLeavesWeighted(out, g, K, values, V, weights[tr]!, leaves, bn);
        else if (V === 1) addLeaves1(out, g, K, values, leaves, bn);
        else addLeaves(out, g, K, values, V, leaves, bn);
      }
    }
    if (divisor !== 1) for (let q = 0; q < out.length; q++) out[q] = out[q]! / divisor;
    return out;
  }

  return (f: Frame, method: Method): KernelOut => {
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
      if (head.outputs) return perOutputArgmax(proba, n, head.outputs);
      const idx = new Float64Array(n);
      for (let i = 0; i < n; i++) idx[i] = argmaxRow(proba, i, head.nClasses);
      return indicesOut(idx);
    }
    return unsupported(method, 'a tree-ensemble classifier');
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
