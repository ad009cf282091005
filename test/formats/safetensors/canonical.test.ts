import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isMvError } from '../../../src/core/index.js';
import { parseSafetensors } from '../../../src/formats/safetensors/index.js';

// Canonical headers (JSON.stringify output + space padding, as writers emit them) take the native
// JSON.parse; anything else the strict reader. Both must give the same file, or the same error code.

const enc = new TextEncoder();
function file(headerText: string, dataBytes: number): Uint8Array {
  const h = enc.encode(headerText);
  const out = new Uint8Array(8 + h.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  return out;
}

const outcome = (bytes: Uint8Array): unknown => {
  try {
    const f = parseSafetensors(bytes, { strict: true });
    return { metadata: f.metadata, tensors: f.tensors, dataOffset: f.dataOffset - f.headerBytes };
  } catch (e) {
    if (!isMvError(e)) throw e;
    return { code: e.code };
  }
};

const DTYPES = ['F64', 'F32', 'I64', 'U8', 'BOOL', 'F16', 'NOPE'];
const header = fc.record({
  meta: fc.option(fc.dictionary(fc.string({ maxLength: 6 }), fc.oneof(fc.string({ maxLength: 8 }), fc.integer())), { nil: undefined }),
  tensors: fc.array(fc.record({
    name: fc.string({ minLength: 1, maxLength: 6 }),
    dtype: fc.constantFrom(...DTYPES),
    shape: fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }),
    skew: fc.constantFrom(0, 0, 0, 1, -1),
  }), { maxLength: 4 }),
  extraData: fc.constantFrom(0, 0, 1),
  padding: fc.integer({ min: 0, max: 9 }),
});

describe('safetensors canonical-header fast path', () => {
  it('gives the same file or the same error as the strict reader', () => {
    fc.assert(fc.property(header, ({ meta, tensors, extraData, padding }) => {
      const obj: Record<string, unknown> = {};
      if (meta) obj.__metadata__ = meta;
      let off = 0;
      const width: Record<string, number> = { F64: 8, F32: 4, I64: 8, U8: 1, BOOL: 1, F16: 2, NOPE: 1 };
      for (const t of tensors) {
        const n = t.shape.reduce((a, b) => a * b, 1) * width[t.dtype]!;
        obj[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [off, Math.max(off, off + n + t.skew)] };
        off += n;
      }
      const data = off + extraData;
      const canonical = JSON.stringify(obj) + ' '.repeat(padding);
      const spaced = JSON.stringify(obj, null, 1); // whitespace inside: the strict reader only
      const a = outcome(file(canonical, data));
      const b = outcome(file(spaced, data));
      if ('code' in (b as object)) expect(a).toEqual(b);
      else expect({ ...(a as object), dataOffset: 0 }).toEqual({ ...(b as object), dataOffset: 0 });
    }), { numRuns: 400 });
  });

  it('duplicate keys and lossy numbers never pass the fast path', () => {
    const dup = '{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}';
    expect(outcome(file(dup, 1))).toEqual({ code: 'ST_DUPLICATE_KEY' });
    const big = '{"a":{"dtype":"U8","shape":[9007199254740993],"data_offsets":[0,1]}}';
    expect(outcome(file(big, 1))).toMatchObject({ code: expect.stringMatching(/^ST_/) });
  });
});
