import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isMvError, withLimits } from '../../../src/core/index.js';
import { disassemble, parsePickle, readOps, type PickleOptions, type PickleResult } from '../../../src/formats/pickle/index.js';
import { P, sbu, u64 } from './build.js';

// For arbitrary input the engine returns, never throws, reports only MvErrors (never INTERNAL) and
// finishes fast within its limits (STYLE.md §4 property tests).
const FIX = new URL('../../fixtures/pickle/', import.meta.url);
const valid: { bytes: Uint8Array; profile: PickleOptions['profile'] }[] = [];
for (const dir of ['numpy', 'sklearn', 'joblib', 'torch']) {
  for (const f of readdirSync(new URL(`${dir}/`, FIX))) {
    valid.push({
      bytes: new Uint8Array(readFileSync(new URL(`${dir}/${f}`, FIX))),
      profile: dir === 'numpy' || dir === 'sklearn' ? 'plain' : dir === 'joblib' ? 'joblib' : 'torch',
    });
  }
}
const SMALL = withLimits({ maxPickleOps: 5000, maxStackDepth: 200, maxMemoEntries: 200, maxContainerItems: 500, maxValueDepth: 40, maxNestedPickles: 4 });

function check(r: PickleResult, bytes: Uint8Array): void {
  expect(r.events).toBeInstanceOf(Array);
  if (r.error) {
    expect(isMvError(r.error)).toBe(true);
    expect(r.error.code, r.error.describe() + String((r.error as Error).cause ?? '')).not.toBe('INTERNAL');
    expect(r.error.at.offset).toBeGreaterThanOrEqual(0);
    expect(r.error.at.offset).toBeLessThanOrEqual(bytes.length);
    if (r.error.code === 'LIMIT_EXCEEDED') expect(r.error.at.limit).toBeTruthy();
  } else {
    expect(r.value).not.toBeUndefined();
    expect(r.end).toBeLessThanOrEqual(bytes.length);
  }
}

// Opcode snippets that reach the reconstructors and structural paths with random operands.
const SNIPPETS: Uint8Array[] = [
  'N', ']', ')', '}', '(', 'a', 'e', 'l', 't', 'd', 's', 'u', '0', '2', '1', 'R', 'b', 'o', '.', 'K\x01', 'K\x00', 'J\xff\xff\xff\xff',
  'q\x00', 'q\x01', 'h\x00', 'h\x01', 'I01\n', 'G?\xf8\x00\x00\x00\x00\x00\x00', 'C\x01b', 'C\x08\x00\x00\x00\x00\x00\x00\xf8?',
  'cnumpy\ndtype\n', 'cnumpy.core.multiarray\n_reconstruct\n', 'cnumpy.core.multiarray\nscalar\n', 'cnumpy\nndarray\n',
  'c_codecs\nencode\n', 'cbuiltins\nset\n', 'cbuiltins\nslice\n', 'cbuiltins\nbytearray\n', 'ccollections\nOrderedDict\n',
  'ccopyreg\n_reconstructor\n', 'cbuiltins\nobject\n', 'ctorch._utils\n_rebuild_tensor_v2\n', 'ctorch\nFloatStorage\n',
  'cnumpy.core.numeric\n_frombuffer\n', 'cjoblib.numpy_pickle\nNumpyArrayWrapper\n', 'Q',
].map((s) => P(s));
SNIPPETS.push(P(0x85), P(0x86), P(0x87), P(0x81), P(0x88), P(0x89), P(0x93), P(0x94), P(0x8f), P(0x90), P(0x91), sbu('f8'), sbu('<'),
  sbu('latin1'), sbu('storage'), sbu('C'), sbu('shape'), sbu('dtype'), sbu('order'), P(0x95, ...u64(3)), P(0x96, ...u64(8), '\0\0\0\0\0\0\xf8?'));

