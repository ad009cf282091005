import { describe, expect, it } from 'vitest';
import { OPS, parsePickle, readOps, type PyValue } from '../../../src/formats/pickle/index.js';
import { P, sbu, u32, u64, utf8 } from './build.js';
import { toJson } from './json.js';

// One hand-built stream per opcode (several for some), each decoded to a known value.
const f = (value: number) => ({ float: value });
const T = (...items: unknown[]) => ({ tuple: items });
const B = (hex: string, mutable = false) => ({ bytes: hex, mutable });

const CASES: [string, Uint8Array, unknown][] = [
  ['INT', P('I42\n.'), 42],
  ['INT true', P('I01\n.'), true],
  ['INT false', P('I00\n.'), false],
  ['INT negative', P('I-7\n.'), -7],
  ['INT big', P('I123456789012345678901\n.'), { int: '123456789012345678901' }],
  ['BININT', P(0x4a, 0xff, 0xff, 0xff, 0xff, '.'), -1],
  ['BININT1', P(0x4b, 0xff, '.'), 255],
  ['BININT2', P(0x4d, 0x34, 0x12, '.'), 0x1234],
  ['LONG', P('L-99999999999999999999L\n.'), { int: '-99999999999999999999' }],
  ['LONG1', P(0x8a, 2, 0xff, 0x7f, '.'), 32767],
  ['LONG1 zero', P(0x8a, 0, '.'), 0],
  ['LONG1 negative', P(0x8a, 1, 0xff, '.'), -1],
  ['LONG1 big', P(0x8a, 9, 0, 0, 0, 0, 0, 0, 0, 0, 1, '.'), { int: (1n << 64n).toString() }],
  ['LONG4', P(0x8b, ...u32(1), 0x80, '.'), -128],
  ['STRING', P("S'a\\x41\\n\\'\\101'\n."), "aA\n'A"],
  ['BINSTRING', P(0x54, ...u32(2), 'hi', '.'), 'hi'],
  ['SHORT_BINSTRING latin1', P(0x55, 2, 0xe9, 'z', '.'), '\u00e9z'],
  ['BINBYTES', P(0x42, ...u32(3), 'abc', '.'), B('616263')],
  ['SHORT_BINBYTES', P(0x43, 2, 'ab', '.'), B('6162')],
  ['BINBYTES8', P(0x8e, ...u64(2), 'ab', '.'), B('6162')],
  ['BYTEARRAY8', P(0x80, 5, 0x96, ...u64(2), 'ab', '.'), B('6162', true)],
  ['READONLY_BUFFER', P(0x80, 5, 0x96, ...u64(1), 'a', 0x98, '.'), B('61')],
  ['NONE', P('N.'), null],
  ['NEWTRUE', P(0x88, '.'), true],
  ['NEWFALSE', P(0x89, '.'), false],
  ['UNICODE', P('V', 0xe9, '\\u4e2d\\\\x\\U0001F600\n.'), '\u00e9\u4e2d\\\\x\u{1f600}'],
  ['SHORT_BINUNICODE', P(sbu('h\u00e9'), '.'), 'h\u00e9'],
  ['BINUNICODE surrogatepass', P(0x58, ...u32(3), 0xed, 0xa0, 0x80, '.'), '\ud800'],
  ['BINUNICODE8', P(0x8d, ...u64(2), 'hi', '.'), 'hi'],
  ['FLOAT', P('F1.5\n.'), f(1.5)],
  ['FLOAT exp', P('F-2.5e-3\n.'), f(-0.0025)],
  ['FLOAT inf', P('Finf\n.'), { float: 'inf' }],
  ['BINFLOAT', P(0x47, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0, '.'), f(1.5)],
  ['EMPTY_LIST APPEND', P(']K', 1, 'a.'), [1]],
  ['APPENDS', P('](K', 1, 'K', 2, 'e.'), [1, 2]],
  ['LIST', P('(K', 1, 'K', 2, 'l.'), [1, 2]],
  ['EMPTY_TUPLE', P(').'), T()],
  ['TUPLE', P('(K', 1, 'N', 't.'), T(1, null)],
  ['TUPLE1', P('K', 1, 0x85, '.'), T(1)],
  ['TUPLE2', P('K', 1, 'K', 2, 0x86, '.'), T(1, 2)],
  ['TUPLE3', P('K', 1, 'K', 2, 'K', 3, 0x87, '.'), T(1, 2, 3)],
  ['EMPTY_DICT SETITEM', P('}', sbu('a'), 'K', 1, 's.'), { dict: [['a', 1]] }],
  ['DICT', P('(', sbu('a'), 'K', 1, sbu('b'), 'N', 'd.'), { dict: [['a', 1], ['b', null]] }],
  ['SETITEMS keeps first key, last value', P('}(K', 1, 'K', 1, 0x88, 'K', 2, 'u.'), { dict: [[1, 2]] }],
  ['EMPTY_SET ADDITEMS', P(0x8f, '(K', 1, 'K', 1, 'K', 2, 0x90, '.'), { set: [1, 2], frozen: false }],
  ['FROZENSET', P('(K', 3, 0x91, '.'), { set: [3], frozen: true }],
  ['POP', P('K', 1, 'K', 2, '0.'), 1],
  ['POP of a MARK on an empty stack', P('K', 1, '(0.'), 1],
  ['DUP', P('K', 1, '2', 0x86, '.'), T(1, 1)],
  ['MARK POP_MARK', P('K', 1, '(K', 2, 'K', 3, '1.'), 1],
  ['PUT GET', P('K', 7, 'p3\n0g3\n.'), 7],
  ['BINPUT BINGET', P('K', 7, 'q', 9, '0h', 9, '.'), 7],
  ['LONG_BINPUT LONG_BINGET', P('K', 7, 'r', ...u32(70000), '0j', ...u32(70000), '.'), 7],
  ['MEMOIZE', P(0x80, 4, 'K', 7, 0x94, '0h', 0, '.'), 7],
  ['GLOBAL', P('cmod\nname\n.'), { global: 'mod.name' }],
  ['GLOBAL py2 names (protocol < 3)', P('c__builtin__\nset\n.'), { global: 'builtins.set' }],
  ['STACK_GLOBAL', P(0x80, 4, sbu('pathlib'), sbu('os.system'), 0x93, '.'), { global: 'pathlib.os.system' }],
  ['REDUCE symbolic', P('cos\nsystem\n', sbu('x'), 0x85, 'R.'), { call: { global: 'os.system' }, args: T('x') }],
  ['REDUCE native set', P('cbuiltins\nset\n(K', 1, 'K', 1, 'l', 0x85, 'R.'), { set: [1], frozen: false }],
  ['BUILD on an object', P('cm\nC\n)', 0x81, '}', sbu('a'), 'K', 1, 'sb.'), { object: { global: 'm.C' }, args: [] }],
  ['INST', P('(K', 1, 'im\nC\n.'), { object: { global: 'm.C' }, args: [1] }],
  ['OBJ', P('(cm\nC\nK', 1, 'o.'), { object: { global: 'm.C' }, args: [1] }],
  ['NEWOBJ', P(0x80, 2, 'cm\nC\nK', 1, 0x85, 0x81, '.'), { object: { global: 'm.C' }, args: [1] }],
  ['NEWOBJ_EX', P(0x80, 4, 'cm\nC\n)}', 0x92, '.'), { object: { global: 'm.C' }, args: [] }],
  ['PROTO', P(0x80, 5, 'N.'), null],
  ['STOP', P('N.'), null],
  ['FRAME', P(0x80, 4, 0x95, ...u64(2), 'N.'), null],
  ['FRAME then unframed large argument', P(0x80, 4, 0x95, ...u64(1), '(', 0x8d, ...u64(1), 'x', 0x95, ...u64(2), 't.'), T('x')],
  ['BINPERSID (torch)', P(0x80, 2, '(', sbu('storage'), 'ctorch\nFloatStorage\n', sbu('0'), sbu('cpu'), 'K', 4, 't', 'Q.'),
    { storage: { dtype: 'F32', key: '0', location: 'cpu', numel: 4 } }],
  ['cyclic list', Uint8Array.from([0x80, 0x02, 0x5d, 0x94, 0x67, 0x30, 0x0a, 0x61, 0x2e]), 'cycle'],
];
// Opcodes whose only outcome is an error (tested in errors.test.ts) still need a stream here.
const ERROR_ONLY: [string, Uint8Array][] = [
  ['EXT1', P(0x82, 1, '.')], ['EXT2', P(0x83, 1, 0, '.')], ['EXT4', P(0x84, 1, 0, 0, 0, '.')],
  ['NEXT_BUFFER', P(0x80, 5, 0x97, '.')], ['PERSID', P('P1\n.')],
];

