import { MvError, decodeUtf8, viewOf } from '../../core/index.js';

/**
 * A hand-written Universal Binary JSON reader (formats.md §5.3; XGBoost `src/common/json.cc`),
 * big-endian, with limits: nesting depth, and every length/count checked against the bytes that
 * remain BEFORE anything is allocated (a count of 2^60 in a 20-byte file is refused, not attempted).
 * Object keys omit the `S` marker; optimised containers `[$<type>#<count>` carry packed values and
 * no closing marker; `[#<count>` carries typed items and no closing marker. Duplicate object keys
 * are an error. Values: null, booleans, numbers (int64 as Number when safe, else an error),
 * strings, arrays (optimised numeric arrays as typed arrays), objects with a null prototype.
 */
export type UbValue = null | boolean | number | string | UbValue[] | UbTypedArray | { [k: string]: UbValue };
export type UbTypedArray = Int8Array | Uint8Array | Int16Array | Int32Array | Float32Array | Float64Array;

export interface UbjsonOptions {
  /** Deepest nesting of arrays/objects (default 64). */
  readonly maxDepth?: number;
}

const NUMERIC: Readonly<Record<string, number>> = { i: 1, U: 1, I: 2, l: 4, L: 8, d: 4, D: 8 };

export function parseUbjson(bytes: Uint8Array, opts: UbjsonOptions = {}): UbValue {
  const maxDepth = opts.maxDepth ?? 64;
  const v = viewOf(bytes);
  let i = 0;
  const fail = (msg: string, at = i): never => {
    throw new MvError('UBJSON_INVALID', `UBJSON: ${msg}`, { offset: at });
  };
  const need = (n: number): void => {
    if (n > bytes.length - i) fail(`truncated: ${n} bytes needed, ${bytes.length - i} left`);
  };
  const marker = (): string => {
    need(1);
    return String.fromCharCode(bytes[i++]!);
  };

  const readNumber = (m: string): number => {
    const n = NUMERIC[m];
    if (n === undefined) return fail(`marker ${JSON.stringify(m)} is not a number type`, i - 1);
    need(n);
    const at = i;
    i += n;
    switch (m) {
      case 'i': return v.getInt8(at);
      case 'U': return v.getUint8(at);
      case 'I': return v.getInt16(at, false);
      case 'l': return v.getInt32(at, false);
      case 'L': {
        const b = v.getBigInt64(at, false);
        if (b > BigInt(Number.MAX_SAFE_INTEGER) || b < BigInt(Number.MIN_SAFE_INTEGER)) fail(`int64 ${b} is not a safe integer`, at);
        return Number(b);
      }
      case 'd': return v.getFloat32(at, false);
      default: return v.getFloat64(at, false);
    }
  };

  /** A length or count: an integer-typed value, non-negative. */
  const readLength = (): number => {
    const at = i;
    const m = marker();
    if (!'iUIlL'.includes(m)) fail(`length must be an integer, got marker ${JSON.stringify(m)}`, at);
    const n = readNumber(m);
    if (n < 0) fail(`negative length ${n}`, at);
    return n;
  };

  const readString = (): string => {
    const n = readLength();
    need(n);
    const s = decodeUtf8(bytes.subarray(i, i + n), 'UBJSON_INVALID', { offset: i });
    i += n;
    return s;
  };

  const typedArray = (m: string, count: number): UbValue => {
    const size = NUMERIC[m]!;
    if (count > Math.floor((bytes.length - i) / size)) fail(`array of ${count} × ${size} bytes runs past the end`);
    const at = i;
    i += count * size;
    const mk = <T extends UbTypedArray>(arr: T, get: (o: number) => number): T => {
      for (let k = 0; k < count; k++) arr[k] = get(at + k * size);
      return arr;
    };
    switch (m) {
      case 'i': return mk(new Int8Array(count), (o) => v.getInt8(o));
      case 'U': return mk(new Uint8Array(count), (o) => v.getUint8(o));
      case 'I': return mk(new Int16Array(count), (o) => v.getInt16(o, false));
      case 'l': return mk(new Int32Array(count), (o) => v.getInt32(o, false));
      case 'd': return mk(new Float32Array(count), (o) => v.getFloat32(o, false));
      case 'D': return mk(new Float64Array(count), (o) => v.getFloat64(o, false));
      default: {
        const out: number[] = new Array<number>(count);
        for (let k = 0; k < count; k++) {
          const b = v.getBigInt64(at + k * 8, false);
          if (b > BigInt(Number.MAX_SAFE_INTEGER) || b < BigInt(Number.MIN_SAFE_INTEGER)) fail(`int64 ${b} is not a safe integer`, at + k * 8);
          out[k] = Number(b);
        }
        return out;
      }
    }
  };

  /** After `[` or `{`: optional `$type` and/or `#count`. */
  const containerHeader = (): { type: string | null; count: number | null } => {
    let type: string | null = null;
    let count: number | null = null;
    if (bytes[i] === 0x24 /* $ */) {
      i++;
      type = marker();
      if (!'iUIlLdDSTFZCH'.includes(type)) fail(`bad optimised type ${JSON.stringify(type)}`, i - 1);
      if (bytes[i] !== 0x23) fail('an optimised type must be followed by a count (#)');
    }
    if (bytes[i] === 0x23 /* # */) {
      i++;
      count = readLength();
      // every item takes at least one byte unless typed as a zero-byte marker
      if (type === null || !'TFZ'.includes(type)) {
        if (count > bytes.length - i) fail(`count ${count} exceeds the ${bytes.length - i} bytes left`);
      } else if (count > 50_000_000) fail(`count ${count} of empty items is over the limit`);
    }
    return { type, count };
  };

  const readValueOf = (m: string, depth: number): UbValue => {
    switch (m) {
      case 'Z': return null;
      case 'T': return true;
      case 'F': return false;
      case 'i': case 'U': case 'I': case 'l': case 'L': case 'd': case 'D':
        return readNumber(m);
      case 'S': return readString();
      case 'H': return readString();
      case 'C': {
        need(1);
        return String.fromCharCode(bytes[i++]!);
      }
      case '[': {
        if (depth >= maxDepth) fail(`nesting deeper than ${maxDepth}`);
        const { type, count } = containerHeader();
        if (count !== null && type !== null && NUMERIC[type] !== undefined) return typedArray(type, count);
        const out: UbValue[] = [];
        if (count !== null) {
          for (let k = 0; k < count; k++) out.push(type !== null ? readValueOf(type, depth + 1) : readValue(depth + 1));
          return out;
        }
        for (;;) {
          need(1);
          if (bytes[i] === 0x5d /* ] */) {
            i++;
            return out;
          }
          out.push(readValue(depth + 1));
        }
      }
      case '{': {
        if (depth >= maxDepth) fail(`nesting deeper than ${maxDepth}`);
        const { type, count } = containerHeader();
        const out = Object.create(null) as { [k: string]: UbValue };
        const entry = (): void => {
          const at = i;
          const key = readString();
          if (Object.hasOwn(out, key)) fail(`duplicate key ${JSON.stringify(key)}`, at);
          out[key] = type !== null ? readValueOf(type, depth + 1) : readValue(depth + 1);
        };
        if (count !== null) {
          for (let k = 0; k < count; k++) entry();
          return out;
        }
        for (;;) {
          need(1);
          if (bytes[i] === 0x7d /* } */) {
            i++;
            return out;
          }
          entry();
        }
      }
      default:
        return fail(`unknown marker ${JSON.stringify(m)}`, i - 1);
    }
  };

  const readValue = (depth: number): UbValue => {
    let m = marker();
    while (m === 'N') m = marker(); // no-op
    return readValueOf(m, depth);
  };

  const value = readValue(0);
  if (i !== bytes.length) fail(`${bytes.length - i} trailing bytes after the document`);
  return value;
}