describe('properties', () => {
  it('random bytes: only MvError results, bounded time', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), fc.constantFrom<PickleOptions['profile']>('plain', 'joblib', 'torch'), (bytes, profile) => {
      const t = performance.now();
      check(parsePickle(bytes, { profile, limits: SMALL }), bytes);
      expect(performance.now() - t).toBeLessThan(200);
    }), { numRuns: 1500 });
  });

  it('random opcode programs over the reconstructors: only MvError results', () => {
    fc.assert(fc.property(fc.array(fc.constantFrom(...SNIPPETS), { maxLength: 60 }), fc.constantFrom<PickleOptions['profile']>('plain', 'joblib', 'torch'), (parts, profile) => {
      const bytes = P(0x80, 2, ...parts, '.');
      check(parsePickle(bytes, { profile, limits: SMALL }), bytes);
    }), { numRuns: 3000 });
  });

  it('mutations of real pickles: only MvError results, bounded time', () => {
    const mutation = fc.record({
      i: fc.nat({ max: valid.length - 1 }),
      edits: fc.array(fc.tuple(fc.constantFrom('flip', 'set', 'cut', 'insert', 'delete'), fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
    });
    fc.assert(fc.property(mutation, ({ i, edits }) => {
      const { bytes: orig, profile } = valid[i]!;
      let b = Uint8Array.from(orig);
      for (const [op, where, v] of edits) {
        const at = Math.min(b.length - 1, Math.floor(where * b.length));
        if (b.length === 0) break;
        if (op === 'flip') b[at] = b[at]! ^ (1 << (v % 8));
        else if (op === 'set') b[at] = v;
        else if (op === 'cut') b = b.subarray(0, at);
        else if (op === 'insert') b = P(b.subarray(0, at), v, b.subarray(at));
        else b = P(b.subarray(0, at), b.subarray(at + 1));
      }
      const t = performance.now();
      check(parsePickle(b, { profile }), b);
      check(parsePickle(b, { profile, limits: SMALL }), b);
      expect(performance.now() - t).toBeLessThan(500);
    }), { numRuns: 1500 });
  });

  it('successful parses stay within the opcode limit', () => {
    fc.assert(fc.property(fc.array(fc.constantFrom(...SNIPPETS.slice(0, 30)), { maxLength: 80 }), (parts) => {
      const bytes = P(0x80, 2, ...parts, '.');
      const lim = withLimits({ maxPickleOps: 40 });
      const r = parsePickle(bytes, { limits: lim });
      if (!r.error) {
        let n = 0;
        for (const _ of readOps(bytes)) n++;
        expect(n).toBeLessThanOrEqual(40);
      } else if (r.error.code === 'LIMIT_EXCEEDED' && r.error.at.limit === 'maxPickleOps') {
        expect(r.error.at.actual).toBe(41);
      }
    }), { numRuns: 1000 });
  });

  it('readOps and disassemble: only MvError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) => {
      expect(typeof disassemble(bytes)).toBe('string');
      try {
        for (const _ of readOps(bytes)) { /* drain */ }
      } catch (e) {
        expect(isMvError(e)).toBe(true);
      }
    }), { numRuns: 1000 });
  });
});

describe('text round trips', () => {
  // pickle.py save_str (protocol 0): raw-unicode-escape after escaping \\ \0 \n \r \x1a
  const unicodeLine = (s: string): Uint8Array => {
    const out: number[] = [];
    for (const ch of s) {
      const cp = ch.codePointAt(0)!;
      if (cp === 0x5c || cp === 0 || cp === 0x0a || cp === 0x0d || cp === 0x1a) out.push(...P(`\\u${cp.toString(16).padStart(4, '0')}`));
      else if (cp < 256) out.push(cp);
      else if (cp < 0x10000) out.push(...P(`\\u${cp.toString(16).padStart(4, '0')}`));
      else out.push(...P(`\\U${cp.toString(16).padStart(8, '0')}`));
    }
    return Uint8Array.from(out);
  };

  it('UNICODE lines decode what pickle.py writes', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (s) => {
      const r = parsePickle(P('V', unicodeLine(s), '\n.'));
      expect(r.error).toBeUndefined();
      expect(r.value).toBe(s);
    }), { numRuns: 500 });
  });

  it('BINUNICODE decodes UTF-8 of any string (lone surrogates via surrogatepass)', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 100 }), (s) => {
      const b = new TextEncoder().encode(s);
      const r = parsePickle(P(0x58, b.length & 0xff, (b.length >> 8) & 0xff, 0, 0, b, '.'));
      expect(r.value).toBe(s);
    }), { numRuns: 500 });
  });

  it('FLOAT lines decode Python repr of doubles', () => {
    fc.assert(fc.property(fc.double({ noNaN: true }), (x) => {
      const text = Object.is(x, -0) ? '-0.0' : Number.isFinite(x) ? String(x) : x > 0 ? 'inf' : '-inf';
      const r = parsePickle(P('F', text, '\n.'));
      expect((r.value as { value: number }).value).toBe(x);
    }), { numRuns: 500 });
  });
});
