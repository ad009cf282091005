/**
 * HistGradientBoosting{Classifier,Regressor} (formats.md §4.6): raw = _baseline_prediction +
 * Σ_iter leaf values (already shrunk), f64 `x <= num_threshold`, NaN → missing_go_to_left,
 * categorical splits through `raw_left_cat_bitsets` and the bin mapper's known categories. Node
 * fields are read by name from the pickled dtype (feature_idx is u4 ≤ 1.2, intp ≥ 1.3; ≤ 0.23 calls
 * the threshold `threshold`).
 */
import type { Activation, Op } from '../../runtime/index.js';
import { arrayF64, isArray, structField } from '../py.js';
import { itemsOf } from '../state.js';
import { CLASSIFIER_METHODS, featureNamesIn, nFeaturesIn, requireFitted, State, type Ctx, type Mapped } from './common.js';
import { EnsembleBuilder } from './ensemble-builder.js';

type Link = 'identity' | 'exp' | 'logistic' | 'softmax';

/** Loss class (or, failing that, the `loss` parameter) → inverse link. */
const HGB_LOSSES: Readonly<Record<string, { link: Link; doc: string }>> = {
  'sklearn._loss.loss.HalfSquaredError': { link: 'identity', doc: '≥ 1.1 squared_error' },
  'sklearn._loss.loss.AbsoluteError': { link: 'identity', doc: '≥ 1.1 absolute_error' },
  'sklearn._loss.loss.PinballLoss': { link: 'identity', doc: '≥ 1.1 quantile' },
  'sklearn._loss.loss.HalfPoissonLoss': { link: 'exp', doc: '≥ 1.1 poisson (log link)' },
  'sklearn._loss.loss.HalfGammaLoss': { link: 'exp', doc: '≥ 1.3 gamma (log link)' },
  'sklearn._loss.loss.HalfBinomialLoss': { link: 'logistic', doc: '≥ 1.1 binary log_loss' },
  'sklearn._loss.loss.HalfMultinomialLoss': { link: 'softmax', doc: '≥ 1.1 multiclass log_loss' },
  'sklearn.ensemble._hist_gradient_boosting.loss.LeastSquares': { link: 'identity', doc: '≤ 1.0 squared_error' },
  'sklearn.ensemble._hist_gradient_boosting.loss.LeastAbsoluteDeviation': { link: 'identity', doc: '≤ 1.0 absolute_error' },
  'sklearn.ensemble._hist_gradient_boosting.loss.Poisson': { link: 'exp', doc: '≤ 1.0 poisson' },
  'sklearn.ensemble._hist_gradient_boosting.loss.BinaryCrossEntropy': { link: 'logistic', doc: '≤ 1.0 binary' },
  'sklearn.ensemble._hist_gradient_boosting.loss.CategoricalCrossEntropy': { link: 'softmax', doc: '≤ 1.0 multiclass' },
};

export const HGB_LOSS_CLASSES: readonly string[] = Object.keys(HGB_LOSSES);

function linkOf(s: State): Link {
  const l = s.raw('_loss');
  if (l !== undefined && l !== null) {
    const cls = State.of(l, s.at('_loss')).cls;
    const row = HGB_LOSSES[cls];
    if (!row) return s.unsupported(`loss class ${cls}`, '_loss');
    return row.link;
  }
  return s.unsupported('no _loss object');
}

/**
 * 8 u32 words with the bits of `cats` set (sklearn `set_bitset_memoryview`: the f64 category is
 * converted to uint8 by C truncation, then word c >> 5, bit c & 31).
 */
function bitsetOf(cats: Float64Array, s: State): number[] {
  const w = new Array<number>(8).fill(0);
  for (const raw of cats) {
    if (Number.isNaN(raw)) continue;
    if (!(raw >= 0 && raw < 256)) s.fail(`category ${raw} is outside [0, 256)`);
    const c = Math.trunc(raw);
    w[c >> 5] = (w[c >> 5]! | (1 << (c & 31))) >>> 0;
  }
  return w;
}

/** Known-category bitset per feature (undefined for numeric features), from the bin mapper. */
function knownCategories(s: State, nFeatures: number): (number[] | undefined)[] {
  const out = new Array<number[] | undefined>(nFeatures).fill(undefined);
  if (!s.has('_bin_mapper')) return out;
  const bm = s.child('_bin_mapper');
  const isCat = bm.has('is_categorical_') ? bm.vec('is_categorical_') : s.has('is_categorical_') ? s.vec('is_categorical_') : undefined;
  if (!isCat) return out;
  // ≤ 1.3: categories live in bin_thresholds_[f]; later versions may also keep `known_categories`.
  const src = bm.has('bin_thresholds_') ? 'bin_thresholds_' : 'known_categories';
  const lists = bm.items(src);
  for (let f = 0; f < nFeatures; f++) {
    if (!isCat[f]) continue;
    const a = lists[f];
    if (!isArray(a)) return bm.fail(`${src}[${f}] must be an array for a categorical feature`, src);
    out[f] = bitsetOf(arrayF64(a).data, bm);
  }
  return out;
}

