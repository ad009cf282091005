/**
 * The model description IR: a data-only, declarative description of how to compute a model's
 * outputs from its inputs. It is a tree ("graph") of BUILT-IN operator kinds; it never names a Python
 * callable, a module or anything executable. Large arrays live in the safetensors file and are
 * referenced by name ({@link TensorRef}); small metadata (class labels, string categories, options)
 * is inline JSON.
 *
 * The exact formula of every operator is in docs/format.md (§ "Operators"); the JSON Schema of this
 * description is `src/runtime/schema/model-v1.json`. Field names are snake_case because this is an
 * on-disk format.
 *
 * Conventions:
 * - A "frame" flowing between operators is n_rows × n_cols, row-major f64; a column may instead hold
 *   text (string or null) — only `one-hot`, `ordinal`, `impute`, `column-select`, `concat` and
 *   `pipeline` accept text columns.
 * - Estimator operators end a classifier/regressor graph; transforms map a frame to a frame.
 * - Classifier estimators produce: `predict` → class INDEX per row (mapped to labels by the head),
 *   `predict_proba` → n_rows × n_classes, `decision_function` → raw scores (1-D for binary).
 */

/** Format tag stored in the safetensors `__metadata__.format`. */
export const ARTIFACT_FORMAT = 'modelvault/1';
/** Version of the model description JSON (the `version` field). */
export const MODEL_IR_VERSION = 1;

/** safetensors dtypes the IR may reference (a subset of formats.md §8). */
export type IrDtype = 'F64' | 'F32' | 'I64' | 'I32' | 'U32' | 'U8';

/**
 * A reference to a tensor stored in the artifact, with its declared dtype and shape. On load, the
 * tensor must exist with exactly this dtype and shape, and every stored tensor must be referenced.
 */
export interface TensorRef {
  readonly tensor: string;
  readonly dtype: IrDtype;
  readonly shape: readonly number[];
}

/** A class label: sklearn `classes_` may be ints, strings or bools. */
export type Label = number | string | boolean;

/** A value marking "missing" (sklearn `missing_values`): NaN, a number, a string or None. */
export type MissingMarker =
  | { readonly kind: 'nan' }
  | { readonly kind: 'number'; readonly value: number }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'none' };

/**
 * Output transforms ("links") from raw scores to probabilities / predictions. Exact formulas in
 * docs/format.md §"Activations". For a classifier whose raw width is 1 and which has 2 classes, the
 * activation gives p1 and proba = [1 − p1, p1] (except `multinomial-binary`, which is softmax([−d, d])).
 */
export type Activation =
  | { readonly kind: 'identity' }
  /** σ(scale·x) per column (XGBoost/LightGBM/sklearn logistic; GB exponential loss uses scale 2). */
  | { readonly kind: 'logistic'; readonly scale?: number }
  /** Row-wise softmax with max subtraction. */
  | { readonly kind: 'softmax' }
  /** sklearn LogisticRegression ovr multiclass: σ(d_k) / Σ_j σ(d_j). */
  | { readonly kind: 'ovr-normalised' }
  /** sklearn LogisticRegression multinomial with 2 classes: softmax([−d, d]). */
  | { readonly kind: 'multinomial-binary' }
  /** sklearn SGDClassifier modified_huber: (clip(d, −1, 1) + 1) / 2, multiclass normalised. */
  | { readonly kind: 'modified-huber' }
  /** exp(x) (Poisson/Gamma/Tweedie). */
  | { readonly kind: 'exp' }
  /** LightGBM `regression sqrt`: sign(x)·x². */
  | { readonly kind: 'sign-square' }
  /** LightGBM `cross_entropy_lambda`: log1p(exp(x)). */
  | { readonly kind: 'log1p-exp' }
  /** XGBoost `binary:hinge`: 1 when x > 0, else 0. */
  | { readonly kind: 'step' };

// ── transforms ──────────────────────────────────────────────────────────────────────────────────

