/**
 * GradientBoosting{Classifier,Regressor} (formats.md §4.5): raw[:, k] = init_raw[k] +
 * learning_rate · Σ_stages tree[stage, k](x); leaves are NOT pre-multiplied, so every tree carries the
 * learning rate as its weight. The loss is identified by its class — ≤ 1.3 `sklearn.ensemble._gb_losses`,
 * ≥ 1.4 `sklearn._loss.loss` — never by the version string alone.
 */
import type { Activation } from '../../runtime/index.js';
import { CLASSIFIER_METHODS, featureNamesIn, nFeaturesIn, requireFitted, State, type Ctx, type Mapped } from './common.js';
import { EnsembleBuilder } from './ensemble-builder.js';
import { readSklearnTree } from './tree.js';

type LossKind = 'regression' | 'binomial' | 'multinomial' | 'exponential';

/** Loss class → what the link is. One row per class, old and new module. */
const GB_LOSSES: Readonly<Record<string, { kind: LossKind; doc: string }>> = {
  'sklearn.ensemble._gb_losses.LeastSquaresError': { kind: 'regression', doc: '≤ 1.3 squared_error' },
  'sklearn.ensemble._gb_losses.LeastAbsoluteError': { kind: 'regression', doc: '≤ 1.3 absolute_error' },
  'sklearn.ensemble._gb_losses.HuberLossFunction': { kind: 'regression', doc: '≤ 1.3 huber' },
  'sklearn.ensemble._gb_losses.QuantileLossFunction': { kind: 'regression', doc: '≤ 1.3 quantile' },
  'sklearn.ensemble._gb_losses.BinomialDeviance': { kind: 'binomial', doc: '≤ 1.3 binary log_loss' },
  'sklearn.ensemble._gb_losses.MultinomialDeviance': { kind: 'multinomial', doc: '≤ 1.3 multiclass log_loss' },
  'sklearn.ensemble._gb_losses.ExponentialLoss': { kind: 'exponential', doc: '≤ 1.3 exponential (AdaBoost)' },
  'sklearn._loss.loss.HalfSquaredError': { kind: 'regression', doc: '≥ 1.4 squared_error' },
  'sklearn._loss.loss.AbsoluteError': { kind: 'regression', doc: '≥ 1.4 absolute_error' },
  'sklearn._loss.loss.HuberLoss': { kind: 'regression', doc: '≥ 1.4 huber' },
  'sklearn._loss.loss.PinballLoss': { kind: 'regression', doc: '≥ 1.4 quantile' },
  'sklearn._loss.loss.HalfBinomialLoss': { kind: 'binomial', doc: '≥ 1.4 binary log_loss' },
  'sklearn._loss.loss.HalfMultinomialLoss': { kind: 'multinomial', doc: '≥ 1.4 multiclass log_loss' },
  'sklearn._loss.loss.ExponentialLoss': { kind: 'exponential', doc: '≥ 1.4 exponential' },
};

export const GB_LOSS_CLASSES: readonly string[] = Object.keys(GB_LOSSES);

/** float32 machine epsilon, sklearn's clip for prior probabilities. */
const F32_EPS = 2 ** -23;
const clipP = (p: number): number => Math.min(Math.max(p, F32_EPS), 1 - F32_EPS);

/** init_raw per raw column from `init_` (formats.md §4.5 table). */
function initRaw(s: State, kind: LossKind, K: number, modernLoss: boolean): number[] {
  const init = s.req('init_');
  if (init === 'zero') return new Array<number>(K).fill(0);
  const est = State.of(init, s.at('init_'));
  if (kind === 'regression') {
    if (est.cls !== 'sklearn.dummy.DummyRegressor') s.unsupported(`a custom init estimator ${est.cls}`, 'init_');
    const c = est.vec('constant_');
    if (c.length !== 1) est.fail('constant_ must hold one value', 'constant_');
    return [c[0]!];
  }
  if (est.cls !== 'sklearn.dummy.DummyClassifier') s.unsupported(`a custom init estimator ${est.cls}`, 'init_');
  const strategy = est.optStr('strategy') ?? 'prior';
  if (strategy !== 'prior') s.unsupported(`DummyClassifier init with strategy ${strategy}`, 'init_');
  const prior = est.vec('class_prior_');
  if (kind === 'binomial' || kind === 'exponential') {
    if (prior.length !== 2) est.fail('class_prior_ must have 2 entries', 'class_prior_');
    const p = clipP(prior[1]!);
    const logit = Math.log(p / (1 - p));
    return [kind === 'exponential' ? 0.5 * logit : logit];
  }
  if (prior.length !== K) est.fail(`class_prior_ has ${prior.length} entries for ${K} classes`, 'class_prior_');
  const logs = Array.from(prior, (p) => Math.log(clipP(p)));
  if (!modernLoss) return logs;
  // ≥ 1.4 HalfMultinomialLoss link is the symmetric multinomial logit: log p − mean(log p).
  const mean = logs.reduce((a, b) => a + b, 0) / K;
  return logs.map((l) => l - mean);
}

