import { MvError, indexUnique } from '../core/index.js';
import type { XgbModel } from '../formats/xgboost/index.js';
import { assertFeatureCount } from './schema.js';
import { treeTensors } from './trees.js';
import { TensorBuilder, type Activation, type FeatureSpec, type IrTensor, type Label, type LinearOp, type ModelDescription, type Op, type TreeEnsembleOp } from '../runtime/index.js';

/**
 * XGBoost (gbtree / dart) → model IR (formats.md §5.2). Leaves are `split_conditions` (already
 * × eta); the base margin is ProbToMargin(base_score) per objective; prediction compares float32
 * features with float32 thresholds using strict `<` and accumulates in float32, as XGBoost does.
 */
interface ObjectiveRow {
  readonly name: string;
  /** ProbToMargin of base_score. */
  readonly link: 'identity' | 'logit' | 'log';
  readonly activation: Activation;
  readonly task: 'classifier' | 'regressor';
  readonly doc: string;
}

const ID: Activation = { kind: 'identity' };
/** The objective table (XGBoost `src/objective/*`: ProbToMargin and PredTransform). */
export const XGB_OBJECTIVES: readonly ObjectiveRow[] = [
  { name: 'reg:squarederror', link: 'identity', activation: ID, task: 'regressor', doc: 'Squared error; identity output.' },
  { name: 'reg:linear', link: 'identity', activation: ID, task: 'regressor', doc: 'Old name of reg:squarederror.' },
  { name: 'reg:squaredlogerror', link: 'identity', activation: ID, task: 'regressor', doc: 'Squared log error; identity output.' },
  { name: 'reg:pseudohubererror', link: 'identity', activation: ID, task: 'regressor', doc: 'Pseudo-Huber; identity output.' },
  { name: 'reg:absoluteerror', link: 'identity', activation: ID, task: 'regressor', doc: 'Absolute error; identity output.' },
  { name: 'reg:quantileerror', link: 'identity', activation: ID, task: 'regressor', doc: 'Quantile (single quantile); identity output.' },
  { name: 'reg:logistic', link: 'logit', activation: { kind: 'logistic' }, task: 'regressor', doc: 'Logistic regression on [0, 1] targets; σ output.' },
  { name: 'binary:logistic', link: 'logit', activation: { kind: 'logistic' }, task: 'classifier', doc: 'Binary classification; p = σ(margin).' },
  { name: 'binary:logitraw', link: 'identity', activation: ID, task: 'regressor', doc: 'Binary classification returning the raw margin.' },
  { name: 'count:poisson', link: 'log', activation: { kind: 'exp' }, task: 'regressor', doc: 'Poisson counts; exp output.' },
  { name: 'reg:gamma', link: 'log', activation: { kind: 'exp' }, task: 'regressor', doc: 'Gamma regression; exp output.' },
  { name: 'reg:tweedie', link: 'log', activation: { kind: 'exp' }, task: 'regressor', doc: 'Tweedie regression; exp output.' },
  { name: 'survival:cox', link: 'log', activation: { kind: 'exp' }, task: 'regressor', doc: 'Cox proportional hazards; exp (hazard ratio) output.' },
  { name: 'survival:aft', link: 'log', activation: { kind: 'exp' }, task: 'regressor', doc: 'Accelerated failure time; exp (survival time) output.' },
  { name: 'binary:hinge', link: 'identity', activation: { kind: 'step' }, task: 'classifier', doc: 'Binary hinge loss; p = 1 when margin > 0, else 0.' },
  { name: 'multi:softprob', link: 'identity', activation: { kind: 'softmax' }, task: 'classifier', doc: 'Multiclass; softmax over the class groups.' },
  { name: 'multi:softmax', link: 'identity', activation: { kind: 'softmax' }, task: 'classifier', doc: 'Multiclass; predict = argmax (proba = softmax).' },
  { name: 'rank:pairwise', link: 'identity', activation: ID, task: 'regressor', doc: 'Ranking scores.' },
  { name: 'rank:ndcg', link: 'identity', activation: ID, task: 'regressor', doc: 'Ranking scores.' },
  { name: 'rank:map', link: 'identity', activation: ID, task: 'regressor', doc: 'Ranking scores.' },
];
const OBJECTIVE_BY_NAME = indexUnique(XGB_OBJECTIVES, (o) => o.name);

