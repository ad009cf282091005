import { describe, expect, it } from 'vitest';
import { CODES, withLimits } from '../../../src/core/index.js';
import { parsePickle, type PickleOptions } from '../../../src/formats/pickle/index.js';
import { P, R, sbu, u32, u64 } from './build.js';

// One adversarial stream per error code, asserting code and offset (STYLE.md §4).
const caseE = (() => {
  const hidden = P('cos\nsystem\nV', 'touch markers/E', '\n', 0x85, 'R');
  const tail = new Uint8Array(261).fill(0x4e);
  tail.set(P(hidden, '('));
  return P(0x80, 5, 'N', 'V', 'a'.repeat(8192 * 16 - 17), '\n0(', 0x95, ...u64(2), 'B', 0x07, 0x01, 0, 0, 0, 0, tail, '1.');
})();
const torchStorageId = (cls: string) => P(0x80, 2, '(', sbu('storage'), `ctorch\n${cls}\n`, sbu('0'), sbu('cpu'), 'K', 4, 't', 'Q.');

const CASES: [string, Uint8Array, string, number, PickleOptions?][] = [
  ['unknown opcode', P(0x80, 2, 0xff), 'PICKLE_UNKNOWN_OPCODE', 2],
  ['truncated int4', P(0x80, 2, 0x4a, 1, 2), 'PICKLE_TRUNCATED', 2],
  ['BINUNICODE8 claiming 2^63 bytes', P(0x8d, ...u64(2n ** 63n)), 'PICKLE_TRUNCATED', 0],
  ['BINBYTES8 claiming 2^64-1 bytes', P(0x80, 4, 0x8e, ...u64(2n ** 64n - 1n), 'x'), 'PICKLE_TRUNCATED', 2],
  ['LONG4 claiming 2^31-1 bytes', P(0x8b, 0xff, 0xff, 0xff, 0x7f, 1), 'PICKLE_TRUNCATED', 0],
  ['BINBYTES claiming 4 GiB', P('N', 0x42, ...u32(0xffffffff)), 'PICKLE_TRUNCATED', 1],
  ['line without newline', P('I12'), 'PICKLE_TRUNCATED', 0],
  ['GLOBAL missing second line', P('cos\nsys'), 'PICKLE_TRUNCATED', 0],
  ['FRAME longer than the input', P(0x80, 4, 0x95, ...u64(100), 'N.'), 'PICKLE_TRUNCATED', 2],
  ['no STOP', P(0x80, 2, 'N'), 'PICKLE_NO_STOP', 3],
  ['empty input', P(), 'PICKLE_NO_STOP', 0],
  ['POP on empty stack', P('0'), 'PICKLE_STACK_UNDERFLOW', 0],
  ['STOP on empty stack', P('.'), 'PICKLE_STACK_UNDERFLOW', 0],
  ['APPEND needs two values', P('K', 1, 'a.'), 'PICKLE_STACK_UNDERFLOW', 2],
  ['OBJ with an empty mark', P('(o.'), 'PICKLE_STACK_UNDERFLOW', 1],
  ['TUPLE without MARK', P('Nt.'), 'PICKLE_MARK_MISSING', 1],
  ['POP_MARK without MARK', P('1'), 'PICKLE_MARK_MISSING', 0],
  ['GET of a missing memo slot', P('h', 5, '.'), 'PICKLE_MEMO_MISSING', 0],
  ['PROTO 6', P(0x80, 6, 'N.'), 'PICKLE_BAD_PROTO', 0],
  ['repeated PROTO', P(0x80, 2, 0x80, 2, 'N.'), 'PICKLE_BAD_PROTO', 2],
  ['late PROTO', P('N', 0x80, 2, '.'), 'PICKLE_BAD_PROTO', 1],
  ['argument crosses a frame end', P(0x80, 4, 0x95, ...u64(2), 0x8c, 5, 'hello', '.'), 'PICKLE_FRAME_VIOLATION', 11],
  ['text line crosses a frame end', P(0x80, 4, 0x95, ...u64(3), 'I12\n.'), 'PICKLE_FRAME_VIOLATION', 11],
  ['FRAME inside a frame', P(0x80, 4, 0x95, ...u64(10), 0x95, ...u64(0), 'N.'), 'PICKLE_FRAME_VIOLATION', 11],
  ['STOP leaves bytes in the frame', P(0x80, 4, 0x95, ...u64(3), 'N.N'), 'PICKLE_FRAME_VIOLATION', 12],
  ['threats.md case E (FRAME divergence, cpython#154848)', caseE, 'PICKLE_FRAME_VIOLATION', 131071],
  ['EXT1', P(0x82, 1, '.'), 'PICKLE_EXT_OPCODE', 0],
  ['EXT2', P('N', 0x83, 1, 0, '.'), 'PICKLE_EXT_OPCODE', 1],
  ['EXT4', P(0x84, 1, 0, 0, 0, '.'), 'PICKLE_EXT_OPCODE', 0],
  ['NEXT_BUFFER', P(0x80, 5, 0x97, '.'), 'PICKLE_NEXT_BUFFER', 2],
  ['two values at STOP', P('NN.'), 'PICKLE_STACK_NOT_EMPTY', 2],
  ['open MARK at STOP', P('(N.'), 'PICKLE_STACK_NOT_EMPTY', 2],
  ['STACK_GLOBAL with an int module', P(0x80, 4, 'K', 1, sbu('x'), 0x93, '.'), 'PICKLE_BAD_OPERAND', 7],
  ['DICT with an odd slice', P('(Nd.'), 'PICKLE_BAD_OPERAND', 2],
  ['SETITEMS with an odd slice', P('}(Nu.'), 'PICKLE_BAD_OPERAND', 3],
  ['NEWOBJ without an argument tuple', P('cm\nC\nN', 0x81, '.'), 'PICKLE_BAD_OPERAND', 6],
  ['NEWOBJ_EX without kwargs dict', P('cm\nC\n)N', 0x92, '.'), 'PICKLE_BAD_OPERAND', 7],
  ['READONLY_BUFFER on None', P(0x80, 5, 'N', 0x98, '.'), 'PICKLE_BAD_OPERAND', 3],
  ['INT that is not a number', P('Iabc\n.'), 'PICKLE_BAD_ARGUMENT', 0],
  ['FLOAT that is not a number', P('F1.2.3\n.'), 'PICKLE_BAD_ARGUMENT', 0],
  ['invalid UTF-8', P(0x58, ...u32(1), 0xff, '.'), 'PICKLE_BAD_ARGUMENT', 0],
  ['negative LONG4 length', P(0x8b, 0xff, 0xff, 0xff, 0xff), 'PICKLE_BAD_ARGUMENT', 0],
  ['negative BINSTRING length', P(0x54, 0xff, 0xff, 0xff, 0xff), 'PICKLE_BAD_ARGUMENT', 0],
  ['unquoted STRING', P('Sabc\n.'), 'PICKLE_BAD_ARGUMENT', 0],
  ['bad memo index', P('Ng1x\n.'), 'PICKLE_BAD_ARGUMENT', 1],
  ['truncated \\u escape', P('V\\u12\n.'), 'PICKLE_BAD_ARGUMENT', 0],
  ['PERSID outside torch', P('P1\n.'), 'PICKLE_PERSID', 0],
  ['BINPERSID outside torch', P(0x80, 2, 'NQ.'), 'PICKLE_PERSID', 3],
  ['torch module persistent id', P(0x80, 2, sbu('module'), 0x85, 'Q.'), 'PICKLE_PERSID', 11, { profile: 'torch' }],
  ["_codecs.encode(str, 'utf8')", P(0x80, 2, 'c_codecs\nencode\n', sbu('x'), sbu('utf8'), 0x86, 'R.'), 'PICKLE_RECONSTRUCT_INVALID', 28],
  ['numpy.dtype of an unknown type', P(0x80, 2, 'cnumpy\ndtype\n', sbu('q9'), 0x89, 0x88, 0x87, 'R.'), 'PICKLE_RECONSTRUCT_INVALID', 22],
  ['torch quantized storage', torchStorageId('QInt8Storage'), 'PICKLE_RECONSTRUCT_INVALID', 43, { profile: 'torch' }],
  ['numpy scalar with a short payload', P(0x80, 2, 'cnumpy.core.multiarray\nscalar\ncnumpy\ndtype\n', sbu('f8'), 0x89, 0x88, 0x87, 'R',
    '(K', 3, sbu('<'), 'NNNJ', ...u32(0xffffffff), 'J', ...u32(0xffffffff), 'K', 0, 'tb', 0x43, 1, 'x', 0x86, 'R.'), 'PICKLE_RECONSTRUCT_INVALID', 80],
  ['trailing bytes with stopAtEnd', P('N.', 0), 'PICKLE_TRAILING_BYTES', 2, { stopAtEnd: true }],
];

