import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MvError } from '../../src/core/index.js';
import { TensorBuilder, type ModelIR, type TreeEnsembleOp } from '../../src/runtime/index.js';
import { validateGraph } from '../../src/runtime/validate.js';
import { PROV, feats } from './helpers.js';

/**
 * validate.ts checks tree structure with a sequential sufficient test first and the depth-first walk
 * only when that fails. The answer must be exactly the walk's: this is the walk as it was (the
 * reference), run on random node arrays (valid forests, then random edits: out-of-range children,
 * shared nodes, cycles, repeated or parented roots, bad features and categorical splits, garbage in
 * nodes no root reaches).
 */
function reference(left: number[], right: number[], feature: number[], roots: number[], groups: number[], cat: number[] | null, nCat: number, op: { n_features: number; n_outputs: number; value_width: number }): string {
  const N = left.length;
  const seen = new Uint8Array(N);
  const stack: number[] = [];
  for (let t = 0; t < roots.length; t++) {
    const g = groups[t]!;
    if (!(g >= 0 && (g + 1) * op.value_width <= op.n_outputs)) return `groups,${t}: tree ${t} group ${g} is outside the ${op.n_outputs} outputs`;
    const r = roots[t]!;
    if (!(r >= 0 && r < N)) return `roots,${t}: tree ${t} root ${r} is not a node`;
    stack.push(r);
    while (stack.length) {
      const n = stack.pop()!;
      if (seen[n]) return `left: node ${n} is reachable twice (cycle or shared subtree)`;
      seen[n] = 1;
      const l = left[n]!;
      if (l === -1) continue;
      const rr = right[n]!;
      if (!(l >= 0 && l < N && rr >= 0 && rr < N)) return `left: node ${n} has children ${l}, ${rr} outside 0..${N - 1}`;
      const f = feature[n]!;
      if (!(f >= 0 && f < op.n_features)) return `feature: node ${n} splits on feature ${f} of ${op.n_features}`;
      if (cat) {
        const c = cat[n]!;
        if (!(c >= -1 && c < nCat)) return `cat_split: node ${n} categorical split ${c} of ${nCat}`;
      }
      stack.push(rr, l);
    }
  }
  return 'ok';
}

interface Forest {
  left: number[];
  right: number[];
  feature: number[];
  roots: number[];
  groups: number[];
  cat: number[] | null;
}

function actual(f: Forest, F: number, K: number): string {
  const N = f.left.length;
  const T = f.roots.length;
  const tb = new TensorBuilder();
  const nCat = 2;
  const op: TreeEnsembleOp = {
    kind: 'tree-ensemble', split: f.cat ? 'sklearn-hgb' : 'sklearn-tree', n_features: F, n_trees: T, n_nodes: N, value_width: 1, n_outputs: K,
    aggregation: 'sum', base: new Array(K).fill(0), leaf_normalize: false, activation: { kind: 'identity' }, decision: false,
    feature: tb.add('feature', 'I32', [N], f.feature), threshold: tb.add('threshold', 'F64', [N], new Array(N).fill(0)),
    left: tb.add('left', 'I32', [N], f.left), right: tb.add('right', 'I32', [N], f.right), values: tb.add('values', 'F64', [N, 1], new Array(N).fill(1)),
    missing_left: tb.add('ml', 'U8', [N], new Array(N).fill(0)), roots: tb.add('roots', 'I32', [T], f.roots), groups: tb.add('groups', 'I32', [T], f.groups),
    ...(f.cat ? { cat_split: tb.add('cat', 'I32', [N], f.cat), cat_offsets: tb.add('catoff', 'I32', [nCat + 1], [0, 1, 2]), cat_words: tb.add('catw', 'U32', [2], [1, 2]) } : {}),
  };
  const ir: ModelIR = { version: 1, provenance: PROV, input: { n_features: F, named: true, features: feats(F) }, output: { kind: 'regressor', n_outputs: K, methods: ['predict'] }, graph: op };
  try {
    validateGraph(ir, tb.tensors);
    return 'ok';
  } catch (e) {
    if (!(e instanceof MvError)) throw e;
    const path = e.at.path!.slice(1).join(',');
    return `${path}: ${e.message}`;
  }
}

