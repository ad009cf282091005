import { indexUnique } from '../../core/index.js';

/**
 * How an opcode's inline argument is encoded (CPython `pickletools.ArgumentDescriptor` names).
 * formats.md §1.2: `*nl` = ASCII up to a newline; `uintN`/`int4` little-endian; `long1`/`long4`
 * length-prefixed two's complement; `*1/*4/*8` length-prefixed byte strings.
 */
export type ArgKind =
  | 'bytearray8'
  | 'bytes1'
  | 'bytes4'
  | 'bytes8'
  | 'decimalnl_long'
  | 'decimalnl_short'
  | 'float8'
  | 'floatnl'
  | 'int4'
  | 'long1'
  | 'long4'
  | 'string1'
  | 'string4'
  | 'stringnl'
  | 'stringnl_noescape'
  | 'stringnl_noescape_pair'
  | 'uint1'
  | 'uint2'
  | 'uint4'
  | 'uint8'
  | 'unicodestring1'
  | 'unicodestring4'
  | 'unicodestring8'
  | 'unicodestringnl';

/** One row of the opcode table (CPython `pickletools.OpcodeInfo`). */
export interface OpInfo {
  readonly name: OpName;
  /** The opcode byte. */
  readonly code: number;
  /** Inline argument encoding, or null when the opcode has none. */
  readonly arg: ArgKind | null;
  /** First protocol that has this opcode. */
  readonly proto: number;
  /** Stack before → after, as pickletools names them (`mark`, `stackslice`, `any`, …). */
  readonly before: readonly string[];
  readonly after: readonly string[];
  readonly doc: string;
}

/**
 * All 68 opcodes of CPython's `pickletools.opcodes`, in CPython's order: the single source of truth
 * for `readOps`, `disassemble` and the VM (test/formats/pickle/opcodes.test.ts compares it with a
 * dump of CPython's table and with formats.md §1.2).
 */
