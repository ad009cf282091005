/**
 * MLPClassifier / MLPRegressor (sklearn.neural_network): `coefs_[l]` [in, out] and `intercepts_[l]`
 * per layer, the hidden `activation` and `out_activation_` (softmax, logistic or identity).
 */
import type { Activation, MlpOp, TensorRef } from '../../runtime/index.js';
import { arrayF64, isArray, type F64Array } from '../py.js';
import { addTensor, CLASSIFIER_METHODS, featureNamesIn, requireFitted, type Ctx, type Mapped, type State } from './common.js';

const HIDDEN: ReadonlySet<string> = new Set(['identity', 'logistic', 'tanh', 'relu']);
const OUTPUT: Readonly<Record<string, Activation>> = { identity: { kind: 'identity' }, logistic: { kind: 'logistic' }, softmax: { kind: 'softmax' } };

function layers(s: State, field: 'coefs_' | 'intercepts_', dims: 1 | 2): F64Array[] {
  return s.items(field).map((v, l) => {
    if (!isArray(v)) return s.fail(`${field}[${l}] must be an array`, field);
    const a = arrayF64(v);
    if (a.shape.length !== dims) s.fail(`${field}[${l}] must be ${dims}-D, got shape ${JSON.stringify(a.shape)}`, field);
    return a;
  });
}

export function mapMlp(s: State, ctx: Ctx, role: 'classifier' | 'regressor'): Mapped {
  requireFitted(s, 'coefs_');
  const hidden = s.str('activation');
  if (!HIDDEN.has(hidden)) s.unsupported(`activation=${JSON.stringify(hidden)}`, 'activation');
  const outName = s.str('out_activation_');
  const activation = OUTPUT[outName] ?? s.unsupported(`out_activation_=${JSON.stringify(outName)}`, 'out_activation_');
  const W = layers(s, 'coefs_', 2);
  const B = layers(s, 'intercepts_', 1);
  if (W.length === 0 || W.length !== B.length) s.fail(`${W.length} coefs_ for ${B.length} intercepts_`, 'coefs_');
  W.forEach((w, l) => {
    if (l > 0 && w.shape[0] !== W[l - 1]!.shape[1]) s.fail(`coefs_[${l}] takes ${w.shape[0]} inputs, layer ${l - 1} gives ${W[l - 1]!.shape[1]}`, 'coefs_');
    if (B[l]!.shape[0] !== w.shape[1]) s.fail(`intercepts_[${l}] has ${B[l]!.shape[0]} values for ${w.shape[1]} units`, 'intercepts_');
  });
  const weights: TensorRef[] = W.map((w, l) => addTensor(ctx, s, `coefs.${l}`, 'F64', w.shape, w.data));
  const biases: TensorRef[] = B.map((b, l) => addTensor(ctx, s, `intercepts.${l}`, 'F64', b.shape, b.data));
  const op: MlpOp = { kind: 'mlp', name: s.shortName, weights, biases, hidden: hidden as MlpOp['hidden'], activation };
  const nIn = W[0]!.shape[0]!;
  const nOut = W[W.length - 1]!.shape[1]!;
  if (role === 'regressor') return { op, role, nIn, nOut, methods: ['predict'], featureNames: featureNamesIn(s) };
  const lb = s.has('_label_binarizer') ? s.child('_label_binarizer') : undefined;
  if (lb?.optStr('y_type_') === 'multilabel-indicator') s.unsupported('multilabel MLPClassifier (a 2-D indicator y)', '_label_binarizer');
  const classes = s.labels();
  return { op, role, nIn, nOut: classes.length, classes, methods: CLASSIFIER_METHODS(true, false), featureNames: featureNamesIn(s) };
}