/** No-op (ColumnTransformer 'passthrough', Pipeline 'passthrough'/None). */
export interface IdentityOp {
  readonly kind: 'identity';
  readonly name?: string;
}

/**
 * Per-column affine map applied in this order, each step optional:
 * y = ((x − sub) · mul) / div + add, then clamp to [clip[0], clip[1]].
 * StandardScaler: sub=mean_, div=scale_. MinMaxScaler: mul=scale_, add=min_, clip=feature_range if
 * clip. RobustScaler: sub=center_, div=scale_. MaxAbsScaler: div=scale_. NaN passes through.
 * Each tensor is F64 [n_features].
 */
export interface ScaleOp {
  readonly kind: 'scale';
  readonly name?: string;
  readonly n_features: number;
  readonly sub?: TensorRef;
  readonly mul?: TensorRef;
  readonly div?: TensorRef;
  readonly add?: TensorRef;
  readonly clip?: readonly [number, number];
}

/**
 * SimpleImputer. For input column j: x == missing ? statistics[j] : x (NaN-aware; text columns use
 * text_statistics[j]). Output = the `keep` columns (in order; sklearn drops features whose statistic
 * is NaN) followed by one indicator column (1.0 where the ORIGINAL value was missing) per index in
 * `indicator` (MissingIndicator.features_).
 */
export interface ImputeOp {
  readonly kind: 'impute';
  readonly name?: string;
  readonly n_features: number;
  readonly missing: MissingMarker;
  /** F64 [n_features]; NaN where there is no numeric statistic. */
  readonly statistics: TensorRef;
  /** For text columns: fill value per input column (null where not a text column). */
  readonly text_statistics?: readonly (string | null)[];
  readonly keep: readonly number[];
  readonly indicator: readonly number[];
}

/** Categories of one input column: numeric (F64 tensor, may contain NaN) or text (inline). */
export type Categories =
  | { readonly kind: 'number'; readonly values: TensorRef }
  | { readonly kind: 'string'; readonly values: readonly string[] };

/**
 * OneHotEncoder. For each input column j, one output column per category c of categories[j] except
 * drop[j] (a category index or null), value 1.0 when x == categories[j][c] (NaN matches a NaN
 * category). Unknown values: 'error' → INPUT_INVALID; 'ignore' → all zeros for that column.
 */
export interface OneHotOp {
  readonly kind: 'one-hot';
  readonly name?: string;
  readonly categories: readonly Categories[];
  readonly drop: readonly (number | null)[];
  readonly handle_unknown: 'error' | 'ignore';
}

/**
 * OrdinalEncoder. Output column j = index of x in categories[j] (f64). A missing input (NaN/None)
 * gives `encoded_missing_value` (null = NaN) unless NaN is itself a category. Unknown values:
 * unknown_value null → INPUT_INVALID; otherwise that number (NaN allowed as null… see docs).
 */
export interface OrdinalOp {
  readonly kind: 'ordinal';
  readonly name?: string;
  readonly categories: readonly Categories[];
  /** null ⇒ handle_unknown='error'; a number ⇒ 'use_encoded_value'; 'nan' ⇒ encoded as NaN. */
  readonly unknown_value: number | 'nan' | null;
  /** Value for missing inputs; 'nan' ⇒ NaN (sklearn default). */
  readonly encoded_missing_value: number | 'nan';
}

/**
 * PolynomialFeatures. powers I64 [n_output, n_features] (sklearn `powers_`). Output column o =
 * Π_j x_j^powers[o, j], evaluated as a left-to-right product over j ascending, each factor repeated
 * powers[o, j] times (sklearn's incremental construction); an all-zero row gives 1.
 */
export interface PolynomialOp {
  readonly kind: 'polynomial';
  readonly name?: string;
  readonly n_features: number;
  readonly powers: TensorRef;
}

/**
 * PCA: y = (x − mean) · componentsᵀ, then, if whiten is set, y_k /= sqrt(explained_variance_k).
 * mean F64 [n_features], components F64 [n_components, n_features], explained_variance F64 [n_components].
 */
