/**
 * Numeric transforms (formats.md §4.7): scalers, SimpleImputer, PolynomialFeatures, PCA.
 */
import type { MissingMarker, TensorRef } from '../../runtime/index.js';
import { scalarNumber, scalarString } from '../py.js';
import { itemsOf } from '../state.js';
import { addTensor, featureNamesIn, nFeaturesIn, requireFitted, type Ctx, type Mapped, type State } from './common.js';

function width(s: State, ...fields: string[]): number {
  const n = nFeaturesIn(s);
  if (n !== undefined) return n;
  for (const f of fields) if (s.has(f)) return s.vec(f).length;
  return s.fail('cannot tell the number of features');
}

function vecRef(s: State, ctx: Ctx, field: string, n: number, name: string): TensorRef | undefined {
  if (!s.has(field)) return undefined;
  return addTensor(ctx, s, name, 'F64', [n], s.vec(field, n));
}

function transformer(s: State, op: Mapped['op'], nIn: number, nOut: number): Mapped {
  return { op, role: 'transformer', nIn, nOut, methods: ['transform'], featureNames: featureNamesIn(s) };
}

/** StandardScaler: (x − mean_) / scale_ (either may be None). */
export function mapStandardScaler(s: State, ctx: Ctx): Mapped {
  const n = width(s, 'scale_', 'mean_');
  // mean_ is kept (for partial_fit) even when with_mean=False: the flags decide.
  const sub = s.bool('with_mean', true) ? vecRef(s, ctx, 'mean_', n, 'mean') : undefined;
  const div = s.bool('with_std', true) ? vecRef(s, ctx, 'scale_', n, 'scale') : undefined;
  return transformer(s, { kind: 'scale', name: s.shortName, n_features: n, ...(sub ? { sub } : {}), ...(div ? { div } : {}) }, n, n);
}

/** MinMaxScaler: x·scale_ + min_, clipped to feature_range when `clip` (≥ 1.0). */
export function mapMinMaxScaler(s: State, ctx: Ctx): Mapped {
  requireFitted(s, 'scale_');
  const n = width(s, 'scale_');
  const mul = vecRef(s, ctx, 'scale_', n, 'scale')!;
  const add = vecRef(s, ctx, 'min_', n, 'min')!;
  let clip: [number, number] | undefined;
  if (s.bool('clip', false)) {
    const fr = s.vec('feature_range', 2);
    clip = [fr[0]!, fr[1]!];
  }
  return transformer(s, { kind: 'scale', name: s.shortName, n_features: n, mul, add, ...(clip ? { clip } : {}) }, n, n);
}

/** RobustScaler: (x − center_) / scale_ (either may be None). */
export function mapRobustScaler(s: State, ctx: Ctx): Mapped {
  const n = width(s, 'scale_', 'center_');
  const sub = s.bool('with_centering', true) ? vecRef(s, ctx, 'center_', n, 'center') : undefined;
  const div = s.bool('with_scaling', true) ? vecRef(s, ctx, 'scale_', n, 'scale') : undefined;
  return transformer(s, { kind: 'scale', name: s.shortName, n_features: n, ...(sub ? { sub } : {}), ...(div ? { div } : {}) }, n, n);
}

/** MaxAbsScaler: x / scale_. */
export function mapMaxAbsScaler(s: State, ctx: Ctx): Mapped {
  requireFitted(s, 'scale_');
  const n = width(s, 'scale_');
  const div = vecRef(s, ctx, 'scale_', n, 'scale')!;
  return transformer(s, { kind: 'scale', name: s.shortName, n_features: n, div }, n, n);
}

/** Normalizer: each row divided by its l1, l2 or max norm (stateless; the width from n_features_in_). */
export function mapNormalizer(s: State): Mapped {
  const norm = s.optStr('norm') ?? 'l2';
  if (norm !== 'l1' && norm !== 'l2' && norm !== 'max') return s.unsupported(`norm=${JSON.stringify(norm)}`, 'norm');
  const n = width(s);
  return transformer(s, { kind: 'normalize', name: s.shortName, n_features: n, norm }, n, n);
}

