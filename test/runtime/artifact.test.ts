import { describe, expect, it } from 'vitest';
import { parseSafetensors, writeSafetensors } from '../../src/formats/safetensors/index.js';
import { TensorBuilder, decodeArtifact, encodeArtifact, type ModelDescription, type Provenance } from '../../src/runtime/index.js';
import { code } from '../support/codes.js';

export const PROV: Provenance = {
  source_sha256: 'a'.repeat(64),
  source_format: 'test',
  library: { name: 'scikit-learn', version: '1.2.1' },
  converter: { name: 'modelvault', version: '0.1.0' },
  created: '2026-01-01T00:00:00Z',
};

export function linearModel(): { desc: ModelDescription; tb: TensorBuilder } {
  const tb = new TensorBuilder();
  const coef = tb.add('coef', 'F64', [1, 2], [1, -2]);
  const intercept = tb.add('intercept', 'F64', [1], [0.5]);
  const desc: ModelDescription = {
    input: { n_features: 2, named: true, features: [{ name: 'a', type: 'number', missing: false }, { name: 'b', type: 'number', missing: false }] },
    output: { kind: 'classifier', classes: ['no', 'yes'], methods: ['predict', 'predict_proba', 'decision_function'] },
    graph: { kind: 'linear', coef, intercept, proba: { kind: 'logistic' } },
  };
  return { desc, tb };
}

function rewrite(bytes: Uint8Array, edit: (model: Record<string, unknown>, tensors: Map<string, { dtype: any; shape: number[]; data: Uint8Array }>, md: Record<string, string>) => void): Uint8Array {
  const f = parseSafetensors(bytes);
  const md = { ...f.metadata! };
  const model = JSON.parse(md.model!) as Record<string, unknown>;
  const tensors = new Map(f.tensors.map((t) => [t.name, { dtype: t.dtype, shape: [...t.shape], data: f.read(t.name).slice() }]));
  edit(model, tensors, md);
  if (md.model !== undefined && !md.__keep) md.model = JSON.stringify(model);
  delete md.__keep;
  return writeSafetensors(tensors, md);
}

