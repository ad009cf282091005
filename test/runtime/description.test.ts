import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MvError } from '../../src/core/index.js';
import { parseSafetensors, readJson, toPlain, writeSafetensors, type SafetensorsFile } from '../../src/formats/safetensors/index.js';
import { TensorBuilder, assertModelIR, decodeArtifact, expandDescription, encodeArtifact, loadModel, predict, readDescription, type ModelDescription } from '../../src/runtime/index.js';
import { PROV, feats, flatTrees } from './helpers.js';

/**
 * readDescription takes the native JSON.parse path only for exactly canonical text; whatever the
 * text, it must answer like the strict reader (duplicate keys, depth, lone surrogates, numbers).
 */
const strict = (text: string): unknown => {
  const v = toPlain(readJson(text, { code: 'ARTIFACT_INVALID', duplicateCode: 'ARTIFACT_INVALID', maxDepth: 200 }).value);
  assertModelIR(v);
  return expandDescription(v);
};
const fileWith = (model: string): SafetensorsFile => ({ metadata: { format: 'modelvault/1', model } }) as unknown as SafetensorsFile;

type Outcome = { ok: true; v: unknown } | { ok: false; code: string; message: string };
function outcome(f: () => unknown): Outcome {
  try {
    return { ok: true, v: f() };
  } catch (e) {
    if (!(e instanceof MvError)) throw e;
    return { ok: false, code: e.code, message: e.message };
  }
}

const tb = new TensorBuilder();
const desc: ModelDescription = {
  input: { n_features: 2, named: true, features: [{ name: 'a', type: 'number', missing: false }, { name: 'b', type: 'number', missing: false }] },
  output: { kind: 'classifier', classes: ['no', 'yes'], methods: ['predict', 'predict_proba', 'decision_function'] },
  graph: { kind: 'linear', coef: tb.add('coef', 'F64', [1, 2], [1, -2]), intercept: tb.add('intercept', 'F64', [1], [0.5]), proba: { kind: 'logistic' } },
};

/** A safetensors file with the tensors in the given order (the canonical writer sorts by alignment). */
function writeInOrder(names: readonly string[], f: SafetensorsFile): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: f.metadata };
  let off = 0;
  for (const n of names) {
    const t = f.byName.get(n)!;
    header[n] = { dtype: t.dtype, shape: t.shape, data_offsets: [off, off + t.end - t.begin] };
    off += t.end - t.begin;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const out = new Uint8Array(8 + json.length + off);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(new TextEncoder().encode(json), 8);
  let at = 8 + json.length;
  for (const n of names) {
    out.set(f.read(n), at);
    at += f.read(n).length;
  }
  return out;
}
const canonical = parseSafetensors(encodeArtifact(desc, tb.tensors, PROV)).metadata!.model!;

