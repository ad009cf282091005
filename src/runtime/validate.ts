import { MvError, assertNever } from '../core/index.js';
import { isEstimatorOp, outputOffsets, type EstimatorOp, type KnnOp, type Method, type ModelIR, type MultiOutputOp, type Op, type TensorRef, type TreeEnsembleOp, type VoteOp } from './ir.js';
import type { IrTensor } from './tensors.js';

/**
 * Semantic validation of a model description against its tensors, after the JSON Schema: widths
 * flow through the graph, text columns only reach operators that take text, shapes agree between
 * tensors, indices are in range, trees are trees (no cycles, no shared nodes), and the head agrees
 * with the estimator. After this, kernels can index without bounds checks in their hot loops.
 */
type Path = readonly (string | number)[];
type ColType = 'num' | 'text';

const fail = (path: Path, msg: string): never => {
  throw new MvError('ARTIFACT_INVALID', msg, { path: [...path] });
};

interface Ctx {
  readonly tensors: ReadonlyMap<string, IrTensor>;
}

const dims = (r: TensorRef): readonly number[] => r.shape;
const data = (ctx: Ctx, r: TensorRef): IrTensor['data'] => ctx.tensors.get(r.tensor)!.data;

function expectShape(r: TensorRef | undefined, shape: readonly number[], path: Path, what: string): void {
  if (!r) return;
  if (r.shape.length !== shape.length || r.shape.some((d, i) => d !== shape[i])) {
    fail(path, `${what} must have shape [${shape.join(', ')}], has [${r.shape.join(', ')}]`);
  }
}

function expectDtype(r: TensorRef | undefined, dtypes: readonly string[], path: Path, what: string): void {
  if (r && !dtypes.includes(r.dtype)) fail(path, `${what} must be ${dtypes.join(' or ')}, is ${r.dtype}`);
}

function allNumeric(types: readonly ColType[], path: Path, kind: string): void {
  const j = types.indexOf('text');
  if (j >= 0) fail(path, `${kind} needs numeric input but column ${j} is text`);
}

function expectWidth(types: readonly ColType[], n: number, path: Path, kind: string): void {
  if (types.length !== n) fail(path, `${kind} expects ${n} input columns, gets ${types.length}`);
}

const ints = (ctx: Ctx, r: TensorRef): ArrayLike<number> => {
  const d = data(ctx, r);
  return d instanceof BigInt64Array ? Array.from(d, Number) : (d as ArrayLike<number>);
};

/**
 * A sufficient condition for checkTrees, in one sequential pass: every internal node (reachable or
 * not) has children, feature and categorical split in range, no node is the child of two parents (or
 * twice of one), and every tree's group is in range and its root in range, distinct from the other
 * roots and nobody's child. Then what is reachable from the roots is a set of disjoint proper trees
 * (a cycle or a shared node reachable from a root would need a node with two parents, or a root with
 * a parent), so checkTrees would pass. When this says no, checkTrees runs and gives the exact error
 * of the depth-first walk (or passes, when the only problems are in nodes no root reaches).
 */
function treesPlainlyValid(left: ArrayLike<number>, right: ArrayLike<number>, feature: ArrayLike<number>, catSplit: ArrayLike<number> | undefined, nCat: number, roots: ArrayLike<number>, groups: ArrayLike<number>, op: TreeEnsembleOp): boolean {
  const N = op.n_nodes;
  const F = op.n_features;
  const parents = new Uint8Array(N);
  let bad = 0;
  for (let n = 0; n < N; n++) {
    const l = left[n]!;
    if (l === -1) continue;
    const r = right[n]!;
    const f = feature[n]!;
    if (!(l >= 0 && l < N && r >= 0 && r < N && l !== r && f >= 0 && f < F)) return false;
    if (catSplit !== undefined) {
      const c = catSplit[n]!;
      if (!(c >= -1 && c < nCat)) return false;
    }
    bad |= parents[l]! | parents[r]!;
    parents[l] = 1;
    parents[r] = 1;
  }
  if (bad !== 0) return false;
  for (let t = 0; t < op.n_trees; t++) {
    const g = groups[t]!;
    if (!(g >= 0 && (g + 1) * op.value_width <= op.n_outputs)) return false;
    const root = roots[t]!;
    if (!(root >= 0 && root < N) || parents[root] !== 0) return false;
    parents[root] = 1; // a second tree with the same root now fails
  }
  return true;
}