const LIMITS: [string, Uint8Array, Partial<ReturnType<typeof withLimits>>, string, number, number][] = [
  ['opcodes', P('N0N0N0N.'), { maxPickleOps: 3 }, 'maxPickleOps', 3, 4],
  ['stack depth', P('NNNN.'), { maxStackDepth: 2 }, 'maxStackDepth', 2, 3],
  ['stack depth across marks', P('N(N(N.'), { maxStackDepth: 2 }, 'maxStackDepth', 4, 3],
  ['metastack depth', P('((((.'), { maxStackDepth: 2 }, 'maxStackDepth', 2, 3],
  ['memo entries', P('Nq', 0, 'q', 1, '.'), { maxMemoEntries: 1 }, 'maxMemoEntries', 3, 2],
  ['container items', P(']NaNaNa.'), { maxContainerItems: 2 }, 'maxContainerItems', 6, 3],
  ['value nesting depth', P(']]]]aaa.'), { maxValueDepth: 3 }, 'maxValueDepth', 7, 4],
  ['value depth built through the memo (constant stack)', P(']q', 0, '0', ...Array(5).fill([...']h', 0, 'aq', 0, '0']).flat(), 'h', 0, '.'),
    { maxValueDepth: 4 }, 'maxValueDepth', 41, 5],
  ['input bytes', P('N.'), { maxInputBytes: 1 }, 'maxInputBytes', 0, 2],
];

