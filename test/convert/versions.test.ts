/**
 * Layouts of scikit-learn versions other than 1.2.1 (formats.md §4.10), built by editing parsed
 * 1.2.1 graphs the way the other version would have pickled them: the ≥ 1.3 64-byte Tree node with
 * missing_go_to_left, ≥ 1.4 fraction-valued classifier trees, ≥ 1.3 HGB nodes with intp
 * feature_idx, ≥ 1.4 `sklearn._loss.loss` GradientBoosting losses with the symmetric multinomial
 * init, ≤ 1.1 `sparse`, ≤ 1.0 SGD 'log', ≥ 1.5 multi_class='deprecated', old HGB baseline shapes.
 */
import { describe, expect, it } from 'vitest';
import { convertGraph } from '../../src/convert/index.js';
import type { DType, NdArray, PyDict, PyObject, PyValue } from '../../src/formats/pickle/index.js';
import { encodeArtifact, loadModel, predict, type Cell, type Method, type Model } from '../../src/runtime/index.js';
import { compare, listExpected, loadGraph, type Expected } from './fixtures.js';

const OPTS = { sourceSha256: '0'.repeat(64), created: '2026-01-01T00:00:00Z' };
const EXPECTED = new Map(listExpected().map((e) => [e.name, e]));

async function fixture(name: string): Promise<{ e: Expected; value: PyValue }> {
  const e = EXPECTED.get(name)!;
  const { value } = await loadGraph(e.file);
  return { e, value };
}

function toModel(value: PyValue): Model {
  const c = convertGraph(value, OPTS);
  return loadModel(encodeArtifact(c.ir, c.tensors, c.ir.provenance));
}

function expectSame(e: Expected, model: Model, methods = Object.keys(e.outputs)): void {
  for (const m of methods) compare(e, m, predict(model, e.input as Cell[][], { method: m as Method }), e.outputs[m as keyof Expected['outputs']]);
}

// ── graph editing helpers ───────────────────────────────────────────────────────────────────────

const stateOf = (v: PyValue): PyDict => (v as PyObject).state as PyDict;
function get(v: PyValue, key: string): PyValue {
  const d = stateOf(v);
  const i = d.keys.indexOf(key);
  if (i < 0) throw new Error(`no ${key}`);
  return d.values[i]!;
}
function set(v: PyValue, key: string, value: PyValue): void {
  const d = stateOf(v);
  const i = d.keys.indexOf(key);
  if (i < 0) {
    d.keys.push(key);
    d.values.push(value);
  } else d.values[i] = value;
}
function rename(v: PyValue, from: string, to: string): void {
  const d = stateOf(v);
  const i = d.keys.indexOf(from);
  if (i < 0) throw new Error(`no ${from}`);
  d.keys[i] = to;
}
const dt = (char: string, itemsize: number): DType => ({
  kind: 'dtype', char, itemsize, byteorder: itemsize === 1 ? '|' : '<', str: `${itemsize === 1 ? '|' : '<'}${char}${itemsize}`,
});

/** Re-lays a structured array: fields by name in a new order/offsets/itemsize; `extra` fields filled by `fill`. */
function relayout(a: NdArray, fields: { name: string; dtype: DType; offset: number }[], itemsize: number, fill: (name: string, row: number) => number = () => 0): NdArray {
  const n = a.shape[0]!;
  const out = new Uint8Array(n * itemsize);
  const src = new DataView(a.data!.buffer, a.data!.byteOffset, a.data!.byteLength);
  const dst = new DataView(out.buffer);
  for (const f of fields) {
    const old = a.dtype.fields!.find((x) => x.name === f.name);
    for (let r = 0; r < n; r++) {
      let v: number;
      if (old) {
        const o = r * a.dtype.itemsize + old.offset;
        v = old.dtype.char === 'f' ? src.getFloat64(o, true) : old.dtype.itemsize === 8 ? Number(src.getBigInt64(o, true)) : old.dtype.itemsize === 4 ? src.getUint32(o, true) : src.getUint8(o);
      } else v = fill(f.name, r);
      const o = r * itemsize + f.offset;
      if (f.dtype.char === 'f') dst.setFloat64(o, v, true);
      else if (f.dtype.itemsize === 8) dst.setBigInt64(o, BigInt(v), true);
      else if (f.dtype.itemsize === 4) dst.setUint32(o, v, true);
      else dst.setUint8(o, v);
    }
  }
  const dtype: DType = { kind: 'dtype', char: 'V', itemsize, byteorder: '|', fields, str: `|V${itemsize}` };
  return { ...a, dtype, data: out };
}

