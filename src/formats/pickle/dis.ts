import { MvError, isMvError } from '../../core/index.js';
import { OP_BY_CODE, type ArgKind, type OpInfo } from './opcodes.js';
import { parsePickle } from './vm.js';
import { decodeLong, decodeRawUnicodeEscape, decodeStringRepr, decodeUtf8Pass, latin1, parseFloatText, parseIntText } from './text.js';

/** One decoded opcode, as `pickletools.genops` yields it. */
export interface OpRecord {
  readonly op: OpInfo;
  /** Offset of the opcode byte. */
  readonly offset: number;
  /** The decoded inline argument (null when the opcode has none). */
  readonly arg: OpArg;
  /** Offset just after the argument. */
  readonly end: number;
}

/** Decoded opcode arguments: numbers, bigints, strings, byte views, `[module, name]` pairs. */
export type OpArg = null | boolean | number | bigint | string | Uint8Array | readonly [string, string];

const trunc = (at: number): MvError => new MvError('PICKLE_TRUNCATED', 'the stream ends inside an opcode argument', { offset: at });

/**
 * Iterates opcodes from `start` up to and including STOP, decoding arguments by the table
 * (`pickletools.genops`). Structural checks (stack, memo, frames) belong to the VM, not here.
 * Throws PICKLE_UNKNOWN_OPCODE / PICKLE_TRUNCATED / PICKLE_NO_STOP.
 */
export function* readOps(bytes: Uint8Array, start = 0): Generator<OpRecord, void, undefined> {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = start;
  for (;;) {
    if (pos >= bytes.length) throw new MvError('PICKLE_NO_STOP', 'the stream ended without STOP', { offset: pos });
    const at = pos;
    const op = OP_BY_CODE.get(bytes[pos]!);
    if (!op) throw new MvError('PICKLE_UNKNOWN_OPCODE', `unknown opcode 0x${bytes[pos]!.toString(16).padStart(2, '0')}`, { offset: at });
    pos++;
    const [arg, end] = op.arg ? readArg(bytes, dv, op.arg, pos, at) : [null, pos];
    pos = end;
    yield { op, offset: at, arg, end };
    if (op.name === 'STOP') return;
  }
}

function need(bytes: Uint8Array, pos: number, n: number, at: number): void {
  if (n > bytes.length - pos) throw trunc(at);
}

function lineEnd(bytes: Uint8Array, pos: number, at: number): number {
  const nl = bytes.indexOf(10, pos);
  if (nl < 0) throw trunc(at);
  return nl;
}

function u64(bytes: Uint8Array, dv: DataView, pos: number, at: number): number {
  need(bytes, pos, 8, at);
  return dv.getUint32(pos + 4, true) * 4294967296 + dv.getUint32(pos, true);
}

function readArg(bytes: Uint8Array, dv: DataView, kind: ArgKind, pos: number, at: number): [OpArg, number] {
  switch (kind) {
    case 'uint1': need(bytes, pos, 1, at); return [bytes[pos]!, pos + 1];
    case 'uint2': need(bytes, pos, 2, at); return [dv.getUint16(pos, true), pos + 2];
    case 'int4': need(bytes, pos, 4, at); return [dv.getInt32(pos, true), pos + 4];
    case 'uint4': need(bytes, pos, 4, at); return [dv.getUint32(pos, true), pos + 4];
    case 'uint8': return [u64(bytes, dv, pos, at), pos + 8];
    case 'float8': need(bytes, pos, 8, at); return [dv.getFloat64(pos, false), pos + 8];
    case 'long1': case 'long4': {
      const w = kind === 'long1' ? 1 : 4;
      need(bytes, pos, w, at);
      const n = w === 1 ? bytes[pos]! : dv.getInt32(pos, true);
      if (n < 0) throw new MvError('PICKLE_BAD_ARGUMENT', 'negative byte count', { offset: at });
      need(bytes, pos + w, n, at);
      return [decodeLong(bytes, pos + w, n, at), pos + w + n];
    }
    case 'string1': case 'string4': case 'bytes1': case 'bytes4': case 'bytes8': case 'bytearray8':
    case 'unicodestring1': case 'unicodestring4': case 'unicodestring8': {
      const w = kind.endsWith('1') ? 1 : kind.endsWith('4') ? 4 : 8;
      need(bytes, pos, w, at);
      const n = w === 1 ? bytes[pos]! : w === 4 ? (kind === 'string4' ? dv.getInt32(pos, true) : dv.getUint32(pos, true)) : u64(bytes, dv, pos, at);
      if (n < 0) throw new MvError('PICKLE_BAD_ARGUMENT', 'negative byte count', { offset: at });
      const s = pos + w;
      need(bytes, s, n, at);
      const v = kind.startsWith('unicode') ? decodeUtf8Pass(bytes, s, s + n, at) : bytes.subarray(s, s + n);
      return [v, s + n];
    }
    case 'decimalnl_short': case 'decimalnl_long': {
      const nl = lineEnd(bytes, pos, at);
      let e = nl;
      if (kind === 'decimalnl_long' && e > pos && bytes[e - 1] === 0x4c) e--;
      const t = latin1(bytes, pos, e);
      const v = kind === 'decimalnl_short' && (t === '00' || t === '01') ? t === '01' : parseIntText(t, at);
      return [v, nl + 1];
    }
    case 'floatnl': {
      const nl = lineEnd(bytes, pos, at);
      return [parseFloatText(latin1(bytes, pos, nl), at), nl + 1];
    }
    case 'stringnl': {
      const nl = lineEnd(bytes, pos, at);
      return [decodeStringRepr(bytes, pos, nl, at), nl + 1];
    }
    case 'stringnl_noescape': {
      const nl = lineEnd(bytes, pos, at);
      return [latin1(bytes, pos, nl), nl + 1];
    }
    case 'stringnl_noescape_pair': {
      const nl1 = lineEnd(bytes, pos, at);
      const nl2 = lineEnd(bytes, nl1 + 1, at);
      return [[decodeUtf8Pass(bytes, pos, nl1, at), decodeUtf8Pass(bytes, nl1 + 1, nl2, at)], nl2 + 1];
    }
    case 'unicodestringnl': {
      const nl = lineEnd(bytes, pos, at);
      return [decodeRawUnicodeEscape(bytes, pos, nl, at), nl + 1];
    }
  }
}

