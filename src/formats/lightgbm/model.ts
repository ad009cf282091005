import { MvError, decodeUtf8 } from '../../core/index.js';

/**
 * Strict reader of LightGBM text models (`model.txt`, `save_model`, `model_to_string`;
 * formats.md §6; LightGBM `src/boosting/gbdt_model_text.cpp`, `src/io/tree.cpp`). Everything after
 * `end of trees` (feature importances, parameters, pandas_categorical) is informational and not read.
 * Every tree is checked: array lengths against num_leaves, children in range, features in range,
 * categorical boundaries consistent, linear-leaf coefficients consistent.
 */
export interface LgbmTree {
  readonly numLeaves: number;
  readonly numCat: number;
  readonly splitFeature: readonly number[];
  readonly threshold: readonly number[];
  readonly decisionType: readonly number[];
  readonly leftChild: readonly number[];
  readonly rightChild: readonly number[];
  readonly leafValue: readonly number[];
  readonly catBoundaries: readonly number[];
  readonly catThreshold: readonly number[];
  readonly isLinear: boolean;
  readonly leafConst: readonly number[];
  /** Per leaf: the features and coefficients of its linear model. */
  readonly leafFeatures: readonly (readonly number[])[];
  readonly leafCoeff: readonly (readonly number[])[];
  readonly shrinkage: number;
}

export interface LgbmObjective {
  readonly name: string;
  /** `key:value` parameters (e.g. sigmoid:1, num_class:3) and bare flags (e.g. sqrt → ''). */
  readonly params: Readonly<Record<string, string>>;
}

export interface LgbmModel {
  readonly version: string;
  readonly numClass: number;
  readonly numTreePerIteration: number;
  readonly maxFeatureIdx: number;
  readonly objective: LgbmObjective | null;
  readonly averageOutput: boolean;
  readonly featureNames: readonly string[];
  readonly featureInfos: readonly string[];
  readonly trees: readonly LgbmTree[];
}

const fail = (line: number, msg: string): never => {
  throw new MvError('LGBM_MODEL_INVALID', `line ${line}: ${msg}`, { path: ['line', line] });
};

const INT_RE = /^[+-]?[0-9]+$/;
const FLOAT_RE = /^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;

function parseFloatStrict(s: string, line: number): number {
  if (FLOAT_RE.test(s)) return Number(s);
  if (/^[+]?inf$/i.test(s)) return Infinity;
  if (/^-inf$/i.test(s)) return -Infinity;
  return fail(line, `not a number: ${JSON.stringify(s)}`);
}

function parseIntStrict(s: string, line: number): number {
  if (!INT_RE.test(s)) fail(line, `not an integer: ${JSON.stringify(s)}`);
  const n = Number(s);
  if (!Number.isSafeInteger(n)) fail(line, `integer out of range: ${s}`);
  return n;
}

const splitList = (s: string): string[] => s.split(/\s+/).filter((x) => x !== '');

interface Block {
  readonly start: number;
  readonly kv: Map<string, { value: string; line: number }>;
  readonly flags: Set<string>;
}

/** key=value lines (and bare flag lines), rejecting repeated keys. */
function readBlock(lines: readonly string[], from: number, to: number): Block {
  const kv = new Map<string, { value: string; line: number }>();
  const flags = new Set<string>();
  for (let i = from; i < to; i++) {
    const l = lines[i]!.trim();
    if (l === '') continue;
    const eq = l.indexOf('=');
    if (eq < 0) {
      flags.add(l);
      continue;
    }
    const k = l.slice(0, eq);
    if (kv.has(k)) fail(i + 1, `repeated key ${k}`);
    kv.set(k, { value: l.slice(eq + 1), line: i + 1 });
  }
  return { start: from + 1, kv, flags };
}

const TREE_KEYS = new Set([
  'num_leaves', 'num_cat', 'split_feature', 'split_gain', 'threshold', 'decision_type', 'left_child', 'right_child', 'leaf_value',
  'leaf_weight', 'leaf_count', 'internal_value', 'internal_weight', 'internal_count', 'cat_boundaries', 'cat_threshold', 'is_linear',
  'leaf_const', 'num_features', 'leaf_features', 'leaf_coeff', 'shrinkage',
]);

