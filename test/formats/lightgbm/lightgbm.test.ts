import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MvError } from '../../../src/core/index.js';
import { parseLightgbmModel } from '../../../src/formats/lightgbm/index.js';
import { code } from '../../support/codes.js';

const FIX = new URL('../../fixtures/lightgbm/', import.meta.url);
const text = (name: string) => readFileSync(new URL(`${name}.model.txt`, FIX), 'utf8');

describe('LightGBM text model reader', () => {
  it('reads the hand-written fixtures', () => {
    const b = parseLightgbmModel(text('binary'));
    expect(b.objective).toEqual({ name: 'binary', params: { sigmoid: '1' } });
    expect(b.trees).toHaveLength(2);
    expect(b.trees[0]!.decisionType).toEqual([10, 2]);
    expect(b.featureNames).toEqual(['x0', 'x1', 'x2']);
    const m = parseLightgbmModel(text('multiclass'));
    expect(m.trees[2]!.numLeaves).toBe(1);
    expect(m.numTreePerIteration).toBe(3);
    const c = parseLightgbmModel(text('categorical'));
    expect(c.trees[0]!.catThreshold).toEqual([22, 0, 1]);
    const l = parseLightgbmModel(text('linear_tree'));
    expect(l.trees[0]!.leafFeatures).toEqual([[0], [0, 1]]);
    expect(l.trees[0]!.leafCoeff).toEqual([[0.5], [-1, 0.25]]);
    expect(parseLightgbmModel(new TextEncoder().encode(text('regression').replace(/\n/g, '\r\n'))).trees).toHaveLength(2);
  });

  const base = text('binary');
  const cases: [string, (s: string) => string][] = [
    ['no "tree" line', (s) => s.replace(/^tree\n/, '')],
    ['no end of trees', (s) => s.replace('end of trees', '')],
    ['tree numbering', (s) => s.replace('Tree=1', 'Tree=5')],
    ['repeated key', (s) => s.replace('num_cat=0\n', 'num_cat=0\nnum_cat=0\n')],
    ['unknown tree field', (s) => s.replace('num_cat=0\n', 'num_cat=0\nexec=1\n')],
    ['leaf_value length', (s) => s.replace('leaf_value=-0.4 0.2 0.9', 'leaf_value=-0.4 0.2')],
    ['child out of range', (s) => s.replace('right_child=1 -3', 'right_child=1 -9')],
    ['child is the root', (s) => s.replace('right_child=1 -3', 'right_child=0 -3')],
    ['feature out of range', (s) => s.replace('split_feature=0 2', 'split_feature=0 7')],
    ['bad number', (s) => s.replace('threshold=1 -0.5', 'threshold=1 abc')],
    ['non-integer child', (s) => s.replace('left_child=-1 -2', 'left_child=-1 -2.5')],
    ['bad version', (s) => s.replace('version=v4', 'version=v9')],
    ['feature names count', (s) => s.replace('feature_names=x0 x1 x2', 'feature_names=x0 x1')],
    ['tree_sizes count', (s) => s.replace('tree_sizes=281 269', 'tree_sizes=281')],
    ['missing num_leaves', (s) => s.replace('num_leaves=2\n', '')],
    ['categorical without sets', (s) => s.replace('decision_type=10 2', 'decision_type=11 2')],
    ['missing type 3', (s) => s.replace('decision_type=10 2', 'decision_type=14 2')],
    ['trees not multiple of per-iteration', (s) => s.replace('num_tree_per_iteration=1', 'num_tree_per_iteration=3')],
  ];
  for (const [name, edit] of cases) {
    it(`rejects: ${name}`, () => {
      const s = edit(base);
      expect(s).not.toBe(base);
      expect(code(() => parseLightgbmModel(s))).toBe('LGBM_MODEL_INVALID');
    });
  }
  it('rejects bad categorical boundaries and linear leaves', () => {
    const c = text('categorical');
    expect(code(() => parseLightgbmModel(c.replace('cat_boundaries=0 1 3', 'cat_boundaries=0 2 1')))).toBe('LGBM_MODEL_INVALID');
    expect(code(() => parseLightgbmModel(c.replace('cat_boundaries=0 1 3', 'cat_boundaries=0 1 4')))).toBe('LGBM_MODEL_INVALID');
    expect(code(() => parseLightgbmModel(c.replace('threshold=0 0.5 1', 'threshold=0 0.5 2')))).toBe('LGBM_MODEL_INVALID');
    const l = text('linear_tree');
    expect(code(() => parseLightgbmModel(l.replace('num_features=1 2', 'num_features=1 3')))).toBe('LGBM_MODEL_INVALID');
  });
  it('property: mutated models and random text only throw MvError', () => {
    const check = (s: string) => {
      try {
        parseLightgbmModel(s);
      } catch (e) {
        if (!(e instanceof MvError)) throw e;
      }
    };
    fc.assert(fc.property(fc.string({ maxLength: 300 }), (s) => check(`tree\n${s}`)), { numRuns: 300 });
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(base.length - 1), fc.constantFrom('0', '-', '1', ' ', '\n', '=', 'x', '.', 'e')), { minLength: 1, maxLength: 5 }), (muts) => {
        const a = base.split('');
        for (const [i, ch] of muts) a[i] = ch;
        check(a.join(''));
      }),
      { numRuns: 500 },
    );
  });
});
