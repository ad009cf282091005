/**
 * The tensors of a `tree-ensemble` operator (src/runtime/ir.ts), shared by the scikit-learn, XGBoost
 * and LightGBM converters: each flattens its trees into these arrays with its own split, missing-value
 * and category semantics; this writes them with the shapes the operator declares.
 */
import type { TensorRef, TreeEnsembleOp } from '../runtime/index.js';

/** A flattened ensemble: global node ids, −1 in `left` marks a leaf, `valueWidth` leaf values per node. */
export interface TreeArrays {
  readonly feature: ArrayLike<number>;
  readonly threshold: ArrayLike<number>;
  readonly left: ArrayLike<number>;
  readonly right: ArrayLike<number>;
  readonly values: ArrayLike<number>;
  readonly valueWidth: number;
  readonly missingLeft?: ArrayLike<number>;
  /** LightGBM's missing type per node. */
  readonly missingType?: ArrayLike<number>;
  /** Categorical splits: per node the bitset index or −1, bitset offsets (u32 words), the words; HGB also the known categories. */
  readonly cat?: { readonly split: ArrayLike<number>; readonly offsets: ArrayLike<number>; readonly words: ArrayLike<number>; readonly known?: ArrayLike<number> };
  /** LightGBM linear trees: per-node term offsets (N + 1), their features and coefficients, the constants. */
  readonly linear?: { readonly offsets: ArrayLike<number>; readonly features: ArrayLike<number>; readonly coeffs: ArrayLike<number>; readonly constants: ArrayLike<number> };
  readonly roots: ArrayLike<number>;
  readonly groups: ArrayLike<number>;
  readonly weights?: ArrayLike<number>;
}

/** Stores one tensor under a name derived from `field` and returns its reference. */
export type AddTreeTensor = (field: string, dtype: 'F64' | 'I32' | 'U8' | 'U32', shape: number[], data: ArrayLike<number>) => TensorRef;

type TreeTensorFields = Pick<TreeEnsembleOp, 'feature' | 'threshold' | 'left' | 'right' | 'values' | 'missing_left' | 'missing_type' | 'cat_split' | 'cat_offsets' | 'cat_words' | 'cat_known_words' | 'linear_offsets' | 'linear_features' | 'linear_coeffs' | 'linear_const' | 'roots' | 'groups' | 'weights'>;

/** Every tensor reference of the operator, for the converter's op literal (shapes from the arrays: N = left.length, T = roots.length). */
export function treeTensors(a: TreeArrays, add: AddTreeTensor): TreeTensorFields {
  const N = a.left.length;
  const T = a.roots.length;
  const { cat, linear } = a;
  return {
    feature: add('feature', 'I32', [N], a.feature),
    threshold: add('threshold', 'F64', [N], a.threshold),
    left: add('left', 'I32', [N], a.left),
    right: add('right', 'I32', [N], a.right),
    values: add('values', 'F64', [N, a.valueWidth], a.values),
    ...(a.missingLeft ? { missing_left: add('missing_left', 'U8', [N], a.missingLeft) } : {}),
    ...(a.missingType ? { missing_type: add('missing_type', 'U8', [N], a.missingType) } : {}),
    ...(cat
      ? {
          cat_split: add('cat_split', 'I32', [N], cat.split),
          cat_offsets: add('cat_offsets', 'I32', [cat.offsets.length], cat.offsets),
          cat_words: add('cat_words', 'U32', [cat.words.length], cat.words),
          ...(cat.known ? { cat_known_words: add('cat_known_words', 'U32', [cat.known.length], cat.known) } : {}),
        }
      : {}),
    ...(linear
      ? {
          linear_offsets: add('linear_offsets', 'I32', [N + 1], linear.offsets),
          linear_features: add('linear_features', 'I32', [linear.features.length], linear.features),
          linear_coeffs: add('linear_coeffs', 'F64', [linear.coeffs.length], linear.coeffs),
          linear_const: add('linear_const', 'F64', [N], linear.constants),
        }
      : {}),
    roots: add('roots', 'I32', [T], a.roots),
    groups: add('groups', 'I32', [T], a.groups),
    ...(a.weights ? { weights: add('weights', 'F64', [T], a.weights) } : {}),
  };
}