/** Validates the tree structure: every root starts a proper tree; no node is reachable twice. */
function checkTrees(ctx: Ctx, op: TreeEnsembleOp, path: Path): void {
  const N = op.n_nodes;
  const left = ints(ctx, op.left);
  const right = ints(ctx, op.right);
  const feature = ints(ctx, op.feature);
  const roots = ints(ctx, op.roots);
  const groups = ints(ctx, op.groups);
  const catSplit = op.cat_split ? ints(ctx, op.cat_split) : undefined;
  const nCat = op.cat_offsets ? dims(op.cat_offsets)[0]! - 1 : 0;
  if (treesPlainlyValid(left, right, feature, catSplit, nCat, roots, groups, op)) return;
  const seen = new Uint8Array(N);
  // depth-first, left child first; a typed stack: each first visit pops one entry and pushes at most
  // two, so at most N + 1 entries are ever waiting (a node seen twice fails when it is popped)
  const stack = new Int32Array(N + 2);
  const F = op.n_features;
  for (let t = 0; t < op.n_trees; t++) {
    const g = groups[t]!;
    if (!(g >= 0 && (g + 1) * op.value_width <= op.n_outputs)) fail([...path, 'groups', t], `tree ${t} group ${g} is outside the ${op.n_outputs} outputs`);
    const r = roots[t]!;
    if (!(r >= 0 && r < N)) fail([...path, 'roots', t], `tree ${t} root ${r} is not a node`);
    let sp = 0;
    stack[sp++] = r;
    while (sp > 0) {
      const n = stack[--sp]!;
      if (seen[n] !== 0) fail([...path, 'left'], `node ${n} is reachable twice (cycle or shared subtree)`);
      seen[n] = 1;
      const l = left[n]!;
      if (l === -1) continue;
      const rr = right[n]!;
      if (!(l >= 0 && l < N && rr >= 0 && rr < N)) fail([...path, 'left'], `node ${n} has children ${l}, ${rr} outside 0..${N - 1}`);
      const f = feature[n]!;
      if (!(f >= 0 && f < F)) fail([...path, 'feature'], `node ${n} splits on feature ${f} of ${F}`);
      if (catSplit) {
        const c = catSplit[n]!;
        if (!(c >= -1 && c < nCat)) fail([...path, 'cat_split'], `node ${n} categorical split ${c} of ${nCat}`);
      }
      stack[sp++] = rr;
      stack[sp++] = l;
    }
  }
}