describe('hard errors carry code and offset', () => {
  it('every PICKLE_* code of the catalogue has a case here', () => {
    const covered = new Set(CASES.map((c) => c[2]));
    expect(Object.keys(CODES).filter((c) => c.startsWith('PICKLE_') && !covered.has(c))).toEqual([]);
  });

  for (const [name, bytes, code, offset, opts] of CASES) {
    it(`${code}: ${name}`, () => {
      const r = parsePickle(bytes, opts);
      expect(r.error?.code).toBe(code);
      expect(r.error?.at.offset).toBe(offset);
      expect(r.end).toBe(offset);
      if (code !== 'PICKLE_TRAILING_BYTES') expect(r.value).toBeUndefined();
    });
  }
  for (const [name, bytes, lim, limit, offset, actual] of LIMITS) {
    it(`LIMIT_EXCEEDED: ${name}`, () => {
      const r = parsePickle(bytes, { limits: withLimits(lim) });
      expect(r.error?.code).toBe('LIMIT_EXCEEDED');
      expect(r.error?.at).toMatchObject({ offset, limit, actual });
    });
  }
});

describe('events observed before a break are kept', () => {
  it('threats.md case I: payload before a broken tail', () => {
    const good = R('os', 'system', sbu('touch x'), 0x85);
    const bytes = P(good.subarray(0, good.length - 1), 0xff, 0xfe, 'garbage');
    const r = parsePickle(bytes);
    expect(r.error?.code).toBe('PICKLE_UNKNOWN_OPCODE');
    expect(r.events.map((e) => e.kind)).toEqual(['global', 'call']);
    expect(r.events[0]).toMatchObject({ global: { module: 'os', name: 'system', at: 14 } });
  });

  it('a truncated FRAME is interpreted up to the end, then reported at the FRAME', () => {
    const full = P(0x80, 4, 0x95, ...u64(40), sbu('os'), sbu('system'), 0x93, sbu('touch x'), 0x85, 0x52, '.');
    const r = parsePickle(full.subarray(0, full.length - 3));
    expect(r.error?.code).toBe('PICKLE_TRUNCATED');
    expect(r.error?.at.offset).toBe(2);
    expect(r.events.map((e) => e.kind)).toEqual(['global']);
    const cut = parsePickle(full.subarray(0, full.length - 6)); // inside the last argument
    expect(cut.error?.at).toMatchObject({ offset: 2 });
    expect(cut.events.map((e) => e.kind)).toEqual(['global']);
  });

  it('NEWOBJ with a list of arguments is recorded as a call before it fails (pickle.py would run it)', () => {
    const r = parsePickle(P(0x80, 2, 'cos\nsystem\n]', sbu('x'), 'a', 0x81, '.'));
    expect(r.error?.code).toBe('PICKLE_BAD_OPERAND');
    expect(r.events.map((e) => e.kind)).toEqual(['global', 'call']);
  });

  it('bad-global names the operand types', () => {
    const r = parsePickle(P(0x80, 4, 'N', 'K', 1, 0x93, '.'));
    expect(r.events).toEqual([{ kind: 'bad-global', module: '<NoneType>', name: '<int>', at: 5 }]);
  });

  it('persid event precedes the PERSID error', () => {
    const r = parsePickle(P('P1\n.'));
    expect(r.events).toEqual([{ kind: 'persid', pid: '1', at: 0 }]);
  });

  it('case E: nothing of the hidden GLOBAL is reported as parsed, the frame violation is', () => {
    const r = parsePickle(caseE);
    expect(r.events).toEqual([]);
    expect(r.error?.code).toBe('PICKLE_FRAME_VIOLATION');
  });

  it('the call of a native reconstructor is recorded before its validation fails', () => {
    const r = parsePickle(P(0x80, 2, 'c_codecs\nencode\n', sbu('x'), sbu('utf8'), 0x86, 'R.'));
    expect(r.events.map((e) => e.kind)).toEqual(['global', 'call']);
  });
});

