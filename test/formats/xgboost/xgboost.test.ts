import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MvError } from '../../../src/core/index.js';
import { parseUbjson, parseXgboostModel } from '../../../src/formats/xgboost/index.js';
import { code } from '../../support/codes.js';

const FIX = new URL('../../fixtures/xgboost/', import.meta.url);
const read = (name: string) => new Uint8Array(readFileSync(new URL(name, FIX)));

/** A tiny UBJSON writer for tests (big-endian). */
function ub(v: unknown): number[] {
  const be = (n: number, size: number, set: (d: DataView) => void) => {
    const b = new DataView(new ArrayBuffer(size));
    set(b);
    return [...new Uint8Array(b.buffer)];
  };
  const str = (s: string) => {
    const u = [...new TextEncoder().encode(s)];
    return [0x4c, ...be(0, 8, (d) => d.setBigInt64(0, BigInt(u.length))), ...u];
  };
  if (v === null) return [0x5a];
  if (v === true) return [0x54];
  if (v === false) return [0x46];
  if (typeof v === 'number') return Number.isInteger(v) && Math.abs(v) < 2 ** 31 ? [0x6c, ...be(v, 4, (d) => d.setInt32(0, v))] : [0x44, ...be(v, 8, (d) => d.setFloat64(0, v))];
  if (typeof v === 'string') return [0x53, ...str(v)];
  if (Array.isArray(v)) return [0x5b, ...v.flatMap(ub), 0x5d];
  return [0x7b, ...Object.entries(v as object).flatMap(([k, x]) => [...str(k).slice(0), ...ub(x)].slice(0)), 0x7d].map((x) => x);
}

describe('UBJSON reader', () => {
  it('reads scalars, strings, containers and optimised typed arrays', () => {
    expect(parseUbjson(new Uint8Array(ub({ a: [1, 2.5, 'x', null, true, false], b: {} })))).toEqual(Object.assign(Object.create(null), { a: [1, 2.5, 'x', null, true, false], b: Object.create(null) }));
    // [$d#i\x02 <f32 1.5> <f32 -2>]
    const f32 = [0x5b, 0x24, 0x64, 0x23, 0x69, 2, 0x3f, 0xc0, 0, 0, 0xc0, 0, 0, 0];
    expect(Array.from(parseUbjson(new Uint8Array(f32)) as Float32Array)).toEqual([1.5, -2]);
    // [#U\x02 i\x05 S U\x01 'z']
    expect(parseUbjson(new Uint8Array([0x5b, 0x23, 0x55, 2, 0x69, 5, 0x53, 0x55, 1, 0x7a]))).toEqual([5, 'z']);
    // int64 and no-op markers
    expect(parseUbjson(new Uint8Array([0x4e, 0x4c, 0, 0, 0, 0, 0, 0, 1, 0]))).toBe(256);
    expect(parseUbjson(new Uint8Array([0x48, 0x55, 3, 0x31, 0x2e, 0x35]))).toBe('1.5');
  });
  it('rejects malformed input with UBJSON_INVALID', () => {
    for (const b of [
      [], [0x5b], [0x58], [0x53, 0x55, 5, 0x61], [0x5b, 0x24, 0x64, 0x23, 0x4c, 0x10, 0, 0, 0, 0, 0, 0, 0], [0x5b, 0x23, 0x69, -1 & 255],
      [0x4c, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], [0x5a, 0x5a], [0x7b, 0x55, 1, 0x61, 0x5a, 0x55, 1, 0x61, 0x5a, 0x7d],
      [0x5b, 0x24, 0x64, 0x69, 1], [0x53, 0x55, 2, 0xc3, 0x28],
    ]) expect(code(() => parseUbjson(new Uint8Array(b))), JSON.stringify(b)).toBe('UBJSON_INVALID');
    const deep = new Uint8Array(200).fill(0x5b);
    expect(code(() => parseUbjson(deep))).toBe('UBJSON_INVALID');
  });
  it('property: arbitrary and mutated bytes only throw MvError, quickly', () => {
    const seed = read('multi_softprob.ubj');
    const check = (b: Uint8Array) => {
      try {
        parseUbjson(b);
      } catch (e) {
        if (!(e instanceof MvError)) throw e;
      }
    };
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), check), { numRuns: 1000 });
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(seed.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }), fc.nat(seed.length), (muts, cut) => {
        const b = seed.slice(0, Math.max(1, cut));
        for (const [i, v] of muts) if (i < b.length) b[i] = v;
        check(b);
        try {
          parseXgboostModel(b);
        } catch (e) {
          if (!(e instanceof MvError)) throw e;
        }
      }),
      { numRuns: 500 },
    );
  });
  it('round trip through the test writer', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (v) => {
        const plain = JSON.parse(JSON.stringify(v)) as unknown;
        const norm = (x: unknown): unknown => (Array.isArray(x) ? x.map(norm) : x && typeof x === 'object' ? Object.assign(Object.create(null), Object.fromEntries(Object.entries(x).map(([k, y]) => [k, norm(y)]))) : x === -0 ? 0 : x);
        expect(parseUbjson(new Uint8Array(ub(plain)))).toEqual(norm(plain));
      }),
      { numRuns: 200 },
    );
  });
});