function parseTree(b: Block, nFeatures: number): LgbmTree {
  const line = b.start;
  for (const k of b.kv.keys()) if (!TREE_KEYS.has(k)) fail(b.kv.get(k)!.line, `unknown tree field ${k}`);
  if (b.flags.size) fail(line, `unexpected line ${JSON.stringify([...b.flags][0])} in a tree`);
  const get = (k: string, required: boolean): { value: string; line: number } | undefined => {
    const v = b.kv.get(k);
    if (!v && required) fail(line, `tree is missing ${k}`);
    return v;
  };
  const ints = (k: string, n: number | null, required = true): number[] => {
    const v = get(k, required);
    if (!v) return [];
    const out = splitList(v.value).map((s) => parseIntStrict(s, v.line));
    if (n !== null && out.length !== n) fail(v.line, `${k} has ${out.length} values, expected ${n}`);
    return out;
  };
  const floats = (k: string, n: number | null, required = true): number[] => {
    const v = get(k, required);
    if (!v) return [];
    const out = splitList(v.value).map((s) => parseFloatStrict(s, v.line));
    if (n !== null && out.length !== n) fail(v.line, `${k} has ${out.length} values, expected ${n}`);
    return out;
  };
  const L = ints('num_leaves', 1)[0]!;
  if (L < 1) fail(get('num_leaves', true)!.line, 'num_leaves must be at least 1');
  const numCat = b.kv.has('num_cat') ? ints('num_cat', 1)[0]! : 0;
  const leafValue = floats('leaf_value', L);
  const I = L - 1;
  const inner = I > 0;
  const splitFeature = inner ? ints('split_feature', I) : [];
  const threshold = inner ? floats('threshold', I) : [];
  const decisionType = inner ? ints('decision_type', I, false) : [];
  const dt = decisionType.length ? decisionType : new Array<number>(I).fill(0);
  const leftChild = inner ? ints('left_child', I) : [];
  const rightChild = inner ? ints('right_child', I) : [];
  const catBoundaries = numCat > 0 ? ints('cat_boundaries', numCat + 1) : [];
  const catThreshold = numCat > 0 ? ints('cat_threshold', null) : [];
  if (numCat < 0) fail(line, 'num_cat is negative');
  if (numCat > 0) {
    if (catBoundaries[0] !== 0 || catBoundaries[numCat] !== catThreshold.length) fail(line, 'cat_boundaries must run from 0 to the length of cat_threshold');
    for (let c = 1; c <= numCat; c++) if (catBoundaries[c]! < catBoundaries[c - 1]!) fail(line, 'cat_boundaries must not decrease');
    if (catThreshold.some((w) => w < 0 || w > 0xffffffff)) fail(line, 'cat_threshold words must be uint32');
  }
  for (let n = 0; n < I; n++) {
    for (const c of [leftChild[n]!, rightChild[n]!]) {
      if (c >= 0 ? c >= I || c === 0 : ~c >= L) fail(line, `node ${n} has child ${c} outside the tree`);
    }
    if (!(splitFeature[n]! >= 0 && splitFeature[n]! < nFeatures)) fail(line, `node ${n} splits on feature ${splitFeature[n]} of ${nFeatures}`);
    if (dt[n]! < 0 || dt[n]! > 255) fail(line, `decision_type ${dt[n]} out of range`);
    if (dt[n]! & 1) {
      const ci = threshold[n]!;
      if (!(Number.isInteger(ci) && ci >= 0 && ci < numCat)) fail(line, `categorical node ${n} refers to category set ${ci} of ${numCat}`);
    } else if (((dt[n]! >> 2) & 3) === 3) fail(line, `node ${n} has unknown missing type 3`);
  }
  const isLinear = b.kv.has('is_linear') ? ints('is_linear', 1)[0] === 1 : false;
  let leafConst: number[] = [];
  let leafFeatures: number[][] = [];
  let leafCoeff: number[][] = [];
  if (isLinear) {
    leafConst = floats('leaf_const', L);
    const counts = ints('num_features', L);
    const feats = ints('leaf_features', null, false);
    const coeffs = floats('leaf_coeff', null, false);
    const total = counts.reduce((a, c) => a + c, 0);
    if (counts.some((c) => c < 0) || feats.length !== total || coeffs.length !== total) fail(line, `linear leaves: ${feats.length} features and ${coeffs.length} coefficients for num_features summing to ${total}`);
    if (feats.some((f) => f < 0 || f >= nFeatures)) fail(line, 'linear leaf feature out of range');
    let o = 0;
    leafFeatures = counts.map((c) => feats.slice(o, (o += c)));
    o = 0;
    leafCoeff = counts.map((c) => coeffs.slice(o, (o += c)));
  }
  const shrinkage = b.kv.has('shrinkage') ? floats('shrinkage', 1)[0]! : 1;
  return { numLeaves: L, numCat, splitFeature, threshold, decisionType: dt, leftChild, rightChild, leafValue, catBoundaries, catThreshold, isLinear, leafConst, leafFeatures, leafCoeff, shrinkage };
}

