import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TensorBuilder, type TreeEnsembleOp } from '../../src/runtime/index.js';
import { compileTrees, float32Below } from '../../src/runtime/kernels/trees.js';
import { validateGraph } from '../../src/runtime/validate.js';
import { flatTrees, type TreeSpec } from './helpers.js';

/** A random tree in the helpers' local-index format (DFS order, like sklearn). */
const treeArb = (F: number, maxDepth: number): fc.Arbitrary<TreeSpec> =>
  fc.array(fc.tuple(fc.nat(F - 1), fc.double({ min: -2, max: 2, noNaN: true }), fc.boolean(), fc.double({ min: -1, max: 1, noNaN: true }), fc.boolean()), { minLength: 40, maxLength: 40 }).map((draws) => {
    const nodes: TreeSpec = [];
    let k = 0;
    const grow = (depth: number): number => {
      const id = nodes.length;
      const [f, t, split, leaf, ml] = draws[k++ % draws.length]!;
      if (depth >= maxDepth || !split || k > 30) {
        nodes.push({ leaf: [leaf] });
        return id;
      }
      nodes.push({ f, t, l: 0, r: 0, ml: ml ? 1 : 0 });
      const l = grow(depth + 1);
      const r = grow(depth + 1);
      nodes[id] = { f, t, l, r, ml: ml ? 1 : 0 };
      return id;
    };
    grow(0);
    return nodes;
  });

describe('packed tree layout decides exactly like the reference loops', () => {
  for (const [split, withNaN] of [['sklearn-tree', true], ['sklearn-hgb', true], ['xgboost', true], ['sklearn-tree', false], ['xgboost', false], ['sklearn-hgb', false]] as const) {
    it(`${split}${withNaN ? ' with NaN' : ' dense blocks'}`, () => {
      const F = 3;
      fc.assert(
        fc.property(fc.array(treeArb(F, 6), { minLength: 1, maxLength: 5 }), fc.array(withNaN ? fc.oneof(fc.double({ min: -3, max: 3 }), fc.constant(NaN), fc.constantFrom(0, 0.5, -0.5, 1e-40)) : fc.oneof(fc.double({ min: -3, max: 3, noNaN: true }), fc.constantFrom(0, 0.5, -0.5, 1e-40)), { minLength: 3 * 9, maxLength: 3 * 9 }), (trees, xs) => {
          const tb = new TensorBuilder();
          const { extra: _e, n_nodes, n_trees, ...refs } = flatTrees(tb, trees, 1);
          const op: TreeEnsembleOp = {
            kind: 'tree-ensemble', split, n_features: F, n_trees, n_nodes, value_width: 1, n_outputs: 1, aggregation: 'sum', base: [0], leaf_normalize: false,
            activation: { kind: 'identity' }, decision: false, ...refs, groups: tb.add('g', 'I32', [n_trees], new Array(n_trees).fill(0)),
          };
          validateGraph({ version: 1, input: { n_features: F, named: false, features: [0, 1, 2].map((j) => ({ name: `f${j}`, type: 'number' as const, missing: true })) }, output: { kind: 'regressor', n_outputs: 1, methods: ['predict'] }, graph: op, provenance: { source_sha256: 'a'.repeat(64), source_format: 't', library: { name: 't', version: '0' }, converter: { name: 'm', version: '0' }, created: 'x' } }, tb.tensors);
          const frame = { rows: 9, cols: F, data: Float64Array.from(xs) };
          const head = { classifier: false, nClasses: 0, outputs: null };
          const a = compileTrees(op, tb.tensors, head, { packed: true }).run(frame, 'predict').data;
          const b = compileTrees(op, tb.tensors, head, { packed: false }).run(frame, 'predict').data;
          expect(Array.from(a)).toEqual(Array.from(b));
          // blocks of 2 rows: dense and NaN blocks mixed, a short last block
          for (const packed of [true, false]) expect(Array.from(compileTrees(op, tb.tensors, head, { packed, blockRows: 2 }).run(frame, 'predict').data)).toEqual(Array.from(b));
        }),
        { numRuns: 300 },
      );
    });
  }
});

/** Values where float32 rounding decides: non-float32 doubles, their float32 roundings and neighbours. */
const EDGE = [0, -0, 0.1, Math.fround(0.1), 0.1 + 2 ** -40, Math.fround(0.1) - 2 ** -30, -0.1, Math.fround(-0.1), 1e-40, -1e-40, 1e-46, -1e-46, 3e38, 3.4028234663852886e38, 1e39, -1e39, 0.5, -0.5, 1.5];

