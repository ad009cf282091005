import { MvError, indexUnique } from '../core/index.js';
import type { LgbmModel } from '../formats/lightgbm/index.js';
import { treeTensors } from './trees.js';
import { TensorBuilder, type Activation, type FeatureSpec, type IrTensor, type Label, type ModelDescription, type TreeEnsembleOp } from '../runtime/index.js';

/**
 * LightGBM text model → model IR (formats.md §6.2, §6.3). Internal nodes of tree t come first,
 * then its leaves (`~c` of a negative child); decision types give missing_type / default-left /
 * categorical; leaf values already include shrinkage and the init score; `average_output` divides
 * by the number of iterations.
 */
interface ObjectiveRow {
  readonly names: readonly string[];
  readonly task: 'classifier' | 'regressor';
  readonly activation: (params: Readonly<Record<string, string>>) => Activation;
  readonly doc: string;
}

const sigmoidOf = (p: Readonly<Record<string, string>>): Activation => {
  const s = p.sigmoid === undefined ? 1 : Number(p.sigmoid);
  if (!Number.isFinite(s)) throw new MvError('CONVERT_UNSUPPORTED', `bad sigmoid parameter ${p.sigmoid}`);
  return s === 1 ? { kind: 'logistic' } : { kind: 'logistic', scale: s };
};

/** Objective line → output transform (LightGBM `src/objective/*.hpp ConvertOutput`). */
export const LGBM_OBJECTIVES: readonly ObjectiveRow[] = [
  { names: ['regression', 'regression_l2', 'l2', 'mean_squared_error', 'mse'], task: 'regressor', activation: (p) => ('sqrt' in p ? { kind: 'sign-square' } : { kind: 'identity' }), doc: 'identity (sqrt: sign(x)·x²)' },
  { names: ['regression_l1', 'l1', 'mean_absolute_error', 'mae', 'huber', 'fair', 'quantile', 'mape'], task: 'regressor', activation: (p) => ('sqrt' in p ? { kind: 'sign-square' } : { kind: 'identity' }), doc: 'identity' },
  { names: ['binary'], task: 'classifier', activation: sigmoidOf, doc: '1/(1+exp(−s·x))' },
  { names: ['multiclass', 'softmax'], task: 'classifier', activation: () => ({ kind: 'softmax' }), doc: 'softmax over num_class' },
  { names: ['multiclassova', 'multiclass_ova', 'ova', 'ovr'], task: 'classifier', activation: sigmoidOf, doc: 'per-class sigmoid, not normalised' },
  { names: ['poisson', 'gamma', 'tweedie'], task: 'regressor', activation: () => ({ kind: 'exp' }), doc: 'exp(x)' },
  { names: ['cross_entropy', 'xentropy'], task: 'regressor', activation: () => ({ kind: 'logistic' }), doc: 'σ(x)' },
  { names: ['cross_entropy_lambda', 'xentlambda'], task: 'regressor', activation: () => ({ kind: 'log1p-exp' }), doc: 'log1p(exp(x))' },
  { names: ['lambdarank', 'rank_xendcg', 'custom'], task: 'regressor', activation: () => ({ kind: 'identity' }), doc: 'identity' },
];
const BY_NAME = indexUnique(LGBM_OBJECTIVES.flatMap((r) => r.names.map((n) => [n, r] as const)), ([n]) => n);

export interface LightgbmConvertOptions {
  /** Class labels (the sklearn wrapper's classes_); default 0..K−1. */
  readonly classes?: readonly Label[];
}

export interface LightgbmConversion {
  readonly description: ModelDescription;
  readonly tensors: ReadonlyMap<string, IrTensor>;
}