function showArg(a: OpArg): string {
  if (a === null) return '';
  if (typeof a === 'string') return JSON.stringify(a.length > 80 ? a.slice(0, 77) + '...' : a).replace(/^"|"$/g, "'");
  if (a instanceof Uint8Array) {
    const head = Array.from(a.subarray(0, 32), (c) => (c >= 0x20 && c < 0x7f && c !== 0x5c && c !== 0x27 ? String.fromCharCode(c) : `\\x${c.toString(16).padStart(2, '0')}`)).join('');
    return `b'${head}'${a.length > 32 ? `... (${a.length} bytes)` : ''}`;
  }
  if (Array.isArray(a)) return `'${a[0]} ${a[1]}'`;
  return String(a);
}

/** Options of {@link disassemble}. */
export interface DisassembleOptions {
  /**
   * `joblib`: inline array payloads and nested object-array streams (found by running the VM with
   * the joblib profile) are shown as one line / an indented sub-listing instead of being decoded as
   * opcodes. Default `plain`.
   */
  readonly profile?: 'plain' | 'joblib';
}

/** A joblib payload that follows the BUILD at `build`. */
type Region = { readonly kind: 'array' | 'nested'; readonly build: number; readonly at: number; readonly end: number };

/**
 * A `pickletools.dis`-like listing: `offset: code NAME arg`, indented inside MARKs. A stream that
 * cannot be decoded ends with an `error: CODE message` line instead of throwing.
 */
export function disassemble(bytes: Uint8Array, start = 0, opts: DisassembleOptions = {}): string {
  const regions: Region[] = [];
  if (opts.profile === 'joblib') {
    for (const e of parsePickle(bytes, { start, profile: 'joblib' }).events) {
      if (e.kind === 'array-payload' && e.build !== undefined) regions.push({ kind: 'array', build: e.build, at: e.at, end: e.at + e.length });
      else if (e.kind === 'nested') regions.push({ kind: 'nested', build: e.at - 1, at: e.at, end: e.end });
    }
  }
  const lines: string[] = [];
  listing(bytes, start, regions, '', lines);
  return lines.join('\n') + '\n';
}

/** Appends one stream's listing; after a BUILD that a joblib payload follows, skips or nests it. */
function listing(bytes: Uint8Array, start: number, regions: readonly Region[], indent: string, lines: string[]): void {
  const marks: number[] = [];
  let pos = start;
  try {
    resume: for (;;) {
      for (const r of readOps(bytes, pos)) {
        if (r.op.name === 'POP_MARK' || (r.op.before.includes('mark') && r.op.name !== 'MARK')) marks.pop();
        const code = r.op.code >= 0x20 && r.op.code < 0x7f ? String.fromCharCode(r.op.code) : `\\x${r.op.code.toString(16)}`;
        lines.push(`${indent}${String(r.offset).padStart(5)}: ${code.padEnd(4)} ${'    '.repeat(marks.length)}${r.op.name.padEnd(15)} ${showArg(r.arg)}`.trimEnd());
        if (r.op.name === 'MARK') marks.push(r.offset);
        if (r.op.name === 'STOP') return;
        if (r.op.name === 'BUILD') {
          const g = regions.find((x) => x.build === r.offset);
          if (g) {
            if (g.kind === 'array') {
              lines.push(`${indent}${String(r.end).padStart(5)}: ${' '.repeat(5)}<joblib array payload: ${g.end - g.at} bytes at ${g.at}${g.at > r.end ? `, ${g.at - r.end} pad bytes` : ''}>`);
            } else {
              lines.push(`${indent}${String(r.end).padStart(5)}: ${' '.repeat(5)}<joblib nested pickle: ${g.end - g.at} bytes>`);
              listing(bytes, g.at, regions, `${indent}    `, lines);
            }
            pos = g.end;
            continue resume;
          }
        }
      }
      return;
    }
  } catch (e) {
    if (!isMvError(e)) throw e;
    lines.push(`${indent}error: ${e.code} ${e.message}${e.at.offset !== undefined ? ` at byte ${e.at.offset}` : ''}`);
  }
}