export interface PcaOp {
  readonly kind: 'pca';
  readonly name?: string;
  readonly mean: TensorRef;
  readonly components: TensorRef;
  readonly explained_variance?: TensorRef;
  readonly whiten: boolean;
}

/**
 * Normalizer (sklearn `normalize`, axis 1): each row divided by its l1 norm Σ|x|, l2 norm √Σx² or
 * max |x|; a norm below 10·ε (2.2e-15, sklearn `_handle_zeros_in_scale`) counts as 1.
 */
export interface NormalizeOp {
  readonly kind: 'normalize';
  readonly name?: string;
  readonly n_features: number;
  readonly norm: 'l1' | 'l2' | 'max';
}

/** Binarizer: 1 where x > threshold, else 0. */
export interface BinarizeOp {
  readonly kind: 'binarize';
  readonly name?: string;
  readonly n_features: number;
  readonly threshold: number;
}

/** Selects input columns by index, in the order given (duplicates allowed). */
export interface ColumnSelectOp {
  readonly kind: 'column-select';
  readonly name?: string;
  readonly columns: readonly number[];
}

/** Applies every part to the SAME input frame and concatenates their outputs column-wise, in order (ColumnTransformer). */
export interface ConcatOp {
  readonly kind: 'concat';
  readonly name?: string;
  readonly parts: readonly Op[];
}

/** Applies steps in order; every step but the last is a transform; the last may be an estimator. */
export interface PipelineOp {
  readonly kind: 'pipeline';
  readonly name?: string;
  readonly steps: readonly Op[];
}

// ── estimators ──────────────────────────────────────────────────────────────────────────────────

/**
 * Linear model: raw = x · coefᵀ + intercept (coef F64 [n_targets, n_features], intercept F64
 * [n_targets]). Regressor: predict = raw (1-D if n_targets == 1). Classifier: decision_function =
 * raw (1-D when n_targets == 1), predict = raw > 0 (binary) or argmax raw (first max), predict_proba
 * = activation(raw) when `proba` is given (LinearSVC/hinge SGD have none).
 */
export interface LinearOp {
  readonly kind: 'linear';
  readonly name?: string;
  readonly coef: TensorRef;
  readonly intercept: TensorRef;
  readonly proba?: Activation;
  /** XGBoost gblinear: a missing (NaN) feature contributes nothing instead of being refused. */
  readonly skip_missing?: boolean;
}

/**
 * Split semantics, exactly per library (docs/format.md §"tree-ensemble"):
 * - 'sklearn-tree': x cast to float32, then `x <= threshold` (f64); NaN → missing_left (≥ 1.3).
 * - 'sklearn-hgb': f64 `x <= threshold`; NaN → missing_left; categorical bitsets with known categories.
 * - 'xgboost': x and threshold cast to float32, strict `x < threshold`; NaN (or `missing_value`) → missing_left;
 *   categorical: bit set ⇒ RIGHT.
 * - 'lightgbm': f64 `x <= threshold` with per-node missing_type (0 none: NaN→0; 1 zero; 2 NaN);
 *   categorical: bit set ⇒ LEFT, NaN/negative ⇒ right.
 */
export type SplitRule = 'sklearn-tree' | 'sklearn-hgb' | 'xgboost' | 'lightgbm';

