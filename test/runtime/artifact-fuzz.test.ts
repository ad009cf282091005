import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { MvError } from '../../src/core/index.js';
import { parseSafetensors, writeSafetensors } from '../../src/formats/safetensors/index.js';
import { convertFile } from '../../src/convert/index.js';
import { xgboostToDescription } from '../../src/convert/xgboost.js';
import { parseXgboostModel } from '../../src/formats/xgboost/index.js';
import { encodeArtifact, loadModel, predict } from '../../src/runtime/index.js';
import { PROV } from './helpers.js';

const xgb = (() => {
  const { description, tensors } = xgboostToDescription(parseXgboostModel(new Uint8Array(readFileSync(new URL('../fixtures/xgboost/multi_softprob.json', import.meta.url)))));
  return encodeArtifact(description, tensors, PROV);
})();

function tryAll(b: Uint8Array): void {
  try {
    const m = loadModel(b);
    for (const method of m.methods) predict(m, [[0.5, NaN, -1, 2]], { method });
  } catch (e) {
    if (!(e instanceof MvError)) throw e;
  }
}

describe('artifact fuzzing: only MvError, never a crash or a hang', () => {
  it('random byte mutations of a valid artifact', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(xgb.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), (muts) => {
        const b = xgb.slice();
        for (const [i, v] of muts) b[i] = v;
        tryAll(b);
      }),
      { numRuns: 300 },
    );
  });
  it('mutated descriptions (numbers and indices in the JSON) with valid safetensors framing', () => {
    const f = parseSafetensors(xgb);
    const model = f.metadata!.model!;
    const tensors = new Map(f.tensors.map((t) => [t.name, { dtype: t.dtype, shape: t.shape, data: f.read(t.name) }]));
    const numbers = [...model.matchAll(/-?\d+(\.\d+)?/g)].map((m) => m.index!);
    fc.assert(
      fc.property(fc.nat(numbers.length - 1), fc.constantFrom('0', '-1', '1', '2', '99999999', '1e308', '0.5', '[]', 'null', '"x"'), (k, rep) => {
        const at = numbers[k]!;
        const len = /^-?\d+(\.\d+)?/.exec(model.slice(at))![0].length;
        const md = { format: 'modelvault/1', model: model.slice(0, at) + rep + model.slice(at + len) };
        tryAll(writeSafetensors(tensors, md));
      }),
      { numRuns: 400 },
    );
  });
  it('mutated multi-output descriptions (class counts, labels, indices) with valid framing', async () => {
    for (const name of ['random_forest_classifier_multi_str', 'knn_classifier_multi', 'multi_output_logreg']) {
      const conv = await convertFile(new Uint8Array(readFileSync(new URL(`../fixtures/sklearn/${name}.joblib`, import.meta.url))), { sourceSha256: '0'.repeat(64), created: '2026-01-01T00:00:00Z' });
      const f = parseSafetensors(conv.bytes);
      const model = f.metadata!.model!;
      const tensors = new Map(f.tensors.map((t) => [t.name, { dtype: t.dtype, shape: t.shape, data: f.read(t.name) }]));
      const numbers = [...model.matchAll(/-?\d+(\.\d+)?/g)].map((m) => m.index!);
      fc.assert(
        fc.property(fc.nat(numbers.length - 1), fc.constantFrom('0', '-1', '1', '2', '5', '99999999', '0.5', '[]', '[1]', 'null', '"x"'), (k, rep) => {
          const at = numbers[k]!;
          const len = /^-?\d+(\.\d+)?/.exec(model.slice(at))![0].length;
          tryAll(writeSafetensors(tensors, { format: 'modelvault/1', model: model.slice(0, at) + rep + model.slice(at + len) }));
        }),
        { numRuns: 150 },
      );
    }
  });
  it('mutated tensor contents (child indices, features, groups) are caught by validation', () => {
    const f = parseSafetensors(xgb);
    const model = f.metadata!.model!;
    fc.assert(
      fc.property(fc.constantFrom('xgb.left', 'xgb.right', 'xgb.feature', 'xgb.groups', 'xgb.roots'), fc.nat(200), fc.integer({ min: -5, max: 100000 }), (name, idx, v) => {
        const tensors = new Map(f.tensors.map((t) => [t.name, { dtype: t.dtype, shape: t.shape, data: f.read(t.name).slice() }]));
        const t = tensors.get(name)!;
        const view = new Int32Array(t.data.buffer, t.data.byteOffset, t.data.byteLength / 4);
        view[idx % view.length] = v;
        tryAll(writeSafetensors(tensors, { format: 'modelvault/1', model }));
      }),
      { numRuns: 400 },
    );
  });
});
