import type { Label, LinearOp, Method, ScaleOp } from '../ir.js';
import { activateElementwise, activateProba } from './activation.js';
import { f64, indicesOut, unsupported, type EstimatorKernel, type HeadInfo, type Tensors } from './common.js';
import { argmaxRow, type Frame, type KernelOut } from './frame.js';
import { scaleStep, type ScaleStep } from './transforms.js';

/** raw = X · coefᵀ + intercept (sklearn `safe_sparse_dot(X, coef_.T) + intercept_`). */
export function linearRaw(x: Float64Array, n: number, F: number, coef: Float64Array, intercept: Float64Array, K: number, skipMissing = false): Float64Array {
  const raw = new Float64Array(n * K);
  for (let i = 0; i < n; i++) {
    const xo = i * F;
    for (let k = 0; k < K; k++) {
      const co = k * F;
      let s = 0;
      if (skipMissing) {
        for (let j = 0; j < F; j++) {
          const v = x[xo + j]!;
          if (v === v) s += v * coef[co + j]!;
        }
      } else for (let j = 0; j < F; j++) s += x[xo + j]! * coef[co + j]!;
      raw[i * K + k] = s + intercept[k]!;
    }
  }
  return raw;
}

/** The methods of a linear estimator from its raw scores (n × K). */
function linearHead(op: LinearOp, head: HeadInfo, K: number): (raw: Float64Array, n: number, method: Method) => KernelOut {
  return (raw, n, method) => {
    const shape = K === 1 ? [n] : [n, K];
    if (!head.classifier) {
      if (method !== 'predict') return unsupported(method, 'a linear regressor');
      return { shape, data: op.proba ? activateElementwise(op.proba, raw, K) : raw };
    }
    switch (method) {
      case 'decision_function':
        return { shape, data: raw };
      case 'predict': {
        const idx = new Float64Array(n);
        if (K === 1) for (let i = 0; i < n; i++) idx[i] = raw[i]! > 0 ? 1 : 0;
        else for (let i = 0; i < n; i++) idx[i] = argmaxRow(raw, i, K);
        return indicesOut(idx);
      }
      case 'predict_proba':
        if (!op.proba) return unsupported(method, 'this linear classifier');
        return { shape: [n, head.nClasses], data: activateProba(op.proba, raw, n, K, K === 1) };
      default:
        return unsupported(method, 'a linear classifier');
    }
  };
}

export function compileLinear(op: LinearOp, t: Tensors, head: HeadInfo): EstimatorKernel {
  const coef = f64(t, op.coef);
  const intercept = f64(t, op.intercept);
  const K = op.coef.shape[0]!;
  const F = op.coef.shape[1]!;
  const finish = linearHead(op, head, K);
  return {
    finite: op.skip_missing ? 'allow-nan' : 'finite',
    nFeatures: F,
    run(f: Frame, method: Method): KernelOut {
      return finish(linearRaw(f.data, f.rows, F, coef, intercept, K, op.skip_missing === true), f.rows, method);
    },
  };
}

// ── scale… → linear, fused ──────────────────────────────────────────────────────────────────────

/**
 * A graph of `scale` transforms followed by a `linear` estimator, computed in one pass over a
 * row-major Float64Array with no intermediate frame: `run` returns the method's output, or null as
 * soon as it meets a value that is not finite (in the input or after any scale step) so that the
 * caller answers through the general path, which gives the exact INPUT_INVALID error (or the
 * result, where the model takes NaN). Every element goes through the same f64 operations in the
 * same order as compileScale + linearRaw (JS never contracts a·b + c into an FMA), so finite
 * results are bit-identical to the general path (test/runtime/fused.test.ts).
 */
export interface FusedKernel {
  run(x: Float64Array, n: number, method: Method): KernelOut | null;
  /** Classifier `predict` straight to the class labels (blocks of rows through a small scratch buffer). */
  labels(x: Float64Array, n: number, classes: readonly Label[]): Label[] | null;
}

/** Rows per block of `labels`: the block's raw scores stay in cache between the kernel and the argmax. */
const LABEL_BLOCK = 1024;

/** One scale step over one row in place (compileScale's per-element order); false on a non-finite result. */
function scaleRow(s: ScaleStep, row: Float64Array, F: number): boolean {
  const { sub, mul, div, add, clip, lo, hi } = s;
  for (let j = 0; j < F; j++) {
    let v = row[j]!;
    if (sub !== null) v -= sub[j]!;
    if (mul !== null) v *= mul[j]!;
    if (div !== null) v /= div[j]!;
    if (add !== null) v += add[j]!;
    if (clip) v = v < lo ? lo : v > hi ? hi : v;
    if (v - v !== 0) return false;
    row[j] = v;
  }
  return true;
}

