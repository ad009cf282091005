import type { Method, SvmOp } from '../ir.js';
import { f64, indicesOut, unsupported, type EstimatorKernel, type HeadInfo, type Tensors } from './common.js';
import { argmaxRow, type Frame, type KernelOut } from './frame.js';

/** libsvm `powi`: exponentiation by squaring (svm.cpp). */
export function powi(base: number, times: number): number {
  let tmp = base;
  let ret = 1.0;
  for (let t = times; t > 0; t = Math.floor(t / 2)) {
    if (t % 2 === 1) ret *= tmp;
    tmp = tmp * tmp;
  }
  return ret;
}

/** libsvm `sigmoid_predict` (svm.cpp). */
export function sigmoidPredict(f: number, a: number, b: number): number {
  const fApB = f * a + b;
  return fApB >= 0 ? Math.exp(-fApB) / (1.0 + Math.exp(-fApB)) : 1.0 / (1 + Math.exp(fApB));
}

/** libsvm `multiclass_probability` (Wu, Lin & Weng 2004, method 2), r[i*k + j] = r_ij; writes p. */
export function multiclassProbability(k: number, r: Float64Array, p: Float64Array, po: number, Q: Float64Array, Qp: Float64Array): void {
  const maxIter = Math.max(100, k);
  const eps = 0.005 / k;
  for (let t = 0; t < k; t++) {
    p[po + t] = 1.0 / k;
    Q[t * k + t] = 0;
    for (let j = 0; j < t; j++) {
      Q[t * k + t] = Q[t * k + t]! + r[j * k + t]! * r[j * k + t]!;
      Q[t * k + j] = Q[j * k + t]!;
    }
    for (let j = t + 1; j < k; j++) {
      Q[t * k + t] = Q[t * k + t]! + r[j * k + t]! * r[j * k + t]!;
      Q[t * k + j] = -r[j * k + t]! * r[t * k + j]!;
    }
  }
  for (let iter = 0; iter < maxIter; iter++) {
    let pQp = 0;
    for (let t = 0; t < k; t++) {
      Qp[t] = 0;
      for (let j = 0; j < k; j++) Qp[t] = Qp[t]! + Q[t * k + j]! * p[po + j]!;
      pQp += p[po + t]! * Qp[t]!;
    }
    let maxError = 0;
    for (let t = 0; t < k; t++) {
      const error = Math.abs(Qp[t]! - pQp);
      if (error > maxError) maxError = error;
    }
    if (maxError < eps) break;
    for (let t = 0; t < k; t++) {
      const diff = (-Qp[t]! + pQp) / Q[t * k + t]!;
      p[po + t] = p[po + t]! + diff;
      pQp = (pQp + diff * (diff * Q[t * k + t]! + 2 * Qp[t]!)) / (1 + diff) / (1 + diff);
      for (let j = 0; j < k; j++) {
        Qp[j] = (Qp[j]! + diff * Q[t * k + j]!) / (1 + diff);
        p[po + j] = p[po + j]! / (1 + diff);
      }
    }
  }
}

const MIN_PROB = 1e-7;

/**
 * SVC/SVR over sklearn's private libsvm-sign `_dual_coef_` / `_intercept_` (formats.md §4.9;
 * sklearn `svm/src/libsvm/svm.cpp` svm_predict_values / svm_predict_probability).
 */