describe('threats.md §4 recipes are interpreted completely', () => {
  const CMD = 'touch markers/X';
  it('A: dotted attribute via a harmless module keeps the dotted name', () => {
    const r = parsePickle(P(0x80, 4, sbu('pathlib'), sbu('os.system'), 0x93, sbu(CMD), 0x85, 0x52, 0x2e));
    expect(r.error).toBeUndefined();
    expect(r.events[0]).toMatchObject({ kind: 'global', op: 'STACK_GLOBAL', global: { module: 'pathlib', name: 'os.system' } });
    expect(r.events[1]).toMatchObject({ kind: 'call', op: 'REDUCE', args: [CMD] });
  });

  it('B: numpy BUILD gadget — BUILD on a GlobalRef is recorded', () => {
    const bytes = P(0x80, 4, sbu('numpy'), sbu('size'), 0x93, 0x94, 0x94, sbu('numpy'), sbu('__builtins__'), 0x93, 0x94, 0x94, 0x68, 1, 0x7d, 0x7d,
      sbu('shape'), 0x68, 3, 0x73, 0x86, 0x62, 0x68, 1, 0x68, 1, sbu('eval'), 0x86, 0x52, sbu(`__import__('os').system('${CMD}')`), 0x85, 0x52, 0x2e);
    const r = parsePickle(bytes);
    const build = r.events.find((e) => e.kind === 'build');
    expect(build).toMatchObject({ target: { kind: 'global', module: 'numpy', name: 'size' } });
    expect(r.events.filter((e) => e.kind === 'call')).toHaveLength(2);
  });

  it('K: resolver chain — calls of call results', () => {
    const r = parsePickle(P(0x80, 4, sbu('inspect'), sbu('getattr_static'), 0x93, sbu('importlib'), sbu('import_module'), 0x93, sbu('os'), 0x85, 0x52,
      sbu('system'), 0x86, 0x52, sbu(CMD), 0x85, 0x52, 0x2e));
    expect(r.error).toBeUndefined();
    const calls = r.events.filter((e) => e.kind === 'call');
    expect(calls).toHaveLength(3);
    expect(calls[2]).toMatchObject({ callee: { kind: 'call' } });
  });

  it('G: protocol-0 pickle with py2 names', () => {
    const r = parsePickle(P('cposix\nsystem\n(V', CMD, '\ntR.'));
    expect(r.error).toBeUndefined();
    expect(r.proto).toBe(0);
    expect(r.events.map((e) => e.kind)).toEqual(['global', 'call']);
  });
});
