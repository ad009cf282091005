import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DEFAULT_LIMITS, bytesSource } from '../../../src/core/index.js';
import { parseNpy, parsePyLiteral } from '../../../src/formats/npy/index.js';
import { readZip, readZipMember } from '../../../src/formats/zip/index.js';
import { expectCode, onlyMvError } from '../zip/expect-code.js';

const FIX = new URL('../../fixtures/npy/', import.meta.url);
const CORPUS = '/work/shared/corpora/picklescan/data2';
const expected = JSON.parse(readFileSync(new URL('expected.json', FIX), 'utf8')) as Record<string, {
  major: number; minor: number; shape: number[]; fortran: boolean; itemsize: number; hasobject: boolean; dataOffset: number; str: string;
}>;
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

/** A v1 .npy with the given header text (padded like numpy). */
function npy(header: string, version = 1): Uint8Array {
  const h = enc(header);
  const pre = version === 1 ? 10 : 12;
  const out = new Uint8Array(pre + h.length);
  out.set([0x93, ...enc('NUMPY'), version, 0]);
  if (version === 1) new DataView(out.buffer).setUint16(8, h.length, true);
  else new DataView(out.buffer).setUint32(8, h.length, true);
  out.set(h, pre);
  return out;
}
const ok = "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }\n";

describe('parseNpy on numpy-written files', () => {
  it.each(Object.keys(expected))('%s matches numpy', (name) => {
    const e = expected[name]!;
    const h = parseNpy(new Uint8Array(readFileSync(new URL(name, FIX))));
    expect({ major: h.major, minor: h.minor, shape: h.shape, fortran: h.fortran, itemsize: h.dtype.itemsize, hasobject: h.isObject, dataOffset: h.dataOffset })
      .toEqual({ major: e.major, minor: e.minor, shape: e.shape, fortran: e.fortran, itemsize: e.itemsize, hasobject: e.hasobject, dataOffset: e.dataOffset });
    if (typeof h.descr === 'string') expect(h.dtype.str).toBe(e.str);
  });

  it('object dtype: a pickle follows the header', () => {
    const b = new Uint8Array(readFileSync(new URL('object_list.npy', FIX)));
    const h = parseNpy(b);
    expect([h.isObject, h.dtype.char, b[h.dataOffset]]).toEqual([true, 'O', 0x80]);
    expect(h.dataBytes).toBeUndefined();
  });

  it('big-endian fortran int16', () => {
    const h = parseNpy(new Uint8Array(readFileSync(new URL('i2_be_fortran.npy', FIX))));
    expect([h.dtype.byteorder, h.dtype.char, h.fortran, h.dataBytes]).toEqual(['>', 'i', true, 12]);
  });

  it.each(readdirSync(CORPUS).filter((f) => f.endsWith('.npy')))('corpus %s', (f) => {
    const h = parseNpy(new Uint8Array(readFileSync(`${CORPUS}/${f}`)));
    expect(h.isObject).toBe(f !== 'int_array.npy');
  });

  it.each(readdirSync(CORPUS).filter((f) => f.endsWith('.npz')))('corpus %s members', (f) => {
    const src = bytesSource(new Uint8Array(readFileSync(`${CORPUS}/${f}`)));
    for (const m of readZip(src, DEFAULT_LIMITS).members) {
      const h = parseNpy(readZipMember(src, m, DEFAULT_LIMITS));
      expect(h.isObject).toBe(f.startsWith('object'));
      expect(h.shape).toEqual([3]);
    }
  });
});