/** Random valid forests (DFS or BFS numbering, trees in random order), then random edits. */
const forest = (F: number, K: number): fc.Arbitrary<Forest> =>
  fc
    .record({
      sizes: fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 4 }),
      bfs: fc.boolean(),
      withCat: fc.boolean(),
      seed: fc.nat(),
      edits: fc.array(fc.tuple(fc.constantFrom('left', 'right', 'feature', 'roots', 'groups', 'cat', 'orphan'), fc.nat(), fc.integer({ min: -3, max: 40 })), { maxLength: 3 }),
    })
    .map(({ sizes, bfs, withCat, seed, edits }) => {
      const left: number[] = [];
      const right: number[] = [];
      const feature: number[] = [];
      const cat: number[] = [];
      const roots: number[] = [];
      let r = seed;
      const rnd = (m: number): number => (r = (Math.imul(r, 1103515245) + 12345) >>> 0) % m;
      for (const internal of sizes) {
        // a tree with `internal` splits: grow by turning random leaves into splits
        const base = left.length;
        const local: { l: number; r: number }[] = [{ l: -1, r: -1 }];
        for (let s = 0; s < internal; s++) {
          const leaves = local.map((n, i) => (n.l === -1 ? i : -1)).filter((i) => i >= 0);
          const at = leaves[rnd(leaves.length)]!;
          local[at] = { l: local.length, r: local.length + 1 };
          local.push({ l: -1, r: -1 }, { l: -1, r: -1 });
        }
        // renumber: DFS preorder or breadth-first
        const order: number[] = [];
        if (bfs) {
          for (let q = [0]; q.length; ) {
            const n = q.shift()!;
            order.push(n);
            if (local[n]!.l !== -1) q.push(local[n]!.l, local[n]!.r);
          }
        } else {
          const walk = (n: number): void => {
            order.push(n);
            if (local[n]!.l !== -1) {
              walk(local[n]!.l);
              walk(local[n]!.r);
            }
          };
          walk(0);
        }
        const id = new Map(order.map((n, i) => [n, base + i]));
        for (const n of order) {
          const node = local[n]!;
          left.push(node.l === -1 ? -1 : id.get(node.l)!);
          right.push(node.r === -1 ? (rnd(3) === 0 ? 999 : -1) : id.get(node.r)!); // a leaf's right is never read
          feature.push(node.l === -1 ? -2 : rnd(F));
          cat.push(node.l === -1 ? 7 : rnd(3) - 1);
        }
        roots.push(base);
      }
      const groups = roots.map(() => rnd(K));
      const f: Forest = { left, right, feature, roots, groups, cat: withCat ? cat : null };
      const N = left.length;
      for (const [field, at, v] of edits) {
        if (field === 'orphan') {
          // an unreachable node with garbage
          f.left.push(v - 5);
          f.right.push(v);
          f.feature.push(v);
          f.cat?.push(v);
          continue;
        }
        const arr = f[field === 'cat' ? 'cat' : field];
        if (!arr || arr.length === 0) continue;
        arr[at % arr.length] = field === 'left' || field === 'right' || field === 'roots' ? (v % (N + 2)) - 1 : v % (field === 'feature' ? F + 2 : 4) - 1;
      }
      return f;
    });

describe('tree structure validation', () => {
  it('gives exactly the depth-first walk’s answer (random forests and edits)', () => {
    const F = 3;
    const K = 2;
    fc.assert(
      fc.property(forest(F, K), (f) => {
        expect(actual(f, F, K)).toBe(reference(f.left, f.right, f.feature, f.roots, f.groups, f.cat, 2, { n_features: F, n_outputs: K, value_width: 1 }));
      }),
      { numRuns: 1500 },
    );
  });
});
