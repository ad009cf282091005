import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readKerasH5Config } from '../../../src/formats/hdf5/index.js';
import { expectCode, onlyMvError } from '../zip/expect-code.js';

const FIX = new URL('../../fixtures/hdf5/', import.meta.url);
const load = (n: string): Uint8Array => new Uint8Array(readFileSync(new URL(n, FIX)));
const expected = JSON.parse(readFileSync(new URL('expected.json', FIX), 'utf8')) as Record<string, unknown>;

describe('readKerasH5Config on h5py-written files', () => {
  it.each(Object.keys(expected))('%s', (f) => {
    expect(readKerasH5Config(load(f))).toEqual(expected[f]);
  });

  it('works on a view into a larger buffer', () => {
    const b = load('benign.h5');
    const big = new Uint8Array(b.length + 100);
    big.set(b, 50);
    expect(readKerasH5Config(big.subarray(50, 50 + b.length))).toEqual(expected['benign.h5']);
  });

  it('the nested Lambda layer is visible in the config', () => {
    const cfg = readKerasH5Config(load('lambda_nested.h5')).modelConfig;
    expect(JSON.stringify(cfg)).toContain('"class_name":"Lambda"');
  });
});

describe('every failure is FORMAT_UNSUPPORTED', () => {
  it('not HDF5', () => expectCode(() => readKerasH5Config(new Uint8Array(64)), 'FORMAT_UNSUPPORTED', 0));
  it('truncated HDF5', () => expectCode(() => readKerasH5Config(load('lambda_nested.h5').subarray(0, 200)), 'FORMAT_UNSUPPORTED', 0));
  it('superblock only', () => expectCode(() => readKerasH5Config(load('benign.h5').subarray(0, 8)), 'FORMAT_UNSUPPORTED', 0));
  it('model_config that is not JSON', () => {
    const b = load('benign.h5').slice();
    const at = Buffer.from(b).indexOf('{"class_name"');
    b[at] = 0x21; // "!" — the attribute is no longer JSON
    expectCode(() => readKerasH5Config(b), 'FORMAT_UNSUPPORTED', 0);
  });
});

describe('properties', () => {
  const base = load('lambda_nested.h5');
  it('mutations only throw MvError', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), (edits) => {
      const b = base.slice();
      for (const [i, v] of edits) b[i] = v;
      onlyMvError(() => readKerasH5Config(b));
    }), { numRuns: 300 });
  });
  it('random bytes after the signature only throw MvError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (r) => onlyMvError(() => readKerasH5Config(new Uint8Array([...base.subarray(0, 8), ...r])))), { numRuns: 300 });
  });
});