function checkTreeEnsemble(ctx: Ctx, op: TreeEnsembleOp, types: readonly ColType[], path: Path): number {
  expectWidth(types, op.n_features, path, 'tree-ensemble');
  allNumeric(types, path, 'tree-ensemble');
  const N = op.n_nodes;
  const T = op.n_trees;
  for (const k of ['feature', 'left', 'right'] as const) {
    expectShape(op[k], [N], [...path, k], k);
    expectDtype(op[k], ['I32'], [...path, k], k);
  }
  expectShape(op.threshold, [N], [...path, 'threshold'], 'threshold');
  expectDtype(op.threshold, ['F64'], [...path, 'threshold'], 'threshold');
  expectShape(op.values, [N, op.value_width], [...path, 'values'], 'values');
  expectDtype(op.values, ['F64'], [...path, 'values'], 'values');
  for (const k of ['missing_left', 'missing_type'] as const) {
    expectShape(op[k], [N], [...path, k], k);
    expectDtype(op[k], ['U8'], [...path, k], k);
  }
  for (const k of ['roots', 'groups'] as const) {
    expectShape(op[k], [T], [...path, k], k);
    expectDtype(op[k], ['I32'], [...path, k], k);
  }
  expectShape(op.weights, [T], [...path, 'weights'], 'weights');
  expectDtype(op.weights, ['F64'], [...path, 'weights'], 'weights');
  if (op.base.length !== op.n_outputs) fail([...path, 'base'], `base has ${op.base.length} values for ${op.n_outputs} outputs`);
  if (op.split === 'lightgbm' && !op.missing_type) fail(path, 'lightgbm splits need missing_type');
  const cat = [op.cat_split, op.cat_offsets, op.cat_words];
  if (cat.some(Boolean) && !cat.every(Boolean)) fail(path, 'cat_split, cat_offsets and cat_words go together');
  if (op.cat_split && op.cat_offsets && op.cat_words) {
    if (op.split === 'sklearn-tree') fail(path, 'sklearn-tree splits have no categories');
    expectShape(op.cat_split, [N], [...path, 'cat_split'], 'cat_split');
    expectDtype(op.cat_split, ['I32'], [...path, 'cat_split'], 'cat_split');
    expectDtype(op.cat_offsets, ['I32'], [...path, 'cat_offsets'], 'cat_offsets');
    expectDtype(op.cat_words, ['U32'], [...path, 'cat_words'], 'cat_words');
    if (dims(op.cat_offsets).length !== 1 || dims(op.cat_offsets)[0]! < 1) fail([...path, 'cat_offsets'], 'cat_offsets must be 1-D with at least one entry');
    if (dims(op.cat_words).length !== 1) fail([...path, 'cat_words'], 'cat_words must be 1-D');
    const off = ints(ctx, op.cat_offsets);
    const W = dims(op.cat_words)[0]!;
    if (off[0] !== 0 || off[off.length - 1] !== W) fail([...path, 'cat_offsets'], `cat_offsets must run from 0 to ${W}`);
    for (let i = 1; i < off.length; i++) if (off[i]! < off[i - 1]!) fail([...path, 'cat_offsets'], 'cat_offsets must not decrease');
    if (op.cat_known_words) {
      expectShape(op.cat_known_words, [W], [...path, 'cat_known_words'], 'cat_known_words');
      expectDtype(op.cat_known_words, ['U32'], [...path, 'cat_known_words'], 'cat_known_words');
    }
  } else if (op.cat_known_words) fail(path, 'cat_known_words without categorical splits');
  const lin = [op.linear_offsets, op.linear_features, op.linear_coeffs, op.linear_const];
  if (lin.some(Boolean)) {
    if (!lin.every(Boolean)) fail(path, 'linear_offsets, linear_features, linear_coeffs and linear_const go together');
    if (op.split !== 'lightgbm') fail(path, 'linear leaves are a lightgbm feature');
    if (op.value_width !== 1) fail(path, 'linear leaves need value_width 1');
    expectShape(op.linear_offsets, [N + 1], [...path, 'linear_offsets'], 'linear_offsets');
    expectDtype(op.linear_offsets, ['I32'], [...path, 'linear_offsets'], 'linear_offsets');
    expectShape(op.linear_const, [N], [...path, 'linear_const'], 'linear_const');
    expectDtype(op.linear_const, ['F64'], [...path, 'linear_const'], 'linear_const');
    const L = dims(op.linear_features!)[0]!;
    expectShape(op.linear_features, [L], [...path, 'linear_features'], 'linear_features');
    expectShape(op.linear_coeffs, [L], [...path, 'linear_coeffs'], 'linear_coeffs');
    expectDtype(op.linear_features, ['I32'], [...path, 'linear_features'], 'linear_features');
    expectDtype(op.linear_coeffs, ['F64'], [...path, 'linear_coeffs'], 'linear_coeffs');
    const off = ints(ctx, op.linear_offsets!);
    if (off[0] !== 0 || off[N] !== L) fail([...path, 'linear_offsets'], `linear_offsets must run from 0 to ${L}`);
    for (let i = 1; i <= N; i++) if (off[i]! < off[i - 1]!) fail([...path, 'linear_offsets'], 'linear_offsets must not decrease');
    const lf = ints(ctx, op.linear_features!);
    for (let i = 0; i < L; i++) if (!(lf[i]! >= 0 && lf[i]! < op.n_features)) fail([...path, 'linear_features'], `linear feature ${lf[i]} out of range`);
  }
  if (op.divisor !== undefined && op.aggregation !== 'mean') fail([...path, 'divisor'], 'divisor only applies to mean aggregation');
  checkTrees(ctx, op, path);
  return op.n_outputs;
}

