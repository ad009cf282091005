import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { withLimits } from '../../../src/core/index.js';
import {
  asFloat, asInt, asStr, describeValue, dictEntries, dictGet, disassemble, isGlobalRef, isLegacyJoblibWrapper, parsePickle, readOps,
  type NdArray, type PyDict, type PyValue,
} from '../../../src/formats/pickle/index.js';
import { P, sbu, u64 } from './build.js';
import { toJson } from './json.js';

const FIX = new URL('../../fixtures/pickle/', import.meta.url);
const load = (rel: string): Uint8Array => new Uint8Array(readFileSync(new URL(rel, FIX)));
const asDict = (v: PyValue | undefined): PyDict => { expect((v as PyDict).kind).toBe('dict'); return v as PyDict; };

describe('joblib profile', () => {
  for (const proto of [2, 3, 4, 5]) {
    it(`protocol ${proto}: inline arrays are zero-copy views with source offsets; the object array is a nested stream`, () => {
      const bytes = load(`joblib/mixed.p${proto}.joblib`);
      const r = parsePickle(bytes, { profile: 'joblib', stopAtEnd: true });
      expect(r.error).toBeUndefined();
      const d = asDict(r.value);
      const ints = dictGet(d, 'ints') as NdArray;
      expect(ints.source).toEqual({ offset: ints.source!.offset, length: 80 });
      expect(ints.data!.buffer).toBe(bytes.buffer);
      expect(ints.data!.byteOffset).toBe(ints.source!.offset);
      expect(ints.source!.offset % 16).toBe(0); // joblib ≥ 1.2 aligns payloads to 16 bytes
      const payloads = r.events.filter((e) => e.kind === 'array-payload');
      expect(payloads.map((e) => e.length)).toEqual([80, 96, 8]);
      const nested = r.events.filter((e) => e.kind === 'nested');
      expect(nested).toHaveLength(1);
      const n = nested[0] as { at: number; end: number };
      expect(bytes[n.at]).toBe(0x80);
      expect(bytes[n.end - 1]).toBe(0x2e);
      // nested events carry absolute offsets and sit between the nested event and its end
      const inner = r.events.filter((e) => e.kind === 'global' && e.global.at > n.at && e.global.at < n.end);
      expect(inner.length).toBeGreaterThan(0);
      expect((dictGet(d, 'fortran') as NdArray).order).toBe('F');
    });
  }

  it('the plain profile does not read inline payloads (the bytes are not opcodes)', () => {
    const r = parsePickle(load('joblib/mixed.p4.joblib'));
    expect(r.error).toBeDefined();
  });

  it('threats.md case C: the payload after an inline array is seen', () => {
    const r = parsePickle(load('joblib/case_c.joblib'), { profile: 'joblib', stopAtEnd: true });
    expect(r.error).toBeUndefined();
    const globals = r.events.flatMap((e) => (e.kind === 'global' ? [`${e.global.module}.${e.global.name}`] : []));
    expect(globals).toContain('posix.system');
    const z = dictGet(asDict(r.value), 'z_payload');
    expect(toJson(z)).toEqual({ call: { global: 'posix.system' }, args: { tuple: ['touch markers/C'] } });
    expect(r.events.findIndex((e) => e.kind === 'array-payload')).toBeLessThan(r.events.findIndex((e) => e.kind === 'call' && isGlobalRef(e.callee, 'posix', 'system')));
  });

  it('a truncated payload is PICKLE_TRUNCATED at the wrapper BUILD, with earlier events kept', () => {
    const bytes = load('joblib/mixed.p4.joblib');
    const full = parsePickle(bytes, { profile: 'joblib' });
    const first = full.events.find((e) => e.kind === 'array-payload') as { at: number; length: number };
    const r = parsePickle(bytes.subarray(0, first.at + 10), { profile: 'joblib' });
    expect(r.error?.code).toBe('PICKLE_TRUNCATED');
    expect(bytes[r.error!.at.offset!]).toBe(0x62); // BUILD
    expect(r.events.some((e) => e.kind === 'build')).toBe(true);
  });

  it('limits nested streams', () => {
    const r = parsePickle(load('joblib/mixed.p3.joblib'), { profile: 'joblib', limits: withLimits({ maxNestedPickles: 0 }) });
    expect(r.error?.at).toMatchObject({ limit: 'maxNestedPickles', actual: 1 });
  });

  const wrapper = (extra: Uint8Array, after: Uint8Array) => P(0x80, 4, sbu('joblib.numpy_pickle'), sbu('NumpyArrayWrapper'), 0x93, ')', 0x81,
    '}(', sbu('subclass'), 'cnumpy\nndarray\n', sbu('shape'), 'K', 2, 0x85, sbu('order'), sbu('C'), sbu('dtype'),
    'cnumpy\ndtype\n', sbu('u1'), 0x89, 0x88, 0x87, 'R(K', 3, sbu('|'), 'NNNJ', 0xff, 0xff, 0xff, 0xff, 'J', 0xff, 0xff, 0xff, 0xff, 'K', 0, 'tb',
    extra, 'ub', after);

  it('reads exactly the stored pad length, then prod(shape) × itemsize bytes', () => {
    const bytes = wrapper(P(sbu('numpy_array_alignment_bytes'), 'K', 16), P(3, 0xff, 0xff, 0xff, 'ab.'));
    const r = parsePickle(bytes, { profile: 'joblib', stopAtEnd: true });
    expect(r.error).toBeUndefined();
    const a = r.value as NdArray;
    expect(Array.from(a.data!)).toEqual([0x61, 0x62]);
    expect(a.source).toEqual({ offset: bytes.length - 3, length: 2 });
  });

  it('no alignment key (joblib 0.10–1.1): data right after BUILD', () => {
    const r = parsePickle(wrapper(P(), P('ab.')), { profile: 'joblib', stopAtEnd: true });
    expect(Array.from((r.value as NdArray).data!)).toEqual([0x61, 0x62]);
  });

  it('a payload that starts inside a frame is a frame violation', () => {
    const body = wrapper(P(), P('ab.')).subarray(2);
    const bytes = P(0x80, 4, 0x95, ...u64(body.length), body);
    const r = parsePickle(bytes, { profile: 'joblib' });
    expect(r.error?.code).toBe('PICKLE_FRAME_VIOLATION');
  });

  it('legacy NDArrayWrapper is recorded, its side file never followed', () => {
    const bytes = P(0x80, 2, 'cjoblib.numpy_pickle\nNDArrayWrapper\n)', 0x81, '}', sbu('filename'), sbu('../../etc/x_01.npy'), 'sb.');
    const r = parsePickle(bytes, { profile: 'joblib', stopAtEnd: true });
    expect(r.error).toBeUndefined();
    expect(isLegacyJoblibWrapper(r.value!)).toBe(true);
    expect(r.events.map((e) => e.kind)).toEqual(['global', 'call', 'build']);
  });
});