export function compileSvm(op: SvmOp, t: Tensors, head: HeadInfo): EstimatorKernel {
  const sv = f64(t, op.support_vectors);
  const dual = f64(t, op.dual_coef);
  const icpt = f64(t, op.intercept);
  const probA = op.prob_a ? f64(t, op.prob_a) : null;
  const probB = op.prob_b ? f64(t, op.prob_b) : null;
  const nSV = op.support_vectors.shape[0]!;
  const F = op.support_vectors.shape[1]!;
  const C = op.n_support.length;
  const start = new Int32Array(C);
  for (let c = 1; c < C; c++) start[c] = start[c - 1]! + op.n_support[c - 1]!;
  const { kind, gamma, coef0, degree } = op.kernel;
  const P = op.task === 'svc' ? (C * (C - 1)) / 2 : 1;

  function kvalues(x: Float64Array, xo: number, out: Float64Array): void {
    for (let s = 0; s < nSV; s++) {
      const so = s * F;
      if (kind === 'rbf') {
        let sum = 0;
        for (let j = 0; j < F; j++) {
          const d = x[xo + j]! - sv[so + j]!;
          sum += d * d;
        }
        out[s] = Math.exp(-gamma * sum);
        continue;
      }
      let dot = 0;
      for (let j = 0; j < F; j++) dot += x[xo + j]! * sv[so + j]!;
      out[s] = kind === 'linear' ? dot : kind === 'poly' ? powi(gamma * dot + coef0, degree) : Math.tanh(gamma * dot + coef0);
    }
  }

  /** libsvm decision values f_p per pair (n × P); regression: n × 1. */
  function decisionValues(f: Frame): Float64Array {
    const n = f.rows;
    const out = new Float64Array(n * P);
    const kv = new Float64Array(nSV);
    for (let i = 0; i < n; i++) {
      kvalues(f.data, i * F, kv);
      if (op.task === 'svr') {
        let sum = 0;
        for (let s = 0; s < nSV; s++) sum += dual[s]! * kv[s]!;
        out[i] = sum + icpt[0]!;
        continue;
      }
      let p = 0;
      for (let a = 0; a < C; a++) {
        for (let b = a + 1; b < C; b++) {
          let sum = 0;
          const sa = start[a]!;
          const sb = start[b]!;
          const c1 = (b - 1) * nSV;
          const c2 = a * nSV;
          for (let q = 0; q < op.n_support[a]!; q++) sum += dual[c1 + sa + q]! * kv[sa + q]!;
          for (let q = 0; q < op.n_support[b]!; q++) sum += dual[c2 + sb + q]! * kv[sb + q]!;
          out[i * P + p] = sum + icpt[p]!;
          p++;
        }
      }
    }
    return out;
  }

  /** sklearn `_ovr_decision_function(dec < 0, -dec, n_classes)`. */
  function ovr(dec: Float64Array, n: number): Float64Array {
    const out = new Float64Array(n * C);
    const conf = new Float64Array(C);
    for (let i = 0; i < n; i++) {
      conf.fill(0);
      let p = 0;
      for (let a = 0; a < C; a++) {
        for (let b = a + 1; b < C; b++) {
          const d = dec[i * P + p]!;
          conf[a] = conf[a]! - -d;
          conf[b] = conf[b]! + -d;
          if (d < 0) out[i * C + b] = out[i * C + b]! + 1;
          else out[i * C + a] = out[i * C + a]! + 1;
          p++;
        }
      }
      for (let c = 0; c < C; c++) out[i * C + c] = out[i * C + c]! + conf[c]! / (3 * (Math.abs(conf[c]!) + 1));
    }
    return out;
  }

  function votes(dec: Float64Array, n: number): Float64Array {
    const idx = new Float64Array(n);
    const vote = new Int32Array(C);
    for (let i = 0; i < n; i++) {
      vote.fill(0);
      let p = 0;
      for (let a = 0; a < C; a++) {
        for (let b = a + 1; b < C; b++) {
          if (dec[i * P + p++]! > 0) vote[a] = vote[a]! + 1;
          else vote[b] = vote[b]! + 1;
        }
      }
      let best = 0;
      for (let c = 1; c < C; c++) if (vote[c]! > vote[best]!) best = c;
      idx[i] = best;
    }
    return idx;
  }

  function proba(dec: Float64Array, n: number): Float64Array {
    const out = new Float64Array(n * C);
    const r = new Float64Array(C * C);
    const Q = new Float64Array(C * C);
    const Qp = new Float64Array(C);
    for (let i = 0; i < n; i++) {
      let p = 0;
      for (let a = 0; a < C; a++) {
        for (let b = a + 1; b < C; b++) {
          const v = Math.min(Math.max(sigmoidPredict(dec[i * P + p]!, probA![p]!, probB![p]!), MIN_PROB), 1 - MIN_PROB);
          r[a * C + b] = v;
          r[b * C + a] = 1 - v;
          p++;
        }
      }
      // Two classes too: scikit-learn's bundled libsvm runs the iterative multiclass_probability for k = 2
      // (newer upstream libsvm short-cuts to [r01, r10]; the iterate differs by up to ~1e-3).
      multiclassProbability(C, r, out, i * C, Q, Qp);
    }
    return out;
  }

  return {
    finite: 'finite',
    nFeatures: F,
    run(f: Frame, method: Method): KernelOut {
      const n = f.rows;
      const dec = decisionValues(f);
      if (op.task === 'svr') {
        if (method !== 'predict') return unsupported(method, 'an SVR');
        return { shape: [n], data: dec };
      }
      switch (method) {
        case 'decision_function':
          if (C === 2) return { shape: [n], data: dec.map((v) => -v) };
          return op.decision_function_shape === 'ovr' ? { shape: [n, C], data: ovr(dec, n) } : { shape: [n, P], data: dec };
        case 'predict':
          if (op.break_ties && op.decision_function_shape === 'ovr' && C > 2) {
            const d = ovr(dec, n);
            const idx = new Float64Array(n);
            for (let i = 0; i < n; i++) idx[i] = argmaxRow(d, i, C);
            return indicesOut(idx);
          }
          return indicesOut(votes(dec, n));
        case 'predict_proba':
          if (!probA) return unsupported(method, 'an SVC without probability=True');
          return { shape: [n, head.nClasses], data: proba(dec, n) };
        default:
          return unsupported(method, 'an SVC');
      }
    },
  };
}
