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
export function readSklearnTree(tree: State, role: 'classifier' | 'regressor', nClasses: number): TreeNodes & { width: number; hasMissing: boolean } {
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
  if (nOut !== 1) tree.unsupported(`multi-output trees (n_outputs=${nOut})`, 'values');
  const width = role === 'classifier' ? nClasses : 1;
  if (width > maxClasses) tree.fail(`values has ${maxClasses} class columns for ${nClasses} classes`, 'values');
  const v = new Float64Array(count * width);
  for (let n = 0; n < count; n++) for (let k = 0; k < width; k++) v[n * width + k] = values.data[n * maxClasses + k]!;
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

function nOutputsOne(s: State): void {
  if (s.has('n_outputs_') && s.int('n_outputs_') !== 1) s.unsupported(`multi-output models (n_outputs_=${s.int('n_outputs_')})`, 'n_outputs_');
}

/** DecisionTree*, ExtraTree*, RandomForest*, ExtraTrees*: mean over trees of (normalised) leaf values. */
function mapTrees(s: State, ctx: Ctx, role: 'classifier' | 'regressor', single: boolean): Mapped {
  nOutputsOne(s);
  const classes = role === 'classifier' ? (requireFitted(s, 'classes_'), s.labels()) : undefined;
  const nClasses = classes?.length ?? 1;
  const trees = estimatorTrees(s, single);
  const first = trees[0]!;
  const nIn = nFeaturesIn(s) ?? nFeaturesIn(first, 'n_features_');
  if (nIn === undefined) s.fail('cannot tell the number of features (no n_features_in_)');
  const b = new EnsembleBuilder(s, role === 'classifier' ? nClasses : 1, nIn);
  let missing = false;
  for (const t of trees) {
    nOutputsOne(t);
    const nodes = readSklearnTree(t.child('tree_'), role, nClasses);
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
    : { op, role, nIn, nOut: 1, methods: ['predict'], featureNames: featureNamesIn(s) };
}

export const mapTreeClassifier = (s: State, ctx: Ctx): Mapped => mapTrees(s, ctx, 'classifier', true);
export const mapTreeRegressor = (s: State, ctx: Ctx): Mapped => mapTrees(s, ctx, 'regressor', true);
export const mapForestClassifier = (s: State, ctx: Ctx): Mapped => mapTrees(s, ctx, 'classifier', false);
export const mapForestRegressor = (s: State, ctx: Ctx): Mapped => mapTrees(s, ctx, 'regressor', false);
