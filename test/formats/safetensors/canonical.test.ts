import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isMvError } from '../../../src/core/index.js';
import { parseSafetensors, parseValues, readJson, toPlain } from '../../../src/formats/safetensors/index.js';

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
    // JSON.stringify writes a lone surrogate as a \u escape: canonical, yet the strict reader refuses it
    for (const bad of ['\ud800', 'a\udc00b']) {
      const lone = JSON.stringify({ __metadata__: { [bad]: 'x' }, a: { dtype: 'U8', shape: [1], data_offsets: [0, 1] } });
      expect(outcome(file(lone, 1))).toEqual({ code: 'ST_HEADER_INVALID' });
      expect(outcome(file(lone.replace('"x"', JSON.stringify(bad)).replace(JSON.stringify(bad), '"k"'), 1))).toEqual({ code: 'ST_HEADER_INVALID' });
    }
    const control = JSON.stringify({ __metadata__: { k: '\u0001' }, a: { dtype: 'U8', shape: [1], data_offsets: [0, 1] } });
    expect(outcome(file(control, 1))).toMatchObject({ metadata: { k: '\u0001' } });
  });
});

// A JSON text written by hand from entry lists, so objects may repeat keys; keys and strings are
// drawn from characters that matter to parseValues (':', quotes, backslashes, \u escapes).
const atom = fc.constantFrom('a', ':', 'a:b', '"', '\\', '\u00e9', '\ud83d\ude00', '__proto__', '0', '1', '');
const key = fc.array(atom, { maxLength: 3 }).map((xs) => xs.join(''));
const num = fc.constantFrom('0', '-0', '1', '1.0', '1e2', '1E+2', '9007199254740993', '1e400', '-1.5e-7', '12');
type Tree = { kind: 'obj'; entries: [string, Tree][] } | { kind: 'arr'; items: Tree[] } | { kind: 'str'; v: string } | { kind: 'num'; v: string } | { kind: 'lit'; v: string };
const { tree } = fc.letrec<{ tree: Tree }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    key.map((v): Tree => ({ kind: 'str', v })),
    num.map((v): Tree => ({ kind: 'num', v })),
    fc.constantFrom('true', 'false', 'null').map((v): Tree => ({ kind: 'lit', v })),
    fc.array(tie('tree'), { maxLength: 3 }).map((items): Tree => ({ kind: 'arr', items })),
    fc.array(fc.tuple(fc.oneof(key, fc.constantFrom('a', 'b')), tie('tree')), { maxLength: 4 }).map((entries): Tree => ({ kind: 'obj', entries })),
  ),
}));
function write(t: Tree, style: { ws: string; escape: boolean }): string {
  const str = (s: string): string => {
    const j = JSON.stringify(s);
    return style.escape ? j.replace(/[:a]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`) : j;
  };
  switch (t.kind) {
    case 'obj':
      return `{${t.entries.map(([k, v]) => `${str(k)}${style.ws}:${style.ws}${write(v, style)}`).join(',')}}`;
    case 'arr':
      return `[${t.items.map((v) => write(v, style)).join(`,${style.ws}`)}]`;
    case 'str':
      return str(t.v);
    default:
      return t.v;
  }
}

describe('parseValues (the model description fast path)', () => {
  it('gives toPlain(readJson(text)) or undefined, never another value, and undefined where readJson refuses', () => {
    fc.assert(fc.property(tree, fc.constantFrom('', ' ', '\n'), fc.boolean(), fc.integer({ min: 1, max: 6 }), (t, ws, escape, maxDepth) => {
      const text = write(t, { ws, escape });
      let strict: { value: unknown } | { error: string };
      try {
        strict = { value: toPlain(readJson(text, { code: 'ARTIFACT_INVALID', duplicateCode: 'ARTIFACT_INVALID', maxDepth }).value) };
      } catch (e) {
        if (!isMvError(e)) throw e;
        strict = { error: e.code };
      }
      const fast = parseValues(text, maxDepth);
      if ('error' in strict) expect(fast).toBeUndefined();
      else if (fast !== undefined) expect(fast).toStrictEqual(strict.value);
    }), { numRuns: 2000 });
  });

  it('takes the fast path for what JSON.stringify writes, and refuses a repeated key even when a string holds the missing colon', () => {
    const text = JSON.stringify({ a: [1, 'x:y', { b: true, 'c:': null }], d: -1.5e-7 });
    expect(parseValues(text, 8)).toStrictEqual(JSON.parse(text));
    expect(parseValues('{"a":1,"a":2}', 8)).toBeUndefined();
    expect(parseValues('{"a":1,"a":"\\u003a"}', 8)).toBeUndefined();
    expect(parseValues('[[[1]]]', 3)).toBeUndefined();
    expect(parseValues('[[[1]]]', 4)).toStrictEqual([[[1]]]);
  });
});
