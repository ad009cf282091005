import type { LinearOp, Method } from '../ir.js';
import { activateElementwise, activateProba } from './activation.js';
import { f64, indicesOut, unsupported, type EstimatorKernel, type HeadInfo, type Tensors } from './common.js';
import { argmaxRow, type Frame, type KernelOut } from './frame.js';

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

export function compileLinear(op: LinearOp, t: Tensors, head: HeadInfo): EstimatorKernel {
  const coef = f64(t, op.coef);
  const intercept = f64(t, op.intercept);
  const K = op.coef.shape[0]!;
  const F = op.coef.shape[1]!;
  return {
    finite: op.skip_missing ? 'allow-nan' : 'finite',
    nFeatures: F,
    run(f: Frame, method: Method): KernelOut {
      const n = f.rows;
      const raw = linearRaw(f.data, n, F, coef, intercept, K, op.skip_missing === true);
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
          for (let i = 0; i < n; i++) idx[i] = K === 1 ? (raw[i]! > 0 ? 1 : 0) : argmaxRow(raw, i, K);
          return indicesOut(idx);
        }
        case 'predict_proba':
          if (!op.proba) return unsupported(method, 'this linear classifier');
          return { shape: [n, head.nClasses], data: activateProba(op.proba, raw, n, K, K === 1) };
        default:
          return unsupported(method, 'a linear classifier');
      }
    },
  };
}