function lossOf(s: State): { kind: LossKind; modern: boolean; cls: string } {
  const l = s.req('_loss');
  const cls = State.of(l, s.at('_loss')).cls;
  const row = GB_LOSSES[cls];
  if (!row) return s.unsupported(`loss class ${cls}`, '_loss');
  return { kind: row.kind, modern: cls.startsWith('sklearn._loss.'), cls };
}

function mapGb(s: State, ctx: Ctx, role: 'classifier' | 'regressor'): Mapped {
  requireFitted(s, 'estimators_');
  const loss = lossOf(s);
  if ((role === 'regressor') !== (loss.kind === 'regression')) s.fail(`loss ${loss.cls} does not fit a ${role}`, '_loss');
  const classes = role === 'classifier' ? s.labels() : undefined;
  const K = loss.kind === 'multinomial' ? classes!.length : 1;
  if (classes && loss.kind !== 'multinomial' && classes.length !== 2) s.fail(`${loss.cls} with ${classes.length} classes`, '_loss');
  const est = s.req('estimators_');
  const items = s.items('estimators_');
  const shape = typeof est === 'object' && est !== null && est.kind === 'ndarray' ? est.shape : [items.length, 1];
  if (shape.length !== 2 || shape[1] !== K || shape[0]! * K !== items.length) s.fail(`estimators_ has shape ${JSON.stringify(shape)} for ${K} trees per stage`, 'estimators_');
  const nIn = nFeaturesIn(s);
  if (nIn === undefined) return s.fail('cannot tell the number of features (no n_features_in_)');
  const lr = s.num('learning_rate');
  const b = new EnsembleBuilder(s, 1, nIn);
  for (let st = 0; st < shape[0]!; st++) {
    for (let k = 0; k < K; k++) {
      const t = State.of(items[st * K + k], s.at(`estimators_[${st}, ${k}]`));
      const tree = t.child('tree_');
      b.addTree(readSklearnTree(tree, 'regressor', []), k, lr, tree);
    }
  }
  const base = initRaw(s, loss.kind, K, loss.modern);
  const activation: Activation =
    loss.kind === 'regression' ? { kind: 'identity' }
      : loss.kind === 'binomial' ? { kind: 'logistic' }
        : loss.kind === 'exponential' ? { kind: 'logistic', scale: 2 }
          : { kind: 'softmax' };
  const op = b.build(ctx, {
    split: 'sklearn-tree', nOutputs: K, aggregation: 'sum', base, leafNormalize: false, activation,
    decision: role === 'classifier', weighted: true, name: s.shortName,
  });
  if (loss.modern) ctx.notes.push(`${s.shortName}: loss ${loss.cls} (scikit-learn ≥ 1.4 layout)`);
  return role === 'classifier'
    ? { op, role, nIn, nOut: classes!.length, classes: classes!, methods: CLASSIFIER_METHODS(true, true), featureNames: featureNamesIn(s) }
    : { op, role, nIn, nOut: 1, methods: ['predict'], featureNames: featureNamesIn(s) };
}

export const mapGbClassifier = (s: State, ctx: Ctx): Mapped => mapGb(s, ctx, 'classifier');
export const mapGbRegressor = (s: State, ctx: Ctx): Mapped => mapGb(s, ctx, 'regressor');