describe('parseNpy rejects malformed headers (NPY_HEADER_INVALID, offset)', () => {
  it('accepts the reference header', () => expect(parseNpy(npy(ok)).shape).toEqual([2, 3]));
  it('bad magic', () => expectCode(() => parseNpy(enc('NUMPY')), 'NPY_HEADER_INVALID', 0));
  it('truncated preamble', () => expectCode(() => parseNpy(npy(ok).subarray(0, 9)), 'NPY_HEADER_INVALID', 9));
  it('unknown version', () => {
    const b = npy(ok);
    b[6] = 4;
    expectCode(() => parseNpy(b), 'NPY_HEADER_INVALID', 6);
  });
  it('header length past the input', () => expectCode(() => parseNpy(npy(ok).subarray(0, 40)), 'NPY_HEADER_INVALID', 8));
  it('header too large → LIMIT_EXCEEDED', () => {
    const b = npy(ok, 2);
    new DataView(b.buffer).setUint32(8, 0x7fffffff, true);
    expectCode(() => parseNpy(b), 'LIMIT_EXCEEDED', 8);
  });
  it('no trailing newline', () => expectCode(() => parseNpy(npy(ok.trimEnd())), 'NPY_HEADER_INVALID', 10 + ok.length - 2));
  it('v3 header that is not UTF-8', () => {
    const b = npy(ok, 3);
    b[14] = 0xff;
    expectCode(() => parseNpy(b), 'NPY_HEADER_INVALID', 12);
  });
  it.each([
    ["{'descr': '<f8', 'fortran_order': False}\n", 'missing key'],
    ["{'descr': '<f8', 'fortran_order': False, 'shape': (2,), 'x': 1}\n", 'extra key'],
    ["{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': (2,)}\n", 'duplicate key'],
    ["{'descr': '<q9', 'fortran_order': False, 'shape': (2,)}\n", 'unknown dtype'],
    ["{'descr': '<f3', 'fortran_order': False, 'shape': (2,)}\n", 'bad itemsize'],
    ["{'descr': '<f8', 'fortran_order': 0, 'shape': (2,)}\n", 'fortran not bool'],
    ["{'descr': '<f8', 'fortran_order': False, 'shape': (-1,)}\n", 'negative dim'],
    ["{'descr': '<f8', 'fortran_order': False, 'shape': [2]}\n", 'shape list'],
    ["{'descr': '<f8', 'fortran_order': False, 'shape': (2)}\n", 'parenthesised int is not a tuple'],
    ["{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999, 99999999999)}\n", 'overflow'],
    ["{'descr': __import__('os'), 'fortran_order': False, 'shape': ()}\n", 'code'],
    ["{'descr': '<f8', 'fortran_order': False, 'shape': ()} x\n", 'trailing'],
    ["{'descr': '<f8', 'fortran_order': False, 'shape': ()\n", 'unterminated'],
    ["{'descr': [('a', '<i4'), ('a', '<i4')], 'fortran_order': False, 'shape': ()}\n", 'duplicate field'],
    ["{'descr': [('a',)], 'fortran_order': False, 'shape': ()}\n", 'short field'],
    ["{'descr': '<M8', 'fortran_order': False, 'shape': ()}\n", 'datetime without unit'],
    ["{'descr': '\\q', 'fortran_order': False, 'shape': ()}\n", 'bad escape'],
    [`${'['.repeat(100)}\n`, 'deep'],
  ])('%j (%s)', (header) => {
    expectCode(() => parseNpy(npy(header)), 'NPY_HEADER_INVALID');
  });

  it('error offsets point into the header', () => {
    const e = expectCode(() => parseNpy(npy("{'descr': @}\n")), 'NPY_HEADER_INVALID');
    expect(e.at.offset).toBe(10 + "{'descr': ".length);
  });

  it('structured dtype with an object field is an object array', () => {
    const h = parseNpy(npy("{'descr': [('a', '<i4'), (('t', 'b'), [('x', '|O')], (2,))], 'fortran_order': False, 'shape': (1,)}\n"));
    expect([h.isObject, h.dtype.itemsize]).toEqual([true, 20]);
  });
});

describe('properties', () => {
  it('random bytes after the magic only throw MvError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (b) => onlyMvError(() => parseNpy(new Uint8Array([0x93, ...enc('NUMPY'), ...b])))), { numRuns: 1000 });
  });
  it('random header text only throws MvError', () => {
    const chars = fc.constantFrom(...`{}()[]:,' "0123456789-TrueFalsNoe<f8|Odescrshapefortran_order\\\n`.split(''));
    fc.assert(fc.property(fc.array(chars, { maxLength: 120 }), (cs) => onlyMvError(() => parseNpy(npy(`${cs.join('')}\n`)))), { numRuns: 2000 });
  });
  it('mutations of a valid header only throw MvError', () => {
    const base = npy(ok);
    fc.assert(fc.property(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 }), (i, v) => {
      const b = base.slice();
      b[i] = v;
      onlyMvError(() => parseNpy(b));
    }), { numRuns: 1000 });
  });
  it('literal parser round-trips ints and nested tuples', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: -1e9, max: 1e9 }), { maxLength: 8 }), (xs) => {
      const lit = parsePyLiteral(`(${xs.join(', ')}${xs.length === 1 ? ',' : ''})`, 0);
      expect(lit.kind === 'tuple' && lit.items.map((x) => (x.kind === 'int' ? x.value : NaN))).toEqual(xs);
    }));
  });
});