/** The ≥ 1.3 Tree node (C struct, aligned, 64 bytes on 64-bit) with missing_go_to_left at 56. */
function tree13(nodes: NdArray, missingLeft: (row: number) => number): NdArray {
  const i8 = dt('i', 8);
  const f8 = dt('f', 8);
  return relayout(nodes, [
    { name: 'left_child', dtype: i8, offset: 0 },
    { name: 'right_child', dtype: i8, offset: 8 },
    { name: 'feature', dtype: i8, offset: 16 },
    { name: 'threshold', dtype: f8, offset: 24 },
    { name: 'impurity', dtype: f8, offset: 32 },
    { name: 'n_node_samples', dtype: i8, offset: 40 },
    { name: 'weighted_n_node_samples', dtype: f8, offset: 48 },
    { name: 'missing_go_to_left', dtype: dt('u', 1), offset: 56 },
  ], 64, (_n, r) => missingLeft(r));
}

describe('scikit-learn layouts of other versions', () => {
  it('Tree ≥ 1.3: 64-byte aligned node with missing_go_to_left (read by field name)', async () => {
    const { e, value } = await fixture('decision_tree_classifier');
    const tree = get(value, 'tree_');
    const nodes = get(tree, 'nodes') as NdArray;
    expect(nodes.dtype.itemsize).toBe(56);
    set(tree, 'nodes', tree13(nodes, () => 1));
    set(value, '_sklearn_version', '1.3.2');
    const model = toModel(value);
    expectSame(e, model);
    expect(model.ir.input.features.every((f) => f.missing)).toBe(true);
    // NaN follows missing_go_to_left = 1: the same leaf as a value below every threshold.
    const nan = predict(model, [[NaN, 0.5, NaN, 0.1]], { method: 'predict_proba' });
    const low = predict(model, [[-1e30, 0.5, -1e30, 0.1]], { method: 'predict_proba' });
    expect(Array.from(nan.data as Float64Array)).toEqual(Array.from(low.data as Float64Array));
  });

  it('Tree ≥ 1.3: missing_go_to_left = 0 sends NaN right', async () => {
    const { value } = await fixture('decision_tree_regressor');
    const tree = get(value, 'tree_');
    set(tree, 'nodes', tree13(get(tree, 'nodes') as NdArray, () => 0));
    const model = toModel(value);
    const nan = predict(model, [[NaN, NaN, NaN, NaN]]);
    const high = predict(model, [[1e30, 1e30, 1e30, 1e30]]);
    expect(Array.from(nan.data as Float64Array)).toEqual(Array.from(high.data as Float64Array));
  });

  it('Tree ≥ 1.4: classifier values as fractions instead of weighted counts', async () => {
    const { e, value } = await fixture('random_forest_classifier');
    for (const est of (get(value, 'estimators_') as { items: PyValue[] }).items) {
      const values = get(get(est, 'tree_'), 'values') as NdArray;
      const [n, , k] = values.shape as [number, number, number];
      const f = new Float64Array(values.data!.buffer.slice(values.data!.byteOffset, values.data!.byteOffset + values.data!.byteLength));
      for (let r = 0; r < n; r++) {
        let s = 0;
        for (let c = 0; c < k; c++) s += f[r * k + c]!;
        for (let c = 0; c < k; c++) f[r * k + c] = f[r * k + c]! / s;
      }
      set(get(est, 'tree_'), 'values', { ...values, data: new Uint8Array(f.buffer) });
    }
    expectSame(e, toModel(value));
  });

  it('Tree ≥ 1.4, multi-output: each output\'s values as fractions', async () => {
    const { e, value } = await fixture('extra_trees_classifier_multi');
    for (const est of (get(value, 'estimators_') as { items: PyValue[] }).items) {
      const values = get(get(est, 'tree_'), 'values') as NdArray;
      const [n, o, k] = values.shape as [number, number, number];
      expect(o).toBe(3);
      const f = new Float64Array(values.data!.buffer.slice(values.data!.byteOffset, values.data!.byteOffset + values.data!.byteLength));
      for (let r = 0; r < n * o; r++) {
        let s = 0;
        for (let c = 0; c < k; c++) s += f[r * k + c]!;
        for (let c = 0; c < k; c++) f[r * k + c] = f[r * k + c]! / s;
      }
      set(get(est, 'tree_'), 'values', { ...values, data: new Uint8Array(f.buffer) });
    }
    expectSame(e, toModel(value));
  });

  it('HGB ≥ 1.3: node feature_idx as intp (56-byte record)', async () => {
    const { e, value } = await fixture('hgb_regressor_categorical');
    for (const it of (get(value, '_predictors') as { items: PyValue[] }).items) {
      for (const p of (it as { items: PyValue[] }).items) {
        const nodes = get(p, 'nodes') as NdArray;
        expect(nodes.dtype.itemsize).toBe(52);
        let off = 0;
        const fields = nodes.dtype.fields!.map((f) => {
          const d = f.name === 'feature_idx' ? dt('i', 8) : f.dtype;
          const r = { name: f.name, dtype: d, offset: off };
          off += d.itemsize;
          return r;
        });
        expect(off).toBe(56);
        set(p, 'nodes', relayout(nodes, fields, 56));
      }
    }
    expectSame(e, toModel(value));
  });

  it('HGB ≤ 1.0: _baseline_prediction shaped (K, 1)', async () => {
    const { e, value } = await fixture('hgb_classifier_binary');
    const b = get(value, '_baseline_prediction') as NdArray;
    set(value, '_baseline_prediction', { ...b, shape: [b.shape[1]!, b.shape[0]!] });
    expectSame(e, toModel(value));
  });

  it('GradientBoosting ≥ 1.4: sklearn._loss.loss losses, symmetric multinomial init', async () => {
    const { e, value } = await fixture('gb_classifier_multiclass');
    const loss = get(value, '_loss') as PyObject;
    set(value, '_loss', { ...loss, cls: { kind: 'global', module: 'sklearn._loss.loss', name: 'HalfMultinomialLoss', at: 0 } });
    const model = toModel(value);
    // Softmax is shift-invariant: probabilities and labels are unchanged …
    expectSame(e, model, ['predict', 'predict_proba']);
    // … and raw scores move by mean_k log p_k of the prior.
    const prior = Array.from(new Float64Array((get(get(value, 'init_'), 'class_prior_') as NdArray).data!.slice().buffer));
    const shift = prior.reduce((a, p) => a + Math.log(Math.min(Math.max(p, 2 ** -23), 1 - 2 ** -23)), 0) / prior.length;
    const want = (e.outputs.decision_function as number[][]).map((r) => r.map((v) => v - shift));
    compare(e, 'decision_function', predict(model, e.input as Cell[][], { method: 'decision_function' }), want);
  });

  it('GradientBoosting ≥ 1.4: HuberLoss regression', async () => {
    const { e, value } = await fixture('gb_regressor_huber');
    const loss = get(value, '_loss') as PyObject;
    set(value, '_loss', { ...loss, cls: { kind: 'global', module: 'sklearn._loss.loss', name: 'HuberLoss', at: 0 } });
    expectSame(e, toModel(value));
  });

  it('forests ≤ 1.1: base_estimator_ instead of estimator_ (not read)', async () => {
    const { e, value } = await fixture('random_forest_classifier');
    const d = stateOf(value);
    const i = d.keys.indexOf('estimator_') >= 0 ? d.keys.indexOf('estimator_') : d.keys.indexOf('_estimator');
    if (i >= 0) d.keys[i] = 'base_estimator_';
    expectSame(e, toModel(value));
  });

  it('OneHotEncoder ≤ 1.1: sparse instead of sparse_output', async () => {
    const { e, value } = await fixture('one_hot_drop_first');
    rename(value, 'sparse_output', 'sparse');
    expectSame(e, toModel(value));
  });

  it("SGDClassifier ≤ 1.0: loss 'log'", async () => {
    const { e, value } = await fixture('sgd_log_loss');
    set(value, 'loss', 'log');
    expectSame(e, toModel(value));
  });

  it("LogisticRegression ≥ 1.5: multi_class='deprecated' is multinomial", async () => {
    const { e, value } = await fixture('logreg_multinomial');
    set(value, 'multi_class', 'deprecated');
    expectSame(e, toModel(value));
  });

  it('GaussianNB ≤ 0.24: sigma_ instead of var_', async () => {
    const { e, value } = await fixture('gaussian_nb');
    rename(value, 'var_', 'sigma_');
    expectSame(e, toModel(value));
  });

  it('HGB ≤ 0.23: `threshold` instead of `num_threshold`, no categorical fields', async () => {
    const { e, value } = await fixture('hgb_regressor');
    for (const it of (get(value, '_predictors') as { items: PyValue[] }).items) {
      for (const p of (it as { items: PyValue[] }).items) {
        const nodes = get(p, 'nodes') as NdArray;
        let off = 0;
        const fields = nodes.dtype.fields!.filter((f) => !['is_categorical', 'bitset_idx'].includes(f.name)).map((f) => {
          const r = { name: f.name, dtype: f.dtype, offset: off };
          off += f.dtype.itemsize;
          return r;
        });
        const re = relayout(nodes, fields, off);
        const renamed = { ...re, dtype: { ...re.dtype, fields: re.dtype.fields!.map((f) => (f.name === 'num_threshold' ? { ...f, name: 'threshold' } : f)) } };
        set(p, 'nodes', renamed);
      }
    }
    expectSame(e, toModel(value));
  });

  it('Tree from a 32-bit build: intp fields as <i4, capacity larger than node_count', async () => {
    const { e, value } = await fixture('decision_tree_classifier_str');
    const tree = get(value, 'tree_');
    const nodes = get(tree, 'nodes') as NdArray;
    const i4 = dt('i', 4);
    const f8 = dt('f', 8);
    const re = relayout(nodes, [
      { name: 'left_child', dtype: i4, offset: 0 }, { name: 'right_child', dtype: i4, offset: 4 }, { name: 'feature', dtype: i4, offset: 8 },
      { name: 'threshold', dtype: f8, offset: 12 }, { name: 'impurity', dtype: f8, offset: 20 }, { name: 'n_node_samples', dtype: i4, offset: 28 },
      { name: 'weighted_n_node_samples', dtype: f8, offset: 32 },
    ], 40);
    // two junk records past node_count (capacity > node_count) must never be read
    const n = nodes.shape[0]!;
    const data = new Uint8Array((n + 2) * 40).fill(0xab);
    data.set(re.data!);
    set(tree, 'nodes', { ...re, shape: [n + 2], data });
    const values = get(tree, 'values') as NdArray;
    const vd = new Uint8Array(values.data!.length + 2 * values.dtype.itemsize * values.shape[1]! * values.shape[2]!);
    vd.set(values.data!);
    set(tree, 'values', { ...values, shape: [values.shape[0]! + 2, values.shape[1]!, values.shape[2]!], data: vd });
    expectSame(e, toModel(value));
  });
});


