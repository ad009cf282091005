/**
 * Linear models (formats.md §4.1–§4.2): raw = X·coef_ᵀ + intercept_.
 */
import type { Activation, LinearOp } from '../../runtime/index.js';
import { addTensor, CLASSIFIER_METHODS, featureNamesIn, nFeaturesIn, requireFitted, State, type Ctx, type Mapped } from './common.js';

/** coef_ as [n_targets, n_features] and intercept_ as [n_targets] (a scalar intercept is broadcast). */
function coefIntercept(s: State): { coef: Float64Array; intercept: Float64Array; rows: number; cols: number; twoD: boolean } {
  requireFitted(s, 'coef_');
  const c = s.f64('coef_');
  if (c.shape.length !== 1 && c.shape.length !== 2) s.fail(`coef_ has shape ${JSON.stringify(c.shape)}`, 'coef_');
  const rows = c.shape.length === 2 ? c.shape[0]! : 1;
  const cols = c.shape.length === 2 ? c.shape[1]! : c.shape[0]!;
  const i = s.has('intercept_') ? s.f64('intercept_') : { data: Float64Array.of(0), shape: [] };
  let intercept: Float64Array;
  if (i.data.length === rows) intercept = i.data;
  else if (i.data.length === 1) intercept = new Float64Array(rows).fill(i.data[0]!);
  else return s.fail(`intercept_ has ${i.data.length} values for ${rows} targets`, 'intercept_');
  const nIn = nFeaturesIn(s);
  if (nIn !== undefined && nIn !== cols) s.fail(`coef_ has ${cols} columns but n_features_in_ is ${nIn}`, 'coef_');
  return { coef: c.data, intercept, rows, cols, twoD: c.shape.length === 2 };
}

/** LinearRegression, Ridge, Lasso, ElasticNet, SGDRegressor, LinearSVR. */
export function mapLinearRegressor(s: State, ctx: Ctx): Mapped {
  const { coef, intercept, rows, cols, twoD } = coefIntercept(s);
  const op = {
    kind: 'linear' as const,
    name: s.shortName,
    coef: addTensor(ctx, s, 'coef', 'F64', [rows, cols], coef),
    intercept: addTensor(ctx, s, 'intercept', 'F64', [rows], intercept),
  };
  return { op, role: 'regressor', nIn: cols, nOut: twoD ? rows : 1, methods: ['predict'], featureNames: featureNamesIn(s) };
}

/** The inverse link of a generalized linear model, by the class of its `_base_loss` (≥ 1.1). */
const GLM_LINK: Readonly<Record<string, 'identity' | 'log'>> = {
  'sklearn._loss.loss.HalfSquaredError': 'identity',
  'sklearn._loss.loss.HalfTweedieLossIdentity': 'identity',
  'sklearn._loss.loss.HalfPoissonLoss': 'log',
  'sklearn._loss.loss.HalfGammaLoss': 'log',
  'sklearn._loss.loss.HalfTweedieLoss': 'log',
};

/** PoissonRegressor, GammaRegressor, TweedieRegressor (sklearn `_glm`): link⁻¹(X·coef_ + intercept_), exp for a log link. */
export function mapGlm(s: State, ctx: Ctx): Mapped {
  if (!s.has('_base_loss')) s.unsupported('a generalized linear model without _base_loss (scikit-learn ≤ 1.0 layout)', '_base_loss');
  const loss = s.child('_base_loss').cls;
  const link = GLM_LINK[loss] ?? s.unsupported(`loss ${loss}`, '_base_loss');
  const m = mapLinearRegressor(s, ctx);
  return link === 'log' ? { ...m, op: { ...(m.op as LinearOp), proba: { kind: 'exp' } } } : m;
}

/**
 * LogisticRegression predict_proba (formats.md §4.2, sklearn `_logistic.py`):
 * ovr = multi_class 'ovr' or ('auto'/'deprecated' and (binary or liblinear)); ≥ 1.5 behaves the same.
 */
function logisticActivation(s: State, nClasses: number): Activation {
  const mc = s.optStr('multi_class') ?? 'auto';
  const solver = s.optStr('solver') ?? 'lbfgs';
  let ovr: boolean;
  if (mc === 'ovr' || mc === 'warn') ovr = true;
  else if (mc === 'multinomial') ovr = false;
  else if (mc === 'auto' || mc === 'deprecated') ovr = nClasses <= 2 || solver === 'liblinear';
  else return s.unsupported(`multi_class=${JSON.stringify(mc)}`, 'multi_class');
  if (nClasses <= 2) return ovr ? { kind: 'logistic' } : { kind: 'multinomial-binary' };
  return ovr ? { kind: 'ovr-normalised' } : { kind: 'softmax' };
}

/** SGDClassifier predict_proba exists only for log_loss ('log' ≤ 1.0) and modified_huber. */
function sgdActivation(s: State, nClasses: number): Activation | undefined {
  const loss = s.str('loss');
  if (loss === 'log_loss' || loss === 'log') return nClasses <= 2 ? { kind: 'logistic' } : { kind: 'ovr-normalised' };
  if (loss === 'modified_huber') return { kind: 'modified-huber' };
  return undefined;
}

