import { DEFAULT_LIMITS, MvError, decodeUtf8, isMvError, type ErrorCode, type Limits } from '../../core/index.js';
import type { NdArray, PickleEvent, PickleResult, PyCall, PyDict, PyGlobal, PyList, PyObject, PySet, PyTuple, PyValue } from './types.js';
import { fixPy2Name } from './compat.js';
import { decodeLong, decodeRawUnicodeEscape, decodeStringRepr, decodeUtf8Pass, latin1, parseFloatText, parseIndexText, parseIntText } from './text.js';
import { dictSet, setAdd, workOf } from './values.js';
import { nativeFor } from './reconstruct.js';
import { setArrayState, setDTypeState } from './numpy.js';
import { torchStorage } from './torch.js';
import { isJoblibWrapper, readWrapperPayload } from './joblib.js';

/** Options of {@link parsePickle}. */
export interface PickleOptions {
  /** Resource limits (default DEFAULT_LIMITS). */
  readonly limits?: Limits;
  /** Byte offset where the stream starts; every reported offset stays absolute in `bytes`. */
  readonly start?: number;
  /**
   * `plain`: persistent ids are refused. `joblib`: NumpyArrayWrapper payloads are read inline
   * (formats.md §2.2). `torch`: `('storage', …)` persistent ids become TorchStorage (§7.1).
   */
  readonly profile?: 'plain' | 'joblib' | 'torch';
  /** How py2 STRING/BINSTRING/SHORT_BINSTRING decode (numpy and joblib use latin1, the default). */
  readonly pyEncoding?: 'latin1' | 'utf8';
  /** Also fail with PICKLE_TRAILING_BYTES when bytes follow STOP (bare pickle files). */
  readonly stopAtEnd?: boolean;
}

/** Counters shared by a stream and the streams nested in it (joblib object arrays). */
interface Shared {
  readonly limits: Limits;
  readonly events: PickleEvent[];
  ops: number;
  nested: number;
}

type Mut<T> = { -readonly [K in keyof T]: T[K] };

const MEMO_ARRAY_MAX = 1 << 24;

/** Opcode-budget units per element a native reconstructor touches (hashing one costs several opcodes). */
const NATIVE_ITEM_COST = 4;

const fail = (code: ErrorCode, msg: string, at: number): MvError => new MvError(code, msg, { offset: at });

const limit = (name: string, actual: number, max: number, at: number): MvError =>
  new MvError('LIMIT_EXCEEDED', `${name} limit exceeded: ${actual} > ${max}`, { offset: at, limit: name, actual });

/** Python type name for messages and `bad-global` events (`<int>`, `<NoneType>` …). */
export function pyTypeName(v: PyValue | undefined): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'NoneType';
  switch (typeof v) {
    case 'boolean': return 'bool';
    case 'number': case 'bigint': return 'int';
    case 'string': return 'str';
    default: break;
  }
  switch (v.kind) {
    case 'bytes': return v.mutable ? 'bytearray' : 'bytes';
    case 'set': return v.frozen ? 'frozenset' : 'set';
    default: return v.kind;
  }
}

/**
 * The pickle machine: a cursor over the input, CPython's stack + metastack (MARK pushes the current
 * stack and starts a new one, `pickle._Unpickler.pop_mark`), a memo and frame bounds. Only
 * JoblibPayload (joblib.ts) touches it from outside.
 */
export class Vm {
  readonly b: Uint8Array;
  readonly dv: DataView;
  readonly len: number;
  readonly start: number;
  pos: number;
  /** End of the current FRAME, or -1 outside frames. */
  frameEnd = -1;
  /** Offset of a FRAME that claimed more bytes than the input has (-1 when none). */
  truncatedFrameAt = -1;
  stack: PyValue[] = [];
  readonly meta: PyValue[][] = [];
  /** Items held by the stacks saved in `meta` (stack depth = stack.length + metaItems). */
  metaItems = 0;
  /** The memo: dense indices in an array, huge ones (LONG_BINPUT up to 2^32) in a Map. */
  private readonly memoArr: PyValue[] = [];
  private readonly memoBig = new Map<number, PyValue>();
  /** `len(memo)`: MEMOIZE stores at this index. */
  memoCount = 0;
  proto = 0;
  readonly profile: 'plain' | 'joblib' | 'torch';
  readonly utf8Strings: boolean;
  readonly shared: Shared;
  readonly events: PickleEvent[];