describe('numpy', () => {
  it('numpy 2 module names (numpy._core.*) are equivalent', () => {
    const p2 = Buffer.from(load('numpy/f8_2x3.p2.pkl')).toString('latin1').replaceAll('numpy.core.', 'numpy._core.');
    const r = parsePickle(P(p2), { stopAtEnd: true });
    expect(r.error).toBeUndefined();
    expect(toJson(r.value)).toEqual(toJson(parsePickle(load('numpy/f8_2x3.p2.pkl')).value));
  });

  it('dtype flags may be negative (numpy 1.x C char)', () => {
    const bytes = P(0x80, 2, 'cnumpy\ndtype\n', sbu('f8'), 0x89, 0x88, 0x87, 'R(K', 3, sbu('<'), 'NNNJ', 0xff, 0xff, 0xff, 0xff, 'J', 0xff, 0xff, 0xff, 0xff,
      'J', 0x90, 0xff, 0xff, 0xff, 'tb.');
    const r = parsePickle(bytes);
    expect(toJson(r.value)).toEqual({ dtypeobj: { dtype: '<f8', itemsize: 8 } });
  });

  it('structured dtypes take fields, offsets and itemsize from the state', () => {
    const r = parsePickle(load('numpy/struct_aligned.p4.pkl'));
    const a = r.value as NdArray;
    expect(a.dtype.itemsize).toBe(24);
    expect(a.dtype.fields?.map((f) => [f.name, f.offset, f.dtype.str])).toEqual([['a', 0, '|u1'], ['b', 8, '<f8'], ['c', 16, '|V8']]);
    expect(a.dtype.fields?.[2]?.dtype.subarray?.shape).toEqual([2]);
  });

  it('rejects array data whose length does not match shape × itemsize', () => {
    const bytes = Buffer.from(load('numpy/f8_2x3.p3.pkl'));
    const i = bytes.indexOf(Buffer.from([0x43, 48])); // SHORT_BINBYTES 48
    bytes[i + 1] = 40;
    const r = parsePickle(P(bytes.subarray(0, i + 42), bytes.subarray(i + 50)));
    expect(r.error?.code).toBe('PICKLE_RECONSTRUCT_INVALID');
  });

  it('an out-of-band protocol-5 dump is rejected', () => {
    expect(parsePickle(load('numpy/out_of_band.p5.pkl')).error?.code).toBe('PICKLE_NEXT_BUFFER');
  });

  it('unknown ndarray subclasses stay symbolic calls', () => {
    const r = parsePickle(P(0x80, 2, 'cnumpy.core.multiarray\n_reconstruct\ncevil\nArray\n(K', 0, 't', 0x43, 1, 'b', 0x87, 'R.'));
    expect((r.value as { kind: string }).kind).toBe('call');
  });
});

