import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MvError } from '../../../src/core/index.js';
import { ST_DTYPES, parseSafetensors, writeSafetensors, type StDtype } from '../../../src/formats/safetensors/index.js';
import { code } from '../../support/codes.js';

const enc = new TextEncoder();

/** Builds a file from a literal header string and a data buffer (no padding unless given). */
function file(header: string, data: Uint8Array = new Uint8Array(0), declared?: bigint): Uint8Array {
  const h = enc.encode(header);
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, declared ?? BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

const T = (dtype: string, shape: number[], b: number, e: number): string => JSON.stringify({ dtype, shape, data_offsets: [b, e] });

describe('parseSafetensors: valid files', () => {
  it('reads a two-tensor file with metadata', () => {
    const bytes = writeSafetensors(
      { b: { dtype: 'F32', shape: [2], data: new Float32Array([1, 2]) }, a: { dtype: 'F64', shape: [1, 2], data: new Float64Array([3, 4]) } },
      { format: 'pt' },
    );
    const f = parseSafetensors(bytes, { strict: true });
    expect(f.metadata).toEqual({ format: 'pt' });
    expect(f.tensors.map((t) => t.name)).toEqual(['a', 'b']); // F64 (align 8) before F32
    expect(f.headerBytes % 8).toBe(0);
    expect(new Float64Array(f.read('a').slice().buffer)).toEqual(new Float64Array([3, 4]));
    expect(new Float32Array(f.read('b').slice().buffer)).toEqual(new Float32Array([1, 2]));
    expect(bytes[8]).toBe(0x7b);
  });

  it('accepts an empty file header, scalars and zero-size tensors', () => {
    expect(parseSafetensors(file('{}')).tensors).toEqual([]);
    const f = parseSafetensors(file(`{"s":${T('I64', [], 0, 8)},"z":${T('F32', [0, 3], 8, 8)}}`, new Uint8Array(8)));
    expect(f.byName.get('s')!.shape).toEqual([]);
    expect(f.byName.get('z')!.end).toBe(8);
  });

  it('accepts leading/trailing JSON whitespace but flags it, and rejects it in strict mode', () => {
    const f = parseSafetensors(file(` \n{"__metadata__":null}\t `));
    expect(f.anomalies).toEqual(['header-leading-whitespace', 'header-trailing-whitespace']);
    expect(code(() => parseSafetensors(file(' {}'), { strict: true }))).toBe('ST_HEADER_INVALID');
    expect(parseSafetensors(file('{}      '), { strict: true }).anomalies).toEqual([]);
  });

  it('supports sub-byte dtypes when the bit count is whole', () => {
    expect(parseSafetensors(file(`{"x":${T('F4', [4], 0, 2)}}`, new Uint8Array(2))).tensors).toHaveLength(1);
    expect(code(() => parseSafetensors(file(`{"x":${T('F4', [3], 0, 2)}}`, new Uint8Array(2))))).toBe('ST_TENSOR_SIZE_MISMATCH');
    expect(parseSafetensors(file(`{"x":${T('F6_E2M3', [4], 0, 3)}}`, new Uint8Array(3))).tensors).toHaveLength(1);
  });

  it('reads through a ByteSource without touching the data', () => {
    const bytes = writeSafetensors({ a: { dtype: 'U8', shape: [3], data: new Uint8Array([7, 8, 9]) } });
    const reads: [number, number][] = [];
    const f = parseSafetensors({ size: bytes.length, read: (o, l) => (reads.push([o, l]), bytes.subarray(o, o + l)) });
    expect(reads).toHaveLength(2);
    expect([...f.read('a')]).toEqual([7, 8, 9]);
  });
});

describe('parseSafetensors: one adversarial input per error code', () => {
  it('ST_HEADER_TOO_SMALL', () => expect(code(() => parseSafetensors(new Uint8Array(7)))).toBe('ST_HEADER_TOO_SMALL'));
  it('ST_HEADER_TOO_LARGE (cap, and past end of file)', () => {
    expect(code(() => parseSafetensors(file('{}', new Uint8Array(0), 100_000_001n)))).toBe('ST_HEADER_TOO_LARGE');
    expect(code(() => parseSafetensors(file('{}', new Uint8Array(0), 2n ** 63n)))).toBe('ST_HEADER_TOO_LARGE');
    expect(code(() => parseSafetensors(file('{}', new Uint8Array(0), 3n)))).toBe('ST_HEADER_TOO_LARGE');
  });
  it('ST_HEADER_INVALID (UTF-8, JSON, shapes, keys, metadata)', () => {
    const bad = new Uint8Array([0x7b, 0xff, 0x7d]);
    const f = new Uint8Array(11);
    f[0] = 3;
    f.set(bad, 8);
    expect(code(() => parseSafetensors(f))).toBe('ST_HEADER_INVALID');
    for (const h of [
      '{', '[]', '{"a":1}', `{"a":${T('F32', [1], 0, 4).replace('}', ',"extra":1}')}}`,
      '{"a":{"dtype":"F32","shape":[1.0],"data_offsets":[0,4]}}', '{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}',
      '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0]}}', '{"a":{"dtype":"F32","shape":[1]}}',
      '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,1e1]}}', '{"__metadata__":{"k":1}}', '{"__metadata__":[]}',
      '{"a":{"dtype":"F32","shape":[18446744073709551616],"data_offsets":[0,4]}}', '{} x', '{"\\ud800":1}',
    ]) {
      expect(code(() => parseSafetensors(file(h, new Uint8Array(4)))), h).toBe('ST_HEADER_INVALID');
    }
  });
  it('ST_DUPLICATE_KEY (tensors, metadata keys, nested keys)', () => {
    expect(code(() => parseSafetensors(file(`{"a":${T('U8', [1], 0, 1)},"a":${T('U8', [1], 1, 2)}}`, new Uint8Array(2))))).toBe('ST_DUPLICATE_KEY');
    expect(code(() => parseSafetensors(file('{"__metadata__":{"k":"1","k":"2"}}')))).toBe('ST_DUPLICATE_KEY');
    expect(code(() => parseSafetensors(file('{"a":{"dtype":"U8","dtype":"U8","shape":[1],"data_offsets":[0,1]}}', new Uint8Array(1))))).toBe('ST_DUPLICATE_KEY');
    // escapes that decode to the same key are duplicates too
    expect(code(() => parseSafetensors(file(`{"a":${T('U8', [1], 0, 1)},"\\u0061":${T('U8', [1], 1, 2)}}`, new Uint8Array(2))))).toBe('ST_DUPLICATE_KEY');
  });
  it('ST_INVALID_DTYPE', () => expect(code(() => parseSafetensors(file(`{"a":${T('C128', [1], 0, 16)}}`, new Uint8Array(16))))).toBe('ST_INVALID_DTYPE'));
  it('ST_OFFSETS_NOT_CONTIGUOUS (gap, overlap, alias, reversed, not from 0)', () => {
    const d = new Uint8Array(8);
    for (const h of [
      `{"a":${T('U8', [1], 1, 2)}}`,
      `{"a":${T('U8', [2], 0, 2)},"b":${T('U8', [2], 1, 3)}}`,
      `{"a":${T('U8', [2], 0, 2)},"b":${T('U8', [2], 0, 2)}}`,
      `{"a":${T('U8', [2], 0, 2)},"b":${T('U8', [2], 3, 5)}}`,
      `{"a":${T('U8', [0], 2, 1)}}`,
    ]) expect(code(() => parseSafetensors(file(h, d))), h).toBe('ST_OFFSETS_NOT_CONTIGUOUS');
  });
  it('ST_TENSOR_SIZE_MISMATCH (wrong length, overflow)', () => {
    expect(code(() => parseSafetensors(file(`{"a":${T('F32', [2], 0, 4)}}`, new Uint8Array(4))))).toBe('ST_TENSOR_SIZE_MISMATCH');
    expect(code(() => parseSafetensors(file(`{"a":${T('F32', [4294967296, 4294967296], 0, 4)}}`, new Uint8Array(4))))).toBe('ST_TENSOR_SIZE_MISMATCH');
  });
  it('ST_INCOMPLETE_BUFFER (trailing bytes, short data)', () => {
    expect(code(() => parseSafetensors(file(`{"a":${T('U8', [1], 0, 1)}}`, new Uint8Array(2))))).toBe('ST_INCOMPLETE_BUFFER');
    expect(code(() => parseSafetensors(file(`{"a":${T('U8', [4], 0, 4)}}`, new Uint8Array(2))))).toBe('ST_INCOMPLETE_BUFFER');
  });
});

const DTYPES = ST_DTYPES.filter((d) => d.bits % 8 === 0).map((d) => d.name);

const tensorArb = fc
  .record({ dtype: fc.constantFrom(...DTYPES), shape: fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 }) })
  .chain(({ dtype, shape }) => {
    const bytes = (shape.reduce((a, b) => a * b, 1) * ST_DTYPES.find((d) => d.name === dtype)!.bits) / 8;
    return fc.uint8Array({ minLength: bytes, maxLength: bytes }).map((data) => ({ dtype: dtype as StDtype, shape, data }));
  });