  constructor(bytes: Uint8Array, start: number, opts: PickleOptions, shared: Shared) {
    this.b = bytes;
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.len = bytes.length;
    this.start = start;
    this.pos = start;
    this.profile = opts.profile ?? 'plain';
    this.utf8Strings = opts.pyEncoding === 'utf8';
    this.shared = shared;
    this.events = shared.events;
  }

  /** Reserves `n` argument bytes at the cursor; they must lie in the current frame (threats.md case E). */
  take(n: number, at: number): number {
    const p = this.pos;
    const lim = this.frameEnd >= 0 ? this.frameEnd : this.len;
    if (n > lim - p) {
      if (n > this.len - p) {
        const where = this.truncatedFrameAt >= 0 ? this.truncatedFrameAt : at;
        throw fail('PICKLE_TRUNCATED', `opcode argument needs ${n} bytes, ${this.len - p} left`, where);
      }
      throw fail('PICKLE_FRAME_VIOLATION', `opcode argument of ${n} bytes crosses the frame end at ${this.frameEnd}`, at);
    }
    this.pos = p + n;
    return p;
  }

  /** A newline-terminated argument: returns the index of the newline, cursor after it. */
  line(at: number): number {
    const lim = this.frameEnd >= 0 ? this.frameEnd : this.len;
    const nl = this.b.indexOf(10, this.pos);
    if (nl < 0) throw fail('PICKLE_TRUNCATED', 'text argument has no terminating newline', this.truncatedFrameAt >= 0 ? this.truncatedFrameAt : at);
    if (nl >= lim) throw fail('PICKLE_FRAME_VIOLATION', `text argument crosses the frame end at ${this.frameEnd}`, at);
    this.pos = nl + 1;
    return nl;
  }

  u64(at: number): number {
    const p = this.take(8, at);
    return this.dv.getUint32(p + 4, true) * 4294967296 + this.dv.getUint32(p, true);
  }

  pop(at: number): PyValue {
    const s = this.stack;
    if (s.length === 0) throw fail('PICKLE_STACK_UNDERFLOW', 'pop from an empty stack', at);
    return s.pop()!;
  }

  top(at: number): PyValue {
    const s = this.stack;
    if (s.length === 0) throw fail('PICKLE_STACK_UNDERFLOW', 'the stack is empty', at);
    return s[s.length - 1]!;
  }

  popMark(at: number): PyValue[] {
    const m = this.meta.pop();
    if (m === undefined) throw fail('PICKLE_MARK_MISSING', 'no MARK on the stack', at);
    const items = this.stack;
    this.stack = m;
    this.metaItems -= m.length;
    return items;
  }

  /** Parses a nested, complete pickle stream at the cursor (joblib object arrays), same limits. */
  nested(at: number): { value: PyValue; end: number } {
    const sh = this.shared;
    if (++sh.nested > sh.limits.maxNestedPickles) throw limit('maxNestedPickles', sh.nested, sh.limits.maxNestedPickles, at);
    const slot = this.events.length;
    this.events.push({ kind: 'nested', at: this.pos, end: this.pos });
    const inner = new Vm(this.b, this.pos, { profile: 'plain', pyEncoding: this.utf8Strings ? 'utf8' : 'latin1' }, sh);
    try {
      const value = inner.run();
      this.events[slot] = { kind: 'nested', at: this.pos, end: inner.pos };
      this.pos = inner.pos;
      return { value, end: inner.pos };
    } catch (e) {
      this.events[slot] = { kind: 'nested', at: this.pos, end: inner.pos };
      throw e;
    }
  }

  private global(module: string, name: string, at: number, op: 'GLOBAL' | 'STACK_GLOBAL' | 'INST'): PyGlobal {
    let g: PyGlobal;
    if (this.proto < 3) {
      const [m, n] = fixPy2Name(module, name);
      g = m === module && n === name ? { kind: 'global', module, name, at } : { kind: 'global', module: m, name: n, raw: { module, name }, at };
    } else {
      g = { kind: 'global', module, name, at };
    }
    this.events.push({ kind: 'global', global: g, op });
    return g;
  }

  private text(s: number, e: number, at: number): string {
    for (let i = s; i < e; i++) {
      if (this.b[i]! >= 0x80) return decodeUtf8(this.b.subarray(s, e), 'PICKLE_BAD_ARGUMENT', { offset: at });
    }
    return latin1(this.b, s, e);
  }

  private py2String(data: Uint8Array, at: number): string {
    return this.utf8Strings ? decodeUtf8(data, 'PICKLE_BAD_ARGUMENT', { offset: at }) : latin1(data, 0, data.length);
  }

