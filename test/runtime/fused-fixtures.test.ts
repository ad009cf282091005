/**
 * The scikit-learn differential fixtures (test/fixtures/sklearn, made by gen/gen.py) through the fused
 * scale… → linear kernel: test/convert/sklearn-diff predicts from rows (the general path); here every
 * fixture whose model gets a fused kernel also predicts from a Float64Array and from a named Frame, which
 * must equal the rows' answer bit for bit — and so scikit-learn's outputs, which sklearn-diff checks.
 */
import { describe, expect, it } from 'vitest';
import { convertGraph } from '../../src/convert/index.js';
import { encodeArtifact, loadModel, predict, type Cell, type Method } from '../../src/runtime/index.js';
import { listExpected, loadGraph } from '../convert/fixtures.js';

const CASES = listExpected().filter((e) => e.input.every((r) => r.every((v) => typeof v === 'number')));

describe('scikit-learn fixtures through the fused scale → linear kernel', () => {
  it('the fused fixtures (44 of 105: linear models and scaler pipelines) answer exactly like the general path', async () => {
    let fused = 0;
    for (const e of CASES) {
      let model;
      try {
        const { value, sha256 } = await loadGraph(e.file);
        const c = convertGraph(value, { sourceSha256: sha256, created: '2026-01-01T00:00:00Z' });
        model = loadModel(encodeArtifact(c.ir, c.tensors, c.ir.provenance));
      } catch {
        continue; // refused fixtures are sklearn-diff's business
      }
      if (model.compiled.fused === null) continue;
      fused++;
      const rows = e.input.map((r) => r.map((v) => v as Cell));
      const F = model.ir.input.n_features;
      const X = Float64Array.from(e.input.flat() as number[]);
      const frame = { rows: rows.length, cols: F, data: X, names: model.ir.input.features.map((f) => f.name) };
      for (const method of model.methods as Method[]) {
        const want = predict(model, rows, { method });
        for (const got of [predict(model, X, { method }), predict(model, frame, { method })]) {
          expect(got.shape, `${e.name} ${method}`).toEqual(want.shape);
          expect(got.data.length).toBe(want.data.length);
          for (let i = 0; i < want.data.length; i++) if (!Object.is(got.data[i], want.data[i])) expect.fail(`${e.name} ${method} [${i}]: ${got.data[i]} vs ${want.data[i]}`);
        }
      }
    }
    expect(fused).toBeGreaterThanOrEqual(20); // 44 of the 105 fixtures at the time of writing
  });
});