/** Returns the estimator's class count (classifier) or output count (regressor). */
function estimatorWidth(ctx: Ctx, op: Op, types: readonly ColType[], path: Path): number {
  switch (op.kind) {
    case 'linear': {
      const [K, F] = dims(op.coef);
      if (dims(op.coef).length !== 2) fail([...path, 'coef'], 'coef must be 2-D [n_targets, n_features]');
      expectWidth(types, F!, path, 'linear');
      allNumeric(types, path, 'linear');
      expectShape(op.intercept, [K!], [...path, 'intercept'], 'intercept');
      expectDtype(op.coef, ['F64'], [...path, 'coef'], 'coef');
      expectDtype(op.intercept, ['F64'], [...path, 'intercept'], 'intercept');
      return K!;
    }
    case 'tree-ensemble':
      return checkTreeEnsemble(ctx, op, types, path);
    case 'svm': {
      const sv = dims(op.support_vectors);
      if (sv.length !== 2) fail([...path, 'support_vectors'], 'support_vectors must be 2-D');
      expectWidth(types, sv[1]!, path, 'svm');
      allNumeric(types, path, 'svm');
      const nSV = sv[0]!;
      const C = op.n_support.length;
      if (op.n_support.reduce((a, b) => a + b, 0) !== nSV) fail([...path, 'n_support'], `n_support sums to ${op.n_support.reduce((a, b) => a + b, 0)}, not ${nSV}`);
      const rows = op.task === 'svc' ? C - 1 : 1;
      const pairs = op.task === 'svc' ? (C * (C - 1)) / 2 : 1;
      if (op.task === 'svc' && C < 2) fail([...path, 'n_support'], 'an SVC needs at least two classes');
      expectShape(op.dual_coef, [rows, nSV], [...path, 'dual_coef'], 'dual_coef');
      expectShape(op.intercept, [pairs], [...path, 'intercept'], 'intercept');
      if (Boolean(op.prob_a) !== Boolean(op.prob_b)) fail(path, 'prob_a and prob_b go together');
      expectShape(op.prob_a, [pairs], [...path, 'prob_a'], 'prob_a');
      expectShape(op.prob_b, [pairs], [...path, 'prob_b'], 'prob_b');
      for (const k of ['support_vectors', 'dual_coef', 'intercept', 'prob_a', 'prob_b'] as const) expectDtype(op[k], ['F64'], [...path, k], k);
      return op.task === 'svc' ? C : 1;
    }
    case 'knn': {
      const fx = dims(op.fit_x);
      if (fx.length !== 2) fail([...path, 'fit_x'], 'fit_x must be 2-D');
      expectWidth(types, fx[1]!, path, 'knn');
      allNumeric(types, path, 'knn');
      expectDtype(op.fit_x, ['F64'], [...path, 'fit_x'], 'fit_x');
      const n = fx[0]!;
      if (op.k > n) fail([...path, 'k'], `k = ${op.k} exceeds the ${n} training samples`);
      if (op.task === 'classifier') {
        // [n], or [n, outputs] for a multi-output classifier (whose head checks each output's range)
        const yd = dims(op.y);
        if (yd[0] !== n || yd.length > 2) fail([...path, 'y'], 'y must be [n] or [n, n_outputs]');
        expectDtype(op.y, ['I64', 'I32'], [...path, 'y'], 'y');
        if (!op.n_classes) fail(path, 'a knn classifier needs n_classes');
        const y = ints(ctx, op.y);
        for (let i = 0; i < y.length; i++) if (!(y[i]! >= 0 && y[i]! < op.n_classes!)) fail([...path, 'y'], `class index ${y[i]} out of range`);
        return op.n_classes!;
      }
      expectDtype(op.y, ['F64'], [...path, 'y'], 'y');
      const yd = dims(op.y);
      if (yd[0] !== n || yd.length > 2) fail([...path, 'y'], 'y must be [n] or [n, n_outputs]');
      return yd.length === 2 ? yd[1]! : 1;
    }
    case 'gaussian-nb': {
      const th = dims(op.theta);
      if (th.length !== 2) fail([...path, 'theta'], 'theta must be 2-D');
      expectWidth(types, th[1]!, path, 'gaussian-nb');
      allNumeric(types, path, 'gaussian-nb');
      expectShape(op.var, th, [...path, 'var'], 'var');
      expectShape(op.class_prior, [th[0]!], [...path, 'class_prior'], 'class_prior');
      for (const k of ['theta', 'var', 'class_prior'] as const) expectDtype(op[k], ['F64'], [...path, k], k);
      return th[0]!;
    }
    case 'mlp': {
      // W_l [in_l, out_l] chained from the input width, b_l [out_l]
      if (op.weights.length !== op.biases.length) fail([...path, 'biases'], `${op.biases.length} biases for ${op.weights.length} weight matrices`);
      let width = types.length;
      allNumeric(types, path, 'mlp');
      op.weights.forEach((w, l) => {
        const d = dims(w);
        if (d.length !== 2 || d[0] !== width) fail([...path, 'weights', l], `layer ${l} weights must be [${width}, n_out], got [${d.join(', ')}]`);
        expectDtype(w, ['F64'], [...path, 'weights', l], 'weights');
        width = d[1]!;
        expectShape(op.biases[l], [width], [...path, 'biases', l], 'biases');
        expectDtype(op.biases[l], ['F64'], [...path, 'biases', l], 'biases');
      });
      const out = op.activation.kind;
      if (!(out === 'identity' || (out === 'logistic' && (op.activation.scale ?? 1) === 1) || out === 'softmax')) fail([...path, 'activation'], `an MLP output is identity, logistic or softmax, not ${out}`);
      return width;
    }
    default:
      return fail(path, `${op.kind} is not an estimator`);
  }
}