/**
 * Tree ensemble, flattened struct-of-arrays over ALL trees (N nodes in total, T trees, V = value_width):
 * node arrays feature I32 [N], threshold F64 [N], left I32 [N], right I32 [N] (GLOBAL node indices,
 * −1 in `left` marks a leaf), values F64 [N, V] (leaf values; internal rows ignored),
 * optional missing_left U8 [N] (1 ⇒ missing goes left), missing_type U8 [N] (lightgbm),
 * cat_split I32 [N] (−1 numeric, else index c into cat_offsets), cat_offsets I32 [C+1],
 * cat_words U32 [W] (bitset words, bit b of category v: words[off + (v >> 5)] >> (v & 31) & 1),
 * cat_known_words U32 [W] (sklearn-hgb: categories known at fit for that feature, same offsets);
 * optional linear leaves (lightgbm): linear_offsets I32 [N+1], linear_features I32 [L],
 * linear_coeffs F64 [L], linear_const F64 [N].
 * Per tree: roots I32 [T], groups I32 [T] (tree t adds its leaf vector to raw columns
 * [groups[t]·V, groups[t]·V + V)), optional weights F64 [T].
 *
 * raw = base; for t in order: raw[group cols] += (weights ? weights[t] · v : v) (v = leaf vector,
 * normalised to sum 1 first when leaf_normalize); aggregation 'mean' then divides by `divisor`
 * (default T). accumulate 'f32' rounds every partial sum to float32 (XGBoost).
 * Classifier: predict_proba = activation(raw) (2-class expansion for raw width 1), predict = argmax
 * proba (first max), decision_function = raw when `decision` is true.
 */
export interface TreeEnsembleOp {
  readonly kind: 'tree-ensemble';
  readonly name?: string;
  readonly split: SplitRule;
  readonly n_features: number;
  readonly n_trees: number;
  readonly n_nodes: number;
  readonly value_width: number;
  readonly n_outputs: number;
  readonly aggregation: 'sum' | 'mean';
  /** For 'mean': divide by this instead of n_trees (LightGBM average_output: number of iterations). */
  readonly divisor?: number;
  readonly accumulate?: 'f64' | 'f32';
  /** Per raw column starting value (init score / base margin), length n_outputs. */
  readonly base: readonly number[];
  readonly leaf_normalize: boolean;
  readonly activation: Activation;
  /** Whether decision_function (raw scores) is a method of this model (GB, HGB). */
  readonly decision: boolean;
  /** XGBoost `missing` when not NaN: values equal to it are missing too. */
  readonly missing_value?: number;
  readonly feature: TensorRef;
  readonly threshold: TensorRef;
  readonly left: TensorRef;
  readonly right: TensorRef;
  readonly values: TensorRef;
  readonly missing_left?: TensorRef;
  readonly missing_type?: TensorRef;
  readonly cat_split?: TensorRef;
  readonly cat_offsets?: TensorRef;
  readonly cat_words?: TensorRef;
  readonly cat_known_words?: TensorRef;
  readonly linear_offsets?: TensorRef;
  readonly linear_features?: TensorRef;
  readonly linear_coeffs?: TensorRef;
  readonly linear_const?: TensorRef;
  readonly roots: TensorRef;
  readonly groups: TensorRef;
  readonly weights?: TensorRef;
}

/** Kernel of a support vector machine (libsvm). */
export interface SvmKernel {
  readonly kind: 'linear' | 'rbf' | 'poly' | 'sigmoid';
  readonly gamma: number;
  readonly coef0: number;
  readonly degree: number;
}

/**
 * libsvm SVC/SVR with sklearn's PRIVATE (libsvm-sign) `_dual_coef_` F64 [n_class − 1, n_SV] and
 * `_intercept_` F64 [n_pairs], support_vectors F64 [n_SV, n_features] grouped by class,
 * n_support (per class, inline). One-vs-one decision, votes, ovr shape and Wu–Lin–Weng
 * probabilities exactly as formats.md §4.9 (docs/format.md §"svm").
 */
export interface SvmOp {
  readonly kind: 'svm';
  readonly name?: string;
  readonly task: 'svc' | 'svr';
  readonly kernel: SvmKernel;
  readonly support_vectors: TensorRef;
  readonly dual_coef: TensorRef;
  readonly intercept: TensorRef;
  readonly n_support: readonly number[];
  readonly prob_a?: TensorRef;
  readonly prob_b?: TensorRef;
  readonly decision_function_shape: 'ovr' | 'ovo';
  readonly break_ties: boolean;
}

