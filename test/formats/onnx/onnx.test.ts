import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DEFAULT_LIMITS, withLimits } from '../../../src/core/index.js';
import { readOnnx } from '../../../src/formats/onnx/index.js';
import { expectCode, onlyMvError } from '../zip/expect-code.js';

const FIX = new URL('../../fixtures/onnx/', import.meta.url);
const load = (n: string): Uint8Array => new Uint8Array(readFileSync(new URL(n, FIX)));
const expected = JSON.parse(readFileSync(new URL('expected.json', FIX), 'utf8')) as Record<string, {
  irVersion: number; opsets: [string, number][]; nodes: [string, string][]; external: Record<string, string>[]; functionDomains: string[];
}>;

// Tiny protobuf writer for adversarial inputs.
const varint = (n: number): number[] => { const o: number[] = []; do { let b = n % 128; n = Math.floor(n / 128); if (n) b |= 128; o.push(b); } while (n); return o; };
const tag = (no: number, wt: number): number[] => varint(no * 8 + wt);
const len = (no: number, body: number[]): number[] => [...tag(no, 2), ...varint(body.length), ...body];
const s = (no: number, text: string): number[] => len(no, [...new TextEncoder().encode(text)]);
const node = (op: string, domain = ''): number[] => len(1, [...s(4, op), ...(domain ? s(7, domain) : [])]);
const model = (...fields: number[][]): Uint8Array => new Uint8Array([...tag(1, 0), 8, ...fields.flat()]);
const graph = (...body: number[][]): number[] => len(7, body.flat());

describe('readOnnx matches onnx on onnx.helper models', () => {
  it.each(Object.keys(expected))('%s', (f) => {
    const e = expected[f]!;
    const m = readOnnx(load(f), DEFAULT_LIMITS);
    expect(m.irVersion).toBe(e.irVersion);
    expect(m.opsetImports.map((o) => [o.domain, o.version])).toEqual(e.opsets);
    expect(m.nodes.map((n) => [n.opType, n.domain])).toEqual(e.nodes);
    expect(m.externalData.map((x) => ({ location: x.location, ...(x.offset === undefined ? {} : { offset: String(x.offset) }), ...(x.length === undefined ? {} : { length: String(x.length) }) })))
      .toEqual(e.external);
    expect(m.functionDomains).toEqual(e.functionDomains);
  });

  it('matmul_add: initializers and producer', () => {
    const m = readOnnx(load('matmul_add.onnx'), DEFAULT_LIMITS);
    expect(m.producerName).toBe('modelvault-fixture');
    expect(m.tensors.map((t) => [t.name, t.dataType, t.dims, t.external])).toEqual([['W', 1, [2, 2], false], ['B', 1, [2], false]]);
  });

  it('external data: traversal and absolute locations are reported as written, with the tensor', () => {
    expect(readOnnx(load('external_traversal.onnx'), DEFAULT_LIMITS).externalData).toEqual([{ tensor: 'W', location: '../../etc/passwd', scope: 'graph.initializer' }]);
    expect(readOnnx(load('external_absolute.onnx'), DEFAULT_LIMITS).externalData[0]).toMatchObject({ location: '/etc/passwd', offset: 0, length: 64 });
  });

  it('sub-graph nodes carry their scope', () => {
    const hidden = readOnnx(load('subgraph_function.onnx'), DEFAULT_LIMITS).nodes.find((n) => n.opType === 'Hidden')!;
    expect(hidden.scope).toBe('graph/if0.then_branch');
  });
});

