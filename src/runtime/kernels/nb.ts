import type { GaussianNbOp, Method } from '../ir.js';
import { f64, indicesOut, unsupported, type EstimatorKernel, type Tensors } from './common.js';
import { argmaxRow, type Frame, type KernelOut } from './frame.js';

/** GaussianNB (sklearn `naive_bayes.py` `_joint_log_likelihood`, `predict_proba` via logsumexp). */
export function compileGaussianNb(op: GaussianNbOp, t: Tensors): EstimatorKernel {
  const theta = f64(t, op.theta);
  const variance = f64(t, op.var);
  const prior = f64(t, op.class_prior);
  const C = op.theta.shape[0]!;
  const F = op.theta.shape[1]!;
  const logPrior = new Float64Array(C);
  const nij = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    logPrior[c] = Math.log(prior[c]!);
    let s = 0;
    for (let j = 0; j < F; j++) s += Math.log(2.0 * Math.PI * variance[c * F + j]!);
    nij[c] = -0.5 * s;
  }
  function jll(f: Frame): Float64Array {
    const out = new Float64Array(f.rows * C);
    for (let i = 0; i < f.rows; i++) {
      for (let c = 0; c < C; c++) {
        let s = 0;
        for (let j = 0; j < F; j++) {
          const d = f.data[i * F + j]! - theta[c * F + j]!;
          s += (d * d) / variance[c * F + j]!;
        }
        out[i * C + c] = logPrior[c]! + (nij[c]! - 0.5 * s);
      }
    }
    return out;
  }
  return {
    finite: 'finite',
    nFeatures: F,
    run(f: Frame, method: Method): KernelOut {
      const j = jll(f);
      const n = f.rows;
      if (method === 'predict') {
        const idx = new Float64Array(n);
        for (let i = 0; i < n; i++) idx[i] = argmaxRow(j, i, C);
        return indicesOut(idx);
      }
      if (method === 'predict_proba') {
        const out = new Float64Array(n * C);
        for (let i = 0; i < n; i++) {
          let m = -Infinity;
          for (let c = 0; c < C; c++) m = Math.max(m, j[i * C + c]!);
          let s = 0;
          for (let c = 0; c < C; c++) s += Math.exp(j[i * C + c]! - m);
          const lse = Math.log(s) + m;
          for (let c = 0; c < C; c++) out[i * C + c] = Math.exp(j[i * C + c]! - lse);
        }
        return { shape: [n, C], data: out };
      }
      return unsupported(method, 'GaussianNB');
    },
  };
}
