import type { Method, MlpOp } from '../ir.js';
import { activateElementwise, activateProba, sigmoid } from './activation.js';
import { f64, indicesOut, unsupported, type EstimatorKernel, type HeadInfo, type Tensors } from './common.js';
import { argmaxRow, type Frame, type KernelOut } from './frame.js';

/** Rows per block: a block's layer outputs stay in cache while the next layer reads them. */
const BLOCK_ROWS = 256;

/** sklearn `neural_network/_base.py` ACTIVATIONS, in place over n values. */
function hiddenInPlace(kind: MlpOp['hidden'], z: Float64Array, n: number): void {
  switch (kind) {
    case 'identity':
      return;
    case 'logistic':
      for (let i = 0; i < n; i++) z[i] = sigmoid(z[i]!);
      return;
    case 'tanh':
      for (let i = 0; i < n; i++) z[i] = Math.tanh(z[i]!);
      return;
    case 'relu':
      // np.maximum(X, 0, out=X): negatives (and −0) become 0
      for (let i = 0; i < n; i++) if (!(z[i]! > 0)) z[i] = 0;
      return;
  }
}

/**
 * Multi-layer perceptron (sklearn `_forward_pass_fast`), a block of rows at a time, layer by layer:
 * out[r, o] = Σ_j h[r, j] · W[j, o] in order j = 0, 1, … (row-major W, so the inner loop runs along
 * a row of W), then + b[o]. Classifier heads answer from the output activation's probabilities, as
 * scikit-learn does: predict is argmax (multiclass) or p > 0.5 (binary, one output column).
 */
export function compileMlp(op: MlpOp, t: Tensors, head: HeadInfo): EstimatorKernel {
  const W = op.weights.map((r) => f64(t, r));
  const B = op.biases.map((r) => f64(t, r));
  const widths = [op.weights[0]!.shape[0]!, ...op.weights.map((r) => r.shape[1]!)];
  const F = widths[0]!;
  const K = widths[widths.length - 1]!;
  const widest = Math.max(...widths);
  let bufs: [Float64Array, Float64Array] | null = null; // two layer buffers, grown on first use

  function raw(f: Frame): Float64Array {
    const n = f.rows;
    const out = new Float64Array(n * K);
    const rows = Math.min(BLOCK_ROWS, n);
    if (!bufs || bufs[0].length < rows * widest) bufs = [new Float64Array(rows * widest), new Float64Array(rows * widest)];
    for (let b0 = 0; b0 < n; b0 += BLOCK_ROWS) {
      const bn = Math.min(BLOCK_ROWS, n - b0);
      let h = f.data.subarray(b0 * F, (b0 + bn) * F);
      for (let l = 0; l < W.length; l++) {
        const inW = widths[l]!;
        const outW = widths[l + 1]!;
        const last = l === W.length - 1;
        const z = last ? out.subarray(b0 * K, (b0 + bn) * K) : bufs[l % 2]!;
        const w = W[l]!;
        const bias = B[l]!;
        for (let r = 0; r < bn; r++) {
          const zo = r * outW;
          const ho = r * inW;
          for (let o = 0; o < outW; o++) z[zo + o] = 0;
          for (let j = 0; j < inW; j++) {
            const v = h[ho + j]!;
            const wo = j * outW;
            for (let o = 0; o < outW; o++) z[zo + o] = z[zo + o]! + v * w[wo + o]!;
          }
          for (let o = 0; o < outW; o++) z[zo + o] = z[zo + o]! + bias[o]!;
        }
        if (!last) hiddenInPlace(op.hidden, z, bn * outW);
        h = z;
      }
    }
    return out;
  }

  return {
    finite: 'finite',
    nFeatures: F,
    run(f: Frame, method: Method): KernelOut {
      const n = f.rows;
      const r = raw(f);
      if (!head.classifier) {
        if (method !== 'predict') return unsupported(method, 'an MLP regressor');
        return { shape: K === 1 ? [n] : [n, K], data: activateElementwise(op.activation, r, K) };
      }
      const proba = activateProba(op.activation, r, n, K, K === 1);
      if (method === 'predict_proba') return { shape: [n, head.nClasses], data: proba };
      if (method !== 'predict') return unsupported(method, 'an MLP classifier');
      const idx = new Float64Array(n);
      // LabelBinarizer.inverse_transform: the positive class when its probability is above 0.5
      if (K === 1) for (let i = 0; i < n; i++) idx[i] = proba[2 * i + 1]! > 0.5 ? 1 : 0;
      else for (let i = 0; i < n; i++) idx[i] = argmaxRow(proba, i, K);
      return indicesOut(idx);
    },
  };
}