/** Output column types of a transform; throws on inconsistencies. */
function transformTypes(ctx: Ctx, op: Op, types: readonly ColType[], path: Path): ColType[] {
  switch (op.kind) {
    case 'identity':
      return [...types];
    case 'scale':
      expectWidth(types, op.n_features, path, 'scale');
      allNumeric(types, path, 'scale');
      for (const k of ['sub', 'mul', 'div', 'add'] as const) {
        expectShape(op[k], [op.n_features], [...path, k], k);
        expectDtype(op[k], ['F64'], [...path, k], k);
      }
      if (op.clip && !(op.clip[0] <= op.clip[1])) fail([...path, 'clip'], 'clip must be [low, high] with low <= high');
      return [...types];
    case 'impute': {
      expectWidth(types, op.n_features, path, 'impute');
      expectShape(op.statistics, [op.n_features], [...path, 'statistics'], 'statistics');
      expectDtype(op.statistics, ['F64'], [...path, 'statistics'], 'statistics');
      if (op.text_statistics && op.text_statistics.length !== op.n_features) fail([...path, 'text_statistics'], 'text_statistics must have one entry per feature');
      types.forEach((t, j) => {
        if (t === 'text' && op.keep.includes(j) && (!op.text_statistics || op.text_statistics[j] === null || op.text_statistics[j] === undefined)) {
          fail([...path, 'text_statistics', j], `text column ${j} has no fill value`);
        }
      });
      if (op.missing.kind === 'number' && types.some((t) => t === 'text')) fail([...path, 'missing'], 'a numeric missing marker cannot apply to text columns');
      if (op.missing.kind === 'string' && types.some((t) => t === 'num')) fail([...path, 'missing'], 'a string missing marker needs text columns');
      for (const [k, list] of [['keep', op.keep], ['indicator', op.indicator]] as const) {
        list.forEach((j, i) => {
          if (j >= op.n_features) fail([...path, k, i], `column ${j} of ${op.n_features}`);
        });
      }
      return [...op.keep.map((j) => types[j]!), ...op.indicator.map((): ColType => 'num')];
    }
    case 'one-hot':
    case 'ordinal': {
      expectWidth(types, op.categories.length, path, op.kind);
      let out = 0;
      op.categories.forEach((c, j) => {
        const want = c.kind === 'string' ? 'text' : 'num';
        if (types[j] !== want) fail([...path, 'categories', j], `column ${j} is ${types[j]} but its categories are ${c.kind}`);
        let n: number;
        if (c.kind === 'number') {
          if (dims(c.values).length !== 1) fail([...path, 'categories', j, 'values'], 'numeric categories must be 1-D');
          expectDtype(c.values, ['F64'], [...path, 'categories', j, 'values'], 'categories');
          n = dims(c.values)[0]!;
        } else {
          n = c.values.length;
          if (new Set(c.values).size !== n) fail([...path, 'categories', j], 'categories repeat');
        }
        if (op.kind === 'one-hot') {
          const d = op.drop[j];
          if (d !== null && d !== undefined && d >= n) fail([...path, 'drop', j], `drop index ${d} of ${n} categories`);
          out += n - (d === null || d === undefined ? 0 : 1);
        }
      });
      if (op.kind === 'one-hot') {
        if (op.drop.length !== op.categories.length) fail([...path, 'drop'], 'drop must have one entry per column');
        return new Array<ColType>(out).fill('num');
      }
      return new Array<ColType>(types.length).fill('num');
    }
    case 'polynomial': {
      expectWidth(types, op.n_features, path, 'polynomial');
      allNumeric(types, path, 'polynomial');
      const p = dims(op.powers);
      if (p.length !== 2 || p[1] !== op.n_features) fail([...path, 'powers'], `powers must be [n_output, ${op.n_features}]`);
      expectDtype(op.powers, ['I64', 'I32'], [...path, 'powers'], 'powers');
      const pw = ints(ctx, op.powers);
      for (let i = 0; i < pw.length; i++) if (!(pw[i]! >= 0 && pw[i]! <= 64)) fail([...path, 'powers'], `power ${pw[i]} out of range 0..64`);
      return new Array<ColType>(p[0]!).fill('num');
    }
    case 'normalize':
    case 'binarize':
      expectWidth(types, op.n_features, path, op.kind);
      allNumeric(types, path, op.kind);
      return [...types];
    case 'pca': {
      const c = dims(op.components);
      if (c.length !== 2) fail([...path, 'components'], 'components must be 2-D');
      expectWidth(types, c[1]!, path, 'pca');
      allNumeric(types, path, 'pca');
      expectShape(op.mean, [c[1]!], [...path, 'mean'], 'mean');
      expectShape(op.explained_variance, [c[0]!], [...path, 'explained_variance'], 'explained_variance');
      if (op.whiten && !op.explained_variance) fail(path, 'whiten needs explained_variance');
      for (const k of ['mean', 'components', 'explained_variance'] as const) expectDtype(op[k], ['F64'], [...path, k], k);
      return new Array<ColType>(c[0]!).fill('num');
    }
    case 'column-select':
      return op.columns.map((j, i) => {
        if (j >= types.length) fail([...path, 'columns', i], `column ${j} of ${types.length}`);
        return types[j]!;
      });
    case 'concat':
      return op.parts.flatMap((p, i) => {
        if (isEstimatorOp(p)) fail([...path, 'parts', i], 'a concat part cannot be an estimator');
        return transformTypes(ctx, p, types, [...path, 'parts', i]);
      });
    case 'pipeline': {
      let t = [...types];
      op.steps.forEach((s, i) => {
        if (isEstimatorOp(s)) fail([...path, 'steps', i], 'an estimator inside a transform');
        t = transformTypes(ctx, s, t, [...path, 'steps', i]);
      });
      return t;
    }
    case 'linear':
    case 'tree-ensemble':
    case 'svm':
    case 'knn':
    case 'gaussian-nb':
    case 'mlp':
    case 'multi-output':
    case 'vote':
      return fail(path, `${op.kind} is an estimator, not a transform`);
    default:
      return assertNever(op, 'operator');
  }
}