function linearClassifier(s: State, ctx: Ctx, proba: Activation | undefined, classes = (requireFitted(s, 'classes_'), s.labels())): Mapped {
  const { coef, intercept, rows, cols } = coefIntercept(s);
  const expected = classes.length === 2 ? 1 : classes.length;
  if (classes.length < 2) s.unsupported('a classifier fitted on a single class');
  if (rows !== expected) s.fail(`coef_ has ${rows} rows for ${classes.length} classes`, 'coef_');
  const op = {
    kind: 'linear' as const,
    name: s.shortName,
    coef: addTensor(ctx, s, 'coef', 'F64', [rows, cols], coef),
    intercept: addTensor(ctx, s, 'intercept', 'F64', [rows], intercept),
    ...(proba ? { proba } : {}),
  };
  return {
    op, role: 'classifier', nIn: cols, nOut: classes.length, classes,
    methods: CLASSIFIER_METHODS(proba !== undefined, true), featureNames: featureNamesIn(s),
  };
}

export function mapLogisticRegression(s: State, ctx: Ctx): Mapped {
  return linearClassifier(s, ctx, logisticActivation(s, s.labels().length));
}

export function mapSgdClassifier(s: State, ctx: Ctx): Mapped {
  return linearClassifier(s, ctx, sgdActivation(s, s.labels().length));
}

/** LinearSVC (ovr or crammer_singer: both decide by X·coef_ᵀ + intercept_) has no predict_proba. */
export function mapLinearSvc(s: State, ctx: Ctx): Mapped {
  return linearClassifier(s, ctx, undefined);
}

/** RidgeClassifier(CV): `classes_` is a property of the pickled `_label_binarizer` (LabelBinarizer). */
export function mapRidgeClassifier(s: State, ctx: Ctx): Mapped {
  const lb = s.child('_label_binarizer');
  return linearClassifier(s, ctx, undefined, lb.labels());
}

/** LinearDiscriminantAnalysis: decision = X·coef_ᵀ + intercept_; proba σ (binary) or softmax (its own predict_proba). */
export function mapLda(s: State, ctx: Ctx): Mapped {
  const n = s.labels().length;
  return linearClassifier(s, ctx, n <= 2 ? { kind: 'logistic' } : { kind: 'softmax' });
}

/**
 * OneVsRestClassifier over linear binary estimators (sklearn.multiclass): one decision row per class
 * (each estimator's X·coef_ᵀ + intercept_), predict = argmax; predict_proba = σ(d_k) / Σ σ(d_j) when
 * every estimator is a logistic one (LogisticRegression with ovr binary probabilities, SGD log_loss).
 */
export function mapOneVsRest(s: State, ctx: Ctx): Mapped {
  requireFitted(s, 'estimators_');
  const classes = s.labels();
  const lb = s.child('label_binarizer_');
  const yType = lb.optStr('y_type_');
  if (yType !== 'multiclass' && yType !== 'binary') s.unsupported(`OneVsRestClassifier with y_type_ ${String(yType)} (multilabel)`, 'label_binarizer_');
  const ests = s.items('estimators_').map((e, i) => State.of(e, s.at(`estimators_[${i}]`)));
  const want = classes.length === 2 ? 1 : classes.length;
  if (ests.length !== want) s.fail(`${ests.length} estimators for ${classes.length} classes`, 'estimators_');
  const rows: Float64Array[] = [];
  const intercepts: number[] = [];
  let logistic = true;
  let nf = -1;
  for (const e of ests) {
    let act: Activation | undefined;
    if (e.cls === 'sklearn.linear_model._logistic.LogisticRegression') act = logisticActivation(e, 2);
    else if (e.cls === 'sklearn.linear_model._stochastic_gradient.SGDClassifier') act = sgdActivation(e, 2);
    else if (!LINEAR_BINARY.has(e.cls)) return e.unsupported(`OneVsRestClassifier over ${e.cls} (only linear binary estimators convert)`);
    if (act?.kind !== 'logistic') logistic = false;
    const { coef, intercept, rows: r, cols } = coefIntercept(e);
    if (r !== 1) e.fail('a binary estimator must have one coef_ row', 'coef_');
    if (nf >= 0 && cols !== nf) e.fail('estimators disagree on the number of features', 'coef_');
    nf = cols;
    rows.push(coef);
    intercepts.push(intercept[0]!);
  }
  const coef = new Float64Array(rows.length * nf);
  rows.forEach((r, k) => coef.set(r, k * nf));
  const proba: Activation | undefined = logistic ? (classes.length === 2 ? { kind: 'logistic' } : { kind: 'ovr-normalised' }) : undefined;
  const op = {
    kind: 'linear' as const,
    name: s.shortName,
    coef: addTensor(ctx, s, 'coef', 'F64', [rows.length, nf], coef),
    intercept: addTensor(ctx, s, 'intercept', 'F64', [rows.length], intercepts),
    ...(proba ? { proba } : {}),
  };
  return { op, role: 'classifier', nIn: nf, nOut: classes.length, classes, methods: CLASSIFIER_METHODS(proba !== undefined, true), featureNames: featureNamesIn(s) };
}

/** Binary linear classifiers without probabilities that OneVsRestClassifier may wrap. */
const LINEAR_BINARY: ReadonlySet<string> = new Set([
  'sklearn.svm._classes.LinearSVC', 'sklearn.linear_model._perceptron.Perceptron',
  'sklearn.linear_model._passive_aggressive.PassiveAggressiveClassifier', 'sklearn.linear_model._ridge.RidgeClassifier',
]);
