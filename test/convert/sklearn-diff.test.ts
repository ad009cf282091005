/**
 * Differential tests against scikit-learn 1.2.1: every fixture of test/fixtures/sklearn (made by
 * gen/gen.py) is converted, encoded, loaded by the runtime and predicted with every method the
 * model has; labels must be identical, probabilities/scores/transforms within 1e-9.
 */
import { describe, expect, it } from 'vitest';
import { checkParity, convertGraph } from '../../src/convert/index.js';
import { encodeArtifact, loadModel, predict, type Cell, type Method } from '../../src/runtime/index.js';
import { compare, listExpected, loadGraph, type Expected } from './fixtures.js';

/** Fixtures that must be refused (and why). */
const REFUSED: Record<string, string> = {
  imputer_str_most_frequent: 'outputs text columns',
};

/** scikit-learn methods the artifact deliberately does not offer (a classifier head has no transform). */
const NOT_OFFERED: Record<string, readonly string[]> = {
  lda_multiclass: ['transform'],
  kmeans: ['transform'],
  pipeline_scaler_minibatch_kmeans: ['transform'],
  // Voting*.transform stacks the voters' outputs; the artifact's head is the vote
  voting_soft_str: ['transform'],
  voting_hard_weighted: ['transform'],
  voting_soft_weighted_pipeline: ['transform'],
  voting_regressor: ['transform'],
};

/**
 * Known deviations of the RUNTIME kernels (not the converter), asserted to still differ so the entry
 * is removed once fixed.
 */
const KNOWN_RUNTIME: Record<string, string> = {};

const CASES = listExpected();

describe('scikit-learn fixtures: convert → artifact → predict equals scikit-learn', () => {
  it('covers at least 60 models', () => expect(CASES.length).toBeGreaterThanOrEqual(60));
  for (const e of CASES) {
    it(`${e.name} (${e.compress ?? 'none'}, protocol ${e.protocol})`, async () => {
      const { value, sha256 } = await loadGraph(e.file);
      const opts = { sourceSha256: sha256, created: '2026-01-01T00:00:00Z', sourceFormat: e.file.endsWith('.pkl') ? 'pickle' : 'joblib' };
      if (REFUSED[e.name]) {
        expect(() => convertGraph(value, opts)).toThrow(expect.objectContaining({ code: 'CONVERT_UNSUPPORTED' }));
        return;
      }
      const c = convertGraph(value, opts);
      const model = loadModel(encodeArtifact(c.ir, c.tensors, c.ir.provenance));
      if (e.classes) expect([...(model.ir.output.kind === 'classifier' ? model.ir.output.classes : [])]).toEqual(e.classes);
      expect(model.ir.output.kind === 'classifier' ? model.ir.output.n_classes : undefined, 'n_classes').toEqual(e.n_classes);
      const rows = e.input.map((r) => r.map((v) => v as Cell));
      for (const m of NOT_OFFERED[e.name] ?? []) delete e.outputs[m as keyof Expected['outputs']];
      for (const [method, want] of Object.entries(e.outputs)) {
        expect(model.methods, `${e.name} has ${method}`).toContain(method);
        const got = predict(model, rows, { method: method as Method });
        const known = KNOWN_RUNTIME[`${e.name}:${method}`];
        if (known) {
          expect(() => compare(e, method, got, want), `fixed? remove KNOWN_RUNTIME entry: ${known}`).toThrow();
          continue;
        }
        compare(e, method, got, want);
      }
      expect([...model.methods].sort()).toEqual(Object.keys(e.outputs).sort());
      if (e.feature_names_out && model.ir.output.kind === 'transformer') expect(model.ir.output.names).toEqual(e.feature_names_out);
      // round trip: the decoded artifact predicts exactly as the in-memory conversion on synthetic rows
      const parity = checkParity(model, c.ir, c.tensors);
      expect(parity.skipped, e.name).toBeUndefined();
      expect(parity.methods.length).toBe(model.methods.length);
    });
  }
});

describe('XGBoost sklearn wrappers pickled with joblib: predictions equal xgboost 1.7.4 (float32, 1e-5)', () => {
  const XGB = listExpected('xgboost/');
  it('has fixtures', () => expect(XGB.length).toBeGreaterThanOrEqual(3));
  for (const e of XGB) {
    it(e.name, async () => {
      const { value, sha256 } = await loadGraph(e.file, 'xgboost/');
      const c = convertGraph(value, { sourceSha256: sha256, created: '2026-01-01T00:00:00Z', sourceFormat: 'joblib' });
      expect(c.report.library.name).toBe('xgboost');
      const model = loadModel(encodeArtifact(c.ir, c.tensors, c.ir.provenance));
      expect([...model.methods].sort()).toEqual(Object.keys(e.outputs).sort());
      for (const [method, want] of Object.entries(e.outputs)) {
        compare(e, method, predict(model, e.input as Cell[][], { method: method as Method }), want, 1e-5);
      }
    });
  }
});

describe('LightGBM sklearn wrappers (hand-assembled pickles around hand-checked text models)', () => {
  const LGBM = listExpected('lightgbm/');
  it('has fixtures', () => expect(LGBM.length).toBeGreaterThanOrEqual(3));
  for (const e of LGBM) {
    it(e.name, async () => {
      const { value, sha256 } = await loadGraph(e.file, 'lightgbm/');
      const c = convertGraph(value, { sourceSha256: sha256, created: '2026-01-01T00:00:00Z', sourceFormat: 'joblib' });
      expect(c.report.library.name).toBe('lightgbm');
      const model = loadModel(encodeArtifact(c.ir, c.tensors, c.ir.provenance));
      if (e.classes) expect(model.ir.output.kind === 'classifier' && model.ir.output.classes).toEqual(e.classes);
      for (const [method, want] of Object.entries(e.outputs)) {
        compare(e, method, predict(model, e.input as Cell[][], { method: method as Method }), want);
      }
    });
  }
});