describe('every opcode', () => {
  for (const [name, bytes, want] of CASES) {
    it(name, () => {
      const profile = name.includes('torch') ? 'torch' : 'plain';
      const r = parsePickle(bytes, { profile, stopAtEnd: true });
      expect(r.error?.describe()).toBeUndefined();
      expect(r.end).toBe(bytes.length);
      if (want === 'cycle') {
        const v = r.value as Extract<PyValue, { kind: 'list' }>;
        expect(v.kind).toBe('list');
        expect(v.items[0]).toBe(v);
      } else {
        expect(toJson(r.value)).toEqual(want);
      }
    });
  }

  it('the cases cover all 68 opcodes', () => {
    const seen = new Set<string>();
    for (const [, bytes] of [...CASES.map(([n, b]) => [n, b] as const), ...ERROR_ONLY]) {
      for (const r of readOps(bytes)) seen.add(r.op.name);
    }
    expect([...OPS.map((o) => o.name)].filter((n) => !seen.has(n))).toEqual([]);
  });

  it('keeps py2 spellings in raw', () => {
    const r = parsePickle(P('ccopy_reg\n_reconstructor\n.'));
    const ev = r.events[0];
    expect(ev).toMatchObject({ kind: 'global', op: 'GLOBAL', global: { module: 'copyreg', name: '_reconstructor', raw: { module: 'copy_reg', name: '_reconstructor' } } });
    const r4 = parsePickle(P(0x80, 4, 'c__builtin__\nset\n.'));
    expect(r4.events[0]).toMatchObject({ global: { module: '__builtin__', name: 'set' } });
  });

  it('decodes STRING per pyEncoding', () => {
    expect(parsePickle(P(0x55, 2, 0xc3, 0xa9, '.'), { pyEncoding: 'utf8' }).value).toBe('\u00e9');
    expect(parsePickle(P(0x55, 2, 0xc3, 0xa9, '.')).value).toBe('\u00c3\u00a9');
  });

  it('shares memoised references and mutates built objects in place', () => {
    const r = parsePickle(P(0x80, 2, 'cm\nC\n)', 0x81, 'q', 0, '}', sbu('a'), 'K', 1, 'sbh', 0, 0x86, '.'));
    const t = r.value as Extract<PyValue, { kind: 'tuple' }>;
    expect(t.items[0]).toBe(t.items[1]);
    expect(toJson((t.items[0] as Extract<PyValue, { kind: 'object' }>).state)).toEqual({ dict: [['a', 1]] });
  });

  it('bytes are zero-copy views of the input', () => {
    const bytes = P(0x42, ...u32(3), 'abc', '.');
    const v = parsePickle(bytes).value as Extract<PyValue, { kind: 'bytes' }>;
    expect(v.data.buffer).toBe(bytes.buffer);
    expect(v.data.byteOffset).toBe(5);
  });

  it('utf8 helper sanity', () => expect(utf8('é').length).toBe(2));
});