/**
 * StandardScaler (sub, div) → 3 targets, the common multiclass case: four rows at a time (twelve
 * independent sums hide the add latency; each sum still adds its terms in order j = 0, 1, …).
 * Only the sums are checked: a non-finite input gives a non-finite scaled value, and a non-finite
 * term a non-finite sum (NaN and ±Infinity survive + and ×, and Infinity × 0 is NaN); a sum of (v − v)
 * is 0 only when every v is finite. A sum that overflows from finite terms falls back too, which is
 * harmless: the general path then computes the same. Does n4 rows (a multiple of 4, never 0: the
 * caller does the rest and small batches through rawGeneric, so V8 never compiles this loop without
 * type feedback) from row offset xo of x into raw from ro; false on a non-finite value.
 */
function rawSubDiv3(x: Float64Array, xo: number, n4: number, F: number, sub: Float64Array, div: Float64Array, coef: Float64Array, b: Float64Array, raw: Float64Array, ro: number): boolean {
  const b0 = b[0]!;
  const b1 = b[1]!;
  const b2 = b[2]!;
  const F2 = 2 * F;
  for (let i = 0; i < n4; i += 4) {
    const o0 = xo + i * F;
    const o1 = o0 + F;
    const o2 = o1 + F;
    const o3 = o2 + F;
    let a0 = 0, a1 = 0, a2 = 0, c0 = 0, c1 = 0, c2 = 0, d0 = 0, d1 = 0, d2 = 0, e0 = 0, e1 = 0, e2 = 0;
    for (let j = 0; j < F; j++) {
      const sj = sub[j]!;
      const dj = div[j]!;
      const va = (x[o0 + j]! - sj) / dj;
      const vc = (x[o1 + j]! - sj) / dj;
      const vd = (x[o2 + j]! - sj) / dj;
      const ve = (x[o3 + j]! - sj) / dj;
      const k0 = coef[j]!;
      const k1 = coef[F + j]!;
      const k2 = coef[F2 + j]!;
      a0 += va * k0;
      a1 += va * k1;
      a2 += va * k2;
      c0 += vc * k0;
      c1 += vc * k1;
      c2 += vc * k2;
      d0 += vd * k0;
      d1 += vd * k1;
      d2 += vd * k2;
      e0 += ve * k0;
      e1 += ve * k1;
      e2 += ve * k2;
    }
    if (a0 - a0 + (a1 - a1) + (a2 - a2) + (c0 - c0) + (c1 - c1) + (c2 - c2) + (d0 - d0) + (d1 - d1) + (d2 - d2) + (e0 - e0) + (e1 - e1) + (e2 - e2) !== 0) return false;
    const r = ro + 3 * i;
    raw[r] = a0 + b0;
    raw[r + 1] = a1 + b1;
    raw[r + 2] = a2 + b2;
    raw[r + 3] = c0 + b0;
    raw[r + 4] = c1 + b1;
    raw[r + 5] = c2 + b2;
    raw[r + 6] = d0 + b0;
    raw[r + 7] = d1 + b1;
    raw[r + 8] = d2 + b2;
    raw[r + 9] = e0 + b0;
    raw[r + 10] = e1 + b1;
    raw[r + 11] = e2 + b2;
  }
  return true;
}

/** StandardScaler (sub, div) → 1 target (binary classifiers, single-output regressors), four rows at a time as rawSubDiv3. */
function rawSubDiv1(x: Float64Array, xo: number, n4: number, F: number, sub: Float64Array, div: Float64Array, coef: Float64Array, b: Float64Array, raw: Float64Array, ro: number): boolean {
  const b0 = b[0]!;
  for (let i = 0; i < n4; i += 4) {
    const o0 = xo + i * F;
    const o1 = o0 + F;
    const o2 = o1 + F;
    const o3 = o2 + F;
    let a = 0, c = 0, d = 0, e = 0;
    for (let j = 0; j < F; j++) {
      const sj = sub[j]!;
      const dj = div[j]!;
      const va = (x[o0 + j]! - sj) / dj;
      const vc = (x[o1 + j]! - sj) / dj;
      const vd = (x[o2 + j]! - sj) / dj;
      const ve = (x[o3 + j]! - sj) / dj;
      const k = coef[j]!;
      a += va * k;
      c += vc * k;
      d += vd * k;
      e += ve * k;
    }
    if (a - a + (c - c) + (d - d) + (e - e) !== 0) return false;
    raw[ro + i] = a + b0;
    raw[ro + i + 1] = c + b0;
    raw[ro + i + 2] = d + b0;
    raw[ro + i + 3] = e + b0;
  }
  return true;
}

