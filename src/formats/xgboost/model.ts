import { MvError, decodeUtf8 } from '../../core/index.js';
import { readJson, toPlain } from '../safetensors/index.js';
import { parseUbjson, type UbValue } from './ubjson.js';

/**
 * XGBoost model documents (formats.md §5.1, §5.3, §5.5): JSON (`save_model('m.json')`), UBJSON
 * (`.ubj`) and the Booster pickle snapshot `{"Config": …, "Model": …}`. Parsed into a validated
 * {@link XgbModel}: all the node arrays of every tree have the node count, children are in range,
 * categorical segments fit. The legacy binary format and multi-output trees are refused.
 */
export interface XgbTree {
  readonly numNodes: number;
  readonly left: ArrayLike<number>;
  readonly right: ArrayLike<number>;
  readonly splitIndex: ArrayLike<number>;
  readonly splitCondition: ArrayLike<number>;
  readonly defaultLeft: ArrayLike<number>;
  readonly splitType: ArrayLike<number>;
  /** Per node: the categories that go RIGHT (categorical nodes only). */
  readonly categories: ReadonlyMap<number, readonly number[]>;
}

export interface XgbModel {
  readonly version: readonly number[];
  readonly objective: string;
  readonly booster: 'gbtree' | 'dart' | 'gblinear';
  readonly numFeature: number;
  /** num_class (0 for regression / binary). */
  readonly numClass: number;
  /** Intercepts as probabilities/values (before ProbToMargin); one per output group, or one shared. */
  readonly baseScore: readonly number[];
  readonly trees: readonly XgbTree[];
  readonly treeInfo: readonly number[];
  /** Trees per class per boosting round (`num_parallel_tree`, random-forest mode). */
  readonly numParallelTree: number;
  /** dart: per-tree weights. */
  readonly weightDrop: readonly number[] | null;
  /** gblinear: weights w[f·G + g] then biases w[F·G + g], length (num_feature + 1)·G. */
  readonly linearWeights: readonly number[] | null;
  readonly featureNames: readonly string[];
  readonly featureTypes: readonly string[];
  readonly attributes: Readonly<Record<string, string>>;
}

type Obj = { readonly [k: string]: unknown };
type Path = (string | number)[];

const fail = (path: Path, msg: string): never => {
  throw new MvError('XGB_MODEL_INVALID', msg, { path });
};

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v);

function obj(v: unknown, path: Path): Obj {
  if (!isObj(v)) fail(path, 'expected an object');
  return v as Obj;
}

function field(o: Obj, k: string, path: Path): unknown {
  if (!Object.hasOwn(o, k)) fail([...path, k], `missing field ${k}`);
  return o[k];
}

function str(v: unknown, path: Path): string {
  if (typeof v !== 'string') fail(path, 'expected a string');
  return v as string;
}

function nums(v: unknown, path: Path, n?: number): ArrayLike<number> {
  let out: ArrayLike<number>;
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) out = v as unknown as ArrayLike<number>;
  else if (Array.isArray(v) && v.every((x) => typeof x === 'number')) out = v as number[];
  else return fail(path, 'expected an array of numbers');
  if (n !== undefined && out.length !== n) fail(path, `expected ${n} entries, found ${out.length}`);
  return out;
}

/** A number written as a string ("5E-1", "3"), as XGBoost stores its parameters. */
function numStr(v: unknown, path: Path): number {
  const s = str(v, path).trim();
  if (!/^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/.test(s)) fail(path, `not a number: ${JSON.stringify(s)}`);
  return Number(s);
}

function intStr(v: unknown, path: Path): number {
  const n = numStr(v, path);
  if (!Number.isSafeInteger(n) || n < 0) fail(path, `not a non-negative integer: ${String(v)}`);
  return n;
}