describe('torch profile', () => {
  it('zip data.pkl: views share a storage; parameters are tensors; state_dict metadata is BUILD state', () => {
    const r = parsePickle(load('torch/zip.data.pkl'), { profile: 'torch', stopAtEnd: true });
    const d = asDict(r.value);
    const w = dictGet(d, 'w') as Extract<PyValue, { kind: 'tensor' }>;
    const view = dictGet(d, 'view') as Extract<PyValue, { kind: 'tensor' }>;
    expect(view.storage.key).toBe(w.storage.key);
    expect([view.offset, view.stride]).toEqual([6, [4, 1]]);
    expect((dictGet(d, 'p') as { parameter: boolean }).parameter).toBe(true);
    expect(asDict(dictGet(d, 'linear')).state).toBeDefined();
  });

  const storage = (cls: string, numel: number) => P('(', sbu('storage'), `ctorch\n${cls}\n`, sbu('0'), sbu('cpu'), 'K', numel, 'tQ');
  const v2 = (st: Uint8Array, size: number[], stride: number[], offset = 0) => P(0x80, 2, 'ctorch._utils\n_rebuild_tensor_v2\n(', st, 'K', offset,
    '(', ...size.flatMap((s) => ['K'.charCodeAt(0), s]), 't(', ...stride.flatMap((s) => ['K'.charCodeAt(0), s]), 't', 0x89, 'ccollections\nOrderedDict\n)Rt', 'R.');

  it('rejects a tensor that reaches beyond its storage', () => {
    expect(parsePickle(v2(storage('FloatStorage', 12), [3, 4], [4, 1]), { profile: 'torch' }).error).toBeUndefined();
    const r = parsePickle(v2(storage('FloatStorage', 12), [3, 4], [4, 1], 1), { profile: 'torch' });
    expect(r.error?.code).toBe('PICKLE_RECONSTRUCT_INVALID');
  });

  it('_rebuild_tensor_v3 over an untyped storage takes its dtype argument', () => {
    const bytes = P(0x80, 2, 'ctorch._utils\n_rebuild_tensor_v3\n(', storage('UntypedStorage', 8), 'K', 0, '(K', 2, 't(K', 1, 't', 0x89,
      'ccollections\nOrderedDict\n)R', 'ctorch\nfloat32\n', 'tR.');
    const r = parsePickle(bytes, { profile: 'torch', stopAtEnd: true });
    expect(r.error).toBeUndefined();
    expect(r.value).toMatchObject({ kind: 'tensor', dtype: 'F32', shape: [2], storage: { dtype: 'U8', numel: 8 } });
  });

  it('legacy 6-tuple storage ids with view metadata', () => {
    const bytes = P(0x80, 2, '(', sbu('storage'), 'ctorch\nFloatStorage\n', sbu('1'), sbu('cpu'), 'K', 8, '(', sbu('2'), 'K', 2, 'K', 4, 'ttQ.');
    const r = parsePickle(bytes, { profile: 'torch' });
    expect(r.value).toMatchObject({ kind: 'storage', view: { key: '2', offset: 2, size: 4 } });
  });
});

describe('options', () => {
  it('start: offsets stay absolute in the input', () => {
    const bytes = P('JUNK', 0x80, 2, 'cos\nsystem\n', sbu('x'), 0x85, 'R.', 'TAIL');
    const r = parsePickle(bytes, { start: 4 });
    expect(r.error).toBeUndefined();
    expect(r.proto).toBe(2);
    expect(r.events[0]).toMatchObject({ kind: 'global', global: { at: 6 } });
    expect(r.end).toBe(bytes.length - 4);
    expect(parsePickle(bytes, { start: 4, stopAtEnd: true }).error?.code).toBe('PICKLE_TRAILING_BYTES');
    expect(parsePickle(bytes, { start: 999 }).error?.code).toBe('USAGE_INVALID');
  });

  it('INST records its global even when the MARK is missing', () => {
    const r = parsePickle(P('im\nC\n.'));
    expect(r.error?.code).toBe('PICKLE_MARK_MISSING');
    expect(r.events.map((e) => e.kind)).toEqual(['global']);
  });
});