/** Largest categorical bitset pool (32-bit words) a model may need. */
const MAX_CAT_WORDS = 1 << 22;

export interface XgboostConvertOptions {
  /** Class labels (the sklearn wrapper's `classes_`); default 0..K−1 for classification objectives. */
  readonly classes?: readonly Label[];
  /** The wrapper's `missing` when it is not NaN: inputs equal to it are missing too. */
  readonly missing?: number;
  /** Feature names to use when the model has none (e.g. the wrapper's feature_names_in_). */
  readonly featureNames?: readonly string[];
  /**
   * Use only the first `rounds` boosting rounds. `Booster.predict` uses all trees; the sklearn
   * wrappers (XGBClassifier/XGBRegressor) use best_iteration + 1 rounds: pass {@link bestRounds}(m).
   */
  readonly rounds?: number;
}

/** best_iteration + 1 from the model attributes (what the sklearn wrappers predict with), or undefined. */
export function bestRounds(m: XgbModel): number | undefined {
  const b = m.attributes.best_iteration;
  return b !== undefined && /^[0-9]+$/.test(b) ? Number(b) + 1 : undefined;
}

export interface XgboostConversion {
  readonly description: ModelDescription;
  readonly tensors: ReadonlyMap<string, IrTensor>;
}

const margin = (link: ObjectiveRow['link'], b: number): number => (link === 'logit' ? Math.log(b / (1 - b)) : link === 'log' ? Math.log(b) : b);

/** Maps a parsed XGBoost model to a model description and its tensors. */
export function xgboostToDescription(m: XgbModel, opts: XgboostConvertOptions = {}): XgboostConversion {
  const obj = OBJECTIVE_BY_NAME.get(m.objective);
  if (!obj) throw new MvError('CONVERT_UNSUPPORTED', `XGBoost objective ${JSON.stringify(m.objective)} is not supported (supported: ${XGB_OBJECTIVES.map((o) => o.name).join(', ')})`, { path: ['learner', 'objective', 'name'] });
  assertFeatureCount(m.numFeature, 'num_feature', ['learner', 'learner_model_param', 'num_feature']);
  const K = Math.max(1, m.numClass);
  const tb = new TensorBuilder();
  if (m.booster === 'gblinear') return finish(m, obj, opts, tb, gblinearOp(m, obj, tb, K));
  const perRound = K * m.numParallelTree;
  const keep = opts.rounds === undefined ? m.trees.length : Math.min(m.trees.length, opts.rounds * perRound);
  if (opts.rounds !== undefined && !(Number.isInteger(opts.rounds) && opts.rounds >= 1)) throw new MvError('USAGE_INVALID', `rounds must be a positive integer, got ${opts.rounds}`);
  const trees = m.trees.slice(0, keep);
  const feature: number[] = [];
  const threshold: number[] = [];
  const left: number[] = [];
  const right: number[] = [];
  const values: number[] = [];
  const missingLeft: number[] = [];
  const catSplit: number[] = [];
  const catOffsets: number[] = [0];
  const catWords: number[] = [];
  const roots: number[] = [];
  for (const t of trees) {
    const base = feature.length;
    roots.push(base);
    for (let k = 0; k < t.numNodes; k++) {
      const leaf = t.left[k] === -1;
      feature.push(leaf ? -1 : t.splitIndex[k]!);
      threshold.push(leaf ? 0 : t.splitCondition[k]!);
      left.push(leaf ? -1 : base + t.left[k]!);
      right.push(leaf ? -1 : base + t.right[k]!);
      values.push(leaf ? t.splitCondition[k]! : 0);
      missingLeft.push(t.defaultLeft[k] ? 1 : 0);
      const cats = !leaf && t.splitType[k] === 1 ? t.categories.get(k) : undefined;
      if (cats) {
        let maxCat = 0;
        for (const c of cats) if (c > maxCat) maxCat = c; // no spread: a node may list very many categories
        const words = (maxCat >>> 5) + 1;
        if (catWords.length + words > MAX_CAT_WORDS) throw new MvError('LIMIT_EXCEEDED', 'categorical split bitsets are too large', { limit: 'maxCategoryWords', actual: catWords.length + words });
        const off = catWords.length;
        for (let w = 0; w < words; w++) catWords.push(0);
        for (const c of cats) catWords[off + (c >>> 5)] = (catWords[off + (c >>> 5)]! | (1 << (c & 31))) >>> 0;
        catSplit.push(catOffsets.length - 1);
        catOffsets.push(catWords.length);
      } else catSplit.push(-1);
    }
  }
  const T = trees.length;
  const baseScores = m.baseScore.length === 1 ? new Array<number>(K).fill(m.baseScore[0]!) : [...m.baseScore];
  const op: TreeEnsembleOp = {
    kind: 'tree-ensemble',
    name: `xgboost ${m.booster}`,
    split: 'xgboost',
    n_features: m.numFeature,
    n_trees: T,
    n_nodes: feature.length,
    value_width: 1,
    n_outputs: K,
    aggregation: 'sum',
    accumulate: 'f32',
    base: baseScores.map((b) => Math.fround(margin(obj.link, b))),
    leaf_normalize: false,
    activation: obj.activation,
    decision: obj.task === 'classifier',
    ...(opts.missing !== undefined && !Number.isNaN(opts.missing) ? { missing_value: opts.missing } : {}),
    ...treeTensors({
      feature, threshold, left, right, values, valueWidth: 1, missingLeft,
      ...(catOffsets.length > 1 ? { cat: { split: catSplit, offsets: catOffsets, words: catWords } } : {}),
      roots, groups: m.treeInfo.slice(0, T), ...(m.weightDrop ? { weights: m.weightDrop.slice(0, T) } : {}),
    }, (field, dtype, shape, data) => tb.add(`xgb.${field}`, dtype, shape, data)),
  };
  return finish(m, obj, opts, tb, op);
}

