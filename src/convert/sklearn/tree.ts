/**
 * Decision trees and forests (formats.md §4.3–§4.4). The node record layout is read from the pickled
 * structured dtype by field name, so the ≤ 1.2 56-byte packed node and the ≥ 1.3 64-byte aligned node
 * with `missing_go_to_left` both work; classifier leaf values are normalised by the runtime
 * (`leaf_normalize`), which covers both ≤ 1.3 weighted counts and ≥ 1.4 fractions.
 */
import type { Label } from '../../runtime/index.js';
import { isArray, structField } from '../py.js';
import { labelsOf } from '../state.js';
import { CLASSIFIER_METHODS, featureNamesIn, nFeaturesIn, requireFitted, State, type Ctx, type Mapped } from './common.js';
import { EnsembleBuilder, type TreeNodes } from './ensemble-builder.js';

const TREE_CLASS = 'sklearn.tree._tree.Tree';

/**
 * Reads `sklearn.tree._tree.Tree` (REDUCE(Tree, (n_features, n_classes, n_outputs)) + BUILD state).
 * `classes`: a classifier's class count per output (one entry unless fitted on a 2-D y).
 */
export function readSklearnTree(tree: State, role: 'classifier' | 'regressor', classes: readonly number[], nOutputs = 1): TreeNodes & { width: number; hasMissing: boolean } {
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
  if (nOut !== nOutputs) tree.fail(`values has ${nOut} outputs, the model ${nOutputs}`, 'values');
  // values[n, o, k]: a regressor's output o is k = 0; a classifier's output o has classes[o] columns
  // (padded to the largest), which the leaf vector holds one output after the other
  const per = role === 'classifier' ? classes : new Array<number>(nOut).fill(1);
  if (per.length !== nOut) tree.fail(`values has ${nOut} outputs for ${per.length} class lists`, 'values');
  const most = Math.max(...per);
  if (most > maxClasses) tree.fail(`values has ${maxClasses} class columns for ${most} classes`, 'values');
  const width = per.reduce((a, b) => a + b, 0);
  const v = new Float64Array(count * width);
  for (let n = 0, at = 0; n < count; n++) {
    for (let o = 0; o < nOut; o++) for (let k = 0; k < per[o]!; k++) v[at++] = values.data[(n * nOut + o) * maxClasses + k]!;
  }
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

/** n_outputs_ (1 when absent). */
function nOutputsOf(s: State): number {
  const n = s.has('n_outputs_') ? s.int('n_outputs_') : 1;
  if (!(n >= 1 && n <= 1 << 16)) s.fail(`n_outputs_ ${n} is out of range`, 'n_outputs_');
  return n;
}

/** A classifier's classes_: one list, or one per output when fitted on a 2-D y (n_outputs_ > 1). */
function classesOf(s: State, nOutputs: number): Label[][] {
  requireFitted(s, 'classes_');
  if (nOutputs === 1) return [s.labels()];
  const lists = s.items('classes_');
  if (lists.length !== nOutputs) s.fail(`classes_ has ${lists.length} lists for ${nOutputs} outputs`, 'classes_');
  return lists.map((c, o) => labelsOf(c, s.at(`classes_[${o}]`)));
}

/** DecisionTree*, ExtraTree*, RandomForest*, ExtraTrees*: mean over trees of (normalised) leaf values. */
function mapTrees(s: State, ctx: Ctx, role: 'classifier' | 'regressor', single: boolean): Mapped {
  const nOutputs = nOutputsOf(s);
  const classes = role === 'classifier' ? classesOf(s, nOutputs) : undefined;
  const perOutput = classes?.map((c) => c.length) ?? [];
  const trees = estimatorTrees(s, single);
  const first = trees[0]!;
  const nIn = nFeaturesIn(s) ?? nFeaturesIn(first, 'n_features_');
  if (nIn === undefined) s.fail('cannot tell the number of features (no n_features_in_)');
  const b = new EnsembleBuilder(s, role === 'classifier' ? perOutput.reduce((a, c) => a + c, 0) : nOutputs, nIn);
  let missing = false;
  for (const t of trees) {
    const treeOutputs = nOutputsOf(t);
    if (treeOutputs !== nOutputs) t.fail(`a tree has ${treeOutputs} outputs, the ensemble ${nOutputs}`, 'n_outputs_');
    const nodes = readSklearnTree(t.child('tree_'), role, perOutput, nOutputs);
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
  if (role === 'regressor') return { op, role, nIn, nOut: nOutputs, methods: ['predict'], featureNames: featureNamesIn(s) };
  const flat = classes!.flat();
  return { op, role, nIn, nOut: flat.length, classes: flat, ...(nOutputs > 1 ? { nClasses: perOutput } : {}), methods: CLASSIFIER_METHODS(true, false), featureNames: featureNamesIn(s) };
}

export const mapTreeClassifier = (s: State, ctx: Ctx): Mapped => mapTrees(s, ctx, 'classifier', true);
export const mapTreeRegressor = (s: State, ctx: Ctx): Mapped => mapTrees(s, ctx, 'regressor', true);
export const mapForestClassifier = (s: State, ctx: Ctx): Mapped => mapTrees(s, ctx, 'classifier', false);
export const mapForestRegressor = (s: State, ctx: Ctx): Mapped => mapTrees(s, ctx, 'regressor', false);