  private reduce(fn: PyValue, args: PyValue, at: number): PyValue {
    const items = typeof args === 'object' && args !== null && args.kind === 'tuple' ? args.items : [args];
    this.events.push({ kind: 'call', op: 'REDUCE', callee: fn, args: items, at });
    if (typeof fn === 'object' && fn !== null && fn.kind === 'global') {
      const native = nativeFor(fn);
      if (native) {
        this.charge(workOf(args) * NATIVE_ITEM_COST, at);
        if (typeof args !== 'object' || args === null || args.kind !== 'tuple') {
          throw fail('PICKLE_RECONSTRUCT_INVALID', `${fn.module}.${fn.name} arguments must be a tuple`, at);
        }
        const v = native.run(items, fn, at);
        if (v !== undefined) return v;
      }
    }
    const c: PyCall = { kind: 'call', fn, args, at };
    return c;
  }

  private build(at: number): void {
    const state = this.pop(at);
    const target = this.top(at);
    this.events.push({ kind: 'build', target, state, at });
    if (typeof target !== 'object' || target === null) return;
    if (target.kind === 'ndarray' || target.kind === 'dtype' || target.kind === 'object') this.charge(workOf(state), at);
    switch (target.kind) {
      case 'ndarray': setArrayState(target, state, at); return;
      case 'dtype': setDTypeState(target, state, at); return;
      case 'object':
        (target as Mut<PyObject>).state = state;
        if (this.profile === 'joblib' && isJoblibWrapper(target)) {
          this.stack[this.stack.length - 1] = readWrapperPayload(this, target, at);
        }
        return;
      case 'call': (target as Mut<PyCall>).state = state; return;
      case 'dict': (target as Mut<PyDict>).state = state; return;
      default: return; // globals, lists, … : the build event is the record (threats.md §7.3)
    }
  }

  private mutation(op: string, target: PyValue, items: PyValue[], at: number): void {
    this.events.push({ kind: 'mutation', op, target, at });
    if (typeof target === 'object' && target !== null && (target.kind === 'object' || target.kind === 'call')) {
      const t = target as Mut<PyObject | PyCall>;
      const m = (t.mutations ??= []);
      for (let i = 0; i < items.length; i++) m.push(items[i]!);
    }
  }

  /** Counts `n` units of work beyond the opcode itself against the opcode budget. */
  charge(n: number, at: number): void {
    const sh = this.shared;
    if (n > 0 && (sh.ops += n) > sh.limits.maxPickleOps) throw limit('maxPickleOps', sh.ops, sh.limits.maxPickleOps, at);
  }

  private checkItems(n: number, at: number): void {
    const max = this.shared.limits.maxContainerItems;
    if (n > max) throw limit('maxContainerItems', n, max, at);
  }

  private persid(pid: PyValue, at: number): PyValue {
    this.events.push({ kind: 'persid', pid, at });
    if (this.profile === 'torch') return torchStorage(pid, at);
    throw fail('PICKLE_PERSID', 'persistent ids are only defined inside PyTorch checkpoints', at);
  }