/** Any chain of scale steps → any number of targets, row by row through `row` (F values). */
function rawGeneric(x: Float64Array, xo: number, n: number, F: number, steps: readonly ScaleStep[], coef: Float64Array, b: Float64Array, K: number, raw: Float64Array, ro: number, row: Float64Array): boolean {
  for (let i = 0; i < n; i++) {
    const o = xo + i * F;
    for (let j = 0; j < F; j++) {
      const u = x[o + j]!;
      if (u - u !== 0) return false;
      row[j] = u;
    }
    for (let q = 0; q < steps.length; q++) if (!scaleRow(steps[q]!, row, F)) return false;
    for (let k = 0; k < K; k++) {
      const co = k * F;
      let s = 0;
      for (let j = 0; j < F; j++) s += row[j]! * coef[co + j]!;
      raw[ro + i * K + k] = s + b[k]!;
    }
  }
  return true;
}

/** Compiles scale… → linear into one kernel; the caller checks that the graph has that form. */
export function compileScaleLinear(scales: readonly ScaleOp[], op: LinearOp, t: Tensors, head: HeadInfo): FusedKernel {
  const coef = f64(t, op.coef);
  const intercept = f64(t, op.intercept);
  const K = op.coef.shape[0]!;
  const F = op.coef.shape[1]!;
  const steps = scales.map((s) => scaleStep(s, t));
  const finish = linearHead(op, head, K);
  const one = steps.length === 1 ? steps[0]! : null;
  const subDiv = one !== null && one.sub !== null && one.div !== null && one.mul === null && one.add === null && !one.clip && (K === 1 || K === 3);
  const sub = subDiv ? one.sub! : coef;
  const div = subDiv ? one.div! : coef;
  // predict is synchronous and never re-entered, so scratch buffers per kernel are safe to share;
  // `scratch` grows on use (a load must not pay for a 1,024-row block a single-row caller never needs)
  let scratch = new Float64Array(0);
  const row = new Float64Array(F);
  /** raw scores of n rows from row r0 of x into raw from ro (n × K); false on a non-finite value. */
  function fill(x: Float64Array, r0: number, n: number, raw: Float64Array, ro: number): boolean {
    const n4 = subDiv ? n - (n % 4) : 0;
    if (n4 > 0 && !(K === 3 ? rawSubDiv3 : rawSubDiv1)(x, r0 * F, n4, F, sub, div, coef, intercept, raw, ro)) return false;
    return n4 === n || rawGeneric(x, (r0 + n4) * F, n - n4, F, steps, coef, intercept, K, raw, ro + n4 * K, row);
  }
  return {
    run(x, n, method) {
      const raw = new Float64Array(n * K);
      return fill(x, 0, n, raw, 0) ? finish(raw, n, method) : null;
    },
    labels(x, n, classes) {
      const labels = new Array<Label>(n);
      if (scratch.length < Math.min(n, LABEL_BLOCK) * K) scratch = new Float64Array(Math.min(n, LABEL_BLOCK) * K);
      for (let b0 = 0; b0 < n; b0 += LABEL_BLOCK) {
        const bn = Math.min(LABEL_BLOCK, n - b0);
        if (!fill(x, b0, bn, scratch, 0)) return null;
        // the same decisions as linearHead's predict (argmaxRow; binary: raw > 0)
        if (K === 1) for (let i = 0; i < bn; i++) labels[b0 + i] = classes[scratch[i]! > 0 ? 1 : 0]!;
        else if (K === 3) {
          // argmaxRow inlined (the first of equal maxima; the sums are finite here)
          for (let i = 0; i < bn; i++) {
            const a = scratch[3 * i]!;
            const b = scratch[3 * i + 1]!;
            labels[b0 + i] = classes[scratch[3 * i + 2]! > (b > a ? b : a) ? 2 : b > a ? 1 : 0]!;
          }
        } else for (let i = 0; i < bn; i++) labels[b0 + i] = classes[argmaxRow(scratch, i, K)]!;
      }
      return labels;
    },
  };
}
