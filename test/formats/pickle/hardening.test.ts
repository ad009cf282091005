import { describe, expect, it } from 'vitest';
import { withLimits } from '../../../src/core/index.js';
import { parsePickle } from '../../../src/formats/pickle/index.js';
import { P, sbu, u32 } from './build.js';

// Regression tests for inputs that could crash (deep recursion, cycles) or stall (memo amplification).
const rep = (part: Uint8Array | string, n: number): Uint8Array => {
  const one = typeof part === 'string' ? P(part) : part;
  const out = new Uint8Array(one.length * n);
  for (let i = 0; i < n; i++) out.set(one, i * one.length);
  return out;
};
const timed = (f: () => void, ms: number) => { const t = performance.now(); f(); expect(performance.now() - t).toBeLessThan(ms); };

describe('hardening', () => {
  it('a 200k-deep tuple used as a dict key does not recurse', () => timed(() => {
    const r = parsePickle(P('}N', rep(P(0x85), 200_000), 'Ns.'));
    expect(r.error?.code).toBe('LIMIT_EXCEEDED');
    expect(r.error?.at.limit).toBe('maxValueDepth');
  }, 3000));

  it('a cyclic dtype (field of itself) terminates', () => timed(() => {
    const dtype = P('cnumpy\ndtype\n', sbu('V8'), 0x89, 0x88, 0x87, 'Rq', 0, '(K', 3, sbu('|'), 'N(', sbu('x'), 't}', sbu('x'), 'h', 0, 'K', 0, 0x86, 's',
      'K', 8, 'K', 1, 'K', 16, 'tb');
    const bytes = P(0x80, 2, 'cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\n(K', 0, 't', 0x43, 1, 'b', 0x87, 'R',
      '(K', 1, '(K', 1, 't', dtype, 0x89, 0x43, 8, '\0\0\0\0\0\0\0\0', 'tb.');
    const r = parsePickle(bytes);
    expect(r.error?.describe()).toBeUndefined();
    expect(r.value).toMatchObject({ kind: 'ndarray', shape: [1] });
  }, 1000));

  it('memo amplification (set() of one 90k-item list again and again) hits the opcode budget', () => timed(() => {
    const list = P('(', rep(P('K', 1), 90_000), 'lq', 0, '0');
    const bytes = P(0x80, 2, list, 'cbuiltins\nset\nq', 1, '0', rep(P('h', 1, 'h', 0, 0x85, 'R0'), 2000), 'N.');
    // 90k pushes + 2000 × 5 opcodes ≈ 0.1M opcodes: only charging the native's work reaches 5M
    const r = parsePickle(bytes, { limits: withLimits({ maxPickleOps: 5_000_000 }) });
    expect(r.error?.at).toMatchObject({ limit: 'maxPickleOps' });
  }, 3000));

  it('a 10 000-digit INT is refused like CPython 3.11', () => {
    expect(parsePickle(P('I', '9'.repeat(10_000), '\n.')).error?.code).toBe('PICKLE_BAD_ARGUMENT');
    expect(parsePickle(P('I', '9'.repeat(4300), '\n.')).error).toBeUndefined();
  });

  it('a 2 MiB LONG4 is refused before building a BigInt', () => {
    const n = 2 << 20;
    expect(parsePickle(P(0x8b, ...u32(n), new Uint8Array(n), '.')).error?.code).toBe('PICKLE_BAD_ARGUMENT');
  });

  it('APPENDS of 90k items onto an object is recorded without spreading arguments', () => {
    const r = parsePickle(P('cm\nC\n)', 0x81, '(', rep(P('N'), 90_000), 'e.'));
    expect(r.error).toBeUndefined();
    expect((r.value as { mutations: unknown[] }).mutations).toHaveLength(90_000);
  });

  it('a long run of text opcodes is linear', () => timed(() => {
    const r = parsePickle(P('(', rep('I1\n', 50_000), 'l.'));
    expect(r.error).toBeUndefined();
  }, 2000));
});