  /** Interprets opcodes until STOP; returns the value. Throws MvError. */
  run(): PyValue {
    const b = this.b;
    const dv = this.dv;
    const len = this.len;
    const sh = this.shared;
    const lim = sh.limits;
    const maxOps = lim.maxPickleOps;
    const maxStack = lim.maxStackDepth;
    const maxMemo = lim.maxMemoEntries;
    for (;;) {
      const at = this.pos;
      if (this.frameEnd >= 0 && at >= this.frameEnd) this.frameEnd = -1;
      if (at >= len) {
        if (this.truncatedFrameAt >= 0) throw fail('PICKLE_TRUNCATED', 'the stream ends inside a FRAME', this.truncatedFrameAt);
        throw fail('PICKLE_NO_STOP', 'the stream ended without STOP', at);
      }
      if (++sh.ops > maxOps) throw limit('maxPickleOps', sh.ops, maxOps, at);
      const code = b[at]!;
      this.pos = at + 1;
      let st = this.stack;
      switch (code) {
        // ── integers ─────────────────────────────────────────────────────────────────────
        case 0x49: { // INT
          const nl = this.line(at);
          const n = nl - at - 1;
          if (n === 2 && b[at + 1] === 0x30 && (b[at + 2] === 0x30 || b[at + 2] === 0x31)) st.push(b[at + 2] === 0x31);
          else st.push(parseIntText(latin1(b, at + 1, nl), at));
          break;
        }
        case 0x4a: st.push(dv.getInt32(this.take(4, at), true)); break; // BININT
        case 0x4b: st.push(b[this.take(1, at)]!); break; // BININT1
        case 0x4d: st.push(dv.getUint16(this.take(2, at), true)); break; // BININT2
        case 0x4c: { // LONG
          const nl = this.line(at);
          const e = nl > at + 1 && b[nl - 1] === 0x4c ? nl - 1 : nl;
          st.push(parseIntText(latin1(b, at + 1, e), at));
          break;
        }
        case 0x8a: { // LONG1
          const n = b[this.take(1, at)]!;
          st.push(decodeLong(b, this.take(n, at), n, at));
          break;
        }
        case 0x8b: { // LONG4
          const n = dv.getInt32(this.take(4, at), true);
          if (n < 0) throw fail('PICKLE_BAD_ARGUMENT', 'LONG4 has a negative byte count', at);
          st.push(decodeLong(b, this.take(n, at), n, at));
          break;
        }
        // ── py2 strings ──────────────────────────────────────────────────────────────────
        case 0x53: { // STRING
          const nl = this.line(at);
          st.push(this.py2String(decodeStringRepr(b, at + 1, nl, at), at));
          break;
        }
        case 0x54: { // BINSTRING
          const n = dv.getInt32(this.take(4, at), true);
          if (n < 0) throw fail('PICKLE_BAD_ARGUMENT', 'BINSTRING has a negative byte count', at);
          const p = this.take(n, at);
          st.push(this.py2String(b.subarray(p, p + n), at));
          break;
        }
        case 0x55: { // SHORT_BINSTRING
          const n = b[this.take(1, at)]!;
          const p = this.take(n, at);
          st.push(this.py2String(b.subarray(p, p + n), at));
          break;
        }
        // ── bytes ────────────────────────────────────────────────────────────────────────
        case 0x42: { // BINBYTES
          const n = dv.getUint32(this.take(4, at), true);
          const p = this.take(n, at);
          st.push({ kind: 'bytes', data: b.subarray(p, p + n), mutable: false });
          break;
        }
        case 0x43: { // SHORT_BINBYTES
          const n = b[this.take(1, at)]!;
          const p = this.take(n, at);
          st.push({ kind: 'bytes', data: b.subarray(p, p + n), mutable: false });
          break;
        }
        case 0x8e: case 0x96: { // BINBYTES8, BYTEARRAY8
          const n = this.u64(at);
          const p = this.take(n, at);
          st.push({ kind: 'bytes', data: b.subarray(p, p + n), mutable: code === 0x96 });
          break;
        }
        case 0x97: throw fail('PICKLE_NEXT_BUFFER', 'NEXT_BUFFER: out-of-band buffers cannot come from a file', at);
        case 0x98: { // READONLY_BUFFER
          const v = this.top(at);
          if (typeof v !== 'object' || v === null || v.kind !== 'bytes') {
            throw fail('PICKLE_BAD_OPERAND', `READONLY_BUFFER needs a buffer, got ${pyTypeName(v)}`, at);
          }
          if (v.mutable) st[st.length - 1] = { kind: 'bytes', data: v.data, mutable: false };
          break;
        }
        // ── constants ────────────────────────────────────────────────────────────────────
        case 0x4e: st.push(null); break; // NONE
        case 0x88: st.push(true); break; // NEWTRUE
        case 0x89: st.push(false); break; // NEWFALSE
        // ── str ──────────────────────────────────────────────────────────────────────────
        case 0x56: { // UNICODE
          const nl = this.line(at);
          st.push(decodeRawUnicodeEscape(b, at + 1, nl, at));
          break;
        }
        case 0x8c: { // SHORT_BINUNICODE
          const n = b[this.take(1, at)]!;
          const p = this.take(n, at);
          st.push(decodeUtf8Pass(b, p, p + n, at));
          break;
        }
        case 0x58: { // BINUNICODE
          const n = dv.getUint32(this.take(4, at), true);
          const p = this.take(n, at);
          st.push(decodeUtf8Pass(b, p, p + n, at));
          break;
        }
        case 0x8d: { // BINUNICODE8
          const n = this.u64(at);
          const p = this.take(n, at);
          st.push(decodeUtf8Pass(b, p, p + n, at));
          break;
        }
        // ── floats ───────────────────────────────────────────────────────────────────────
        case 0x46: { // FLOAT
          const nl = this.line(at);
          st.push({ kind: 'float', value: parseFloatText(latin1(b, at + 1, nl), at) });
          break;
        }
        case 0x47: st.push({ kind: 'float', value: dv.getFloat64(this.take(8, at), false) }); break; // BINFLOAT (big-endian)
        // ── lists, tuples, dicts, sets ───────────────────────────────────────────────────
        case 0x5d: st.push({ kind: 'list', items: [] }); break; // EMPTY_LIST
        case 0x61: { // APPEND
          const v = this.pop(at);
          const t = this.top(at);
          if (typeof t === 'object' && t !== null && t.kind === 'list') {
            this.checkItems(t.items.length + 1, at);
            t.items.push(v);
          } else this.mutation('APPEND', t, [v], at);
          break;
        }
        case 0x65: { // APPENDS
          const items = this.popMark(at);
          const t = this.top(at);
          if (typeof t === 'object' && t !== null && t.kind === 'list') {
            this.checkItems(t.items.length + items.length, at);
            for (let i = 0; i < items.length; i++) t.items.push(items[i]!);
          } else this.mutation('APPENDS', t, items, at);
          break;
        }
        case 0x6c: { const items = this.popMark(at); this.stack.push({ kind: 'list', items } satisfies PyList); break; } // LIST
        case 0x29: st.push({ kind: 'tuple', items: [] }); break; // EMPTY_TUPLE
        case 0x74: { const items = this.popMark(at); this.stack.push({ kind: 'tuple', items } satisfies PyTuple); break; } // TUPLE
        case 0x85: { const a = this.pop(at); st.push({ kind: 'tuple', items: [a] }); break; } // TUPLE1
        case 0x86: { const y = this.pop(at); const x = this.pop(at); st.push({ kind: 'tuple', items: [x, y] }); break; } // TUPLE2
        case 0x87: { // TUPLE3
          const z = this.pop(at); const y = this.pop(at); const x = this.pop(at);
          st.push({ kind: 'tuple', items: [x, y, z] });
          break;
        }
        case 0x7d: st.push({ kind: 'dict', keys: [], values: [] }); break; // EMPTY_DICT
        case 0x64: { // DICT
          const items = this.popMark(at);
          if (items.length % 2 !== 0) throw fail('PICKLE_BAD_OPERAND', 'odd number of items for DICT', at);
          const d: PyDict = { kind: 'dict', keys: [], values: [] };
          for (let i = 0; i < items.length; i += 2) dictSet(d, items[i]!, items[i + 1]!);
          this.stack.push(d);
          break;
        }
        case 0x73: { // SETITEM
          const v = this.pop(at);
          const k = this.pop(at);
          const t = this.top(at);
          if (typeof t === 'object' && t !== null && t.kind === 'dict') {
            dictSet(t, k, v);
            this.checkItems(t.keys.length, at);
          } else this.mutation('SETITEM', t, [{ kind: 'tuple', items: [k, v] }], at);
          break;
        }
        case 0x75: { // SETITEMS
          const items = this.popMark(at);
          const t = this.top(at);
          if (items.length % 2 !== 0) {
            // pickle.py sets the complete pairs before failing: a non-dict target is still mutated
            if (typeof t !== 'object' || t === null || t.kind !== 'dict') this.mutation('SETITEMS', t, [], at);
            throw fail('PICKLE_BAD_OPERAND', 'odd number of items for SETITEMS', at);
          }
          if (typeof t === 'object' && t !== null && t.kind === 'dict') {
            for (let i = 0; i < items.length; i += 2) dictSet(t, items[i]!, items[i + 1]!);
            this.checkItems(t.keys.length, at);
          } else {
            const pairs: PyValue[] = [];
            for (let i = 0; i < items.length; i += 2) pairs.push({ kind: 'tuple', items: [items[i]!, items[i + 1]!] });
            this.mutation('SETITEMS', t, pairs, at);
          }
          break;
        }
        case 0x8f: st.push({ kind: 'set', frozen: false, items: [] }); break; // EMPTY_SET
        case 0x90: { // ADDITEMS
          const items = this.popMark(at);
          const t = this.top(at);
          if (typeof t === 'object' && t !== null && t.kind === 'set' && !t.frozen) {
            for (let i = 0; i < items.length; i++) setAdd(t, items[i]!);
            this.checkItems(t.items.length, at);
          } else this.mutation('ADDITEMS', t, items, at);
          break;
        }
        case 0x91: { // FROZENSET
          const items = this.popMark(at);
          const s: PySet = { kind: 'set', frozen: true, items: [] };
          for (let i = 0; i < items.length; i++) setAdd(s, items[i]!);
          this.stack.push(s);
          break;
        }
        // ── stack manipulation ───────────────────────────────────────────────────────────
        case 0x30: // POP: on an empty stack CPython pops the MARK instead (_pickle.c load_pop)
          if (st.length === 0 && this.meta.length > 0) this.popMark(at);
          else this.pop(at);
          break;
        case 0x32: st.push(this.top(at)); break; // DUP
        case 0x28: // MARK
          if (this.meta.length >= maxStack) throw limit('maxStackDepth', this.meta.length + 1, maxStack, at);
          this.meta.push(st);
          this.metaItems += st.length;
          this.stack = [];
          break;
        case 0x31: this.popMark(at); break; // POP_MARK
        // ── memo ─────────────────────────────────────────────────────────────────────────
        case 0x67: { // GET
          const nl = this.line(at);
          this.get(parseIndexText(latin1(b, at + 1, nl), at), at);
          break;
        }
        case 0x68: this.get(b[this.take(1, at)]!, at); break; // BINGET
        case 0x6a: this.get(dv.getUint32(this.take(4, at), true), at); break; // LONG_BINGET
        case 0x70: { // PUT
          const nl = this.line(at);
          this.put(parseIndexText(latin1(b, at + 1, nl), at), maxMemo, at);
          break;
        }
        case 0x71: this.put(b[this.take(1, at)]!, maxMemo, at); break; // BINPUT
        case 0x72: this.put(dv.getUint32(this.take(4, at), true), maxMemo, at); break; // LONG_BINPUT
        case 0x94: this.put(this.memoCount, maxMemo, at); break; // MEMOIZE
        case 0x82: case 0x83: case 0x84: // EXT1, EXT2, EXT4
          throw fail('PICKLE_EXT_OPCODE', 'EXT opcodes (copyreg extension registry) are not supported', at);
        // ── globals and calls ────────────────────────────────────────────────────────────
        case 0x63: { // GLOBAL
          const nl1 = this.line(at);
          const module = this.text(at + 1, nl1, at);
          const nl2 = this.line(at);
          const name = this.text(nl1 + 1, nl2, at);
          st.push(this.global(module, name, at, 'GLOBAL'));
          break;
        }
        case 0x93: { // STACK_GLOBAL
          const name = this.pop(at);
          const module = this.pop(at);
          if (typeof module !== 'string' || typeof name !== 'string') {
            const mod = typeof module === 'string' ? module : `<${pyTypeName(module)}>`;
            const nm = typeof name === 'string' ? name : `<${pyTypeName(name)}>`;
            this.events.push({ kind: 'bad-global', module: mod, name: nm, at });
            throw fail('PICKLE_BAD_OPERAND', `STACK_GLOBAL requires str operands, got ${mod} and ${nm}`, at);
          }
          st.push(this.global(module, name, at, 'STACK_GLOBAL'));
          break;
        }
        case 0x52: { // REDUCE
          const args = this.pop(at);
          const fn = this.pop(at);
          st.push(this.reduce(fn, args, at));
          break;
        }
        case 0x62: this.build(at); break; // BUILD
        case 0x69: { // INST
          const nl1 = this.line(at);
          const module = this.text(at + 1, nl1, at);
          const nl2 = this.line(at);
          const name = this.text(nl1 + 1, nl2, at);
          const g = this.global(module, name, at, 'INST'); // find_class runs before pop_mark (pickle.py load_inst)
          const args = this.popMark(at);
          this.events.push({ kind: 'call', op: 'INST', callee: g, args, at });
          this.stack.push({ kind: 'object', cls: g, args, at } satisfies PyObject);
          break;
        }
        case 0x6f: { // OBJ
          const items = this.popMark(at);
          if (items.length === 0) throw fail('PICKLE_STACK_UNDERFLOW', 'OBJ needs a class after the MARK', at);
          const cls = items[0]!;
          const args = items.slice(1);
          this.events.push({ kind: 'call', op: 'OBJ', callee: cls, args, at });
          this.stack.push({ kind: 'object', cls, args, at } satisfies PyObject);
          break;
        }
        case 0x81: { // NEWOBJ
          const args = this.pop(at);
          const cls = this.pop(at);
          if (typeof args !== 'object' || args === null || args.kind !== 'tuple') {
            // pickle.py would still run cls.__new__(cls, *args) for any iterable: record the call first
            this.events.push({ kind: 'call', op: 'NEWOBJ', callee: cls, args: [args], at });
            throw fail('PICKLE_BAD_OPERAND', `NEWOBJ expected an argument tuple, got ${pyTypeName(args)}`, at);
          }
          this.events.push({ kind: 'call', op: 'NEWOBJ', callee: cls, args: args.items, at });
          st.push({ kind: 'object', cls, args: args.items, at } satisfies PyObject);
          break;
        }
        case 0x92: { // NEWOBJ_EX
          const kwargs = this.pop(at);
          const args = this.pop(at);
          const cls = this.pop(at);
          if (typeof args !== 'object' || args === null || args.kind !== 'tuple' || typeof kwargs !== 'object' || kwargs === null || kwargs.kind !== 'dict') {
            this.events.push({ kind: 'call', op: 'NEWOBJ_EX', callee: cls, args: [args, kwargs], at });
          }
          if (typeof args !== 'object' || args === null || args.kind !== 'tuple') {
            throw fail('PICKLE_BAD_OPERAND', `NEWOBJ_EX args must be a tuple, got ${pyTypeName(args)}`, at);
          }
          if (typeof kwargs !== 'object' || kwargs === null || kwargs.kind !== 'dict') {
            throw fail('PICKLE_BAD_OPERAND', `NEWOBJ_EX kwargs must be a dict, got ${pyTypeName(kwargs)}`, at);
          }
          this.charge(args.items.length >> 4, at);
          this.events.push({ kind: 'call', op: 'NEWOBJ_EX', callee: cls, args: [...args.items, kwargs], at });
          st.push({ kind: 'object', cls, args: args.items, kwargs, at } satisfies PyObject);
          break;
        }
        // ── framing ──────────────────────────────────────────────────────────────────────
        case 0x80: { // PROTO
          const v = b[this.take(1, at)]!;
          if (v > 5) throw fail('PICKLE_BAD_PROTO', `unsupported pickle protocol ${v}`, at);
          if (at !== this.start) throw fail('PICKLE_BAD_PROTO', 'PROTO must be the first opcode', at);
          this.proto = v;
          break;
        }
        case 0x95: { // FRAME
          if (this.frameEnd >= 0) throw fail('PICKLE_FRAME_VIOLATION', 'FRAME opened inside a frame', at);
          const n = this.u64(at);
          if (n > len - this.pos) {
            // pickle.py's _Unframer accepts a short frame read and runs what it got (joblib uses it),
            // so interpret what is there for the events, then fail at this FRAME (threats.md §3.1).
            this.truncatedFrameAt = at;
            this.frameEnd = len;
            break;
          }
          this.frameEnd = this.pos + n;
          break;
        }
        case 0x2e: { // STOP
          if (this.truncatedFrameAt >= 0) throw fail('PICKLE_TRUNCATED', 'the stream ends inside a FRAME', this.truncatedFrameAt);
          if (this.frameEnd >= 0 && this.pos !== this.frameEnd) {
            throw fail('PICKLE_FRAME_VIOLATION', 'STOP leaves unread bytes in the current frame', at);
          }
          if (this.meta.length > 0 || st.length > 1) {
            throw fail('PICKLE_STACK_NOT_EMPTY', `${st.length + this.metaItems} values and ${this.meta.length} marks left at STOP`, at);
          }
          if (st.length === 0) throw fail('PICKLE_STACK_UNDERFLOW', 'STOP with an empty stack', at);
          const v = st[0]!;
          checkDepth(v, lim.maxValueDepth, at);
          return v;
        }
        // ── persistent ids ───────────────────────────────────────────────────────────────
        case 0x50: { // PERSID
          const nl = this.line(at);
          for (let i = at + 1; i < nl; i++) if (b[i]! >= 0x80) throw fail('PICKLE_BAD_ARGUMENT', 'PERSID id must be ASCII', at);
          st.push(this.persid(latin1(b, at + 1, nl), at));
          break;
        }
        case 0x51: { const pid = this.pop(at); st.push(this.persid(pid, at)); break; } // BINPERSID
        default:
          throw fail('PICKLE_UNKNOWN_OPCODE', `unknown opcode 0x${code.toString(16).padStart(2, '0')}`, at);
      }
      st = this.stack;
      if (st.length + this.metaItems > maxStack) throw limit('maxStackDepth', st.length + this.metaItems, maxStack, at);
    }
  }

