/**
 * Decision trees and forests (formats.md §4.3–§4.4). The node record layout is read from the pickled
 * structured dtype by field name, so the ≤ 1.2 56-byte packed node and the ≥ 1.3 64-byte aligned node
 * with `missing_go_to_left` both work; classifier leaf values are normalised by the runtime
 * (`leaf_normalize`), which covers both ≤ 1.3 weighted counts and ≥ 1.4 fractions.
 */
import { isArray, structField } from '../py.js';
import { CLASSIFIER_METHODS, featureNamesIn, nFeaturesIn, requireFitted, State, type Ctx, type Mapped } from './common.js';
import { EnsembleBuilder, type TreeNodes } from './ensemble-builder.js';

const TREE_CLASS = 'sklearn.tree._tree.Tree';

/** Reads `sklearn.tree._tree.Tree` (REDUCE(Tree, (n_features, n_classes, n_outputs)) + BUILD state). */
export function readSklearnTree(tree: State, role: 'classifier' | 'regressor', nClasses: number, nOutputs = 1): TreeNodes & { width: number; hasMissing: boolean } {
  if (tree.cls !== TREE_CLASS) tree.fail(`expected ${TREE_CLASS}, got ${tree.cls}`);
  const count = tree.int('node_count');
  if (count < 1) tree.fail(`node_count ${count} must be at least 1`, 'node_count');
  const nodes = tree.req('nodes');
  if (!isArray(nodes) || !nodes.dtype.fields) return tree.fail('nodes must be a structured array', 'nodes');
  if (nodes.shape.length !== 1 || nodes.shape[0]! < count) tree.fail(`nodes has ${nodes.shape[0]} records for node_count ${count}`, 'nodes');
  const field = (name: string): Float64Array => {
    const f = structField(nodes, name);
    if (!f) return tree.fail(`node dtype has no field ${name}`, 'nodes');
    return f;
  };
  const left = field('left_child');
  const right = field('right_child');
  const feature = field('feature');
  const threshold = field('threshold');
  const missing = structField(nodes, 'missing_go_to_left');
  const values = tree.f64('values');
  if (values.shape.length !== 3 || values.shape[0]! < count) tree.fail(`values has shape ${JSON.stringify(values.shape)}`, 'values');
  const [, nOut, maxClasses] = values.shape as [number, number, number];
  // multi-output regressors: one value per output (values[n, o, 0]); classifiers take one output
  if (nOut !== 1 && role === 'classifier') tree.unsupported(`multi-output classification trees (n_outputs=${nOut})`, 'values');
  if (nOut !== nOutputs) tree.fail(`values has ${nOut} outputs, the model ${nOutputs}`, 'values');
  const width = role === 'classifier' ? nClasses : nOut;
  if ((role === 'classifier' ? width : 1) > maxClasses) tree.fail(`values has ${maxClasses} class columns for ${nClasses} classes`, 'values');
  const v = new Float64Array(count * width);
  const stride = role === 'classifier' ? 1 : maxClasses;
  for (let n = 0; n < count; n++) for (let k = 0; k < width; k++) v[n * width + k] = values.data[n * nOut * maxClasses + k * stride]!;
  return {
    count, left, right, feature, threshold, values: v, width,
    hasMissing: missing !== undefined,
    ...(missing ? { missingLeft: missing } : {}),
  };
}

function estimatorTrees(s: State, single: boolean): State[] {
  if (single) return [s];
  requireFitted(s, 'estimators_');
  const est = s.items('estimators_');
  if (est.length === 0) s.fail('estimators_ is empty', 'estimators_');
  return est.map((e, i) => State.of(e, s.at(`estimators_[${i}]`)));
}

/** n_outputs_ (1 when absent); only regressors may have several. */
function nOutputsOf(s: State, role: 'classifier' | 'regressor'): number {
  const n = s.has('n_outputs_') ? s.int('n_outputs_') : 1;
  if (n !== 1 && role === 'classifier') s.unsupported(`multi-output classification (n_outputs_=${n})`, 'n_outputs_');
  if (!(n >= 1 && n <= 1 << 16)) s.fail(`n_outputs_ ${n} is out of range`, 'n_outputs_');
  return n;
}

/** DecisionTree*, ExtraTree*, RandomForest*, ExtraTrees*: mean over trees of (normalised) leaf values. */
function mapTrees(s: State, ctx: Ctx, role: 'classifier' | 'regressor', single: boolean): Mapped {
  const nOutputs = nOutputsOf(s, role);
  const classes = role === 'classifier' ? (requireFitted(s, 'classes_'), s.labels()) : undefined;
  const nClasses = classes?.length ?? 1;
  const trees = estimatorTrees(s, single);
  const first = trees[0]!;
  const nIn = nFeaturesIn(s) ?? nFeaturesIn(first, 'n_features_');
  if (nIn === undefined) s.fail('cannot tell the number of features (no n_features_in_)');
  const b = new EnsembleBuilder(s, role === 'classifier' ? nClasses : nOutputs, nIn);
  let missing = false;
  for (const t of trees) {
    const treeOutputs = nOutputsOf(t, role);
    if (treeOutputs !== nOutputs) t.fail(`a tree has ${treeOutputs} outputs, the ensemble ${nOutputs}`, 'n_outputs_');
    const nodes = readSklearnTree(t.child('tree_'), role, nClasses, nOutputs);
    missing ||= nodes.hasMissing;
    b.addTree(nodes, 0, 1, t.child('tree_'));
  }
  if (missing) ctx.notes.push(`${s.shortName}: node records carry missing_go_to_left (scikit-learn ≥ 1.3 layout)`);
  const op = b.build(ctx, {
    split: 'sklearn-tree',
    nOutputs: b.valueWidth,
    aggregation: 'mean',
    base: new Array<number>(b.valueWidth).fill(0),
    leafNormalize: role === 'classifier',
    activation: { kind: 'identity' },
    decision: false,
    weighted: false,
    name: s.shortName,
  });
  return role === 'classifier'
    ? { op, role, nIn, nOut: nClasses, classes: classes!, methods: CLASSIFIER_METHODS(true, false), featureNames: featureNamesIn(s) }
    : { op, role, nIn, nOut: nOutputs, methods: ['predict'], featureNames: featureNamesIn(s) };
}

export const mapTreeClassifier = (s: State, ctx: Ctx): Mapped => mapTrees(s, ctx, 'classifier', true);
export const mapTreeRegressor = (s: State, ctx: Ctx): Mapped => mapTrees(s, ctx, 'regressor', true);
export const mapForestClassifier = (s: State, ctx: Ctx): Mapped => mapTrees(s, ctx, 'classifier', false);
export const mapForestRegressor = (s: State, ctx: Ctx): Mapped => mapTrees(s, ctx, 'regressor', false);