describe('safetensors properties', () => {
  it('parse(write(x)) == x and write is canonical (idempotent)', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ maxLength: 6 }).filter((s) => s !== '__metadata__'), tensorArb, { maxKeys: 5 }), fc.option(fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 })), (ts, md) => {
        const bytes = writeSafetensors(ts, md);
        const f = parseSafetensors(bytes, { strict: true });
        expect(f.headerBytes % 8).toBe(0);
        expect(f.metadata ? { ...f.metadata } : null).toEqual(md && Object.keys(md).length >= 0 ? md : null);
        for (const [name, t] of Object.entries(ts)) {
          const info = f.byName.get(name)!;
          expect(info.dtype).toBe(t.dtype);
          expect(info.shape).toEqual(t.shape);
          expect([...f.read(name)]).toEqual([...t.data]);
        }
        const again = writeSafetensors(new Map(f.tensors.map((t) => [t.name, { dtype: t.dtype, shape: t.shape, data: f.read(t.name) }])), f.metadata);
        expect([...again]).toEqual([...bytes]);
      }),
      { numRuns: 200 },
    );
  });

  it('random bytes and mutated valid files: only MvError, fast', () => {
    const seed = writeSafetensors({ w: { dtype: 'F32', shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) }, b: { dtype: 'I64', shape: [1], data: new BigInt64Array([5n]) } }, { k: 'v' });
    const check = (b: Uint8Array): void => {
      try {
        parseSafetensors(b);
      } catch (e) {
        if (!(e instanceof MvError)) throw e;
      }
    };
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (b) => check(b)), { numRuns: 500 });
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(seed.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), fc.nat(seed.length), (muts, cut) => {
        const b = seed.slice(0, Math.max(cut, 8));
        for (const [i, v] of muts) if (i < b.length) b[i] = v;
        check(b);
      }),
      { numRuns: 1000 },
    );
  });
});
