/**
 * Adversarial conversion tests: unsupported types are all named at once, malformed state gives
 * CONVERT_STATE_INVALID with a path, and random mutations of real graphs only ever raise MvError.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { isMvError } from '../../src/core/index.js';
import { checkSupport, convertGraph } from '../../src/convert/index.js';
import { parsePickle, type NdArray, type PyDict, type PyObject, type PyValue } from '../../src/formats/pickle/index.js';
import { encodeArtifact, loadModel, predict } from '../../src/runtime/index.js';
import { loadGraph } from './fixtures.js';

const OPTS = { sourceSha256: '0'.repeat(64), created: '2026-01-01T00:00:00Z' };
const glob = (module: string, name: string) => ({ kind: 'global' as const, module, name, at: 0 });
const stateOf = (v: PyValue): PyDict => (v as PyObject).state as PyDict;
function get(v: PyValue, key: string): PyValue {
  const d = stateOf(v);
  return d.values[d.keys.indexOf(key)]!;
}
function set(v: PyValue, key: string, value: PyValue): void {
  const d = stateOf(v);
  d.values[d.keys.indexOf(key)] = value;
}
const codeOf = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (e) {
    return isMvError(e) ? e.code : `not an MvError: ${String(e)}`;
  }
  return undefined;
};

describe('unsupported estimators', () => {
  it('names every unsupported type in the graph, nested ones included', async () => {
    const { value } = await loadGraph('pipeline_column_transformer_logreg.joblib');
    const steps = (get(value, 'steps') as { items: PyValue[] }).items;
    const ct = (steps[0] as { items: PyValue[] }).items[1]!;
    const num = ((get(ct, 'transformers_') as { items: PyValue[] }).items[0] as { items: PyValue[] }).items[1]!;
    const inner = ((get(num, 'steps') as { items: PyValue[] }).items[1] as { items: PyValue[] }).items[1] as PyObject;
    (inner as { cls: PyValue }).cls = glob('sklearn.preprocessing._data', 'QuantileTransformer');
    const clf = (steps[1] as { items: PyValue[] }).items[1] as PyObject;
    (clf as { cls: PyValue }).cls = glob('sklearn.ensemble._bagging', 'BaggingClassifier');
    const r = checkSupport(value);
    expect(r.unsupported.map((u) => u.cls)).toEqual(['sklearn.ensemble._bagging.BaggingClassifier', 'sklearn.preprocessing._data.QuantileTransformer']);
    let err: unknown;
    try {
      convertGraph(value, OPTS);
    } catch (e) {
      err = e;
    }
    expect(isMvError(err) && err.code).toBe('CONVERT_UNSUPPORTED');
    expect((err as Error).message).toContain('sklearn.ensemble._bagging.BaggingClassifier');
    expect((err as Error).message).toContain('sklearn.preprocessing._data.QuantileTransformer');
  });

  it('refuses a root that is not an estimator', () => {
    expect(codeOf(() => convertGraph({ kind: 'dict', keys: ['a'], values: [1] }, OPTS))).toBe('CONVERT_UNSUPPORTED');
  });

  it('converts the one estimator of a dict root ({"model": pipe, …}) and says so', async () => {
    const { value } = await loadGraph('pipeline_scaler_logreg.joblib');
    const c = convertGraph({ kind: 'dict', keys: ['model', 'version', 'features'], values: [value, 3, { kind: 'list', items: ['a', 'b'] }] }, OPTS);
    expect(c.report.root).toBe('sklearn.pipeline.Pipeline');
    expect(c.report.notes[0]).toMatch(/converted the estimator at "model"/);
    const two = { kind: 'tuple' as const, items: [value, value] };
    expect(codeOf(() => convertGraph(two, OPTS))).toBe('CONVERT_UNSUPPORTED');
  });

  it('refuses FunctionTransformer with a function, callable kernels and weights', async () => {
    const { value: svc } = await loadGraph('svc_poly.joblib');
    set(svc, 'kernel', glob('builtins', 'print'));
    expect(codeOf(() => convertGraph(svc, OPTS))).toBe('CONVERT_UNSUPPORTED');
    const { value: knn } = await loadGraph('knn_regressor.joblib');
    set(knn, 'weights', glob('numpy', 'sqrt'));
    expect(codeOf(() => convertGraph(knn, OPTS))).toBe('CONVERT_UNSUPPORTED');
  });

  it('refuses a standalone transformer whose output is text', async () => {
    const { value } = await loadGraph('imputer_str_most_frequent.joblib');
    expect(codeOf(() => convertGraph(value, OPTS))).toBe('CONVERT_UNSUPPORTED');
  });
});

describe('malformed state', () => {
  it('a missing field is CONVERT_STATE_INVALID with its path', async () => {
    const { value } = await loadGraph('pipeline_scaler_logreg.joblib');
    const clf = ((get(value, 'steps') as { items: PyValue[] }).items[1] as { items: PyValue[] }).items[1]!;
    const d = stateOf(clf);
    d.keys[d.keys.indexOf('coef_')] = 'not_coef';
    let err: unknown;
    try {
      convertGraph(value, OPTS);
    } catch (e) {
      err = e;
    }
    expect(isMvError(err) && err.code).toBe('CONVERT_STATE_INVALID');
    expect(isMvError(err) && err.at.path).toEqual(['steps', '1', 'clf', 'coef_']);
  });

  it('PolynomialFeatures: a claimed degree or output count never makes the converter enumerate past the claim', async () => {
    const cases: [Record<string, number>, string][] = [
      [{ _max_degree: 64 }, 'CONVERT_STATE_INVALID'],
      [{ n_features_in_: 2 ** 20 }, 'CONVERT_STATE_INVALID'],
      [{ n_features_in_: 2 ** 20, n_output_features_: 1000 }, 'CONVERT_UNSUPPORTED'], // a 1000 × 2^20 powers table
    ];
    for (const [edits, want] of cases) {
      const { value } = await loadGraph('polynomial_features.joblib');
      const d = stateOf(value);
      for (const [k, v] of Object.entries(edits)) d.values[d.keys.indexOf(k)] = v;
      const t = Date.now();
      expect(codeOf(() => convertGraph(value, OPTS)), JSON.stringify(edits)).toBe(want);
      expect(Date.now() - t).toBeLessThan(2000);
    }
  });

  it('a tree whose child points backwards is refused (no cycles reach the runtime)', async () => {
    const { value } = await loadGraph('decision_tree_regressor.joblib');
    const nodes = get(get(value, 'tree_'), 'nodes') as NdArray;
    const f = nodes.dtype.fields!.find((x) => x.name === 'left_child')!;
    const dv = new DataView(nodes.data!.buffer, nodes.data!.byteOffset, nodes.data!.byteLength);
    dv.setBigInt64(nodes.dtype.itemsize * 1 + f.offset, 0n, true); // node 1's left child → root
    expect(codeOf(() => convertGraph(value, OPTS))).toBe('CONVERT_STATE_INVALID');
  });

  it('mismatched shapes are refused', async () => {
    const { value } = await loadGraph('logreg_multinomial.joblib');
    set(value, 'intercept_', { kind: 'float', value: 1 });
    const c = convertGraph(value, OPTS); // a scalar intercept broadcasts …
    expect(c.ir.output.kind).toBe('classifier');
    const { value: v2 } = await loadGraph('logreg_multinomial.joblib');
    set(v2, 'classes_', get(v2, 'coef_'));
    expect(codeOf(() => convertGraph(v2, OPTS))).toBeDefined();
  });
});

describe('property: mutated real graphs only raise MvError', () => {
  const FILES = ['pipeline_column_transformer_logreg.joblib', 'hgb_classifier_categorical.joblib', 'gb_classifier_multiclass.joblib',
    'svc_rbf_proba.joblib', 'knn_classifier_distance.joblib', 'imputer_indicator.joblib', 'random_forest_classifier.joblib', 'pca_whiten.joblib',
    'random_forest_classifier_multi_str.joblib', 'knn_classifier_multi.joblib', 'multi_output_logreg.joblib', 'mlp_classifier_relu.joblib', 'voting_hard_weighted.joblib'];
  const bytes: Uint8Array[] = [];
  beforeAll(async () => {
    for (const f of FILES) bytes.push((await loadGraph(f)).bytes);
  });
  const junk: PyValue[] = [null, 0, -1, 3, 1e9, 'x', true, { kind: 'float', value: NaN }, { kind: 'list', items: [] },
    { kind: 'tuple', items: [1, 2] }, { kind: 'dict', keys: [], values: [] }, glob('os', 'system'),
    { kind: 'ndarray', dtype: { kind: 'dtype', char: 'f', itemsize: 8, byteorder: '<', str: '<f8' }, shape: [3], order: 'C', data: new Uint8Array(24), at: 0 },
    { kind: 'ndarray', dtype: { kind: 'dtype', char: 'i', itemsize: 8, byteorder: '<', str: '<i8' }, shape: [0, 0], order: 'C', data: new Uint8Array(0), at: 0 },
    { kind: 'ndarray', dtype: { kind: 'dtype', char: 'O', itemsize: 8, byteorder: '|', str: '|O8' }, shape: [2], order: 'C', items: ['a', null], at: 0 }];

  function dicts(root: PyValue): PyDict[] {
    const out: PyDict[] = [];
    const seen = new Set<object>();
    const stack: PyValue[] = [root];
    while (stack.length) {
      const v = stack.pop()!;
      if (!v || typeof v !== 'object' || seen.has(v)) continue;
      seen.add(v);
      if (v.kind === 'dict') { out.push(v); stack.push(...v.values); }
      else if (v.kind === 'object' || v.kind === 'call') { if (v.state !== undefined) stack.push(v.state); }
      else if (v.kind === 'list' || v.kind === 'tuple') stack.push(...v.items);
      else if (v.kind === 'ndarray' && v.items) stack.push(...v.items);
    }
    return out;
  }

  /** Converts, encodes, loads and predicts one row; only an MvError may stop it. */
  function convertAndPredict(value: PyValue): void {
    try {
      const c = convertGraph(value, OPTS);
      const m = loadModel(encodeArtifact(c.ir, c.tensors, c.ir.provenance));
      predict(m, [new Array(m.ir.input.n_features).fill(0.5).map((x, j) => (m.ir.input.features[j]!.type === 'string' ? 'red' : x))]);
    } catch (e) {
      if (!isMvError(e)) throw e;
    }
  }

  it('convert → encode → predict never throws anything but MvError', () => {
    fc.assert(
      fc.property(fc.nat(FILES.length - 1), fc.nat(), fc.nat(), fc.nat(junk.length - 1), (fi, di, ki, ji) => {
        const value = parsePickle(bytes[fi]!, { profile: 'joblib' }).value!;
        const ds = dicts(value);
        const d = ds[di % ds.length]!;
        if (d.keys.length) d.values[ki % d.keys.length] = junk[ji]!;
        convertAndPredict(value);
      }),
      { numRuns: 300 },
    );
  });

  it('every single field set to 10^9, 3 or -1, exhaustively: only MvError, and each conversion stays quick', () => {
    let tried = 0;
    FILES.forEach((_, fi) => {
      const nDicts = dicts(parsePickle(bytes[fi]!, { profile: 'joblib' }).value!).length;
      for (let di = 0; di < nDicts; di++) {
        for (const junkValue of [1e9, 3, -1]) {
          for (let ki = 0; ; ki++) {
            const value = parsePickle(bytes[fi]!, { profile: 'joblib' }).value!;
            const d = dicts(value)[di]!;
            if (ki >= d.keys.length) break;
            d.values[ki] = junkValue;
            const t = Date.now();
            convertAndPredict(value);
            expect(Date.now() - t, `${FILES[fi]} ${String(d.keys[ki])} = ${junkValue}`).toBeLessThan(5000);
            tried++;
          }
        }
      }
    });
    expect(tried).toBeGreaterThan(1000);
  }, 120_000);

  it('a claim of 10^9 input features is refused before anything is sized by it (it once ran the process out of memory)', () => {
    for (const f of ['pipeline_column_transformer_logreg.joblib', 'random_forest_classifier.joblib']) {
      const value = parsePickle(bytes[FILES.indexOf(f)]!, { profile: 'joblib' }).value!;
      let claimed = 0;
      for (const d of dicts(value)) {
        const k = d.keys.indexOf('n_features_in_');
        if (k >= 0) {
          d.values[k] = 1e9;
          claimed++;
        }
      }
      expect(claimed).toBeGreaterThan(0);
      expect(codeOf(() => convertGraph(value, OPTS)), f).toBe('LIMIT_EXCEEDED');
    }
  });
});

describe('property: convertFile over mutated files only raises MvError', () => {
  const FILES = ['ridge.joblib', 'pickle_p0_logreg.pkl', 'pickle_p1_tree.pkl', 'random_forest_classifier.joblib', 'gaussian_nb.joblib'];
  it('mutated bytes', async () => {
    const { readFileSync } = await import('node:fs');
    const { SKLEARN_DIR } = await import('./fixtures.js');
    const { convertFile } = await import('../../src/convert/index.js');
    const raw = FILES.map((f) => new Uint8Array(readFileSync(SKLEARN_DIR + f)));
    await fc.assert(
      fc.asyncProperty(fc.nat(FILES.length - 1), fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 6 }), async (fi, edits) => {
        const b = raw[fi]!.slice();
        for (const [pos, v] of edits) b[pos % b.length] = v;
        try {
          await convertFile(b, { ...OPTS, parity: true });
        } catch (e) {
          if (!isMvError(e)) throw e;
        }
      }),
      { numRuns: 250 },
    );
  }, 60_000);
});
