/**
 * Shared shapes of the scikit-learn mappers: each mapper reads one estimator's `State` and returns
 * the IR operator plus what the head needs (role, classes, methods, widths).
 */
import { MvError } from '../../core/index.js';
import type { IrDtype, Label, Method, Op, TensorBuilder, TensorRef } from '../../runtime/index.js';
import type { PyValue } from '../py.js';
import { assertFeatureCount } from '../schema.js';
import { State, type Path } from '../state.js';

export type Role = 'classifier' | 'regressor' | 'transformer';

export interface Mapped {
  readonly op: Op;
  readonly role: Role;
  /** `n_features_in_` when the estimator records it. */
  readonly nIn: number | undefined;
  /** Output width: transform columns, regressor targets, or number of classes. */
  readonly nOut: number;
  readonly classes?: readonly Label[];
  /** Multi-output classifiers: the class count of each output (`classes` lists them in turn). */
  readonly nClasses?: readonly number[];
  readonly methods: readonly Method[];
  /** `feature_names_in_` when fitted on a DataFrame (or set by the user). */
  readonly featureNames?: readonly string[];
  /** The library that computes the model when it is not scikit-learn (XGBoost, LightGBM wrappers). */
  readonly library?: { readonly name: string; readonly version: string };
}

export interface Ctx {
  readonly tb: TensorBuilder;
  /** Human-readable notes for the conversion report (version quirks handled, options ignored). */
  readonly notes: string[];
  /** Maps a nested estimator through the dispatch table. */
  map(v: PyValue | undefined, path: Path): Mapped;
  /** ColumnTransformers with verbose_feature_names_out=False: output names without the `name__` prefix. */
  readonly plainNames: WeakSet<object>;
}

/** A tensor name derived from the graph path: `steps.1.clf.coef`. */
export function tensorName(s: State, field: string): string {
  const parts = s.path.filter((p) => p !== 'steps' && p !== 'transformers_').map(String);
  return [...parts, field.replace(/_+$/, '')].join('.').replace(/^\./, '') || field;
}

export function addTensor(ctx: Ctx, s: State, field: string, dtype: IrDtype, shape: readonly number[], data: ArrayLike<number>): TensorRef {
  return ctx.tb.add(ctx.tb.fresh(tensorName(s, field)), dtype, shape, data);
}

/** A count of input features read from the state: an integer in [0, MAX_FEATURES] (else CONVERT_STATE_INVALID / LIMIT_EXCEEDED). */
export function featureCount(s: State, field: string): number {
  const n = s.int(field);
  if (n < 0) s.fail(`${field} must be ≥ 0, got ${n}`, field);
  assertFeatureCount(n, field, s.at(field));
  return n;
}

/** `n_features_in_` (≥ 0.24), else the older `fallback` field when given and present, else undefined. */
export function nFeaturesIn(s: State, fallback?: string): number | undefined {
  if (s.has('n_features_in_')) return featureCount(s, 'n_features_in_');
  return fallback !== undefined && s.has(fallback) ? featureCount(s, fallback) : undefined;
}

/** `feature_names_in_` as strings, when present. */
export function featureNamesIn(s: State): string[] | undefined {
  if (!s.has('feature_names_in_')) return undefined;
  return s.items('feature_names_in_').map((v, i) => {
    if (typeof v !== 'string') s.fail(`feature_names_in_[${i}] is not a string`, 'feature_names_in_');
    return v;
  });
}

export const CLASSIFIER_METHODS = (proba: boolean, decision: boolean): Method[] => [
  'predict',
  ...(proba ? (['predict_proba'] as const) : []),
  ...(decision ? (['decision_function'] as const) : []),
];

export function requireFitted(s: State, field: string): void {
  if (!s.has(field)) throw new MvError('CONVERT_STATE_INVALID', `${s.shortName} is not fitted (no ${field})`, { path: s.at(field).map(String) });
}

export { State };
export type { Path };