/** gblinear: margin_g = bias_g + base_margin_g + Σ_f w[f·G + g]·x_f over non-missing features. */
function gblinearOp(m: XgbModel, obj: ObjectiveRow, tb: TensorBuilder, K: number): LinearOp {
  const w = m.linearWeights!;
  const F = m.numFeature;
  const coef = new Array<number>(K * F);
  for (let g = 0; g < K; g++) for (let f = 0; f < F; f++) coef[g * F + f] = w[f * K + g]!;
  const base = m.baseScore.length === 1 ? new Array<number>(K).fill(m.baseScore[0]!) : [...m.baseScore];
  const intercept = base.map((b, g) => w[F * K + g]! + margin(obj.link, b));
  return {
    kind: 'linear',
    name: 'xgboost gblinear',
    coef: tb.add('xgb.coef', 'F64', [K, F], coef),
    intercept: tb.add('xgb.intercept', 'F64', [K], intercept),
    ...(obj.activation.kind !== 'identity' ? { proba: obj.activation } : {}),
    skip_missing: true,
  };
}

function finish(m: XgbModel, obj: ObjectiveRow, opts: XgboostConvertOptions, tb: TensorBuilder, op: Op): XgboostConversion {
  const K = Math.max(1, m.numClass);
  const names = m.featureNames.length ? m.featureNames : (opts.featureNames ?? Array.from({ length: m.numFeature }, (_, j) => `f${j}`));
  if (names.length !== m.numFeature) throw new MvError('CONVERT_UNSUPPORTED', `${names.length} feature names for ${m.numFeature} features`);
  const features: FeatureSpec[] = names.map((name, j) => ({ name, type: m.featureTypes[j] === 'c' ? 'category' : 'number', missing: true }));
  const named = m.featureNames.length > 0 || opts.featureNames !== undefined;
  let output: ModelDescription['output'];
  if (obj.task === 'classifier') {
    const nClasses = K === 1 ? 2 : K;
    const classes = opts.classes ?? Array.from({ length: nClasses }, (_, i) => i);
    if (classes.length !== nClasses) throw new MvError('CONVERT_UNSUPPORTED', `${classes.length} class labels for a model with ${nClasses} classes`);
    output = { kind: 'classifier', classes: [...classes], methods: ['predict', 'predict_proba', 'decision_function'] };
  } else {
    if (opts.classes) throw new MvError('CONVERT_UNSUPPORTED', `objective ${m.objective} is not a classification objective`);
    output = { kind: 'regressor', n_outputs: K, methods: ['predict'] };
  }
  return { description: { input: { n_features: m.numFeature, features, named }, output, graph: op }, tensors: tb.tensors };
}