describe('helpers', () => {
  const r = parsePickle(load('numpy/builtins.p2.pkl'));
  const d = asDict(r.value);
  it('dictGet / dictEntries / as*', () => {
    expect(dictEntries(d).map(([k]) => k)).toEqual(['list', 'bigs', 'sets', 'ba', 'sl', 'od', 'uni', 'float', 'empty_bytes']);
    expect(dictGet(d, 'missing')).toBeUndefined();
    const bigs = dictGet(d, 'bigs') as Extract<PyValue, { kind: 'list' }>;
    expect(asInt(bigs.items[0])).toBe(2 ** 31);
    expect(asInt(bigs.items[3])).toBeUndefined();
    expect(asFloat({ kind: 'float', value: 0.5 })).toBe(0.5);
    expect(asStr(dictGet(d, 'uni'))).toContain('\u4e2d');
    const tk = parsePickle(P('(K', 1, 'K', 2, 0x86, sbu('v'), 'd.')).value as PyDict;
    expect(dictGet(tk, { kind: 'tuple', items: [1, 2] })).toBe('v');
    expect(dictGet(tk, { kind: 'tuple', items: [true, { kind: 'float', value: 2 }] })).toBe('v'); // (True, 2.0) == (1, 2)
  });
  it('dict keys compare like Python in small (linear) and large (indexed) dicts', () => {
    for (const n of [3, 40]) {
      const pairs = Array.from({ length: n }, (_, i) => [0x4b, i, 0x4e]).flat();
      const bytes = P('}(', pairs, 0x88, 'K', 9, 'G?\xf0\x00\x00\x00\x00\x00\x00', 'K', 8, 0x8a, 1, 2, 'K', 7, 'u.');
      const d = parsePickle(bytes).value as PyDict;
      expect(d.keys.length).toBe(n);
      expect(dictGet(d, 1)).toBe(8); // True, 1.0 and 1 are one key; the first spelling (1) stays
      expect(d.keys[1]).toBe(1);
      expect(dictGet(d, 2)).toBe(7);
      expect(dictGet(d, true)).toBe(8);
    }
  });

  it('describeValue is short and bounded', () => {
    expect(describeValue(parsePickle(load('numpy/f8_2x3.p4.pkl')).value)).toBe('ndarray <f8 (2, 3)');
    expect(describeValue(d).length).toBeLessThanOrEqual(200);
    const cyc = parsePickle(Uint8Array.from([0x80, 0x02, 0x5d, 0x94, 0x67, 0x30, 0x0a, 0x61, 0x2e])).value;
    expect(describeValue(cyc)).toBe('[[[…1 items]]]');
  });
});

describe('disassemble', () => {
  it('joblib profile: payloads are one line, nested streams an indented listing', () => {
    const text = disassemble(load('joblib/mixed.p4.joblib'), 0, { profile: 'joblib' });
    expect(text).not.toContain('error:');
    expect(text.match(/<joblib array payload: \d+ bytes at \d+/g)).toHaveLength(3);
    expect(text).toMatch(/<joblib nested pickle: \d+ bytes>\n {6}\s*\d+: \\x80 PROTO/);
    expect(text.trimEnd().split('\n').at(-1)).toMatch(/STOP$/);
  });

  it('plain profile on a joblib file ends with an error line, not an exception', () => {
    expect(disassemble(load('joblib/mixed.p4.joblib'))).toMatch(/error: PICKLE_UNKNOWN_OPCODE .* at byte 224\n$/);
  });
});

describe('readOps / disassemble match pickletools.dis', () => {
  const listings = readFileSync(new URL('listings.txt', FIX), 'utf8').split(/^== /m).filter(Boolean);
  it('has listings', () => expect(listings.length).toBeGreaterThanOrEqual(10));
  for (const block of listings) {
    const [rel, ...lines] = block.split('\n');
    it(rel!, () => {
      const want = lines.flatMap((l) => { const m = /^\s*(\d+): (?:\S+)\s+(\w+)/.exec(l); return m ? [[Number(m[1]), m[2]]] : []; });
      const bytes = load(rel!);
      const got: [number, string][] = [];
      try { for (const o of readOps(bytes)) got.push([o.offset, o.op.name]); } catch { /* NEXT_BUFFER listing ends where dis ends */ }
      expect(got).toEqual(want);
      const text = disassemble(bytes);
      expect(text.split('\n').filter((l) => /^\s*\d+:/.test(l)).length).toBe(want.length);
    });
  }
});