function mapHgb(s: State, ctx: Ctx, role: 'classifier' | 'regressor'): Mapped {
  requireFitted(s, '_predictors');
  const link = linkOf(s);
  const classes = role === 'classifier' ? s.labels() : undefined;
  const K = s.has('n_trees_per_iteration_') ? s.int('n_trees_per_iteration_') : 1;
  if (classes && K !== (classes.length > 2 ? classes.length : 1)) s.fail(`n_trees_per_iteration_ ${K} for ${classes.length} classes`);
  const nIn = nFeaturesIn(s, '_n_features');
  if (nIn === undefined) return s.fail('cannot tell the number of features');
  const baseline = s.vec('_baseline_prediction');
  if (baseline.length !== K) s.fail(`_baseline_prediction has ${baseline.length} values for ${K} trees per iteration`, '_baseline_prediction');
  const known = knownCategories(s, nIn);
  const b = new EnsembleBuilder(s, 1, nIn);
  const iters = s.items('_predictors');
  iters.forEach((it, i) => {
    const preds = itemsOf(it, s.at(`_predictors[${i}]`));
    if (preds.length !== K) s.fail(`iteration ${i} has ${preds.length} predictors for ${K}`, '_predictors');
    preds.forEach((p, k) => {
      const ps = State.of(p, s.at(`_predictors[${i}][${k}]`));
      const nodes = ps.req('nodes');
      if (!isArray(nodes) || !nodes.dtype.fields || nodes.shape.length !== 1) return ps.fail('nodes must be a 1-D structured array', 'nodes');
      const field = (...names: string[]): Float64Array => {
        for (const n of names) {
          const f = structField(nodes, n);
          if (f) return f;
        }
        return ps.fail(`node dtype has no field ${names.join('/')}`, 'nodes');
      };
      const count = nodes.shape[0]!;
      const isLeaf = field('is_leaf');
      const left = Float64Array.from(field('left'), (l, n) => (isLeaf[n] ? -1 : l));
      const isCatField = structField(nodes, 'is_categorical');
      const bitsetIdx = isCatField ? field('bitset_idx') : undefined;
      const featureIdx = field('feature_idx');
      let raw: { data: Float64Array; rows: number } | undefined;
      if (isCatField && isCatField.some((c, n) => c !== 0 && !isLeaf[n])) {
        const r = ps.f64('raw_left_cat_bitsets');
        if (r.shape.length !== 2 || r.shape[1] !== 8) ps.fail(`raw_left_cat_bitsets has shape ${JSON.stringify(r.shape)}`, 'raw_left_cat_bitsets');
        raw = { data: r.data, rows: r.shape[0]! };
      }
      b.addTree({
        count,
        left,
        right: field('right'),
        feature: featureIdx,
        threshold: field('num_threshold', 'threshold'),
        values: field('value'),
        missingLeft: field('missing_go_to_left'),
        ...(isCatField && bitsetIdx
          ? {
            cat: {
              isCat: isCatField,
              words: (n: number) => {
                const bi = bitsetIdx[n]!;
                if (!raw || !(bi >= 0 && bi < raw.rows)) return ps.fail(`node ${n} bitset_idx ${bi} out of range`, 'raw_left_cat_bitsets');
                return raw.data.subarray(bi * 8, bi * 8 + 8);
              },
              known: (n: number) => {
                const kc = known[featureIdx[n]!];
                if (!kc) return ps.fail(`node ${n} splits categorically on feature ${featureIdx[n]} that the bin mapper does not mark categorical`);
                return kc;
              },
            },
          }
          : {}),
      }, k, 1, ps);
    });
  });
  const activation: Activation = { kind: link };
  const trees = b.build(ctx, {
    split: 'sklearn-hgb', nOutputs: K, aggregation: 'sum', base: Array.from(baseline), leafNormalize: false, activation,
    decision: role === 'classifier', weighted: false, name: s.shortName,
  });
  const nCat = known.filter((k) => k !== undefined).length;
  if (nCat) ctx.notes.push(`${s.shortName}: ${nCat} categorical feature(s)`);
  // ≥ 1.4 categorical_features='from_dtype' on a DataFrame: a fitted ColumnTransformer (OrdinalEncoder on
  // the categorical columns, the rest passed through) runs before the trees, which index its output.
  let op: Op = trees;
  let inputs = nIn;
  let names = featureNamesIn(s);
  if (s.has('_preprocessor')) {
    const pre = ctx.map(s.req('_preprocessor'), s.at('_preprocessor'));
    if (pre.role !== 'transformer' || pre.nOut !== nIn) s.fail(`_preprocessor gives ${pre.nOut} columns for ${nIn} features`, '_preprocessor');
    op = { kind: 'pipeline', name: s.shortName, steps: [pre.op, trees] };
    inputs = pre.nIn ?? nIn;
    names = pre.featureNames ? [...pre.featureNames] : names;
    ctx.notes.push(`${s.shortName}: applies its _preprocessor (scikit-learn ≥ 1.4 categorical_features='from_dtype')`);
  }
  return role === 'classifier'
    ? { op, role, nIn: inputs, nOut: classes!.length, classes: classes!, methods: CLASSIFIER_METHODS(true, true), ...(names ? { featureNames: names } : {}) }
    : { op, role, nIn: inputs, nOut: 1, methods: ['predict'], ...(names ? { featureNames: names } : {}) };
}

export const mapHgbClassifier = (s: State, ctx: Ctx): Mapped => mapHgb(s, ctx, 'classifier');
export const mapHgbRegressor = (s: State, ctx: Ctx): Mapped => mapHgb(s, ctx, 'regressor');