function parseObjective(s: string): LgbmObjective {
  const [name, ...rest] = splitList(s);
  const params: Record<string, string> = {};
  for (const p of rest) {
    const c = p.indexOf(':');
    if (c < 0) params[p] = '';
    else params[p.slice(0, c)] = p.slice(c + 1);
  }
  return { name: name ?? '', params };
}

/** Parses a LightGBM text model. Accepts a string or UTF-8 bytes. */
export function parseLightgbmModel(input: string | Uint8Array): LgbmModel {
  const text = typeof input === 'string' ? input : decodeUtf8(input, 'LGBM_MODEL_INVALID');
  const lines = text.split(/\r?\n/);
  if (lines[0]?.trim() !== 'tree') fail(1, 'a LightGBM text model starts with the line "tree"');
  const treeStarts: number[] = [];
  let end = -1;
  for (let i = 1; i < lines.length; i++) {
    const l = lines[i]!.trim();
    if (/^Tree=/.test(l)) {
      if (l !== `Tree=${treeStarts.length}`) fail(i + 1, `expected Tree=${treeStarts.length}, found ${l}`);
      treeStarts.push(i);
    } else if (l === 'end of trees') {
      end = i;
      break;
    }
  }
  if (end < 0) fail(lines.length, 'missing "end of trees"');
  const header = readBlock(lines, 1, treeStarts[0] ?? end);
  const h = (k: string, required = true): { value: string; line: number } | undefined => {
    const v = header.kv.get(k);
    if (!v && required) fail(1, `header is missing ${k}`);
    return v;
  };
  const hInt = (k: string): number => {
    const v = h(k)!;
    return parseIntStrict(v.value.trim(), v.line);
  };
  const version = h('version')!.value.trim();
  if (!/^v[234]$/.test(version)) fail(h('version')!.line, `unsupported model version ${version}`);
  const numClass = hInt('num_class');
  const numTreePerIteration = hInt('num_tree_per_iteration');
  const maxFeatureIdx = hInt('max_feature_idx');
  if (numClass < 1 || numTreePerIteration < 1 || maxFeatureIdx < 0) fail(1, 'num_class, num_tree_per_iteration and max_feature_idx must be positive');
  const nFeatures = maxFeatureIdx + 1;
  const obj = h('objective', false);
  const objective = obj ? parseObjective(obj.value) : null;
  const featureNames = splitList(h('feature_names')!.value);
  if (featureNames.length !== nFeatures) fail(h('feature_names')!.line, `${featureNames.length} feature names for max_feature_idx ${maxFeatureIdx}`);
  const fi = h('feature_infos', false);
  const featureInfos = fi ? splitList(fi.value) : [];
  if (fi && featureInfos.length !== nFeatures) fail(fi.line, `${featureInfos.length} feature_infos for ${nFeatures} features`);
  const trees = treeStarts.map((s, k) => parseTree(readBlock(lines, s + 1, treeStarts[k + 1] ?? end), nFeatures));
  if (trees.length % numTreePerIteration !== 0) fail(end + 1, `${trees.length} trees is not a multiple of num_tree_per_iteration ${numTreePerIteration}`);
  const sizes = h('tree_sizes', false);
  if (sizes && splitList(sizes.value).length !== trees.length) fail(sizes.line, `tree_sizes lists ${splitList(sizes.value).length} trees, the file has ${trees.length}`);
  return { version, numClass, numTreePerIteration, maxFeatureIdx, objective, averageOutput: header.flags.has('average_output'), featureNames, featureInfos, trees };
}