/**
 * k-nearest neighbours by brute force: distance = (Σ |x − s|^p)^(1/p) (p = 2: sqrt of sum of squares;
 * metric 'chebyshev': max |x − s|), k nearest with ties broken by lower training index. fit_x F64 [n, n_features];
 * y: classifier I64 [n] class indices, regressor F64 [n, n_outputs].
 */
export interface KnnOp {
  readonly kind: 'knn';
  readonly name?: string;
  readonly task: 'classifier' | 'regressor';
  readonly fit_x: TensorRef;
  readonly y: TensorRef;
  readonly k: number;
  readonly weights: 'uniform' | 'distance';
  /** Minkowski exponent (1 manhattan, 2 euclidean); ignored for 'chebyshev'. */
  readonly p: number;
  /** Default 'minkowski'; 'chebyshev' = max |x − s|. */
  readonly metric?: 'minkowski' | 'chebyshev';
  readonly n_classes?: number;
}

/** GaussianNB: theta F64 [C, F], var F64 [C, F], class_prior F64 [C] (sklearn `_joint_log_likelihood`). */
export interface GaussianNbOp {
  readonly kind: 'gaussian-nb';
  readonly name?: string;
  readonly theta: TensorRef;
  readonly var: TensorRef;
  readonly class_prior: TensorRef;
}

/**
 * Multi-layer perceptron (sklearn MLPClassifier / MLPRegressor `_forward_pass_fast`): h₀ = x,
 * h_{l+1} = hidden(h_l · W_l + b_l) between layers, and the last layer's h · W + b is the raw score
 * (each dot product adds its terms in order, then the bias). W_l = `coefs_[l]` F64 [in, out], b_l =
 * `intercepts_[l]` F64 [out]. `activation` is the output activation: softmax (multiclass),
 * logistic (binary, one column; predict = p > 0.5) or identity (regressors).
 */
export interface MlpOp {
  readonly kind: 'mlp';
  readonly name?: string;
  readonly weights: readonly TensorRef[];
  readonly biases: readonly TensorRef[];
  readonly hidden: 'identity' | 'logistic' | 'tanh' | 'relu';
  readonly activation: Activation;
}

export type TransformOp =
  | IdentityOp
  | ScaleOp
  | ImputeOp
  | OneHotOp
  | OrdinalOp
  | PolynomialOp
  | PcaOp
  | NormalizeOp
  | BinarizeOp
  | ColumnSelectOp
  | ConcatOp
  | PipelineOp;
/**
 * One estimator per output, all on the frame this op receives (sklearn.multioutput MultiOutputClassifier
 * and MultiOutputRegressor): output o is estimators[o]'s, each an estimator with one output or a
 * pipeline ending in one. A classifier head lists their classes in turn (`n_classes`).
 */
export interface MultiOutputOp {
  readonly kind: 'multi-output';
  readonly name?: string;
  readonly estimators: readonly Op[];
}

/**
 * Estimators voting on the frame this op receives (sklearn.ensemble VotingClassifier / VotingRegressor),
 * each an estimator or a pipeline ending in one. `soft`: the weighted average of their probabilities
 * (predict = its first argmax); `hard`: the class with the largest sum of weights among their predicted
 * classes (first on ties; predict only); `mean` (regressors): the weighted average of their predictions.
 * Without `weights`, every estimator counts 1 and the average is the plain mean.
 */
export interface VoteOp {
  readonly kind: 'vote';
  readonly name?: string;
  readonly voting: 'soft' | 'hard' | 'mean';
  readonly estimators: readonly Op[];
  readonly weights?: readonly number[];
}

export type EstimatorOp = LinearOp | TreeEnsembleOp | SvmOp | KnnOp | GaussianNbOp | MlpOp | MultiOutputOp | VoteOp;
export type Op = TransformOp | EstimatorOp;
export type OpKind = Op['kind'];

// ── schemas and head ────────────────────────────────────────────────────────────────────────────