  private get(i: number, at: number): void {
    const v = i < MEMO_ARRAY_MAX ? this.memoArr[i] : this.memoBig.get(i);
    if (v === undefined) throw fail('PICKLE_MEMO_MISSING', `memo slot ${i} was never stored`, at);
    this.stack.push(v);
  }

  private put(i: number, max: number, at: number): void {
    const v = this.top(at);
    if (i < MEMO_ARRAY_MAX) {
      if (this.memoArr[i] === undefined) this.memoCount++;
      this.memoArr[i] = v;
    } else {
      if (!this.memoBig.has(i)) this.memoCount++;
      this.memoBig.set(i, v);
    }
    if (this.memoCount > max) throw limit('maxMemoEntries', this.memoCount, max, at);
  }
}

/**
 * Bounds the nesting depth of the finished value (iterative DFS; each node visited once, so
 * cyclic graphs terminate). Consumers may then recurse up to `maxValueDepth` safely.
 */
function checkDepth(root: PyValue, max: number, at: number): void {
  if (typeof root !== 'object' || root === null) return;
  const seen = new Set<object>();
  const nodes: object[] = [root];
  const depths: number[] = [1];
  const visit = (v: PyValue | undefined, d: number): void => {
    if (typeof v === 'object' && v !== null && !seen.has(v)) {
      nodes.push(v);
      depths.push(d);
    }
  };
  while (nodes.length > 0) {
    const v = nodes.pop() as Exclude<PyValue, null | boolean | number | bigint | string>;
    const d = depths.pop()!;
    if (seen.has(v)) continue;
    seen.add(v);
    if (d > max) throw limit('maxValueDepth', d, max, at);
    const c = d + 1;
    switch (v.kind) {
      case 'tuple': case 'list': case 'set': for (const x of v.items) visit(x, c); break;
      case 'dict': for (let i = 0; i < v.keys.length; i++) { visit(v.keys[i], c); visit(v.values[i], c); } visit(v.state, c); break;
      case 'call': visit(v.fn, c); visit(v.args, c); visit(v.state, c); if (v.mutations) for (const x of v.mutations) visit(x, c); break;
      case 'object':
        visit(v.cls, c);
        for (const x of v.args) visit(x, c);
        visit(v.kwargs, c); visit(v.state, c);
        if (v.mutations) for (const x of v.mutations) visit(x, c);
        break;
      case 'persid': visit(v.pid, c); break;
      case 'ndarray': if ((v as NdArray).items) for (const x of (v as NdArray).items!) visit(x, c); break;
      case 'npscalar': visit(v.value, c); break;
      default: break;
    }
  }
}