export const OPS = [
  { name: 'INT', code: 0x49, arg: 'decimalnl_short', proto: 0, before: [], after: ['int_or_bool'],
    doc: 'Push an integer or bool.' },
  { name: 'BININT', code: 0x4a, arg: 'int4', proto: 1, before: [], after: ['int'],
    doc: 'Push a four-byte signed integer.' },
  { name: 'BININT1', code: 0x4b, arg: 'uint1', proto: 1, before: [], after: ['int'],
    doc: 'Push a one-byte unsigned integer.' },
  { name: 'BININT2', code: 0x4d, arg: 'uint2', proto: 1, before: [], after: ['int'],
    doc: 'Push a two-byte unsigned integer.' },
  { name: 'LONG', code: 0x4c, arg: 'decimalnl_long', proto: 0, before: [], after: ['int'],
    doc: 'Push a long integer.' },
  { name: 'LONG1', code: 0x8a, arg: 'long1', proto: 2, before: [], after: ['int'],
    doc: 'Long integer using one-byte length.' },
  { name: 'LONG4', code: 0x8b, arg: 'long4', proto: 2, before: [], after: ['int'],
    doc: 'Long integer using four-byte length.' },
  { name: 'STRING', code: 0x53, arg: 'stringnl', proto: 0, before: [], after: ['bytes_or_str'],
    doc: 'Push a Python string object.' },
  { name: 'BINSTRING', code: 0x54, arg: 'string4', proto: 1, before: [], after: ['bytes_or_str'],
    doc: 'Push a Python string object.' },
  { name: 'SHORT_BINSTRING', code: 0x55, arg: 'string1', proto: 1, before: [], after: ['bytes_or_str'],
    doc: 'Push a Python string object.' },
  { name: 'BINBYTES', code: 0x42, arg: 'bytes4', proto: 3, before: [], after: ['bytes'],
    doc: 'Push a Python bytes object.' },
  { name: 'SHORT_BINBYTES', code: 0x43, arg: 'bytes1', proto: 3, before: [], after: ['bytes'],
    doc: 'Push a Python bytes object.' },
  { name: 'BINBYTES8', code: 0x8e, arg: 'bytes8', proto: 4, before: [], after: ['bytes'],
    doc: 'Push a Python bytes object.' },
  { name: 'BYTEARRAY8', code: 0x96, arg: 'bytearray8', proto: 5, before: [], after: ['bytearray'],
    doc: 'Push a Python bytearray object.' },
  { name: 'NEXT_BUFFER', code: 0x97, arg: null, proto: 5, before: [], after: ['buffer'],
    doc: 'Push an out-of-band buffer object.' },
  { name: 'READONLY_BUFFER', code: 0x98, arg: null, proto: 5, before: ['buffer'], after: ['buffer'],
    doc: 'Make an out-of-band buffer object read-only.' },
  { name: 'NONE', code: 0x4e, arg: null, proto: 0, before: [], after: ['None'],
    doc: 'Push None on the stack.' },
  { name: 'NEWTRUE', code: 0x88, arg: null, proto: 2, before: [], after: ['bool'],
    doc: 'Push True onto the stack.' },
  { name: 'NEWFALSE', code: 0x89, arg: null, proto: 2, before: [], after: ['bool'],
    doc: 'Push False onto the stack.' },
  { name: 'UNICODE', code: 0x56, arg: 'unicodestringnl', proto: 0, before: [], after: ['str'],
    doc: 'Push a Python Unicode string object.' },
  { name: 'SHORT_BINUNICODE', code: 0x8c, arg: 'unicodestring1', proto: 4, before: [], after: ['str'],
    doc: 'Push a Python Unicode string object.' },
  { name: 'BINUNICODE', code: 0x58, arg: 'unicodestring4', proto: 1, before: [], after: ['str'],
    doc: 'Push a Python Unicode string object.' },
  { name: 'BINUNICODE8', code: 0x8d, arg: 'unicodestring8', proto: 4, before: [], after: ['str'],
    doc: 'Push a Python Unicode string object.' },
  { name: 'FLOAT', code: 0x46, arg: 'floatnl', proto: 0, before: [], after: ['float'],
    doc: 'Newline-terminated decimal float literal.' },
  { name: 'BINFLOAT', code: 0x47, arg: 'float8', proto: 1, before: [], after: ['float'],
    doc: 'Float stored in binary form, with 8 bytes of data.' },
  { name: 'EMPTY_LIST', code: 0x5d, arg: null, proto: 1, before: [], after: ['list'],
    doc: 'Push an empty list.' },
  { name: 'APPEND', code: 0x61, arg: null, proto: 0, before: ['list',  'any'], after: ['list'],
    doc: 'Append an object to a list.' },
  { name: 'APPENDS', code: 0x65, arg: null, proto: 1, before: ['list',  'mark',  'stackslice'], after: ['list'],
    doc: 'Extend a list by a slice of stack objects.' },
  { name: 'LIST', code: 0x6c, arg: null, proto: 0, before: ['mark',  'stackslice'], after: ['list'],
    doc: 'Build a list out of the topmost stack slice, after markobject.' },
  { name: 'EMPTY_TUPLE', code: 0x29, arg: null, proto: 1, before: [], after: ['tuple'],
    doc: 'Push an empty tuple.' },
  { name: 'TUPLE', code: 0x74, arg: null, proto: 0, before: ['mark',  'stackslice'], after: ['tuple'],
    doc: 'Build a tuple out of the topmost stack slice, after markobject.' },
  { name: 'TUPLE1', code: 0x85, arg: null, proto: 2, before: ['any'], after: ['tuple'],
    doc: 'Build a one-tuple out of the topmost item on the stack.' },
  { name: 'TUPLE2', code: 0x86, arg: null, proto: 2, before: ['any',  'any'], after: ['tuple'],
    doc: 'Build a two-tuple out of the top two items on the stack.' },
  { name: 'TUPLE3', code: 0x87, arg: null, proto: 2, before: ['any',  'any',  'any'], after: ['tuple'],
    doc: 'Build a three-tuple out of the top three items on the stack.' },
  { name: 'EMPTY_DICT', code: 0x7d, arg: null, proto: 1, before: [], after: ['dict'],
    doc: 'Push an empty dict.' },
  { name: 'DICT', code: 0x64, arg: null, proto: 0, before: ['mark',  'stackslice'], after: ['dict'],
    doc: 'Build a dict out of the topmost stack slice, after markobject.' },
  { name: 'SETITEM', code: 0x73, arg: null, proto: 0, before: ['dict',  'any',  'any'], after: ['dict'],
    doc: 'Add a key+value pair to an existing dict.' },
  { name: 'SETITEMS', code: 0x75, arg: null, proto: 1, before: ['dict',  'mark',  'stackslice'], after: ['dict'],
    doc: 'Add an arbitrary number of key+value pairs to an existing dict.' },
  { name: 'EMPTY_SET', code: 0x8f, arg: null, proto: 4, before: [], after: ['set'],
    doc: 'Push an empty set.' },
  { name: 'ADDITEMS', code: 0x90, arg: null, proto: 4, before: ['set',  'mark',  'stackslice'], after: ['set'],
    doc: 'Add an arbitrary number of items to an existing set.' },
  { name: 'FROZENSET', code: 0x91, arg: null, proto: 4, before: ['mark',  'stackslice'], after: ['frozenset'],
    doc: 'Build a frozenset out of the topmost slice, after markobject.' },
  { name: 'POP', code: 0x30, arg: null, proto: 0, before: ['any'], after: [],
    doc: 'Discard the top stack item, shrinking the stack by one item.' },
  { name: 'DUP', code: 0x32, arg: null, proto: 0, before: ['any'], after: ['any',  'any'],
    doc: 'Push the top stack item onto the stack again, duplicating it.' },
  { name: 'MARK', code: 0x28, arg: null, proto: 0, before: [], after: ['mark'],
    doc: 'Push markobject onto the stack.' },
  { name: 'POP_MARK', code: 0x31, arg: null, proto: 1, before: ['mark',  'stackslice'], after: [],
    doc: 'Pop all the stack objects at and above the topmost markobject.' },
  { name: 'GET', code: 0x67, arg: 'decimalnl_short', proto: 0, before: [], after: ['any'],
    doc: 'Read an object from the memo and push it on the stack.' },
  { name: 'BINGET', code: 0x68, arg: 'uint1', proto: 1, before: [], after: ['any'],
    doc: 'Read an object from the memo and push it on the stack.' },
  { name: 'LONG_BINGET', code: 0x6a, arg: 'uint4', proto: 1, before: [], after: ['any'],
    doc: 'Read an object from the memo and push it on the stack.' },
  { name: 'PUT', code: 0x70, arg: 'decimalnl_short', proto: 0, before: [], after: [],
    doc: 'Store the stack top into the memo.' },
  { name: 'BINPUT', code: 0x71, arg: 'uint1', proto: 1, before: [], after: [],
    doc: 'Store the stack top into the memo.' },
  { name: 'LONG_BINPUT', code: 0x72, arg: 'uint4', proto: 1, before: [], after: [],
    doc: 'Store the stack top into the memo.' },
  { name: 'MEMOIZE', code: 0x94, arg: null, proto: 4, before: ['any'], after: ['any'],
    doc: 'Store the stack top into the memo.' },
  { name: 'EXT1', code: 0x82, arg: 'uint1', proto: 2, before: [], after: ['any'],
    doc: 'Extension code.' },
  { name: 'EXT2', code: 0x83, arg: 'uint2', proto: 2, before: [], after: ['any'],
    doc: 'Extension code.' },
  { name: 'EXT4', code: 0x84, arg: 'int4', proto: 2, before: [], after: ['any'],
    doc: 'Extension code.' },
  { name: 'GLOBAL', code: 0x63, arg: 'stringnl_noescape_pair', proto: 0, before: [], after: ['any'],
    doc: 'Push a global object (module.attr) on the stack.' },
  { name: 'STACK_GLOBAL', code: 0x93, arg: null, proto: 4, before: ['str',  'str'], after: ['any'],
    doc: 'Push a global object (module.attr) on the stack.' },
  { name: 'REDUCE', code: 0x52, arg: null, proto: 0, before: ['any',  'any'], after: ['any'],
    doc: 'Push an object built from a callable and an argument tuple.' },
  { name: 'BUILD', code: 0x62, arg: null, proto: 0, before: ['any',  'any'], after: ['any'],
    doc: 'Finish building an object, via __setstate__ or dict update.' },
  { name: 'INST', code: 0x69, arg: 'stringnl_noescape_pair', proto: 0, before: ['mark',  'stackslice'], after: ['any'],
    doc: 'Build a class instance.' },
  { name: 'OBJ', code: 0x6f, arg: null, proto: 1, before: ['mark',  'any',  'stackslice'], after: ['any'],
    doc: 'Build a class instance.' },
  { name: 'NEWOBJ', code: 0x81, arg: null, proto: 2, before: ['any',  'any'], after: ['any'],
    doc: 'Build an object instance.' },
  { name: 'NEWOBJ_EX', code: 0x92, arg: null, proto: 4, before: ['any',  'any',  'any'], after: ['any'],
    doc: 'Build an object instance.' },
  { name: 'PROTO', code: 0x80, arg: 'uint1', proto: 2, before: [], after: [],
    doc: 'Protocol version indicator.' },
  { name: 'STOP', code: 0x2e, arg: null, proto: 0, before: ['any'], after: [],
    doc: 'Stop the unpickling machine.' },
  { name: 'FRAME', code: 0x95, arg: 'uint8', proto: 4, before: [], after: [],
    doc: 'Indicate the beginning of a new frame.' },
  { name: 'PERSID', code: 0x50, arg: 'stringnl_noescape', proto: 0, before: [], after: ['any'],
    doc: 'Push an object identified by a persistent ID.' },
  { name: 'BINPERSID', code: 0x51, arg: null, proto: 1, before: ['any'], after: ['any'],
    doc: 'Push an object identified by a persistent ID.' },
] as const satisfies readonly (Omit<OpInfo, 'name'> & { name: string })[];

/** Opcode names. */
export type OpName = (typeof OPS)[number]['name'];

/** Opcode table indexed by byte; throws at import on a duplicate code. */
export const OP_BY_CODE: ReadonlyMap<number, OpInfo> = indexUnique<OpInfo, number>(OPS, (o) => o.code);
/** Opcode table indexed by name; throws at import on a duplicate name. */
export const OP_BY_NAME: ReadonlyMap<OpName, OpInfo> = indexUnique<OpInfo, OpName>(OPS, (o) => o.name);