describe('float32 threshold cuts', () => {
  it('x <= t and x < t are unchanged for every float32 x when t becomes float32Below(t)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.double(), fc.constantFrom(...EDGE, Infinity, -Infinity, NaN)), fc.oneof(fc.float({ noNaN: true }), fc.constantFrom(...EDGE.map(Math.fround))), (t, x0) => {
        const x = Math.fround(x0);
        if (!Number.isFinite(x)) return;
        expect(x <= float32Below(t, false)).toBe(x <= t);
        expect(x <= float32Below(t, true)).toBe(x < t);
        expect(Math.fround(float32Below(t, false))).toBe(float32Below(t, false));
        expect(Math.fround(float32Below(t, true))).toBe(float32Below(t, true));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('packed descent (8-row groups and tails) equals the reference traversal at float32 edges', () => {
  const edgeTree = (F: number): fc.Arbitrary<TreeSpec> =>
    fc.array(fc.tuple(fc.nat(F - 1), fc.constantFrom(...EDGE), fc.boolean(), fc.double({ min: -1, max: 1, noNaN: true }), fc.boolean()), { minLength: 40, maxLength: 40 }).map((draws) => {
      const nodes: TreeSpec = [];
      let k = 0;
      const grow = (depth: number): number => {
        const id = nodes.length;
        const [f, t, split, leaf, ml] = draws[k++ % draws.length]!;
        if (depth >= 7 || (!split && depth > 0) || k > 30) {
          nodes.push({ leaf: [leaf] });
          return id;
        }
        nodes.push({ f, t, l: 0, r: 0, ml: ml ? 1 : 0 });
        const l = grow(depth + 1);
        const r = grow(depth + 1);
        nodes[id] = { f, t, l, r, ml: ml ? 1 : 0 };
        return id;
      };
      grow(0);
      return nodes;
    });
  for (const split of ['sklearn-tree', 'sklearn-hgb', 'xgboost'] as const) {
    it(split, () => {
      const F = 3;
      const cell = fc.oneof(fc.constantFrom(...EDGE.filter((v) => Math.abs(v) < 3e38)), fc.double({ min: -2, max: 2, noNaN: true }), fc.constant(NaN));
      fc.assert(
        fc.property(fc.array(edgeTree(F), { minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 37 }), fc.array(cell, { minLength: 3 * 37, maxLength: 3 * 37 }), fc.boolean(), (trees, rows, xs, dense) => {
          const tb = new TensorBuilder();
          const { extra: _e, n_nodes, n_trees, ...refs } = flatTrees(tb, trees, 1);
          const op: TreeEnsembleOp = {
            kind: 'tree-ensemble', split, n_features: F, n_trees, n_nodes, value_width: 1, n_outputs: 1, aggregation: 'sum', base: [0], leaf_normalize: false,
            activation: { kind: 'identity' }, decision: false, ...refs, groups: tb.add('g', 'I32', [n_trees], new Array(n_trees).fill(0)),
          };
          const data = Float64Array.from(xs.slice(0, rows * F), (v) => (dense && v !== v ? 0.25 : v));
          const frame = { rows, cols: F, data };
          const head = { classifier: false, nClasses: 0, outputs: null };
          const a = compileTrees(op, tb.tensors, head, { packed: true }).run(frame, 'predict').data;
          const b = compileTrees(op, tb.tensors, head, { packed: false }).run(frame, 'predict').data;
          expect(Array.from(a)).toEqual(Array.from(b));
          // blocks of 2 rows: dense and NaN blocks mixed, a short last block
          for (const packed of [true, false]) expect(Array.from(compileTrees(op, tb.tensors, head, { packed, blockRows: 2 }).run(frame, 'predict').data)).toEqual(Array.from(b));
        }),
        { numRuns: 300 },
      );
    });
  }
});

describe('XGBoost missing-value marker', () => {
  it('a value equal to `missing_value` routes as missing (and is not refused as a float32 overflow)', () => {
    const tb = new TensorBuilder();
    const { extra: _e, n_nodes, n_trees, ...refs } = flatTrees(tb, [[{ f: 0, t: 0, l: 1, r: 2, ml: 1 }, { leaf: [1] }, { leaf: [2] }]], 1);
    const op: TreeEnsembleOp = {
      kind: 'tree-ensemble', split: 'xgboost', n_features: 1, n_trees, n_nodes, value_width: 1, n_outputs: 1, aggregation: 'sum', base: [0], leaf_normalize: false,
      activation: { kind: 'identity' }, decision: false, missing_value: 999, ...refs, groups: tb.add('g', 'I32', [1], [0]),
    };
    for (const packed of [true, false]) {
      const out = compileTrees(op, tb.tensors, { classifier: false, nClasses: 0, outputs: null }, { packed }).run({ rows: 3, cols: 1, data: Float64Array.from([999, 5, -5]) }, 'predict').data;
      expect(Array.from(out)).toEqual([1, 2, 1]);
    }
  });

  it('a float32 overflow is reported at its own row when blocks split the rows', () => {
    const tb = new TensorBuilder();
    const { extra: _e, n_nodes, n_trees, ...refs } = flatTrees(tb, [[{ f: 0, t: 0, l: 1, r: 2, ml: 1 }, { leaf: [1] }, { leaf: [2] }]], 1);
    const op: TreeEnsembleOp = {
      kind: 'tree-ensemble', split: 'xgboost', n_features: 1, n_trees, n_nodes, value_width: 1, n_outputs: 1, aggregation: 'sum', base: [0], leaf_normalize: false,
      activation: { kind: 'identity' }, decision: false, ...refs, groups: tb.add('g', 'I32', [1], [0]),
    };
    const run = (): unknown => compileTrees(op, tb.tensors, { classifier: false, nClasses: 0, outputs: null }, { blockRows: 2 }).run({ rows: 6, cols: 1, data: Float64Array.from([1, 2, 3, 4, 5, 1e39]) }, 'predict');
    expect(run).toThrow(/row 5, column 0/);
  });
});
