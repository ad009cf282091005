import { TensorBuilder, encodeArtifact, loadModel, type FeatureSpec, type Model, type ModelDescription, type Op, type OutputSchema, type Provenance } from '../../src/runtime/index.js';

export const PROV: Provenance = {
  source_sha256: 'b'.repeat(64),
  source_format: 'test',
  library: { name: 'test', version: '0' },
  converter: { name: 'modelvault', version: '0.1.0' },
  created: '2026-01-01T00:00:00Z',
};

export const feats = (n: number, missing = false, type: FeatureSpec['type'] = 'number'): FeatureSpec[] =>
  Array.from({ length: n }, (_, i) => ({ name: `f${i}`, type, missing }));

/** Builds, encodes, decodes and compiles a model (the full artifact path). */
export function build(features: FeatureSpec[], output: OutputSchema, graph: (tb: TensorBuilder) => Op): Model {
  const tb = new TensorBuilder();
  const desc: ModelDescription = { input: { n_features: features.length, features, named: true }, output, graph: graph(tb) };
  return loadModel(encodeArtifact(desc, tb.tensors, PROV));
}

/** One tree per entry: [feature, threshold, left, right] for internal nodes, {leaf: values} for leaves; indices local to the tree. */
export type TreeSpec = ({ f: number; t: number; l: number; r: number; ml?: number; mt?: number; cat?: number } | { leaf: number[] })[];

export function flatTrees(tb: TensorBuilder, trees: TreeSpec[], V: number, prefix = 'trees', withMissing = true) {
  const feature: number[] = [];
  const threshold: number[] = [];
  const left: number[] = [];
  const right: number[] = [];
  const values: number[] = [];
  const ml: number[] = [];
  const mt: number[] = [];
  const cat: number[] = [];
  const roots: number[] = [];
  for (const tree of trees) {
    const base = feature.length;
    roots.push(base);
    for (const n of tree) {
      if ('leaf' in n) {
        feature.push(-2); threshold.push(-2); left.push(-1); right.push(-1); values.push(...n.leaf); ml.push(0); mt.push(0); cat.push(-1);
      } else {
        feature.push(n.f); threshold.push(n.t); left.push(base + n.l); right.push(base + n.r); values.push(...new Array(V).fill(0)); ml.push(n.ml ?? 0); mt.push(n.mt ?? 0); cat.push(n.cat ?? -1);
      }
    }
  }
  const N = feature.length;
  return {
    n_nodes: N,
    n_trees: trees.length,
    feature: tb.add(`${prefix}.feature`, 'I32', [N], feature),
    threshold: tb.add(`${prefix}.threshold`, 'F64', [N], threshold),
    left: tb.add(`${prefix}.left`, 'I32', [N], left),
    right: tb.add(`${prefix}.right`, 'I32', [N], right),
    values: tb.add(`${prefix}.values`, 'F64', [N, V], values),
    roots: tb.add(`${prefix}.roots`, 'I32', [trees.length], roots),
    ...(withMissing ? { missing_left: tb.add(`${prefix}.missing_left`, 'U8', [N], ml) } : {}),
    extra: { mt, cat },
  };
}