/** Binarizer: 1 where x > threshold, else 0 (stateless). */
export function mapBinarizer(s: State): Mapped {
  const threshold = s.optNum('threshold') ?? 0;
  if (!Number.isFinite(threshold)) s.unsupported(`threshold=${threshold}`, 'threshold');
  const n = width(s);
  return transformer(s, { kind: 'binarize', name: s.shortName, n_features: n, threshold }, n, n);
}

function missingMarker(s: State): MissingMarker {
  const v = s.raw('missing_values');
  if (v === null || v === undefined) return v === null ? { kind: 'none' } : { kind: 'nan' };
  const str = scalarString(v);
  if (str !== undefined) return { kind: 'string', value: str };
  const n = scalarNumber(v);
  if (n === undefined) return s.unsupported(`missing_values of type ${typeof v}`, 'missing_values');
  return Number.isNaN(n) ? { kind: 'nan' } : { kind: 'number', value: n };
}

/**
 * SimpleImputer: fill with statistics_; features whose statistic is NaN are dropped unless the
 * strategy is 'constant' or keep_empty_features (≥ 1.2); MissingIndicator columns are appended.
 */
export function mapSimpleImputer(s: State, ctx: Ctx): Mapped {
  requireFitted(s, 'statistics_');
  const stats = s.items('statistics_');
  const n = nFeaturesIn(s) ?? stats.length;
  if (stats.length !== n) s.fail(`statistics_ has ${stats.length} values for ${n} features`, 'statistics_');
  const numeric = new Float64Array(n).fill(NaN);
  const text: (string | null)[] = new Array<string | null>(n).fill(null);
  stats.forEach((v, j) => {
    const str = scalarString(v);
    if (str !== undefined) text[j] = str;
    else {
      const x = v === null ? NaN : scalarNumber(v);
      if (x === undefined) s.fail(`statistics_[${j}] is neither a number nor a string`, 'statistics_');
      numeric[j] = x;
    }
  });
  const keepAll = s.optStr('strategy') === 'constant' || s.bool('keep_empty_features', false);
  const keep: number[] = [];
  for (let j = 0; j < n; j++) if (keepAll || text[j] !== null || !Number.isNaN(numeric[j]!)) keep.push(j);
  if (keep.length < n) ctx.notes.push(`${s.shortName}: drops ${n - keep.length} feature(s) that were all missing at fit`);
  let indicator: number[] = [];
  if (s.has('indicator_')) {
    const ind = s.child('indicator_');
    indicator = itemsOf(ind.req('features_'), ind.at('features_')).map((x, i) => {
      const k = scalarNumber(x);
      if (k === undefined || !Number.isInteger(k) || k < 0 || k >= n) return ind.fail(`features_[${i}] = ${String(k)} is not a feature index`, 'features_');
      return k;
    });
  }
  const op = {
    kind: 'impute' as const,
    name: s.shortName,
    n_features: n,
    missing: missingMarker(s),
    statistics: addTensor(ctx, s, 'statistics', 'F64', [n], numeric),
    ...(text.some((t) => t !== null) ? { text_statistics: text } : {}),
    keep,
    indicator,
  };
  return transformer(s, op, n, keep.length + indicator.length);
}

/**
 * sklearn `PolynomialFeatures._combinations` → `powers_` (a property, not pickled): degrees
 * max(1, min_degree)…max_degree, combinations (interaction_only) or with replacement, bias first.
 */
export function polynomialPowers(nFeatures: number, minDegree: number, maxDegree: number, interactionOnly: boolean, includeBias: boolean, limit = Infinity): number[][] {
  const out: number[][] = [];
  const emit = (combo: number[]): void => {
    const row = new Array<number>(nFeatures).fill(0);
    for (const f of combo) row[f] = row[f]! + 1;
    out.push(row);
  };
  if (includeBias) emit([]);
  // stops once past `limit` rows: a mismatching claim must not make us enumerate every combination
  const rec = (start: number, left: number, combo: number[]): void => {
    if (out.length > limit) return;
    if (left === 0) { emit(combo); return; }
    for (let f = start; f < nFeatures; f++) {
      combo.push(f);
      rec(interactionOnly ? f + 1 : f, left - 1, combo);
      combo.pop();
    }
  };
  for (let d = Math.max(1, minDegree); d <= maxDegree; d++) rec(0, d, []);
  return out;
}