/** Splits a graph into its transform prefix and final estimator (if any). */
export function splitGraph(graph: Op): { transforms: readonly Op[]; estimator: Op | null; path: Path } {
  if (isEstimatorOp(graph)) return { transforms: [], estimator: graph, path: ['graph'] };
  if (graph.kind === 'pipeline' && graph.steps.length > 0) {
    const last = graph.steps[graph.steps.length - 1]!;
    if (isEstimatorOp(last)) return { transforms: graph.steps.slice(0, -1), estimator: last, path: ['graph', 'steps', graph.steps.length - 1] };
  }
  return { transforms: [graph], estimator: null, path: ['graph'] };
}

/** The methods an estimator can answer, by kind and options. */
export function estimatorMethods(op: Op, classifier: boolean): Method[] {
  switch (op.kind) {
    case 'linear':
      return classifier ? ['predict', 'decision_function', ...(op.proba ? (['predict_proba'] as const) : [])] : ['predict'];
    case 'tree-ensemble':
      return classifier ? ['predict', 'predict_proba', ...(op.decision ? (['decision_function'] as const) : [])] : ['predict'];
    case 'svm':
      return op.task === 'svc' ? ['predict', 'decision_function', ...(op.prob_a ? (['predict_proba'] as const) : [])] : ['predict'];
    case 'knn':
    case 'gaussian-nb':
    case 'mlp':
      return classifier ? ['predict', 'predict_proba'] : ['predict'];
    case 'multi-output': {
      // sklearn.multioutput offers predict, and predict_proba when every estimator has it
      const each = op.estimators.map((e) => splitSub(e, []).estimator).map((e) => (e ? estimatorMethods(e, classifier) : []));
      return (['predict', 'predict_proba'] as const).filter((m) => each.every((ms) => ms.includes(m)));
    }
    case 'vote':
      return op.voting === 'soft' ? ['predict', 'predict_proba'] : ['predict'];
    default:
      return ['transform'];
  }
}

/**
 * The input columns a graph reads: those its column selections name (a pipeline's first step reads
 * the inputs, later steps its outputs); null = all. Conservative: a column carried along and dropped
 * later counts as read. Only these may not be typed `any`.
 */
export function readColumns(op: Op): Set<number> | null {
  switch (op.kind) {
    case 'column-select':
      return new Set(op.columns);
    case 'concat': {
      const cols = new Set<number>();
      for (const p of op.parts) {
        const c = readColumns(p);
        if (c === null) return null;
        for (const j of c) cols.add(j);
      }
      return cols;
    }
    case 'pipeline':
      return op.steps.length > 0 ? readColumns(op.steps[0]!) : null;
    case 'multi-output':
    case 'vote':
      return readColumns({ kind: 'concat', parts: op.estimators });
    default:
      return null;
  }
}

/** A multi-output knn classifier: y [n, outputs], each column's class indices within its output's classes. */
function knnOutputs(ctx: Ctx, op: KnnOp, per: readonly number[], path: Path): void {
  const yd = dims(op.y);
  if (yd.length !== 2 || yd[1] !== per.length) fail([...path, 'y'], `y must be [n, ${per.length}] for ${per.length} outputs`);
  const y = ints(ctx, op.y);
  const S = per.length;
  const lo = outputOffsets(per);
  for (let i = 0; i < y.length; i++) {
    const q = i % S;
    if (!(y[i]! >= lo[q]! && y[i]! < lo[q]! + per[q]!)) fail([...path, 'y'], `row ${Math.floor(i / S)}: class index ${y[i]} is not one of output ${q}'s`);
  }
}

