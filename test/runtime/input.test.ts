import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MvError } from '../../src/core/index.js';
import { describeModel, parseCsv, parseNpy, predict, readInput, type InputSchema } from '../../src/runtime/index.js';
import { build, feats } from './helpers.js';
import { code } from '../support/codes.js';

const enc = (s: string) => new TextEncoder().encode(s);
const schema: InputSchema = {
  n_features: 3,
  named: true,
  features: [
    { name: 'a', type: 'number', missing: true },
    { name: 'b', type: 'string', missing: false },
    { name: 'c', type: 'category', missing: false },
  ],
};

function npy(descr: string, shape: number[], data: ArrayBufferView, fortran = false): Uint8Array {
  const hdr = `{'descr': '${descr}', 'fortran_order': ${fortran ? 'True' : 'False'}, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const pad = 64 - ((10 + hdr.length + 1) % 64);
  const h = enc(hdr + ' '.repeat(pad % 64) + '\n');
  const out = new Uint8Array(10 + h.length + data.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, h.length & 255, h.length >> 8]);
  out.set(h, 10);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + h.length);
  return out;
}

describe('input readers', () => {
  it('CSV: quoting, CRLF, name matching in any order, missing values', () => {
    const f = readInput(enc('c,"b",a\r\n1,"x, ""y""",\r\n2,z,1.5e1\r\n'), 'csv', schema);
    expect(f.rows).toBe(2);
    expect(Array.from(f.data)).toEqual([NaN, NaN, 1, 15, NaN, 2]);
    expect(f.text?.[1]).toEqual(['x, "y"', 'z']);
    expect(parseCsv('a,b\n1,2')).toEqual([['a', 'b'], ['1', '2']]);
  });
  it('CSV errors name the row and column', () => {
    const at = (s: string) => {
      try {
        readInput(enc(s), 'csv', schema);
      } catch (e) {
        return [(e as MvError).code, (e as MvError).at.path];
      }
      return 'OK';
    };
    expect(at('a,b,c\nx,y,1\n')).toEqual(['INPUT_INVALID', ['input', 0, 0]]);
    expect(at('a,b,c\n1,y,1.5\n')).toEqual(['INPUT_INVALID', ['input', 0, 2]]);
    expect(at('a,b,c\n1,,1\n')).toEqual(['INPUT_INVALID', ['input', 0, 1]]);
    expect(at('a,b,d\n1,y,1\n')).toEqual(['INPUT_INVALID', ['input', 'header']]);
    expect(at('a,b,c\n1,y\n')).toEqual(['INPUT_INVALID', ['input', 0]]);
    expect(at('a,b,c\n1,"y,1\n')[0]).toBe('INPUT_INVALID');
    expect(at('a,b,a\n1,y,1\n')[0]).toBe('INPUT_INVALID');
  });
  it('JSON rows and records; strings are not numbers; duplicate keys refused', () => {
    expect(Array.from(readInput(enc('[[1, "q", 2], {"c": 3, "a": null, "b": "r"}]'), 'json', schema).data)).toEqual([1, NaN, 2, NaN, NaN, 3]);
    expect(code(() => readInput(enc('[["1", "q", 2]]'), 'json', schema))).toBe('INPUT_INVALID');
    expect(code(() => readInput(enc('[{"a": 1, "a": 2, "b": "q", "c": 1}]'), 'json', schema))).toBe('INPUT_INVALID');
    expect(code(() => readInput(enc('[[1, "q", [2]]]'), 'json', schema))).toBe('INPUT_INVALID');
    expect(code(() => readInput(enc('{"a": 1}'), 'json', schema))).toBe('INPUT_INVALID');
    expect(code(() => readInput(enc('[[1, "q", true]]'), 'json', schema))).toBe('INPUT_INVALID');
  });
  it('.npy: dtypes, byte order, Fortran order, refusals', () => {
    const num: InputSchema = { n_features: 2, named: false, features: [{ name: 'x0', type: 'number', missing: true }, { name: 'x1', type: 'number', missing: true }] };
    expect(Array.from(readInput(npy('<f8', [2, 2], new Float64Array([1, 2, 3, 4])), 'npy', num).data)).toEqual([1, 2, 3, 4]);
    expect(Array.from(readInput(npy('<i4', [2, 2], new Int32Array([1, 2, 3, 4]), true), 'npy', num).data)).toEqual([1, 3, 2, 4]);
    const be = new DataView(new ArrayBuffer(16));
    be.setFloat64(0, 1.5, false);
    be.setFloat64(8, -2, false);
    expect(Array.from(parseNpy(npy('>f8', [2], be)).data)).toEqual([1.5, -2]);
    expect(code(() => readInput(npy('|O', [2, 2], new Uint8Array(4)), 'npy', num))).toBe('NPY_HEADER_INVALID');
    expect(code(() => readInput(npy('<f8', [3, 3], new Float64Array(9)), 'npy', num))).toBe('INPUT_INVALID');
    expect(code(() => readInput(npy('<f8', [2, 2], new Float64Array(3)), 'npy', num))).toBe('NPY_HEADER_INVALID');
  });
  it('property: arbitrary bytes in every reader only throw MvError', () => {
    const check = (b: Uint8Array, fmt: 'csv' | 'json' | 'npy') => {
      try {
        readInput(b, fmt, schema);
      } catch (e) {
        if (!(e instanceof MvError)) throw e;
      }
    };
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), fc.constantFrom('csv' as const, 'json' as const, 'npy' as const), check), { numRuns: 1000 });
    fc.assert(fc.property(fc.string({ maxLength: 200 }), (s) => check(enc(`a,b,c\n${s}`), 'csv')), { numRuns: 500 });
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 3 }), (v) => check(enc(JSON.stringify(v)), 'json')), { numRuns: 500 });
  });
  it('property: CSV of generated rows reads back the same cells', () => {
    const field = fc.string({ maxLength: 8 }).filter((s) => s !== '');
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.double({ noNaN: true, noDefaultInfinity: true }), field, fc.integer({ min: -5, max: 5 })), { maxLength: 6 }), (rows) => {
        const q = (s: string) => `"${s.replace(/"/g, '""')}"`;
        const text = `a,b,c\n${rows.map(([a, b, c]) => `${Object.is(a, -0) ? 0 : a},${q(b)},${c}`).join('\n')}`;
        const f = readInput(enc(text), 'csv', schema);
        expect(f.rows).toBe(rows.length);
        rows.forEach(([a, b, c], i) => {
          expect(f.data[i * 3]).toBe(Object.is(a, -0) ? 0 : a);
          expect(f.text![1]![i]).toBe(b);
          expect(f.data[i * 3 + 2]).toBe(c);
        });
      }),
      { numRuns: 300 },
    );
  });
  it('Float64Array input is checked against the schema', () => {
    const m = build(feats(2), { kind: 'regressor', n_outputs: 1, methods: ['predict'] }, (tb) => ({ kind: 'linear', coef: tb.add('c', 'F64', [1, 2], [1, 1]), intercept: tb.add('i', 'F64', [1], [0]) }));
    expect(Array.from(predict(m, new Float64Array([1, 2, 3, 4])).data as Float64Array)).toEqual([3, 7]);
    expect(code(() => predict(m, new Float64Array([1, 2, 3])))).toBe('INPUT_INVALID');
    expect(code(() => predict(m, new Float64Array([1, NaN])))).toBe('INPUT_INVALID');
    const d = describeModel(m);
    expect(d).toMatchObject({ kind: 'regressor', methods: ['predict'], graph: { kind: 'linear', targets: 1, features: 2 } });
  });
});