describe('XGBoost model documents', () => {
  for (const name of ['reg_squarederror', 'binary_logistic', 'binary_logistic_base03', 'multi_softprob', 'count_poisson', 'reg_categorical', 'dart_regression']) {
    it(`${name}: JSON and UBJSON parse to the same model`, () => {
      const j = parseXgboostModel(read(`${name}.json`));
      const u = parseXgboostModel(read(`${name}.ubj`));
      expect(u.objective).toBe(j.objective);
      expect(u.trees.length).toBe(j.trees.length);
      expect(u.trees.length).toBe(name === 'multi_softprob' ? 9 : 3);
      for (let t = 0; t < j.trees.length; t++) {
        expect(Array.from(u.trees[t]!.left)).toEqual(Array.from(j.trees[t]!.left));
        expect(Array.from(u.trees[t]!.splitCondition).map(Math.fround)).toEqual(Array.from(j.trees[t]!.splitCondition).map(Math.fround));
        expect([...u.trees[t]!.categories]).toEqual([...j.trees[t]!.categories]);
      }
      expect(u.baseScore).toEqual(j.baseScore);
    });
  }
  it('gblinear: weights from JSON and UBJSON agree', () => {
    const j = parseXgboostModel(read('gblinear_binary.json'));
    const u = parseXgboostModel(read('gblinear_binary.ubj'));
    expect(j.booster).toBe('gblinear');
    expect(j.linearWeights).toHaveLength(5);
    expect(u.linearWeights!.map(Math.fround)).toEqual(j.linearWeights!.map(Math.fround));
  });
  it('reads the Booster pickle snapshot {Config, Model}', () => {
    const m = parseXgboostModel(read('xgb_classifier.snapshot.ubj'));
    expect(m.objective).toBe('multi:softprob');
    expect(m.numClass).toBe(3);
  });
  it('refuses legacy binary, multi-output trees, bad booster and bad structure', () => {
    expect(code(() => parseXgboostModel(new TextEncoder().encode('binf\0\0\0\0')))).toBe('XGB_MODEL_INVALID');
    const j = JSON.parse(readFileSync(new URL('binary_logistic.json', FIX), 'utf8'));
    const mutate = (f: (d: any) => void) => {
      const d = structuredClone(j);
      f(d);
      return code(() => parseXgboostModel(new TextEncoder().encode(JSON.stringify(d))));
    };
    expect(mutate((d) => (d.learner.gradient_booster.model.trees[0].tree_param.size_leaf_vector = '3'))).toBe('XGB_MODEL_INVALID');
    expect(mutate((d) => (d.learner.gradient_booster.name = 'gblinear'))).toBe('XGB_MODEL_INVALID');
    expect(mutate((d) => (d.learner.gradient_booster.name = 'coordinate'))).toBe('XGB_MODEL_INVALID');
    expect(mutate((d) => (d.learner.gradient_booster.model.trees[0].left_children[0] = 99))).toBe('XGB_MODEL_INVALID');
    expect(mutate((d) => d.learner.gradient_booster.model.trees[0].split_conditions.pop())).toBe('XGB_MODEL_INVALID');
    expect(mutate((d) => (d.learner.gradient_booster.model.tree_info = [0, 0]))).toBe('XGB_MODEL_INVALID');
    expect(mutate((d) => (d.learner.learner_model_param.base_score = 'abc'))).toBe('XGB_MODEL_INVALID');
    expect(mutate((d) => (d.learner.gradient_booster.model.trees[0].split_indices[0] = 40))).toBe('XGB_MODEL_INVALID');
    expect(mutate((d) => (d.learner.learner_model_param.base_score = '[5E-1]'))).toBe('OK');
    expect(mutate((d) => (d.learner.gradient_booster.model.cats = { enc: [['a', 'b']], feature_segments: [0, 2], sorted_idx: [0, 1] }))).toBe('XGB_MODEL_INVALID');
    expect(mutate((d) => (d.learner.gradient_booster.model.cats = { enc: [], feature_segments: [], sorted_idx: [] }))).toBe('OK');
  });
});
