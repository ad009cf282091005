/**
 * Columns a ColumnTransformer drops are typed `any`: nothing reads them, so a number, text or a
 * missing value there is accepted and changes nothing; an artifact claiming `any` for a column its
 * graph reads is refused (the operator would see NaN for text: a silent coercion).
 */
import { describe, expect, it } from 'vitest';
import { convertGraph } from '../../src/convert/index.js';
import { inferFeatures } from '../../src/convert/schema.js';
import { encodeArtifact, loadModel, predict, type Cell, type Op } from '../../src/runtime/index.js';
import { code } from '../support/codes.js';
import { listExpected, loadGraph } from './fixtures.js';

const OPTS = { sourceSha256: '0'.repeat(64), created: '2026-01-01T00:00:00Z' };

describe('columns no operator reads', () => {
  it('a dropped column is typed any and takes numbers, text or nothing with the same result', async () => {
    const e = listExpected().find((x) => x.name === 'column_transformer_drop')!;
    const { value } = await loadGraph(e.file);
    const c = convertGraph(value, OPTS);
    const model = loadModel(encodeArtifact(c.ir, c.tensors, c.ir.provenance));
    expect(model.ir.input.features.map((f) => f.type)).toEqual(['number', 'number', 'number', 'any', 'string']);
    const rows = e.input as Cell[][];
    const want = Array.from(predict(model, rows, { method: 'transform' }).data as Float64Array);
    for (const v of [12345, -0.5, null, '']) {
      const got = predict(model, rows.map((r) => r.map((c, j) => (j === 3 ? v : c))), { method: 'transform' }).data;
      expect(Array.from(got as Float64Array)).toEqual(want);
    }
    expect(() => predict(model, rows.map((r) => r.map((c, j) => (j === 3 ? (true as unknown as Cell) : c))), { method: 'transform' })).toThrow(/row 0, column 3.*expected a number or text/);
  });

  it('an artifact typing a column any that its graph reads is refused', async () => {
    const e = listExpected().find((x) => x.name === 'column_transformer_drop')!;
    const { value } = await loadGraph(e.file);
    const { ir, tensors } = convertGraph(value, OPTS);
    for (const j of [0, 4]) {
      const features = ir.input.features.map((f, k) => (k === j ? { ...f, type: 'any' as const } : f));
      const f = (): unknown => encodeArtifact({ input: { ...ir.input, features }, output: ir.output, graph: ir.graph }, tensors, ir.provenance);
      expect(code(f)).toBe('ARTIFACT_INVALID');
      expect(f).toThrow(new RegExp(`feature ${j} is typed any but the graph reads it`));
    }
  });

  it('a column carried along and dropped by a later step stays text (only what the runtime can see unread is any)', () => {
    const select = (columns: number[]): Op => ({ kind: 'column-select', columns });
    const direct: Op = { kind: 'concat', parts: [select([0, 1])] };
    expect(inferFeatures(direct, 3, undefined, new Map(), true).map((f) => f.type)).toEqual(['number', 'number', 'any']);
    const later: Op = { kind: 'pipeline', steps: [{ kind: 'concat', parts: [select([0, 1, 2])] }, { kind: 'concat', parts: [select([0, 1])] }] };
    expect(inferFeatures(later, 3, undefined, new Map(), true).map((f) => f.type)).toEqual(['number', 'number', 'string']);
  });
});
