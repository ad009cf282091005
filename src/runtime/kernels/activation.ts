import { assertNever } from '../../core/index.js';
import type { Activation } from '../ir.js';

/** scipy.special.expit / XGBoost / LightGBM sigmoid: 1 / (1 + e^{−x}). */
export const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** Elementwise activation for regressors (and per-class for OvA classifiers). */
export function activateElementwise(act: Activation, raw: Float64Array, width = 1): Float64Array {
  const out = new Float64Array(raw.length);
  switch (act.kind) {
    case 'identity':
      out.set(raw);
      return out;
    case 'logistic': {
      const s = act.scale ?? 1;
      for (let i = 0; i < raw.length; i++) out[i] = sigmoid(s === 1 ? raw[i]! : s * raw[i]!);
      return out;
    }
    case 'exp':
      for (let i = 0; i < raw.length; i++) out[i] = Math.exp(raw[i]!);
      return out;
    case 'sign-square':
      for (let i = 0; i < raw.length; i++) out[i] = Math.sign(raw[i]!) * raw[i]! * raw[i]!;
      return out;
    case 'log1p-exp':
      for (let i = 0; i < raw.length; i++) out[i] = Math.log1p(Math.exp(raw[i]!));
      return out;
    case 'step':
      for (let i = 0; i < raw.length; i++) out[i] = raw[i]! > 0 ? 1 : 0;
      return out;
    case 'softmax':
    case 'ovr-normalised':
    case 'multinomial-binary':
    case 'modified-huber':
      return activateProba(act, raw, raw.length / width, width, false);
    default:
      return assertNever(act, 'activation');
  }
}

function softmaxRow(src: Float64Array, so: number, out: Float64Array, oo: number, k: number): void {
  let m = src[so]!;
  for (let c = 1; c < k; c++) if (src[so + c]! > m) m = src[so + c]!;
  let s = 0;
  for (let c = 0; c < k; c++) {
    const e = Math.exp(src[so + c]! - m);
    out[oo + c] = e;
    s += e;
  }
  for (let c = 0; c < k; c++) out[oo + c] = out[oo + c]! / s;
}

/**
 * Probabilities from raw scores (n × w). When `binary` (w = 1 and two classes) the result is
 * n × 2: [1 − p, p] with p = activation(d), except multinomial-binary = softmax([−d, d]).
 * Formulas: docs/format.md §"Activations" (sklearn _logistic.py, _stochastic_gradient.py, _gb_losses.py).
 */
export function activateProba(act: Activation, raw: Float64Array, n: number, w: number, binary: boolean): Float64Array {
  if (binary) {
    const out = new Float64Array(n * 2);
    const pair = new Float64Array(2);
    for (let i = 0; i < n; i++) {
      const d = raw[i]!;
      let p: number;
      switch (act.kind) {
        case 'multinomial-binary':
          pair[0] = -d;
          pair[1] = d;
          softmaxRow(pair, 0, out, 2 * i, 2);
          continue;
        case 'logistic':
          p = sigmoid((act.scale ?? 1) === 1 ? d : (act.scale ?? 1) * d);
          break;
        case 'modified-huber':
          p = (Math.min(1, Math.max(-1, d)) + 1) / 2;
          break;
        case 'identity':
          p = d;
          break;
        case 'exp':
          p = Math.exp(d);
          break;
        case 'softmax':
        case 'ovr-normalised':
          p = sigmoid(d);
          break;
        case 'sign-square':
          p = Math.sign(d) * d * d;
          break;
        case 'log1p-exp':
          p = Math.log1p(Math.exp(d));
          break;
        case 'step':
          p = d > 0 ? 1 : 0;
          break;
        default:
          return assertNever(act, 'activation');
      }
      out[2 * i] = 1 - p;
      out[2 * i + 1] = p;
    }
    return out;
  }
  const out = new Float64Array(n * w);
  switch (act.kind) {
    case 'softmax':
      for (let i = 0; i < n; i++) softmaxRow(raw, i * w, out, i * w, w);
      return out;
    case 'ovr-normalised':
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let c = 0; c < w; c++) {
          const p = sigmoid(raw[i * w + c]!);
          out[i * w + c] = p;
          s += p;
        }
        for (let c = 0; c < w; c++) out[i * w + c] = out[i * w + c]! / s;
      }
      return out;
    case 'modified-huber':
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let c = 0; c < w; c++) {
          const p = (Math.min(1, Math.max(-1, raw[i * w + c]!)) + 1) / 2;
          out[i * w + c] = p;
          s += p;
        }
        for (let c = 0; c < w; c++) out[i * w + c] = s === 0 ? 1 / w : out[i * w + c]! / s;
      }
      return out;
    case 'multinomial-binary':
      // only meaningful for the binary case; with w > 1 it is a plain softmax
      for (let i = 0; i < n; i++) softmaxRow(raw, i * w, out, i * w, w);
      return out;
    default:
      return activateElementwise(act, raw, w);
  }
}