/** base_score: "5E-1" (≤ 3.0) or the 3.1+ array string "[5E-1]" / "[v0,v1,…]". */
function baseScores(v: unknown, path: Path): number[] {
  const s = str(v, path).trim();
  if (s.startsWith('[')) {
    if (!s.endsWith(']')) fail(path, `bad base_score ${s}`);
    return s.slice(1, -1).split(',').map((x, i) => numStr(x, [...path, i]));
  }
  return [numStr(s, path)];
}

function parseTree(t: unknown, numFeature: number, path: Path): XgbTree {
  const o = obj(t, path);
  const tp = obj(field(o, 'tree_param', path), [...path, 'tree_param']);
  const n = intStr(field(tp, 'num_nodes', [...path, 'tree_param']), [...path, 'tree_param', 'num_nodes']);
  if (Object.hasOwn(tp, 'size_leaf_vector') && intStr(tp.size_leaf_vector, [...path, 'tree_param', 'size_leaf_vector']) > 1) {
    fail([...path, 'tree_param', 'size_leaf_vector'], 'multi-output trees (size_leaf_vector > 1) are not supported');
  }
  if (n < 1) fail([...path, 'tree_param', 'num_nodes'], 'a tree needs at least one node');
  const left = nums(field(o, 'left_children', path), [...path, 'left_children'], n);
  const right = nums(field(o, 'right_children', path), [...path, 'right_children'], n);
  const splitIndex = nums(field(o, 'split_indices', path), [...path, 'split_indices'], n);
  const splitCondition = nums(field(o, 'split_conditions', path), [...path, 'split_conditions'], n);
  const defaultLeft = nums(field(o, 'default_left', path), [...path, 'default_left'], n);
  const splitType = Object.hasOwn(o, 'split_type') ? nums(o.split_type, [...path, 'split_type'], n) : new Uint8Array(n);
  for (let k = 0; k < n; k++) {
    const l = left[k]!;
    const r = right[k]!;
    if (l === -1) continue;
    if (!(Number.isInteger(l) && Number.isInteger(r) && l > 0 && l < n && r > 0 && r < n)) fail([...path, 'left_children', k], `node ${k} has children ${l}, ${r} outside 1..${n - 1}`);
    const f = splitIndex[k]!;
    if (!(Number.isInteger(f) && f >= 0 && f < numFeature)) fail([...path, 'split_indices', k], `node ${k} splits on feature ${f} of ${numFeature}`);
    if (splitType[k] !== 0 && splitType[k] !== 1) fail([...path, 'split_type', k], `unknown split type ${splitType[k]}`);
  }
  const categories = new Map<number, number[]>();
  const nodes = Object.hasOwn(o, 'categories_nodes') ? nums(o.categories_nodes, [...path, 'categories_nodes']) : [];
  if (nodes.length > 0) {
    const cats = nums(field(o, 'categories', path), [...path, 'categories']);
    const seg = nums(field(o, 'categories_segments', path), [...path, 'categories_segments'], nodes.length);
    const size = nums(field(o, 'categories_sizes', path), [...path, 'categories_sizes'], nodes.length);
    for (let k = 0; k < nodes.length; k++) {
      const node = nodes[k]!;
      const s = seg[k]!;
      const z = size[k]!;
      if (!(Number.isInteger(node) && node >= 0 && node < n) || splitType[node] !== 1) fail([...path, 'categories_nodes', k], `categories for node ${node}, which is not a categorical split`);
      if (!(Number.isInteger(s) && Number.isInteger(z) && s >= 0 && z >= 0 && s + z <= cats.length)) fail([...path, 'categories_segments', k], 'category segment out of range');
      const list = Array.from({ length: z }, (_, q) => cats[s + q]!);
      if (list.some((c) => !(Number.isInteger(c) && c >= 0 && c < 16777216))) fail([...path, 'categories'], 'categories must be integers in [0, 2^24)');
      categories.set(node, list);
    }
  }
  for (let k = 0; k < n; k++) if (splitType[k] === 1 && left[k] !== -1 && !categories.has(k)) fail([...path, 'split_type', k], `categorical node ${k} has no categories`);
  return { numNodes: n, left, right, splitIndex, splitCondition, defaultLeft, splitType, categories };
}

