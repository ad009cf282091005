/**
 * Flattens trees into the struct-of-arrays `tree-ensemble` operator (src/runtime/ir.ts): global node
 * indices, −1 in `left` marks a leaf, one leaf vector of width V per node.
 */
import type { Activation, SplitRule, TreeEnsembleOp } from '../../runtime/index.js';
import { treeTensors } from '../trees.js';
import { addTensor, type Ctx, type State } from './common.js';

export interface TreeNodes {
  /** Node count of this tree; node 0 is the root. */
  readonly count: number;
  /** Local child ids, −1 for a leaf. */
  readonly left: ArrayLike<number>;
  readonly right: ArrayLike<number>;
  readonly feature: ArrayLike<number>;
  readonly threshold: ArrayLike<number>;
  /** Leaf vector of node n: values[n·V … n·V+V). */
  readonly values: ArrayLike<number>;
  /** 1 ⇒ NaN goes left; omitted when the layout has no missing routing. */
  readonly missingLeft?: ArrayLike<number>;
  /** Categorical split words (8 u32 per node) and known-category words, for sklearn-hgb. */
  readonly cat?: { readonly isCat: ArrayLike<number>; readonly words: (n: number) => ArrayLike<number>; readonly known: (n: number) => ArrayLike<number> };
}

export class EnsembleBuilder {
  private readonly feature: number[] = [];
  private readonly threshold: number[] = [];
  private readonly left: number[] = [];
  private readonly right: number[] = [];
  private readonly values: number[] = [];
  private readonly missingLeft: number[] = [];
  private readonly catSplit: number[] = [];
  private readonly catOffsets: number[] = [0];
  private readonly catWords: number[] = [];
  private readonly catKnown: number[] = [];
  private readonly roots: number[] = [];
  private readonly groups: number[] = [];
  private readonly weights: number[] = [];
  private anyMissing = false;
  private anyCat = false;

  constructor(
    private readonly owner: State,
    readonly valueWidth: number,
    readonly nFeatures: number,
  ) {}

  get nTrees(): number {
    return this.roots.length;
  }

  /**
   * Appends one tree. Child ids must point forward (child > parent, < count) — true of every
   * sklearn builder — which also proves the tree is finite and acyclic.
   */
  addTree(t: TreeNodes, group: number, weight: number, where: State): void {
    const base = this.left.length;
    const V = this.valueWidth;
    if (t.count < 1) where.fail('a tree has no nodes');
    this.roots.push(base);
    this.groups.push(group);
    this.weights.push(weight);
    if (t.missingLeft) this.anyMissing = true;
    for (let n = 0; n < t.count; n++) {
      const l = t.left[n]!;
      const leaf = l === -1;
      if (!leaf) {
        const r = t.right[n]!;
        if (!(l > n && l < t.count && r > n && r < t.count)) where.fail(`node ${n} has children ${l}, ${r} outside (${n}, ${t.count})`);
        const f = t.feature[n]!;
        if (!(Number.isInteger(f) && f >= 0 && f < this.nFeatures)) where.fail(`node ${n} splits on feature ${f} of ${this.nFeatures}`);
        this.left.push(base + l);
        this.right.push(base + r);
        this.feature.push(f);
        this.threshold.push(t.threshold[n]!);
      } else {
        this.left.push(-1);
        this.right.push(-1);
        this.feature.push(0);
        this.threshold.push(0);
      }
      for (let k = 0; k < V; k++) this.values.push(leaf ? t.values[n * V + k]! : 0);
      this.missingLeft.push(t.missingLeft ? (t.missingLeft[n] ? 1 : 0) : 0);
      if (t.cat && !leaf && t.cat.isCat[n]) {
        this.anyCat = true;
        this.catSplit.push(this.catOffsets.length - 1);
        const w = t.cat.words(n);
        const kn = t.cat.known(n);
        if (w.length !== 8 || kn.length !== 8) where.fail(`categorical node ${n} needs 8 bitset words`);
        for (let i = 0; i < 8; i++) { this.catWords.push(w[i]!); this.catKnown.push(kn[i]!); }
        this.catOffsets.push(this.catWords.length);
      } else {
        this.catSplit.push(-1);
      }
    }
  }

  build(ctx: Ctx, o: {
    split: SplitRule;
    nOutputs: number;
    aggregation: 'sum' | 'mean';
    base: readonly number[];
    leafNormalize: boolean;
    activation: Activation;
    decision: boolean;
    weighted: boolean;
    name: string;
  }): TreeEnsembleOp {
    const s = this.owner;
    const op: TreeEnsembleOp = {
      kind: 'tree-ensemble',
      name: o.name,
      split: o.split,
      n_features: this.nFeatures,
      n_trees: this.roots.length,
      n_nodes: this.left.length,
      value_width: this.valueWidth,
      n_outputs: o.nOutputs,
      aggregation: o.aggregation,
      base: [...o.base],
      leaf_normalize: o.leafNormalize,
      activation: o.activation,
      decision: o.decision,
      ...treeTensors({
        feature: this.feature, threshold: this.threshold, left: this.left, right: this.right, values: this.values, valueWidth: this.valueWidth,
        ...(this.anyMissing ? { missingLeft: this.missingLeft } : {}),
        ...(this.anyCat ? { cat: { split: this.catSplit, offsets: this.catOffsets, words: this.catWords, known: this.catKnown } } : {}),
        roots: this.roots, groups: this.groups, ...(o.weighted ? { weights: this.weights } : {}),
      }, (field, dtype, shape, data) => addTensor(ctx, s, field, dtype, shape, data)),
    };
    return op;
  }
}