describe('model description reader', () => {
  it('canonical text and hand-made variants answer like the strict reader', () => {
    const dupKey = canonical.replace('"version":1', '"version":1,"version":1');
    const dupDeep = canonical.replace('"kind":"linear"', '"kind":"linear","kind":"linear"');
    const variants = [
      canonical,
      dupKey,
      dupDeep,
      ` ${canonical}`,
      canonical.replace('"version":1', '"version":1.0'),
      canonical.replace('"version":1', '"version":1e400'),
      canonical.replace('"no"', '"\\u006eo"'),
      canonical.replace('"no"', '"\\ud800"'),
      canonical.replace('"no"', '"\\udc00x"'),
      canonical.replace('"scikit-learn"', `${'['.repeat(199)}0${']'.repeat(199)}`),
      canonical.replace('"scikit-learn"', `${'['.repeat(200)}0${']'.repeat(200)}`),
      canonical.replace('"scikit-learn"', `${'['.repeat(5000)}0${']'.repeat(5000)}`),
      canonical.replace('"version":1', '"__proto__":{"version":1},"version":1'),
      canonical.replace('{', '{"0":1,'),
      '[]',
      '1',
      'null',
      '{}',
    ];
    for (const text of variants) expect(outcome(() => readDescription(fileWith(text)))).toEqual(outcome(() => strict(text)));
    expect(outcome(() => readDescription(fileWith(dupKey)))).toMatchObject({ ok: false, code: 'ARTIFACT_INVALID' });
  });

  it('random edits of the canonical text answer like the strict reader', () => {
    const tokens = ['"version":1,', '{', '}', '[', ']', ',', ':', '"kind"', '"linear"', '1', '-0', '1e2', ' ', '\\u0041', '"a":1,', '"input":{},'];
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(canonical.length), fc.nat(3), fc.constantFrom(...tokens)), { minLength: 1, maxLength: 4 }), (edits) => {
        let text = canonical;
        for (const [at, del, ins] of edits) text = text.slice(0, at % (text.length + 1)) + ins + text.slice((at % (text.length + 1)) + del);
        expect(outcome(() => readDescription(fileWith(text)))).toEqual(outcome(() => strict(text)));
      }),
      { numRuns: 500 },
    );
  });

  it('a loaded model keeps its own copy of the tensors (changing the input bytes later changes nothing)', () => {
    const bytes = encodeArtifact(desc, tb.tensors, PROV);
    const buf = Buffer.from(bytes);
    const m = loadModel(buf);
    const before = predict(m, [[1, 2]], { method: 'decision_function' }).data[0];
    buf.fill(0xff, parseSafetensors(bytes).dataOffset);
    expect(predict(m, [[1, 2]], { method: 'decision_function' }).data[0]).toBe(before);
    const a = decodeArtifact(bytes);
    expect(a.tensors.get('coef')!.data.buffer).not.toBe(bytes.buffer);
  });

  it('adopt: views into a whole buffer the caller hands over; a pooled or partial view is still copied', () => {
    const bytes = encodeArtifact(desc, tb.tensors, PROV);
    const whole = bytes.slice();
    const a = decodeArtifact(whole, { adopt: true });
    expect(a.tensors.get('coef')!.data.buffer).toBe(whole.buffer);
    expect([...(a.tensors.get('coef')!.data as Float64Array)]).toEqual([1, -2]);
    const pooled = Buffer.concat([Buffer.alloc(8, 7), Buffer.from(bytes)]).subarray(8);
    const b = decodeArtifact(pooled, { adopt: true });
    expect(b.tensors.get('coef')!.data.buffer).not.toBe(pooled.buffer);
    pooled.fill(0);
    expect([...(b.tensors.get('coef')!.data as Float64Array)]).toEqual([1, -2]);
    const m = loadModel(bytes.slice(), { adopt: true });
    expect(predict(m, [[1, 2]], { method: 'decision_function' }).data).toEqual(predict(loadModel(bytes), [[1, 2]], { method: 'decision_function' }).data);
  });

  it('tensors at offsets that are not a multiple of their width are copied, and predict the same', () => {
    const tt = new TensorBuilder();
    const trees = flatTrees(tt, [[{ f: 0, t: 0.5, l: 1, r: 2, ml: 1 }, { leaf: [1] }, { leaf: [3] }]], 1);
    const { extra: _extra, n_nodes, n_trees, ...refs } = trees;
    const td: ModelDescription = {
      input: { n_features: 1, named: true, features: feats(1, true) },
      output: { kind: 'regressor', n_outputs: 1, methods: ['predict'] },
      graph: {
        kind: 'tree-ensemble', split: 'sklearn-tree', n_features: 1, n_trees, n_nodes, value_width: 1, n_outputs: 1, aggregation: 'sum', base: [0],
        leaf_normalize: false, activation: { kind: 'identity' }, decision: false, ...refs, groups: tt.add('g', 'I32', [1], [0]),
      },
    };
    const canon = encodeArtifact(td, tt.tensors, PROV);
    const f = parseSafetensors(canon, { strict: true });
    // the U8 tensor (3 bytes) first: every wider tensor after it starts at an odd offset
    const names = [...f.tensors.map((t) => t.name)].sort((a, b) => (f.byName.get(a)!.dtype === 'U8' ? -1 : f.byName.get(b)!.dtype === 'U8' ? 1 : 0));
    const odd = writeInOrder(names, f);
    const a = decodeArtifact(odd);
    const adopted = decodeArtifact(odd.slice(), { adopt: true });
    for (const [name, t] of adopted.tensors) expect([...t.data]).toEqual([...a.tensors.get(name)!.data]);
    expect(parseSafetensors(odd, { strict: true }).tensors.some((t) => t.begin % 8 !== 0)).toBe(true);
    for (const [name, t] of a.tensors) expect([...t.data]).toEqual([...decodeArtifact(canon).tensors.get(name)!.data]);
    const X = [[0], [1], [NaN]];
    expect(predict(loadModel(odd), X).data).toEqual(predict(loadModel(canon), X).data);
  });
});