describe('HGB ≥ 1.4 _preprocessor', () => {
  it("categorical_features='from_dtype': the fitted ColumnTransformer runs before the trees", async () => {
    const { e, value } = await fixture('hgb_classifier_categorical');
    const obj = (module: string, name: string, entries: [string, PyValue][]): PyObject => ({
      kind: 'object', cls: { kind: 'global', module, name, at: 0 }, args: [], at: 0,
      state: { kind: 'dict', keys: entries.map(([k]) => k), values: entries.map(([, v]) => v) },
    });
    const f8 = dt('f', 8);
    const cats: NdArray = { kind: 'ndarray', dtype: f8, shape: [5], order: 'C', data: new Uint8Array(new Float64Array([0, 1, 2, 3, 4]).buffer), at: 0 };
    const nan: PyValue = { kind: 'float', value: NaN };
    const encoder = obj('sklearn.preprocessing._encoders', 'OrdinalEncoder', [
      ['categories_', { kind: 'list', items: [cats] }], ['handle_unknown', 'use_encoded_value'], ['unknown_value', nan],
      ['encoded_missing_value', nan], ['n_features_in_', 1], ['_infrequent_enabled', false], ['_sklearn_version', '1.4.2'],
    ]);
    const tuple = (...items: PyValue[]): PyValue => ({ kind: 'tuple', items });
    const list = (...items: PyValue[]): PyValue => ({ kind: 'list', items });
    const ct = obj('sklearn.compose._column_transformer', 'ColumnTransformer', [
      ['transformers_', list(tuple('encoder', encoder, list(0)), tuple('remainder', 'passthrough', list(1, 2, 3)))],
      ['n_features_in_', 4], ['verbose_feature_names_out', false], ['_sklearn_version', '1.4.2'],
    ]);
    set(value, '_preprocessor', ct);
    const model = toModel(value);
    expect(model.ir.graph.kind).toBe('pipeline');
    // Ordinal codes of categories 0…4 are 0…4, unknown and negative values become NaN → the same
    // missing direction as scikit-learn's raw-category path: predictions are unchanged.
    expectSame(e, model);
  });
});