describe('artifact', () => {
  it('round-trips description and tensors; any safetensors reader sees plain tensors', () => {
    const { desc, tb } = linearModel();
    const bytes = encodeArtifact(desc, tb.tensors, PROV);
    const st = parseSafetensors(bytes, { strict: true });
    expect(st.metadata!.format).toBe('modelvault/1');
    expect(st.tensors.map((t) => t.name)).toEqual(['coef', 'intercept']);
    const a = decodeArtifact(bytes);
    expect(a.ir.graph).toEqual(desc.graph);
    expect(a.ir.provenance).toEqual(PROV);
    expect(a.ir.version).toBe(1);
    expect([...(a.tensors.get('coef')!.data as Float64Array)]).toEqual([1, -2]);
  });

  it('decodes from a pooled Node Buffer view (copies tensors, never aliases the pool)', () => {
    const { desc, tb } = linearModel();
    const bytes = encodeArtifact(desc, tb.tensors, PROV);
    const pooled = Buffer.concat([Buffer.alloc(13, 7), Buffer.from(bytes)]).subarray(13);
    const a = decodeArtifact(pooled);
    expect([...(a.tensors.get('coef')!.data as Float64Array)]).toEqual([1, -2]);
  });

  it('refuses an invalid description at encode time', () => {
    const { desc, tb } = linearModel();
    expect(code(() => encodeArtifact({ ...desc, output: { ...desc.output, classes: ['x'] } as never }, tb.tensors, PROV))).toBe('ARTIFACT_INVALID');
    expect(code(() => encodeArtifact(desc, tb.tensors, { ...PROV, source_sha256: 'xyz' }))).toBe('ARTIFACT_INVALID');
  });

  const bytes = (() => {
    const { desc, tb } = linearModel();
    return encodeArtifact(desc, tb.tensors, PROV);
  })();

  const cases: [string, Parameters<typeof rewrite>[1]][] = [
    ['unreferenced tensor', (_m, t) => t.set('extra', { dtype: 'U8', shape: [1], data: new Uint8Array(1) })],
    ['missing tensor', (_m, t) => t.delete('intercept')],
    ['wrong dtype', (_m, t) => t.set('intercept', { dtype: 'F32', shape: [2], data: new Uint8Array(8) })],
    ['wrong shape', (_m, t) => t.set('intercept', { dtype: 'F64', shape: [1, 1], data: new Uint8Array(8) })],
    ['unknown operator', (m) => ((m.graph as Record<string, unknown>).kind = 'python-callable')],
    ['extra field', (m) => ((m.graph as Record<string, unknown>).callable = 'os.system')],
    ['wrong version', (m) => (m.version = 2)],
    ['wrong format tag', (_m, _t, md) => (md.format = 'modelvault/2')],
    ['extra metadata key', (_m, _t, md) => (md.other = 'x')],
    ['no model', (_m, _t, md) => void delete md.model],
    ['duplicate JSON key', (_m, _t, md) => ((md.model = md.model!.replace('{"version":1', '{"version":1,"version":1')), (md.__keep = '1'))],
    ['inconsistent widths', (m) => ((m.input as Record<string, unknown>).n_features = 3)],
    ['classes vs outputs', (m) => ((m.output as Record<string, unknown>).classes = ['a', 'b', 'c'])],
    ['unavailable method', (m) => ((m.output as Record<string, unknown>).methods = ['transform'])],
  ];
  for (const [name, edit] of cases) {
    it(`rejects: ${name}`, () => expect(code(() => decodeArtifact(rewrite(bytes, edit)))).toBe('ARTIFACT_INVALID'));
  }

  describe('input.features by column', () => {
    const stored = (b: Uint8Array): Record<string, unknown> => (JSON.parse(parseSafetensors(b).metadata!.model!) as { input: Record<string, unknown> }).input;
    const features = (...types: ('number' | 'string' | 'any')[]): ModelDescription['input'] => ({
      n_features: types.length, named: false, features: types.map((type, j) => ({ name: `x${j}`, type, missing: j === 1 })),
    });
    it('is what encodeArtifact writes: implied names x0…, one value when all features agree', () => {
      const { desc, tb } = linearModel();
      expect(stored(bytes)).toEqual({ n_features: 2, features: { names: ['a', 'b'], type: 'number', missing: false }, named: true });
      const unnamed = encodeArtifact({ ...desc, input: features('number', 'number') }, tb.tensors, PROV);
      expect(stored(unnamed)).toEqual({ n_features: 2, features: { type: 'number', missing: [false, true] }, named: false });
      expect(decodeArtifact(unnamed).ir.input).toEqual(features('number', 'number'));
      // a name that is not x<j> is written even when the model has no names of its own
      const renamed = { ...desc, input: { ...features('number', 'number'), features: [{ name: 'x1', type: 'number', missing: false }, { name: 'x0', type: 'number', missing: true }] } } as ModelDescription;
      expect(stored(encodeArtifact(renamed, tb.tensors, PROV)).features).toEqual({ names: ['x1', 'x0'], type: 'number', missing: [false, true] });
      expect(decodeArtifact(encodeArtifact(renamed, tb.tensors, PROV)).ir.input).toEqual(renamed.input);
    });
    it('one object per feature (the other form) decodes to the same description', () => {
      const full = rewrite(bytes, (m) => ((m.input as Record<string, unknown>).features = linearModel().desc.input.features));
      expect(Array.isArray(stored(full).features)).toBe(true);
      expect(decodeArtifact(full).ir).toEqual(decodeArtifact(bytes).ir);
    });
    const refused: [string, unknown, number?][] = [
      ['names for another feature count', { names: ['a'], type: 'number', missing: false }],
      ['types for another feature count', { names: ['a', 'b'], type: ['number'], missing: false }],
      ['missing for another feature count', { names: ['a', 'b'], type: 'number', missing: [true, false, true] }],
      ['an unknown type', { names: ['a', 'b'], type: 'callable', missing: false }],
      ['an extra field', { names: ['a', 'b'], type: 'number', missing: false, call: 'os.system' }],
      ['no missing', { names: ['a', 'b'], type: 'number' }],
      ['more features than any model may declare', { type: 'number', missing: false }, 2 ** 20 + 1],
    ];
    for (const [name, features, n] of refused) {
      it(`refuses ${name}`, () => {
        const b = rewrite(bytes, (m) => Object.assign(m.input as Record<string, unknown>, { features }, n ? { n_features: n } : {}));
        const e = (() => { try { decodeArtifact(b); } catch (x) { return x as { code: string; message: string }; } })();
        expect(e?.code).toBe('ARTIFACT_INVALID');
        expect(e?.message).toMatch(n ? /n_features must be <= 1048576/ : /input|features/);
      });
    }
  });

  it('rejects a non-artifact safetensors file and malformed safetensors', () => {
    expect(code(() => decodeArtifact(writeSafetensors({ a: { dtype: 'F64', shape: [1], data: new Float64Array(1) } })))).toBe('ARTIFACT_INVALID');
    expect(code(() => decodeArtifact(bytes.subarray(0, bytes.length - 1)))).toBe('ST_INCOMPLETE_BUFFER');
  });
});