export function lightgbmToDescription(m: LgbmModel, opts: LightgbmConvertOptions = {}): LightgbmConversion {
  const objName = m.objective?.name ?? 'custom';
  const row = BY_NAME.get(objName)?.[1];
  if (!row) throw new MvError('CONVERT_UNSUPPORTED', `LightGBM objective ${JSON.stringify(objName)} is not supported`, { path: ['objective'] });
  const activation = row.activation(m.objective?.params ?? {});
  const K = m.numTreePerIteration;
  const F = m.maxFeatureIdx + 1;
  const tb = new TensorBuilder();
  const feature: number[] = [];
  const threshold: number[] = [];
  const left: number[] = [];
  const right: number[] = [];
  const values: number[] = [];
  const missingLeft: number[] = [];
  const missingType: number[] = [];
  const catSplit: number[] = [];
  const catOffsets: number[] = [0];
  const catWords: number[] = [];
  const linOffsets: number[] = [0];
  const linFeatures: number[] = [];
  const linCoeffs: number[] = [];
  const linConst: number[] = [];
  const roots: number[] = [];
  const groups: number[] = [];
  const anyLinear = m.trees.some((t) => t.isLinear);
  const anyCat = m.trees.some((t) => t.numCat > 0);
  m.trees.forEach((t, ti) => {
    const base = feature.length;
    const I = t.numLeaves - 1;
    const node = (c: number): number => (c >= 0 ? base + c : base + I + ~c);
    roots.push(base);
    groups.push(ti % K);
    const catBase = catOffsets.length - 1;
    for (let c = 0; c < t.numCat; c++) {
      for (let w = t.catBoundaries[c]!; w < t.catBoundaries[c + 1]!; w++) catWords.push(t.catThreshold[w]!);
      catOffsets.push(catWords.length);
    }
    for (let n = 0; n < I; n++) {
      const dt = t.decisionType[n]!;
      const categorical = (dt & 1) === 1;
      feature.push(t.splitFeature[n]!);
      threshold.push(categorical ? 0 : t.threshold[n]!);
      left.push(node(t.leftChild[n]!));
      right.push(node(t.rightChild[n]!));
      values.push(0);
      missingLeft.push((dt >> 1) & 1);
      missingType.push((dt >> 2) & 3);
      catSplit.push(categorical ? catBase + t.threshold[n]! : -1);
      if (anyLinear) {
        linConst.push(0);
        linOffsets.push(linFeatures.length);
      }
    }
    for (let l = 0; l < t.numLeaves; l++) {
      feature.push(-1);
      threshold.push(0);
      left.push(-1);
      right.push(-1);
      values.push(t.leafValue[l]!);
      missingLeft.push(0);
      missingType.push(0);
      catSplit.push(-1);
      if (anyLinear) {
        if (t.isLinear) {
          linConst.push(t.leafConst[l]!);
          // Loops, not spreads: a leaf may hold very many terms (spread arguments overflow the stack).
          for (const f of t.leafFeatures[l]!) linFeatures.push(f);
          for (const c of t.leafCoeff[l]!) linCoeffs.push(c);
        } else linConst.push(t.leafValue[l]!);
        linOffsets.push(linFeatures.length);
      }
    }
  });
  const T = m.trees.length;
  const op: TreeEnsembleOp = {
    kind: 'tree-ensemble',
    name: 'lightgbm',
    split: 'lightgbm',
    n_features: F,
    n_trees: T,
    n_nodes: feature.length,
    value_width: 1,
    n_outputs: K,
    aggregation: m.averageOutput ? 'mean' : 'sum',
    ...(m.averageOutput ? { divisor: Math.max(1, T / K) } : {}),
    base: new Array<number>(K).fill(0),
    leaf_normalize: false,
    activation,
    decision: row.task === 'classifier',
    ...treeTensors({
      feature, threshold, left, right, values, valueWidth: 1, missingLeft, missingType,
      ...(anyCat ? { cat: { split: catSplit, offsets: catOffsets, words: catWords } } : {}),
      ...(anyLinear ? { linear: { offsets: linOffsets, features: linFeatures, coeffs: linCoeffs, constants: linConst } } : {}),
      roots, groups,
    }, (field, dtype, shape, data) => tb.add(`lgbm.${field}`, dtype, shape, data)),
  };
  // feature_infos: "[min:max]" numeric, "a:b:c" categories, "none" unused
  const features: FeatureSpec[] = m.featureNames.map((name, j) => ({ name, type: /^-?[0-9]+(?::-?[0-9]+)*$/.test(m.featureInfos[j] ?? '') && (m.featureInfos[j] ?? '').includes(':') ? 'category' : 'number', missing: true }));
  let output: ModelDescription['output'];
  if (row.task === 'classifier') {
    const nClasses = K === 1 ? 2 : K;
    if (objName === 'binary' && K !== 1) throw new MvError('CONVERT_UNSUPPORTED', 'a binary model must have one tree per iteration');
    const declared = m.objective?.params.num_class;
    if (objName !== 'binary' && (K < 2 || m.numClass !== K || (declared !== undefined && Number(declared) !== K))) {
      throw new MvError('CONVERT_UNSUPPORTED', `multiclass model: num_class ${m.numClass}, objective num_class ${declared}, ${K} trees per iteration disagree`);
    }
    const classes = opts.classes ?? Array.from({ length: nClasses }, (_, i) => i);
    if (classes.length !== nClasses) throw new MvError('CONVERT_UNSUPPORTED', `${classes.length} class labels for ${nClasses} classes`);
    output = { kind: 'classifier', classes: [...classes], methods: ['predict', 'predict_proba', 'decision_function'] };
  } else output = { kind: 'regressor', n_outputs: K, methods: ['predict'] };
  return { description: { input: { n_features: F, features, named: true }, output, graph: op }, tensors: tb.tensors };
}