/** Validates a model document (the `Model` part of a snapshot, or a saved model). */
export function readXgboostDocument(doc: unknown): XgbModel {
  let root = obj(doc, []);
  if (Object.hasOwn(root, 'Model') && Object.hasOwn(root, 'Config')) root = obj(root.Model, ['Model']);
  const learner = obj(field(root, 'learner', []), ['learner']);
  const version = Object.hasOwn(root, 'version') ? Array.from(nums(root.version, ['version'])) : [];
  const lmp = obj(field(learner, 'learner_model_param', ['learner']), ['learner', 'learner_model_param']);
  const numFeature = intStr(field(lmp, 'num_feature', ['learner_model_param']), ['learner', 'learner_model_param', 'num_feature']);
  const numClass = Object.hasOwn(lmp, 'num_class') ? intStr(lmp.num_class, ['learner', 'learner_model_param', 'num_class']) : 0;
  if (Object.hasOwn(lmp, 'num_target') && intStr(lmp.num_target, ['learner', 'learner_model_param', 'num_target']) > 1) {
    fail(['learner', 'learner_model_param', 'num_target'], 'multi-target models are not supported');
  }
  const baseScore = baseScores(field(lmp, 'base_score', ['learner_model_param']), ['learner', 'learner_model_param', 'base_score']);
  const objective = str(field(obj(field(learner, 'objective', ['learner']), ['learner', 'objective']), 'name', ['learner', 'objective']), ['learner', 'objective', 'name']);
  let gb = obj(field(learner, 'gradient_booster', ['learner']), ['learner', 'gradient_booster']);
  const name = str(field(gb, 'name', ['learner', 'gradient_booster']), ['learner', 'gradient_booster', 'name']);
  let weightDrop: number[] | null = null;
  const groups = Math.max(1, numClass);
  if (name === 'gblinear') {
    const lm = obj(field(gb, 'model', ['learner', 'gradient_booster']), ['learner', 'gradient_booster', 'model']);
    const w = Array.from(nums(field(lm, 'weights', ['learner', 'gradient_booster', 'model']), ['learner', 'gradient_booster', 'model', 'weights'], (numFeature + 1) * groups));
    if (baseScore.length !== 1 && baseScore.length !== groups) fail(['learner', 'learner_model_param', 'base_score'], `${baseScore.length} base scores for ${groups} groups`);
    return { version, objective, booster: 'gblinear', numFeature, numClass, baseScore, trees: [], treeInfo: [], numParallelTree: 1, weightDrop: null, linearWeights: w, ...namesAndAttributes(learner, numFeature) };
  }
  if (name === 'dart') {
    weightDrop = Array.from(nums(field(gb, 'weight_drop', ['learner', 'gradient_booster']), ['learner', 'gradient_booster', 'weight_drop']));
    gb = obj(field(gb, 'gbtree', ['learner', 'gradient_booster']), ['learner', 'gradient_booster', 'gbtree']);
  } else if (name !== 'gbtree') fail(['learner', 'gradient_booster', 'name'], `booster ${JSON.stringify(name)} is not supported (gbtree, dart and gblinear are)`);
  const mp: Path = ['learner', 'gradient_booster', 'model'];
  const model = obj(field(gb, 'model', mp.slice(0, -1)), mp);
  // 3.1+: `cats` re-codes categories before prediction (string categories from DataFrames); refuse rather than mis-route
  if (Object.hasOwn(model, 'cats')) {
    const cats = model.cats;
    const used = isObj(cats) && Object.values(cats).some((v) => (Array.isArray(v) || ArrayBuffer.isView(v) ? (v as ArrayLike<unknown>).length > 0 : isObj(v) && Object.keys(v).length > 0));
    if (used) fail([...mp, 'cats'], 'category re-coding (gbtree "cats", XGBoost 3.1+) is not supported');
  }
  const rawTrees = field(model, 'trees', mp);
  if (!Array.isArray(rawTrees)) return fail([...mp, 'trees'], 'trees must be an array');
  const trees = rawTrees.map((t, k) => parseTree(t, numFeature, [...mp, 'trees', k]));
  const treeInfo = Array.from(nums(field(model, 'tree_info', mp), [...mp, 'tree_info'], trees.length));
  const gmp = Object.hasOwn(model, 'gbtree_model_param') ? obj(model.gbtree_model_param, [...mp, 'gbtree_model_param']) : {};
  const numParallelTree = Object.hasOwn(gmp, 'num_parallel_tree') ? intStr(gmp.num_parallel_tree, [...mp, 'gbtree_model_param', 'num_parallel_tree']) : 1;
  if (numParallelTree < 1 || trees.length % (numParallelTree * groups) !== 0) fail([...mp, 'trees'], `${trees.length} trees is not a whole number of rounds of ${numParallelTree * groups}`);
  treeInfo.forEach((g, k) => {
    if (!(Number.isInteger(g) && g >= 0 && g < groups)) fail([...mp, 'tree_info', k], `tree ${k} is in group ${g} of ${groups}`);
  });
  if (weightDrop && weightDrop.length !== trees.length) fail(['learner', 'gradient_booster', 'weight_drop'], `${weightDrop.length} weights for ${trees.length} trees`);
  if (baseScore.length !== 1 && baseScore.length !== groups) fail(['learner', 'learner_model_param', 'base_score'], `${baseScore.length} base scores for ${groups} groups`);
  return { version, objective, booster: name as 'gbtree' | 'dart', numFeature, numClass, baseScore, trees, treeInfo, numParallelTree, weightDrop, linearWeights: null, ...namesAndAttributes(learner, numFeature) };
}

