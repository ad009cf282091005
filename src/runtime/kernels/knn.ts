import type { KnnOp, Method } from '../ir.js';
import { f64, i32, indicesOut, unsupported, type EstimatorKernel, type HeadInfo, type Tensors } from './common.js';
import { argmaxRow, perOutputArgmax, type Frame, type KernelOut } from './frame.js';

/**
 * Brute-force k nearest neighbours (sklearn `neighbors/_classification.py`, `_regression.py`,
 * `_base._get_weights`). Ties between equidistant training points go to the lower index (sklearn's
 * tree order may differ: a documented deviation).
 */
export function compileKnn(op: KnnOp, t: Tensors, head: HeadInfo): EstimatorKernel {
  const X = f64(t, op.fit_x);
  const n = op.fit_x.shape[0]!;
  const F = op.fit_x.shape[1]!;
  const k = op.k;
  const yCls = op.task === 'classifier' ? i32(t, op.y) : null;
  const yReg = op.task === 'regressor' ? f64(t, op.y) : null;
  const O = op.task === 'regressor' ? (op.y.shape.length === 2 ? op.y.shape[1]! : 1) : 1;
  const p = op.p;
  const cheb = op.metric === 'chebyshev';

  function distance(x: Float64Array, xo: number, s: number): number {
    const so = s * F;
    let acc = 0;
    if (cheb) {
      for (let j = 0; j < F; j++) acc = Math.max(acc, Math.abs(x[xo + j]! - X[so + j]!));
      return acc;
    }
    if (p === 2) {
      for (let j = 0; j < F; j++) {
        const d = x[xo + j]! - X[so + j]!;
        acc += d * d;
      }
      return Math.sqrt(acc);
    }
    if (p === 1) {
      for (let j = 0; j < F; j++) acc += Math.abs(x[xo + j]! - X[so + j]!);
      return acc;
    }
    for (let j = 0; j < F; j++) acc += Math.abs(x[xo + j]! - X[so + j]!) ** p;
    return acc ** (1 / p);
  }

  /** Fills idx/dist with the k nearest (ascending distance, lower index first on ties). */
  function nearest(x: Float64Array, xo: number, idx: Int32Array, dist: Float64Array): void {
    let m = 0;
    for (let s = 0; s < n; s++) {
      const d = distance(x, xo, s);
      if (m === k && !(d < dist[k - 1]!)) continue;
      let pos = m === k ? k - 1 : m++;
      while (pos > 0 && dist[pos - 1]! > d) {
        dist[pos] = dist[pos - 1]!;
        idx[pos] = idx[pos - 1]!;
        pos--;
      }
      dist[pos] = d;
      idx[pos] = s;
    }
  }

  /** `_get_weights`: uniform → 1; distance → 1/d, or rows with a zero distance: 1 there, 0 elsewhere. */
  function weightsOf(dist: Float64Array, w: Float64Array): void {
    if (op.weights === 'uniform') {
      w.fill(1);
      return;
    }
    let zero = false;
    for (let q = 0; q < k; q++) if (dist[q] === 0) zero = true;
    for (let q = 0; q < k; q++) w[q] = zero ? (dist[q] === 0 ? 1 : 0) : 1 / dist[q]!;
  }

  return {
    finite: 'finite',
    nFeatures: F,
    run(f: Frame, method: Method): KernelOut {
      const rows = f.rows;
      const idx = new Int32Array(k);
      const dist = new Float64Array(k);
      const w = new Float64Array(k);
      if (op.task === 'regressor') {
        if (method !== 'predict') return unsupported(method, 'a knn regressor');
        const out = new Float64Array(rows * O);
        for (let i = 0; i < rows; i++) {
          nearest(f.data, i * F, idx, dist);
          weightsOf(dist, w);
          for (let o = 0; o < O; o++) {
            let num = 0;
            let den = 0;
            for (let q = 0; q < k; q++) {
              num += yReg![idx[q]! * O + o]! * w[q]!;
              den += w[q]!;
            }
            out[i * O + o] = op.weights === 'uniform' ? num / k : num / den;
          }
        }
        return { shape: O === 1 ? [rows] : [rows, O], data: out };
      }
      // y [n] or, for a multi-output classifier, [n, outputs] of indices into all the outputs' classes:
      // each output's weights land in its own classes, normalised per output
      const C = head.nClasses;
      const S = head.outputs?.length ?? 1;
      const segments = head.outputs ?? [C];
      const proba = new Float64Array(rows * C);
      for (let i = 0; i < rows; i++) {
        nearest(f.data, i * F, idx, dist);
        weightsOf(dist, w);
        for (let q = 0; q < k; q++) {
          for (let o = 0; o < S; o++) {
            const c = i * C + yCls![idx[q]! * S + o]!;
            proba[c] = proba[c]! + w[q]!;
          }
        }
        for (let c0 = i * C, o = 0; o < S; c0 += segments[o]!, o++) {
          let s = 0;
          for (let c = c0; c < c0 + segments[o]!; c++) s += proba[c]!;
          const d = s === 0 ? 1 : s;
          for (let c = c0; c < c0 + segments[o]!; c++) proba[c] = proba[c]! / d;
        }
      }
      if (method === 'predict_proba') return { shape: [rows, C], data: proba };
      if (method === 'predict') {
        if (head.outputs) return perOutputArgmax(proba, rows, head.outputs);
        const out = new Float64Array(rows);
        for (let i = 0; i < rows; i++) out[i] = argmaxRow(proba, i, C);
        return indicesOut(out);
      }
      return unsupported(method, 'a knn classifier');
    },
  };
}