/**
 * 'category' = a numeric category code (integer or missing); 'string' = text; 'any' = a column no
 * operator reads (ColumnTransformer 'drop'): a number, text or missing, ignored.
 */
export type FeatureType = 'number' | 'string' | 'category' | 'any';

export interface FeatureSpec {
  readonly name: string;
  readonly type: FeatureType;
  /** Whether a missing value (NaN / empty / null) is accepted for this feature. */
  readonly missing: boolean;
}

export interface InputSchema {
  readonly n_features: number;
  readonly features: readonly FeatureSpec[];
  /** True when the names came from the model (feature_names_in_ / feature_names); inputs with a header must then match them. */
  readonly named: boolean;
}

/**
 * `input.features` as modelvault writes it: by column instead of one object per feature. `names`
 * absent means x0, x1, …; `type` and `missing` are one value for every feature or one per feature.
 * A model with 784 unnamed pixels stores 33 bytes instead of about 38 KB of JSON that every load parses.
 */
export interface FeatureColumns {
  readonly names?: readonly string[];
  readonly type: FeatureType | readonly FeatureType[];
  readonly missing: boolean | readonly boolean[];
}

/** Most input features a description may declare (scikit-learn's HashingVectorizer default is 2^20). */
export const MAX_FEATURES = 1 << 20;

/** The description as stored: `input.features` in either form (readDescription expands it). */
export type StoredModelIR = Omit<ModelIR, 'input'> & {
  readonly input: Omit<InputSchema, 'features'> & { readonly features: InputSchema['features'] | FeatureColumns };
};

export type Method = 'predict' | 'predict_proba' | 'decision_function' | 'transform';

export type OutputSchema =
  | {
      readonly kind: 'classifier';
      readonly classes: readonly Label[];
      /**
       * Multi-output classifiers (fitted on a 2-D y): the class count of each output, and
       * `classes` lists each output's classes in turn. `predict` then gives one label per output
       * ([n, outputs]) and `predict_proba` each output's probabilities side by side ([n, classes.length]).
       */
      readonly n_classes?: readonly number[];
      readonly methods: readonly Method[];
    }
  | { readonly kind: 'regressor'; readonly n_outputs: number; readonly names?: readonly string[]; readonly methods: readonly Method[] }
  | { readonly kind: 'transformer'; readonly n_outputs: number; readonly names?: readonly string[]; readonly methods: readonly Method[] };

export interface Provenance {
  /** SHA-256 (hex) of the source file the artifact was converted from. */
  readonly source_sha256: string;
  /** e.g. 'joblib', 'pickle', 'xgboost-json', 'xgboost-ubj', 'lightgbm-text'. */
  readonly source_format: string;
  readonly library: { readonly name: string; readonly version: string };
  readonly converter: { readonly name: string; readonly version: string };
  /** ISO-8601 time, passed in by the caller (ranks 0–3 never read the clock). */
  readonly created: string;
  /** The estimator types of the source, e.g. ['sklearn.pipeline.Pipeline', …]. Informational. */
  readonly estimators?: readonly string[];
}

/** The whole model description stored as JSON in `__metadata__.model`. */
export interface ModelIR {
  readonly version: typeof MODEL_IR_VERSION;
  readonly input: InputSchema;
  readonly output: OutputSchema;
  readonly graph: Op;
  readonly provenance: Provenance;
}

/** Where each output's classes start in a multi-output classifier's `classes`, from `n_classes`. */
export function outputOffsets(nClasses: readonly number[]): number[] {
  const out = new Array<number>(nClasses.length);
  for (let q = 0, at = 0; q < nClasses.length; at += nClasses[q]!, q++) out[q] = at;
  return out;
}

export const ESTIMATOR_KINDS: readonly EstimatorOp['kind'][] = ['linear', 'tree-ensemble', 'svm', 'knn', 'gaussian-nb', 'mlp', 'multi-output', 'vote'];
export const isEstimatorOp = (op: Op): op is EstimatorOp => (ESTIMATOR_KINDS as readonly string[]).includes(op.kind);
