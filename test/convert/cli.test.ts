/**
 * `modelvault convert` / `modelvault inspect` end to end through main(), and the file-level
 * convertFile entry point for every source format.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { Output } from '../../src/cli/output.js';
import { convertFile } from '../../src/convert/index.js';
import { bytesSource } from '../../src/core/index.js';
import { loadModel, predict, type Cell } from '../../src/runtime/index.js';
import { compare, listExpected, SKLEARN_DIR } from './fixtures.js';

const SCAN = new URL('../fixtures/scan/', import.meta.url).pathname;
const FIX = new URL('../fixtures/', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'mv-convert-'));
const OPTS = { sourceSha256: 'f'.repeat(64), created: '2026-01-01T00:00:00Z' };

function capture(): Output & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (s) => void stdout.push(s), err: (s) => void stderr.push(s), color: false, isTTY: false };
}

describe('modelvault convert', { timeout: 30_000 }, () => {
  it('converts a clean joblib file; the artifact predicts as scikit-learn', async () => {
    const e = listExpected().find((x) => x.name === 'pipeline_column_transformer_logreg')!;
    const out = join(dir, 'ct.safetensors');
    const o = capture();
    expect(await main(['node', 'modelvault', 'convert', SKLEARN_DIR + e.file, '-o', out, '--format', 'json'], o)).toBe(0);
    const r = JSON.parse(o.stdout.join('\n'));
    expect(r.converted).toBe(true);
    expect(r.parity.methods).toEqual(['predict', 'predict_proba', 'decision_function']);
    const model = loadModel(new Uint8Array(readFileSync(out)));
    expect(model.ir.provenance.source_sha256).toBe(r.source.sha256);
    compare(e, 'predict_proba', predict(model, e.input as Cell[][], { method: 'predict_proba' }), e.outputs.predict_proba);
  });

  it('prints a text report', async () => {
    const o = capture();
    expect(await main(['node', 'modelvault', 'convert', SKLEARN_DIR + 'hgb_classifier_categorical.joblib', '-o', join(dir, 'hgb.safetensors')], o)).toBe(0);
    expect(o.stdout[0]).toMatch(/^CONVERTED .*hgb_classifier_categorical\.joblib \(joblib, .*scikit-learn 1\.2\.1\)/);
    expect(o.stdout.join('\n')).toMatch(/parity: 16 synthetic rows × 3 methods identical/);
  });

  it('refuses a file the scanner blocks, printing the findings, and writes nothing', async () => {
    const out = join(dir, 'evil.safetensors');
    const o = capture();
    expect(await main(['node', 'modelvault', 'convert', SCAN + 'malicious/joblib/C_payload_after_array_xz.joblib', '-o', out], o)).toBe(1);
    expect(o.stderr.join('\n')).toMatch(/REFUSED .* malicious/);
    expect(o.stderr.join('\n')).toMatch(/SCAN_GLOBAL_DENIED/);
    expect(existsSync(out)).toBe(false);
  });

  it('names every unsupported type (exit 1)', async () => {
    const want = JSON.parse(readFileSync(SKLEARN_DIR + 'unsupported/pipeline_quantile_variance_bagging.expected.json', 'utf8')).unsupported as string[];
    const o = capture();
    expect(await main(['node', 'modelvault', 'convert', SKLEARN_DIR + 'unsupported/pipeline_quantile_variance_bagging.joblib', '-o', join(dir, 'u.safetensors')], o)).toBe(1);
    const line = o.stderr.join('\n');
    expect(line).toMatch(/CONVERT_UNSUPPORTED/);
    for (const cls of want) expect(line).toContain(cls);
    const o2 = capture();
    expect(await main(['node', 'modelvault', 'inspect', SKLEARN_DIR + 'unsupported/pipeline_quantile_variance_bagging.joblib', '--format', 'json'], o2)).toBe(0);
    expect(JSON.parse(o2.stdout.join('\n')).conversion.unsupported).toEqual(want);
  });

  it('converts a whole pickled nn.Module; refuses non-model content', async () => {
    expect(await main(['node', 'modelvault', 'convert', SCAN + 'benign/torch/whole_model_sequential.pt', '-o', join(dir, 'whole.safetensors')], capture())).toBe(0);
    const notModel = join(dir, 'notes.txt');
    writeFileSync(notModel, 'just text, not a model\n');
    expect(await main(['node', 'modelvault', 'convert', notModel, '-o', join(dir, 'n.safetensors')], capture())).not.toBe(0);
  });

  it('converts a PyTorch checkpoint to plain safetensors', async () => {
    const out = join(dir, 'sd.safetensors');
    const o = capture();
    expect(await main(['node', 'modelvault', 'convert', SKLEARN_DIR + 'torch/state_dict_zip.pt', '-o', out], o)).toBe(0);
    expect(o.stdout[0]).toMatch(/CONVERTED .*torch-zip/);
    expect(readFileSync(out).length).toBeGreaterThan(100);
  });

  it('will not overwrite without --force, nor write onto its input', async () => {
    const out = join(dir, 'ct.safetensors');
    expect(await main(['node', 'modelvault', 'convert', SKLEARN_DIR + 'logreg_binary.joblib', '-o', out], capture())).toBe(4);
    expect(await main(['node', 'modelvault', 'convert', SKLEARN_DIR + 'logreg_binary.joblib', '-o', out, '--force'], capture())).toBe(0);
    expect(await main(['node', 'modelvault', 'convert', SKLEARN_DIR + 'logreg_binary.joblib', '-o', SKLEARN_DIR + 'logreg_binary.joblib'], capture())).toBe(4);
  });
});

describe('modelvault inspect', { timeout: 30_000 }, () => {
  it('describes a legacy joblib file: graph, inputs, outputs, convertibility', async () => {
    const o = capture();
    expect(await main(['node', 'modelvault', 'inspect', SKLEARN_DIR + 'pipeline_column_transformer_named.joblib', '--format', 'json'], o)).toBe(0);
    const r = JSON.parse(o.stdout.join('\n'));
    expect(r.content).toBe('lzma');
    expect(r.scan.status).toBe('clean');
    expect(r.graph.cls).toBe('sklearn.pipeline.Pipeline');
    expect(r.graph.children.map((c: { field: string }) => c.field)).toEqual(['steps.ct', 'steps.gb']);
    expect(r.conversion.supported).toBe(true);
    expect(r.conversion.input.features.map((f: { name: string }) => f.name)).toEqual(['a', 'b', 'c', 'color', 'size']);
    expect(r.conversion.input.named).toBe(true);
  });

  it('groups forest trees and flags unsupported classes', async () => {
    const o = capture();
    expect(await main(['node', 'modelvault', 'inspect', SKLEARN_DIR + 'random_forest_classifier.joblib'], o)).toBe(0);
    expect(o.stdout.join('\n')).toMatch(/estimators_: 6 × DecisionTreeClassifier/);
  });

  it('describes an artifact with its provenance', async () => {
    const o = capture();
    expect(await main(['node', 'modelvault', 'inspect', join(dir, 'hgb.safetensors'), '--format', 'json'], o)).toBe(0);
    const r = JSON.parse(o.stdout.join('\n'));
    expect(r.what).toMatch(/modelvault\/1 artifact/);
    expect(r.model.provenance.library).toEqual({ name: 'scikit-learn', version: '1.2.1' });
  });

  it('lists the tensors of a PyTorch checkpoint and of plain safetensors', async () => {
    const o = capture();
    expect(await main(['node', 'modelvault', 'inspect', SKLEARN_DIR + 'torch/nested_zip.pt', '--format', 'json'], o)).toBe(0);
    expect(JSON.parse(o.stdout.join('\n')).tensors.map((t: { name: string }) => t.name)).toContain('model.encoder.w');
    const o2 = capture();
    expect(await main(['node', 'modelvault', 'inspect', join(dir, 'sd.safetensors')], o2)).toBe(0);
    expect(o2.stdout.join('\n')).toMatch(/plain safetensors/);
  });

  it('describes XGBoost and LightGBM model files as convertible', async () => {
    for (const f of ['xgboost/binary_logistic.ubj', 'lightgbm/binary.model.txt']) {
      const o = capture();
      expect(await main(['node', 'modelvault', 'inspect', FIX + f, '--format', 'json'], o)).toBe(0);
      const r = JSON.parse(o.stdout.join('\n'));
      expect(r.conversion.supported, f).toBe(true);
      expect(r.conversion.output.kind).toBe('classifier');
    }
  });

  it('says when a file is blocked and not convertible', async () => {
    const o = capture();
    expect(await main(['node', 'modelvault', 'inspect', SCAN + 'malicious/torch/zip_payload_data_pkl.pt', '--format', 'json'], o)).toBe(0);
    const r = JSON.parse(o.stdout.join('\n'));
    expect(r.scan.status).toBe('blocked');
    expect(r.conversion.supported).toBe(false);
  });
});

describe('convertFile: every source format', { timeout: 30_000 }, () => {
  it('XGBoost JSON and UBJSON models', async () => {
    for (const f of ['binary_logistic.json', 'multi_softprob.ubj']) {
      const c = await convertFile(new Uint8Array(readFileSync(FIX + 'xgboost/' + f)), OPTS);
      expect(c.kind).toBe('model');
      if (c.kind === 'model') {
        expect(c.report.library.name).toBe('xgboost');
        expect(c.parity?.methods.length).toBeGreaterThan(0);
      }
    }
  });

  it('LightGBM text models', async () => {
    const c = await convertFile(new Uint8Array(readFileSync(FIX + 'lightgbm/multiclass.model.txt')), OPTS);
    expect(c.kind === 'model' && c.ir.output.kind).toBe('classifier');
  });

  it('plain pickles and legacy torch files', async () => {
    const p = await convertFile(new Uint8Array(readFileSync(SKLEARN_DIR + 'pickle_p0_logreg.pkl')), OPTS);
    expect(p.kind === 'model' && p.source.container).toBe('pickle');
    const t = await convertFile(new Uint8Array(readFileSync(SKLEARN_DIR + 'torch/state_dict_legacy.pt')), OPTS);
    expect(t.kind === 'tensors' && t.torch.format).toBe('legacy');
  });

  it('reads a PyTorch zip from a ByteSource by ranges, and other files from a ByteSource whole', async () => {
    const bytes = new Uint8Array(readFileSync(SKLEARN_DIR + 'torch/state_dict_zip.pt'));
    const src = bytesSource(bytes);
    let read = 0;
    const counting = { size: src.size, read: (o: number, n: number) => { const b = src.read(o, n); read += b.length; return b; } };
    const t = await convertFile(counting, OPTS);
    expect(t.kind).toBe('tensors');
    expect(read).toBeGreaterThan(0);
    const j = await convertFile(bytesSource(new Uint8Array(readFileSync(SKLEARN_DIR + 'ridge.joblib'))), OPTS);
    expect(j.kind).toBe('model');
  });

  it('refuses other content', async () => {
    await expect(convertFile(new TextEncoder().encode('%PDF-1.4 not a model'), OPTS)).rejects.toMatchObject({ code: 'CONVERT_UNSUPPORTED' });
  });
});
