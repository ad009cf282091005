import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isMvError } from '../../src/core/index.js';
import { decodeFrame, encodeFrame, FrameReader } from '../../src/sandbox/wire.js';

// The pool ↔ artifact-worker channel: JSON + typed-array blobs, reassembled from arbitrary pipe reads.

const typed = fc.oneof(
  fc.array(fc.double(), { maxLength: 40 }).map((a) => Float64Array.from(a)),
  fc.array(fc.float(), { maxLength: 40 }).map((a) => Float32Array.from(a)),
  fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { maxLength: 40 }).map((a) => Int32Array.from(a)),
  fc.uint8Array({ maxLength: 40 }),
  fc.array(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), { maxLength: 10 }).map((a) => BigInt64Array.from(a)),
  fc.array(fc.integer({ min: 0, max: 65535 }), { maxLength: 40 }).map((a) => Uint16Array.from(a)),
);
const plain = fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.oneof(fc.string(), fc.integer(), fc.constant(null)), { maxLength: 5 }));
const message = fc.record({ t: fc.constantFrom('predictAll', 'results', 'load'), id: fc.nat(), key: fc.string(), extra: plain, blobs: fc.array(typed, { maxLength: 4 }), nested: fc.record({ data: typed, shape: fc.array(fc.nat(100), { maxLength: 3 }) }) });

/** Splits bytes at the given cut points (pipe reads merge and split frames arbitrarily). */
const cut = (b: Buffer, at: number[]): Buffer[] => {
  const pts = [...new Set(at.map((x) => x % (b.length + 1)))].sort((x, y) => x - y);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of [...pts, b.length]) {
    out.push(b.subarray(prev, p));
    prev = p;
  }
  return out;
};

const sameTyped = (a: unknown, b: unknown): void => {
  expect(Object.prototype.toString.call(a)).toBe(Object.prototype.toString.call(b));
  const x = a as Float64Array;
  const y = b as Float64Array;
  expect(x.length).toBe(y.length);
  // bit-exact: NaN payloads, -0 and ±Infinity survive
  expect(Buffer.from(x.buffer, x.byteOffset, x.byteLength).equals(Buffer.from(y.buffer, y.byteOffset, y.byteLength))).toBe(true);
  expect(x.byteOffset % 8).toBe(0);
};

describe('sandbox wire frames', () => {
  it('round-trips messages with every blob type, however the stream is cut', () => {
    fc.assert(fc.property(fc.array(message, { minLength: 1, maxLength: 4 }), fc.array(fc.nat(), { maxLength: 12 }), (msgs, cuts) => {
      const stream = Buffer.concat(msgs.map((m) => encodeFrame(m)));
      const r = new FrameReader();
      const got = cut(stream, cuts).flatMap((c) => r.push(c)) as (typeof msgs)[number][];
      expect(got.length).toBe(msgs.length);
      got.forEach((g, i) => {
        const m = msgs[i]!;
        expect([g.t, g.id, g.key, g.extra]).toEqual([m.t, m.id, m.key, m.extra]);
        expect(g.blobs.length).toBe(m.blobs.length);
        g.blobs.forEach((b, k) => sameTyped(b, m.blobs[k]));
        sameTyped(g.nested.data, m.nested.data);
        expect(g.nested.shape).toEqual(m.nested.shape);
      });
    }), { numRuns: 300 });
  });

  it('Buffers (model bytes) travel as bytes, not as Buffer#toJSON objects', () => {
    const bytes = Buffer.from('safetensors bytes');
    const m = decodeFrame(encodeFrame({ t: 'load', id: 1, key: 'k', bytes }).subarray(4)) as { bytes: Uint8Array };
    expect(m.bytes).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(m.bytes).equals(bytes)).toBe(true);
  });

  it('refuses objects that would be read back as blob references', () => {
    expect(() => encodeFrame({ info: { $blob: 0 } })).toThrow(/\$blob/);
  });

  it('malformed or mutated frames fail with a typed error (or decode to something), never hang or crash', () => {
    const good = encodeFrame({ t: 'results', id: 7, results: [{ shape: [2], data: Float64Array.of(1, NaN) }, { shape: [2], data: ['a', 'b'] }] });
    fc.assert(fc.property(fc.array(fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }), (edits) => {
      const b = Buffer.from(good);
      for (const [i, v] of edits) b[i] = v;
      const r = new FrameReader(1 << 20);
      try {
        r.push(b);
      } catch (e) {
        expect(isMvError(e) && e.code === 'SANDBOX_UNAVAILABLE').toBe(true);
      }
    }), { numRuns: 500 });
    fc.assert(fc.property(fc.uint8Array({ minLength: 4, maxLength: 200 }), (raw) => {
      try {
        decodeFrame(raw);
      } catch (e) {
        expect(isMvError(e)).toBe(true);
      }
    }), { numRuns: 500 });
    // a length prefix beyond the reader's limit is refused at once instead of buffering toward it
    const huge = Buffer.alloc(8);
    huge.writeUInt32LE(0xffff_fff0, 0);
    expect(() => new FrameReader(1 << 20).push(huge)).toThrow(/exceeds/);
    // bytes after the last blob
    const tail = Buffer.concat([good, Buffer.alloc(8)]);
    tail.writeUInt32LE(good.length - 4 + 8, 0);
    expect(() => new FrameReader().push(tail)).toThrow(/after the last blob/);
  });
});
