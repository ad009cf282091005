import { describe, expect, it } from 'vitest';
import { MvError } from '../../src/core/index.js';
import { predict, type Activation, type MlpOp, type OutputSchema, type TensorBuilder } from '../../src/runtime/index.js';
import { build, feats } from './helpers.js';

// The `mlp` operator on hand-computed networks (the scikit-learn fixtures check it against MLPClassifier
// and MLPRegressor), and the description checks of its layers and head.
const binary: OutputSchema = { kind: 'classifier', classes: ['no', 'yes'], methods: ['predict', 'predict_proba'] };
const regressor: OutputSchema = { kind: 'regressor', n_outputs: 1, methods: ['predict'] };

/** 2 inputs → 2 hidden units → `out` outputs. */
function net(tb: TensorBuilder, hidden: MlpOp['hidden'], activation: Activation, out = 1, w1 = [1, -1, 2, 0.5]): MlpOp {
  return {
    kind: 'mlp', hidden, activation,
    weights: [tb.add('w0', 'F64', [2, 2], w1), tb.add('w1', 'F64', [2, out], Array.from({ length: 2 * out }, (_, i) => (i % 2 ? -1 : 1)))],
    biases: [tb.add('b0', 'F64', [2], [0.5, -0.25]), tb.add('b1', 'F64', [out], Array.from({ length: out }, () => 0.1))],
  };
}

function refused(output: OutputSchema, graph: (tb: TensorBuilder) => MlpOp, message: RegExp): void {
  try {
    build(feats(2), output, graph);
  } catch (e) {
    expect(e).toBeInstanceOf(MvError);
    expect((e as MvError).message).toMatch(message);
    return;
  }
  expect.fail('built');
}

describe('mlp operator', () => {
  it('computes relu hidden layers, then the output (x = [1, 2])', () => {
    // h = relu([1·1 + 2·2 + 0.5, 1·(−1) + 2·0.5 − 0.25]) = [5.5, 0]; z = 5.5·1 + 0·(−1) + 0.1 = 5.6
    const m = build(feats(2), regressor, (tb) => net(tb, 'relu', { kind: 'identity' }));
    expect(Array.from(predict(m, [[1, 2]]).data as Float64Array)).toEqual([5.6]);
    const t = build(feats(2), regressor, (tb) => net(tb, 'tanh', { kind: 'identity' }));
    expect((predict(t, [[1, 2]]).data as Float64Array)[0]).toBeCloseTo(Math.tanh(5.5) - Math.tanh(-0.25) + 0.1, 15);
  });

  it('a binary classifier: [1 − p, p] with p = σ(z), label when p > 0.5', () => {
    const m = build(feats(2), binary, (tb) => net(tb, 'identity', { kind: 'logistic' }));
    // h = [5.5, −0.25]; z = 5.5 + 0.25 + 0.1 = 5.85
    const p = 1 / (1 + Math.exp(-5.85));
    expect(Array.from(predict(m, [[1, 2]], { method: 'predict_proba' }).data as Float64Array)).toEqual([1 - p, p]);
    expect(predict(m, [[1, 2], [-10, -10]]).data).toEqual(['yes', 'no']);
    expect(() => predict(m, [[1, 2]], { method: 'decision_function' })).toThrow(/not available/);
    expect(() => predict(m, [[Number.POSITIVE_INFINITY, 2]])).toThrow(/cannot take Infinity/);
  });

  it('refuses layers that do not chain, a head that does not fit, and other output activations', () => {
    /** Layers of the given [in, out] weight shapes and bias lengths. */
    const layered = (tb: TensorBuilder, shapes: [number, number][], bias: number[], activation: Activation = { kind: 'identity' }): MlpOp => ({
      kind: 'mlp', hidden: 'relu', activation,
      weights: shapes.map(([a, b], l) => tb.add(`w${l}`, 'F64', [a, b], new Array<number>(a * b).fill(0.5))),
      biases: bias.map((n, l) => tb.add(`b${l}`, 'F64', [n], new Array<number>(n).fill(0))),
    });
    refused(regressor, (tb) => layered(tb, [[2, 3], [3, 1]], [2, 1]), /biases/);
    refused(regressor, (tb) => layered(tb, [[3, 2], [2, 1]], [2, 1]), /layer 0 weights must be \[2, n_out\]/);
    refused(regressor, (tb) => layered(tb, [[2, 3], [2, 1]], [3, 1]), /layer 1 weights must be \[3, n_out\]/);
    refused(regressor, (tb) => layered(tb, [[2, 3]], [3, 1]), /2 biases for 1 weight matrices/);
    refused(regressor, (tb) => net(tb, 'relu', { kind: 'logistic' }), /an MLP regressor ends in identity/);
    refused(binary, (tb) => net(tb, 'relu', { kind: 'softmax' }), /ends in logistic/);
    refused({ kind: 'classifier', classes: [1, 2, 3], methods: ['predict'] }, (tb) => net(tb, 'relu', { kind: 'softmax' }, 2), /3 classes for an estimator with 2 outputs/);
    refused(regressor, (tb) => net(tb, 'relu', { kind: 'exp' }), /identity, logistic or softmax/);
  });
});