/**
 * Interprets one pickle stream without executing anything (formats.md §1; STYLE.md "Model the
 * pickle; never run it"). Never throws for bad input: the first MvError stops interpretation and is
 * returned in `error`, with every event observed before it kept in `events`. `end` is the offset
 * after STOP (or of the break); bytes after STOP are left to the caller unless `stopAtEnd`.
 *
 * @example
 * const r = parsePickle(bytes, { profile: 'joblib' });
 * if (r.error) report(r.error.code, r.error.at.offset);
 */
export function parsePickle(bytes: Uint8Array, opts: PickleOptions = {}): PickleResult {
  const limits = opts.limits ?? DEFAULT_LIMITS;
  const shared: Shared = { limits, events: [], ops: 0, nested: 0 };
  const start = opts.start ?? 0;
  const vm = new Vm(bytes, start, opts, shared);
  try {
    if (!Number.isSafeInteger(start) || start < 0 || start > bytes.length) {
      throw new MvError('USAGE_INVALID', `start offset ${start} is outside the input`, { offset: start });
    }
    if (bytes.length > limits.maxInputBytes) throw limit('maxInputBytes', bytes.length, limits.maxInputBytes, 0);
    const value = vm.run();
    if (opts.stopAtEnd && vm.pos < bytes.length) {
      const error = fail('PICKLE_TRAILING_BYTES', `${bytes.length - vm.pos} bytes follow STOP`, vm.pos);
      return { value, events: shared.events, proto: vm.proto, end: vm.pos, error };
    }
    return { value, events: shared.events, proto: vm.proto, end: vm.pos };
  } catch (e) {
    const error = isMvError(e) ? e : new MvError('INTERNAL', 'pickle engine failure', { offset: vm.pos }, { cause: e });
    return { value: undefined, events: shared.events, proto: vm.proto, end: error.at.offset ?? vm.pos, error };
  }
}