describe('library wrappers: early stopping', () => {
  it('LightGBM Booster best_iteration keeps only the first best_iteration rounds', async () => {
    const { parseLightgbmModel } = await import('../../src/formats/lightgbm/index.js');
    const { lightgbmToDescription } = await import('../../src/convert/lightgbm.js');
    const { value } = await loadGraph('lgbm_classifier_binary.joblib', 'lightgbm/');
    const booster = get(value, '_Booster');
    const text = get(booster, '_handle') as string;
    set(booster, 'best_iteration', 1);
    const c = convertGraph(value, OPTS);
    expect(c.report.notes.join(' ')).toMatch(/best_iteration 1/);
    const m = parseLightgbmModel(text);
    const ref = lightgbmToDescription({ ...m, trees: m.trees.slice(0, 1) }, { classes: ['neg', 'pos'] });
    const refModel = loadModel(encodeArtifact(ref.description, ref.tensors, c.ir.provenance));
    const rows = [[0, 0, 0], [2, 1, -1], [1.5, 0.3, 5]];
    const a = predict(toModel(value), rows, { method: 'predict_proba' });
    const b = predict(refModel, rows, { method: 'predict_proba' });
    expect(Array.from(a.data as Float64Array)).toEqual(Array.from(b.data as Float64Array));
    set(booster, 'best_iteration', 0);
    const all = predict(toModel(value), rows, { method: 'predict_proba' });
    expect(Array.from(all.data as Float64Array)).not.toEqual(Array.from(b.data as Float64Array));
  });
});