/** Runs every semantic check; throws ARTIFACT_INVALID with a JSON path. */
export function validateGraph(ir: ModelIR, tensors: ReadonlyMap<string, IrTensor>): void {
  const ctx: Ctx = { tensors };
  const { input, output } = ir;
  if (input.features.length !== input.n_features) fail(['input', 'features'], `${input.features.length} features for n_features ${input.n_features}`);
  if (input.named && new Set(input.features.map((f) => f.name)).size !== input.n_features) fail(['input', 'features'], 'feature names repeat');
  // `any` accepts text and numbers because nothing reads it: an operator that did would see NaN for text
  if (input.features.some((f) => f.type === 'any')) {
    const read = readColumns(ir.graph);
    const j = input.features.findIndex((f, k) => f.type === 'any' && (read === null || read.has(k)));
    if (j >= 0) fail(['input', 'features', j, 'type'], `feature ${j} is typed any but the graph reads it`);
  }
  const types: ColType[] = input.features.map((f) => (f.type === 'string' ? 'text' : 'num'));
  const { transforms, estimator, path } = splitGraph(ir.graph);
  let t = types;
  transforms.forEach((op, i) => {
    t = transformTypes(ctx, op, t, transforms.length === 1 && op === ir.graph ? ['graph'] : ['graph', 'steps', i]);
  });
  const available = estimator ? estimatorMethods(estimator, output.kind === 'classifier') : (['transform'] as Method[]);
  for (const m of output.methods) if (!available.includes(m)) fail(['output', 'methods'], `method ${m} is not available (have ${available.join(', ')})`);
  if (output.kind === 'transformer') {
    if (estimator) fail(['output', 'kind'], 'a transformer graph must not end with an estimator');
    if (t.length !== output.n_outputs) fail(['output', 'n_outputs'], `graph produces ${t.length} columns, n_outputs is ${output.n_outputs}`);
    if (t.includes('text')) fail(['output'], 'a transformer output column is text');
    return;
  }
  if (!estimator) return fail(['graph'], `a ${output.kind} graph must end with an estimator`);
  if (output.kind === 'classifier' && output.n_classes) {
    // one label per output (a 2-D y): each output's classes in turn
    const per = output.n_classes;
    if (per.reduce((a, b) => a + b, 0) !== output.classes.length) fail(['output', 'n_classes'], `the outputs' ${per.join(' + ')} classes are not the ${output.classes.length} listed`);
    for (let q = 0, at = 0; q < per.length; at += per[q]!, q++) {
      if (new Set(output.classes.slice(at, at + per[q]!)).size !== per[q]) fail(['output', 'classes'], `class labels of output ${q} repeat`);
    }
    if (output.methods.includes('decision_function')) fail(['output', 'methods'], 'a multi-output classifier has no decision_function');
  } else if (output.kind === 'classifier' && new Set(output.classes).size !== output.classes.length) fail(['output', 'classes'], 'class labels repeat');
  if (estimator.kind === 'multi-output') return checkMultiOutput(ctx, estimator, t, path, output);
  if (estimator.kind === 'vote') return checkVote(ctx, estimator, t, path, output);
  const width = estimatorWidth(ctx, estimator, t, path);
  if (output.kind === 'classifier' && output.n_classes) {
    // estimators whose scikit-learn versions take a 2-D y themselves
    const per = output.n_classes;
    const forest = estimator.kind === 'tree-ensemble' && estimator.split === 'sklearn-tree' && estimator.leaf_normalize && estimator.activation.kind === 'identity';
    if (estimator.kind === 'knn' && estimator.task === 'classifier') knnOutputs(ctx, estimator, per, path);
    else if (!forest) fail(path, 'a multi-output classifier needs scikit-learn decision trees, forests or k nearest neighbours (trees: leaf_normalize, identity activation), or one estimator per output');
    if (width !== output.classes.length) fail(['output', 'classes'], `${output.classes.length} classes for an estimator with ${width} outputs`);
    return;
  }
  checkHead(estimator as EstimatorOp, width, output.kind === 'classifier' ? output.classes.length : null, output.kind === 'classifier' ? ['output', 'classes'] : ['output', 'n_outputs'], path);
  if (output.kind !== 'classifier' && width !== output.n_outputs) fail(['output', 'n_outputs'], `estimator produces ${width} outputs, n_outputs is ${output.n_outputs}`);
}

/**
 * An estimator of `width` outputs under a classifier head of k classes (k null: a regressor head):
 * the width fits (a linear or tree binary classifier has one raw column) and the estimator is of the
 * head's kind.
 */
function checkHead(estimator: EstimatorOp, width: number, k: number | null, headPath: Path, path: Path): void {
  if (k !== null) {
    const binaryRaw = (estimator.kind === 'linear' || estimator.kind === 'tree-ensemble' || estimator.kind === 'mlp') && width === 1;
    if (binaryRaw ? k !== 2 : width !== k) fail(headPath, `${k} classes for an estimator with ${width} outputs`);
    if (estimator.kind === 'mlp' && estimator.activation.kind !== (width === 1 ? 'logistic' : 'softmax')) fail([...path, 'activation'], `an MLP classifier with ${width} output columns ends in ${width === 1 ? 'logistic' : 'softmax'}`);
    if (estimator.kind === 'svm' && estimator.task !== 'svc') fail(path, 'a classifier needs an SVC');
    if (estimator.kind === 'knn' && estimator.task !== 'classifier') fail(path, 'a classifier needs a knn classifier');
    if (estimator.kind === 'knn' && dims(estimator.y).length !== 1) fail([...path, 'y'], 'a knn classifier with one output needs y [n]');
  } else {
    if (estimator.kind === 'gaussian-nb') fail(path, 'gaussian-nb is a classifier');
    if (estimator.kind === 'mlp' && estimator.activation.kind !== 'identity') fail([...path, 'activation'], 'an MLP regressor ends in identity');
    if (estimator.kind === 'knn' && estimator.task !== 'regressor') fail(path, 'a regressor needs a knn regressor');
    if (estimator.kind === 'svm' && estimator.task !== 'svr') fail(path, 'a regressor needs an SVR');
  }
}

