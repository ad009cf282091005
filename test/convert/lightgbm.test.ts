import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { lightgbmToDescription } from '../../src/convert/lightgbm.js';
import { parseLightgbmModel } from '../../src/formats/lightgbm/index.js';
import { encodeArtifact, loadModel, predict, type Provenance } from '../../src/runtime/index.js';

const FIX = new URL('../fixtures/lightgbm/', import.meta.url);
const PROV: Provenance = { source_sha256: 'd'.repeat(64), source_format: 'lightgbm-text', library: { name: 'lightgbm', version: 'v4 (hand-written)' }, converter: { name: 'modelvault', version: '0.1.0' }, created: '2026-01-01T00:00:00Z' };

interface Expected { kind: string; input: (number | null)[][]; raw: number[] | number[][]; predict: number[] | number[][] }

describe('LightGBM → artifact → predict equals the hand-checked values', () => {
  for (const name of ['regression', 'binary', 'multiclass', 'categorical', 'linear_tree']) {
    it(name, () => {
      const exp = JSON.parse(readFileSync(new URL(`${name}.expected.json`, FIX), 'utf8')) as Expected;
      const { description, tensors } = lightgbmToDescription(parseLightgbmModel(readFileSync(new URL(`${name}.model.txt`, FIX))));
      const model = loadModel(encodeArtifact(description, tensors, PROV));
      let X = exp.input.map((r) => r.map((v) => (v === null ? NaN : v)));
      if (exp.kind === 'regressor') {
        let raw = exp.raw as number[];
        if (name === 'categorical') {
          // a non-integer category code is refused (LightGBM itself would truncate 4.7 to 4)
          const bad = X.findIndex((r) => !Number.isNaN(r[0]!) && !Number.isInteger(r[0]!));
          expect(() => predict(model, [X[bad]!])).toThrow(/integer category/);
          raw = raw.filter((_, i) => i !== bad);
          X = X.filter((_, i) => i !== bad);
        }
        expect(Array.from(predict(model, X).data as Float64Array)).toEqual(raw);
        return;
      }
      // raw scores exactly; probabilities to the last bits (exp() may differ by an ulp between libms)
      expect(Array.from(predict(model, X, { method: 'decision_function' }).data as Float64Array)).toEqual((exp.raw as number[] | number[][]).flat());
      const p = Array.from(predict(model, X, { method: 'predict_proba' }).data as Float64Array);
      const want = (exp.predict as number[][]).flat();
      p.forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThan(1e-15));
      const K = (exp.predict as number[][])[0]!.length;
      const labels = predict(model, X).data as number[];
      labels.forEach((l, i) => {
        const row = want.slice(i * K, i * K + K);
        expect(l).toBe(row.indexOf(Math.max(...row)));
      });
    });
  }
  it('average_output (rf) divides by the number of iterations', () => {
    const s = readFileSync(new URL('regression.model.txt', FIX), 'utf8').replace('feature_names=', 'average_output\nfeature_names=');
    const { description, tensors } = lightgbmToDescription(parseLightgbmModel(s));
    const model = loadModel(encodeArtifact(description, tensors, PROV));
    expect(Array.from(predict(model, [[0, 0]]).data as Float64Array)).toEqual([(0.1 + -0.05) / 2]);
  });
});