const MAX_POLY_OUTPUTS = 1_000_000;
/** Entries of the powers_ table (outputs × inputs) the converter builds. */
const MAX_POLY_POWERS = 1 << 24;

export function mapPolynomialFeatures(s: State, ctx: Ctx): Mapped {
  requireFitted(s, 'n_output_features_');
  const n = nFeaturesIn(s, 'n_input_features_') ?? s.fail('no n_features_in_');
  let minD: number;
  let maxD: number;
  if (s.has('_max_degree')) {
    minD = s.int('_min_degree');
    maxD = s.int('_max_degree');
  } else {
    minD = 0;
    maxD = s.int('degree');
  }
  const nOut = s.int('n_output_features_');
  if (nOut > MAX_POLY_OUTPUTS || maxD > 64 || nOut * n > MAX_POLY_POWERS) s.unsupported(`${nOut} polynomial output features of ${n} inputs`);
  const powers = polynomialPowers(n, minD, maxD, s.bool('interaction_only', false), s.bool('include_bias', true), nOut);
  if (powers.length !== nOut) s.fail(`computed ${powers.length > nOut ? `more than ${nOut}` : powers.length} output features but n_output_features_ is ${nOut}`, 'n_output_features_');
  const op = {
    kind: 'polynomial' as const,
    name: s.shortName,
    n_features: n,
    powers: addTensor(ctx, s, 'powers', 'I64', [nOut, n], powers.flat()),
  };
  return transformer(s, op, n, nOut);
}

/** PCA: (x − mean_)·components_ᵀ, / sqrt(explained_variance_) when whiten. */
export function mapPca(s: State, ctx: Ctx): Mapped {
  requireFitted(s, 'components_');
  const comp = s.mat('components_');
  const n = comp.cols;
  const mean = s.has('mean_') ? s.vec('mean_', n) : new Float64Array(n);
  const whiten = s.bool('whiten', false);
  const ev = s.vec('explained_variance_');
  if (ev.length !== comp.rows) s.fail(`explained_variance_ has ${ev.length} values for ${comp.rows} components`, 'explained_variance_');
  const op = {
    kind: 'pca' as const,
    name: s.shortName,
    mean: addTensor(ctx, s, 'mean', 'F64', [n], mean),
    components: addTensor(ctx, s, 'components', 'F64', [comp.rows, n], comp.data),
    ...(whiten ? { explained_variance: addTensor(ctx, s, 'explained_variance', 'F64', [comp.rows], ev) } : {}),
    whiten,
  };
  return transformer(s, op, n, comp.rows);
}

/**
 * FunctionTransformer with func=None is the identity; scikit-learn ≥ 1.0 ColumnTransformer stores
 * remainder='passthrough' as exactly that. Any real function is unsupported (it would be code).
 */
export function mapFunctionTransformer(s: State, _ctx: Ctx): Mapped {
  if (s.raw('func') !== null && s.raw('func') !== undefined) s.unsupported('FunctionTransformer with a function (only func=None, the identity, converts)', 'func');
  const kw = s.raw('kw_args');
  if (kw !== null && kw !== undefined) s.unsupported('FunctionTransformer kw_args', 'kw_args');
  const n = nFeaturesIn(s);
  return { op: { kind: 'identity', name: s.shortName }, role: 'transformer', nIn: n, nOut: n ?? -1, methods: ['transform'], featureNames: featureNamesIn(s) };
}

/** TruncatedSVD: x·components_ᵀ (no centring) — the PCA operator with a zero mean ((x − 0) is exact). */
export function mapTruncatedSvd(s: State, ctx: Ctx): Mapped {
  requireFitted(s, 'components_');
  const comp = s.mat('components_');
  const op = {
    kind: 'pca' as const,
    name: s.shortName,
    mean: addTensor(ctx, s, 'mean', 'F64', [comp.cols], new Float64Array(comp.cols)),
    components: addTensor(ctx, s, 'components', 'F64', [comp.rows, comp.cols], comp.data),
    whiten: false,
  };
  return transformer(s, op, comp.cols, comp.rows);
}
