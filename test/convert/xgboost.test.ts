import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bestRounds, xgboostToDescription } from '../../src/convert/xgboost.js';
import { parseXgboostModel } from '../../src/formats/xgboost/index.js';
import { encodeArtifact, loadModel, predict, type Provenance } from '../../src/runtime/index.js';

const FIX = new URL('../fixtures/xgboost/', import.meta.url);
const read = (name: string) => new Uint8Array(readFileSync(new URL(name, FIX)));
const PROV: Provenance = { source_sha256: 'c'.repeat(64), source_format: 'xgboost-json', library: { name: 'xgboost', version: '1.7.4' }, converter: { name: 'modelvault', version: '0.1.0' }, created: '2026-01-01T00:00:00Z' };
const TOL = 1e-5;

function close(actual: ArrayLike<number>, expected: readonly (number | null)[]) {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i];
    if (e === null) expect(Number.isNaN(actual[i]!)).toBe(true);
    else expect(Math.abs(actual[i]! - e), `element ${i}: ${actual[i]} vs ${e}`).toBeLessThanOrEqual(TOL * Math.max(1, Math.abs(e)));
  }
}

interface Expected { input: (number | null)[][]; margin: (number | null)[] | (number | null)[][]; predict: (number | null)[] | (number | null)[][] }

describe('XGBoost → artifact → predict equals xgboost 1.7.4 (1e-5)', () => {
  for (const name of ['reg_squarederror', 'binary_logistic', 'binary_logistic_base03', 'multi_softprob', 'count_poisson', 'reg_categorical', 'dart_regression', 'gblinear_regression', 'gblinear_binary', 'binary_hinge', 'survival_aft']) {
    for (const ext of ['json', 'ubj']) {
      it(`${name}.${ext}`, () => {
        const exp = JSON.parse(readFileSync(new URL(`${name}.expected.json`, FIX), 'utf8')) as Expected;
        const { description, tensors } = xgboostToDescription(parseXgboostModel(read(`${name}.${ext}`)));
        const model = loadModel(encodeArtifact(description, tensors, PROV));
        const X = exp.input.map((r) => r.map((v) => (v === null ? NaN : v)));
        const flat = (a: unknown) => (a as unknown[]).flat() as (number | null)[];
        if (model.ir.output.kind === 'classifier') {
          close(predict(model, X, { method: 'decision_function' }).data as Float64Array, flat(exp.margin));
          const p = predict(model, X, { method: 'predict_proba' }).data as Float64Array;
          const K = model.ir.output.classes.length;
          const got = K === 2 ? Array.from({ length: X.length }, (_, i) => p[2 * i + 1]!) : Array.from(p);
          close(got, flat(exp.predict));
          const labels = predict(model, X).data as number[];
          const probs = flat(exp.predict) as number[];
          labels.forEach((l, i) => expect(l).toBe(K === 2 ? (probs[i]! > 0.5 ? 1 : 0) : probs.slice(i * K, i * K + K).indexOf(Math.max(...probs.slice(i * K, i * K + K)))));
        } else {
          close(predict(model, X).data as Float64Array, flat(exp.predict));
        }
      });
    }
  }
  it('rounds: only the first boosting rounds (iteration_range=(0, 2))', () => {
    for (const name of ['multi_softprob', 'reg_categorical', 'binary_logistic', 'dart_regression']) {
      const exp = JSON.parse(readFileSync(new URL(`${name}.expected.json`, FIX), 'utf8')) as Expected & { margin_2_rounds: (number | null)[] };
      const m = parseXgboostModel(read(`${name}.json`));
      expect(bestRounds(m)).toBe(3);
      const { description, tensors } = xgboostToDescription(m, { rounds: 2 });
      const model = loadModel(encodeArtifact(description, tensors, PROV));
      const X = exp.input.map((r) => r.map((v) => (v === null ? NaN : v)));
      if (model.ir.output.kind === 'classifier') close(predict(model, X, { method: 'decision_function' }).data as Float64Array, (exp.margin_2_rounds as unknown[]).flat() as (number | null)[]);
      else if (name !== 'dart_regression') close(predict(model, X).data as Float64Array, exp.margin_2_rounds);
    }
  });
  it('a claim of 10^9 features (num_feature) is refused before the input schema is sized by it', () => {
    const json = JSON.parse(readFileSync(new URL('reg_squarederror.json', FIX), 'utf8')) as { learner: { learner_model_param: { num_feature: string } } };
    json.learner.learner_model_param.num_feature = '1000000000';
    const m = parseXgboostModel(new TextEncoder().encode(JSON.stringify(json)));
    expect(() => xgboostToDescription(m)).toThrow(expect.objectContaining({ code: 'LIMIT_EXCEEDED' }));
  });
  it('XGBClassifier Booster snapshot with the wrapper classes', () => {
    const exp = JSON.parse(readFileSync(new URL('xgb_classifier.expected.json', FIX), 'utf8')) as { input: (number | null)[][]; classes: number[]; predict: number[]; predict_proba: number[][] };
    const { description, tensors } = xgboostToDescription(parseXgboostModel(read('xgb_classifier.snapshot.ubj')), { classes: exp.classes });
    const model = loadModel(encodeArtifact(description, tensors, PROV));
    const X = exp.input.map((r) => r.map((v) => (v === null ? NaN : v)));
    expect(predict(model, X).data).toEqual(exp.predict);
    close(predict(model, X, { method: 'predict_proba' }).data as Float64Array, exp.predict_proba.flat());
  });
});