function namesAndAttributes(learner: Obj, numFeature: number): Pick<XgbModel, 'featureNames' | 'featureTypes' | 'attributes'> {
  const featureNames = Object.hasOwn(learner, 'feature_names') ? (learner.feature_names as unknown[]) : [];
  const featureTypes = Object.hasOwn(learner, 'feature_types') ? (learner.feature_types as unknown[]) : [];
  for (const [k, list] of [['feature_names', featureNames], ['feature_types', featureTypes]] as const) {
    if (!Array.isArray(list) || list.some((s) => typeof s !== 'string')) fail(['learner', k], `${k} must be a list of strings`);
    if (list.length !== 0 && list.length !== numFeature) fail(['learner', k], `${list.length} ${k} for ${numFeature} features`);
  }
  const attributes: Record<string, string> = {};
  if (Object.hasOwn(learner, 'attributes')) {
    for (const [k, v] of Object.entries(obj(learner.attributes, ['learner', 'attributes']))) if (typeof v === 'string') attributes[k] = v;
  }
  return { featureNames: featureNames as string[], featureTypes: featureTypes as string[], attributes };
}

/**
 * Parses an XGBoost model file or Booster snapshot: JSON when it starts with `{` followed by JSON
 * (whitespace, `"` or `}`), UBJSON when `{` is followed by a UBJSON key length marker. A leading
 * `binf` or anything else is the legacy binary format, which is refused.
 */
export function parseXgboostModel(bytes: Uint8Array): XgbModel {
  let i = 0;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09)) i++;
  if (bytes[i] !== 0x7b) throw new MvError('XGB_MODEL_INVALID', 'not an XGBoost JSON/UBJSON model (legacy binary models are not supported: re-save with save_model("m.json"))', { offset: i });
  const next = bytes[i + 1];
  let doc: unknown;
  if (next !== undefined && 'iUIlL$#'.includes(String.fromCharCode(next))) doc = parseUbjson(bytes) as UbValue;
  else {
    const { value } = readJson(decodeUtf8(bytes, 'XGB_MODEL_INVALID'), { code: 'XGB_MODEL_INVALID', duplicateCode: 'XGB_MODEL_INVALID', maxDepth: 64, allowNonFinite: true });
    doc = toPlain(value);
  }
  return readXgboostDocument(doc);
}