describe('adversarial models (ONNX_INVALID with offset)', () => {
  it('accepts a minimal hand-built model', () => {
    expect(readOnnx(model(graph(node('Relu'))), DEFAULT_LIMITS).nodes).toEqual([{ opType: 'Relu', domain: '', scope: 'graph' }]);
  });
  it('no graph', () => expectCode(() => readOnnx(model(), DEFAULT_LIMITS), 'ONNX_INVALID', 0));
  it('truncated varint', () => expectCode(() => readOnnx(new Uint8Array([0x08, 0x80]), DEFAULT_LIMITS), 'ONNX_INVALID', 2));
  it('11-byte varint', () => expectCode(() => readOnnx(new Uint8Array([0x08, ...new Array(10).fill(0xff), 1]), DEFAULT_LIMITS), 'ONNX_INVALID'));
  it('length past the end', () => expectCode(() => readOnnx(new Uint8Array([0x08, 8, 0x3a, 0x7f]), DEFAULT_LIMITS), 'ONNX_INVALID', 3));
  it('group wire type', () => expectCode(() => readOnnx(new Uint8Array([0x08, 8, 0x3b]), DEFAULT_LIMITS), 'ONNX_INVALID', 2));
  it('field number 0', () => expectCode(() => readOnnx(new Uint8Array([0x00, 1]), DEFAULT_LIMITS), 'ONNX_INVALID', 0));
  it('known field with the wrong wire type', () => expectCode(() => readOnnx(model([...tag(7, 0), 1]), DEFAULT_LIMITS), 'ONNX_INVALID', 2));
  it('op_type that is not UTF-8', () => expectCode(() => readOnnx(model(graph(len(1, len(4, [0xff])))), DEFAULT_LIMITS), 'ONNX_INVALID', 8));
  it('external tensor without location', () => {
    const t = len(5, [...s(8, 'W'), ...tag(14, 0), 1]);
    expectCode(() => readOnnx(model(graph(t)), DEFAULT_LIMITS), 'ONNX_INVALID', 4);
  });
  it('external_data entries on an internal tensor', () => {
    const t = len(5, [...s(8, 'W'), ...len(13, [...s(1, 'location'), ...s(2, 'x')])]);
    expectCode(() => readOnnx(model(graph(t)), DEFAULT_LIMITS), 'ONNX_INVALID', 4);
  });
  it('non-numeric external offset', () => {
    const t = len(5, [...tag(14, 0), 1, ...len(13, [...s(1, 'location'), ...s(2, 'x')]), ...len(13, [...s(1, 'offset'), ...s(2, '-1')])]);
    expectCode(() => readOnnx(model(graph(t)), DEFAULT_LIMITS), 'ONNX_INVALID');
  });
  it('repeated external key', () => {
    const loc = len(13, [...s(1, 'location'), ...s(2, 'x')]);
    expectCode(() => readOnnx(model(graph(len(5, [...tag(14, 0), 1, ...loc, ...loc]))), DEFAULT_LIMITS), 'ONNX_INVALID');
  });
  it('graphs nested too deeply', () => {
    let g = node('Relu');
    for (let i = 0; i < 70; i++) g = len(1, [...s(4, 'If'), ...len(5, [...s(1, 'then_branch'), ...len(6, g)])]);
    expectCode(() => readOnnx(model(graph(g)), DEFAULT_LIMITS), 'ONNX_INVALID');
  });
  it('too many nodes → LIMIT_EXCEEDED', () => {
    const e = expectCode(() => readOnnx(model(graph(node('A'), node('B'), node('C'))), withLimits({ maxContainerItems: 2 })), 'LIMIT_EXCEEDED');
    expect(e.at.limit).toBe('maxContainerItems');
  });
  it('nodes in a function attribute default graph and in a repeated (merged) graph field are walked', () => {
    const fnAttr = len(11, [...s(1, 'body'), ...len(6, node('Evil', 'com.evil'))]);
    const fn = len(25, [...s(1, 'F'), ...s(10, 'local'), ...fnAttr]);
    const m = readOnnx(model(graph(node('A')), graph(node('B')), fn), DEFAULT_LIMITS);
    expect(m.nodes.map((n) => [n.opType, n.scope])).toEqual([['A', 'graph'], ['B', 'graph'], ['Evil', 'function:local/F.body']]);
  });

  it('unknown fields are skipped (protobuf semantics), packed and unpacked dims both read', () => {
    const t = len(5, [...tag(1, 0), 3, ...len(1, [4, 5]), ...tag(99, 5), 1, 2, 3, 4, ...tag(98, 1), 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(readOnnx(model(graph(t), [...tag(500, 0), 1]), DEFAULT_LIMITS).tensors[0]!.dims).toEqual([3, 4, 5]);
  });
});

describe('properties', () => {
  it('random bytes only throw MvError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => onlyMvError(() => readOnnx(b, DEFAULT_LIMITS))), { numRuns: 2000 });
  });
  it('mutations of real models only throw MvError', () => {
    const models = Object.keys(expected).map(load);
    fc.assert(fc.property(fc.nat(models.length - 1), fc.array(fc.tuple(fc.nat(400), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), (i, edits) => {
      const b = models[i]!.slice();
      for (const [at, v] of edits) b[at % b.length] = v;
      onlyMvError(() => readOnnx(b, DEFAULT_LIMITS));
    }), { numRuns: 2000 });
  });
});