/** An estimator with its transform steps: `op` itself, or a pipeline's steps before its last (null: no estimator at the end). */
export function splitSub(op: Op, path: Path): { transforms: readonly Op[]; estimator: EstimatorOp | null; path: Path } {
  if (isEstimatorOp(op)) return { transforms: [], estimator: op, path };
  if (op.kind !== 'pipeline' || op.steps.length === 0) return { transforms: [op], estimator: null, path };
  const last = op.steps[op.steps.length - 1]!;
  if (!isEstimatorOp(last)) return { transforms: op.steps, estimator: null, path };
  return { transforms: op.steps.slice(0, -1), estimator: last, path: [...path, 'steps', op.steps.length - 1] };
}

/** An estimator of a composite (multi-output, vote) with its steps, its own kind checked; its width. */
function subEstimator(ctx: Ctx, sub: Op, types: readonly ColType[], at: Path): { estimator: EstimatorOp; width: number; path: Path } {
  const { transforms, estimator, path } = splitSub(sub, at);
  if (!estimator || estimator.kind === 'multi-output' || estimator.kind === 'vote') return fail(at, 'each part needs an estimator of its own (or a pipeline ending in one)');
  let t = types;
  transforms.forEach((tr, i) => {
    t = transformTypes(ctx, tr, t, [...at, 'steps', i]);
  });
  return { estimator, width: estimatorWidth(ctx, estimator, t, path), path };
}

/** vote: every estimator fits the whole head (soft voting: each has predict_proba); weights one per estimator, not summing to 0. */
function checkVote(ctx: Ctx, op: VoteOp, types: readonly ColType[], path: Path, output: ModelIR['output']): void {
  const classifier = output.kind === 'classifier';
  if (classifier ? op.voting === 'mean' : op.voting !== 'mean') fail([...path, 'voting'], `a ${output.kind} votes ${classifier ? 'soft or hard' : 'by the mean'}, not ${op.voting}`);
  if (classifier && output.n_classes) fail(['output', 'n_classes'], 'a vote has one output');
  if (op.weights) {
    if (op.weights.length !== op.estimators.length) fail([...path, 'weights'], `${op.weights.length} weights for ${op.estimators.length} estimators`);
    if (!op.weights.every(Number.isFinite) || op.weights.reduce((a, b) => a + b, 0) === 0) fail([...path, 'weights'], 'weights must be finite and not sum to 0');
  }
  op.estimators.forEach((sub, q) => {
    const { estimator, width, path: ep } = subEstimator(ctx, sub, types, [...path, 'estimators', q]);
    checkHead(estimator, width, classifier ? output.classes.length : null, classifier ? ['output', 'classes'] : ['output', 'n_outputs'], ep);
    if (!classifier && width !== 1) fail(ep, `estimator ${q} gives ${width} values; a vote averages one`);
    if (op.voting === 'soft' && !estimatorMethods(estimator, true).includes('predict_proba')) fail(ep, `estimator ${q} has no predict_proba for soft voting`);
  });
  if (!classifier && output.n_outputs !== 1) fail(['output', 'n_outputs'], `a vote gives one value, n_outputs is ${output.n_outputs}`);
}

/** multi-output: one estimator per output on the same columns, each fitting its output of the head. */
function checkMultiOutput(ctx: Ctx, op: MultiOutputOp, types: readonly ColType[], path: Path, output: ModelIR['output']): void {
  const S = op.estimators.length;
  if (output.kind === 'classifier' && output.n_classes?.length !== S) fail(['output', 'n_classes'], `a multi-output classifier of ${S} estimators needs n_classes for ${S} outputs`);
  if (output.kind !== 'classifier' && output.n_outputs !== S) fail(['output', 'n_outputs'], `${S} estimators, n_outputs is ${output.n_outputs}`);
  op.estimators.forEach((sub, q) => {
    const { estimator, width, path: ep } = subEstimator(ctx, sub, types, [...path, 'estimators', q]);
    checkHead(estimator, width, output.kind === 'classifier' ? output.n_classes![q]! : null, output.kind === 'classifier' ? ['output', 'n_classes', q] : ['output', 'n_outputs'], ep);
    if (output.kind !== 'classifier' && width !== 1) fail(ep, `output ${q}: a multi-output regressor's estimators give one value each, this one ${width}`);
  });
}
