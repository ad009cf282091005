import { MvError } from '../../core/index.js';

// Text decoders for pickle arguments. All input here is attacker-controlled; every function either
// returns a value or throws PICKLE_BAD_ARGUMENT at `at` (the opcode offset).

const UTF8 = new TextDecoder('utf-8', { fatal: true });

const bad = (what: string, at: number): MvError => new MvError('PICKLE_BAD_ARGUMENT', what, { offset: at });

/**
 * UTF-8 with CPython's `surrogatepass` (BINUNICODE*: lone surrogates encoded as 3 bytes are
 * accepted, formats.md §1.1). ASCII fast path for the short names that dominate real pickles.
 */
export function decodeUtf8Pass(b: Uint8Array, start: number, end: number, at: number): string {
  const n = end - start;
  if (n <= 64) {
    let ascii = true;
    for (let i = start; i < end; i++) if (b[i]! >= 0x80) { ascii = false; break; }
    if (ascii) return n === 0 ? '' : String.fromCharCode.apply(null, b.subarray(start, end) as unknown as number[]);
  }
  try {
    return UTF8.decode(b.subarray(start, end));
  } catch {
    return decodeUtf8Slow(b, start, end, at);
  }
}

/** Manual UTF-8 decoder accepting encoded surrogates (U+D800–DFFF) and nothing else invalid. */
function decodeUtf8Slow(b: Uint8Array, start: number, end: number, at: number): string {
  const out: number[] = [];
  let s = '';
  let i = start;
  while (i < end) {
    const c = b[i]!;
    let cp: number;
    if (c < 0x80) { cp = c; i += 1; }
    else if (c >= 0xc2 && c < 0xe0) {
      if (i + 1 >= end || (b[i + 1]! & 0xc0) !== 0x80) throw bad('invalid UTF-8', at);
      cp = ((c & 0x1f) << 6) | (b[i + 1]! & 0x3f); i += 2;
    } else if (c >= 0xe0 && c < 0xf0) {
      if (i + 2 >= end || (b[i + 1]! & 0xc0) !== 0x80 || (b[i + 2]! & 0xc0) !== 0x80) throw bad('invalid UTF-8', at);
      cp = ((c & 0x0f) << 12) | ((b[i + 1]! & 0x3f) << 6) | (b[i + 2]! & 0x3f); i += 3;
      if (cp < 0x800) throw bad('overlong UTF-8', at);
    } else if (c >= 0xf0 && c < 0xf5) {
      if (i + 3 >= end || (b[i + 1]! & 0xc0) !== 0x80 || (b[i + 2]! & 0xc0) !== 0x80 || (b[i + 3]! & 0xc0) !== 0x80) {
        throw bad('invalid UTF-8', at);
      }
      cp = ((c & 0x07) << 18) | ((b[i + 1]! & 0x3f) << 12) | ((b[i + 2]! & 0x3f) << 6) | (b[i + 3]! & 0x3f); i += 4;
      if (cp < 0x10000 || cp > 0x10ffff) throw bad('invalid UTF-8', at);
    } else throw bad('invalid UTF-8', at);
    pushCodePoint(out, cp);
    if (out.length > 8192) { s += String.fromCharCode(...out); out.length = 0; }
  }
  return s + String.fromCharCode(...out);
}

function pushCodePoint(out: number[], cp: number): void {
  if (cp < 0x10000) out.push(cp);
  else { cp -= 0x10000; out.push(0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff)); }
}

/** Latin-1 bytes → string (each byte is one code point). */
export function latin1(b: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i += 8192) {
    s += String.fromCharCode.apply(null, b.subarray(i, Math.min(end, i + 8192)) as unknown as number[]);
  }
  return s;
}

/**
 * `raw-unicode-escape` decoding (UNICODE opcode): bytes are Latin-1 except `\uXXXX` / `\UXXXXXXXX`
 * after an odd run of backslashes (CPython `Objects/unicodeobject.c _PyUnicode_DecodeRawUnicodeEscape`).
 */
export function decodeRawUnicodeEscape(b: Uint8Array, start: number, end: number, at: number): string {
  const firstBackslash = b.indexOf(0x5c, start);
  if (firstBackslash < 0 || firstBackslash >= end) return latin1(b, start, end);
  const out: number[] = [];
  let s = '';
  let i = start;
  while (i < end) {
    const c = b[i]!;
    if (c !== 0x5c) { out.push(c); i++; continue; }
    // count the run of backslashes
    let j = i;
    while (j < end && b[j] === 0x5c) j++;
    const run = j - i;
    for (let k = 0; k < run - 1; k++) out.push(0x5c);
    const next = j < end ? b[j]! : -1;
    if (run % 2 === 1 && (next === 0x75 || next === 0x55)) {
      const digits = next === 0x75 ? 4 : 8;
      if (j + 1 + digits > end) throw bad('truncated \\uXXXX escape', at);
      let cp = 0;
      for (let k = j + 1; k < j + 1 + digits; k++) {
        const h = hexVal(b[k]!);
        if (h < 0) throw bad('truncated \\uXXXX escape', at);
        cp = cp * 16 + h;
      }
      if (cp > 0x10ffff) throw bad('\\Uxxxxxxxx out of range', at);
      pushCodePoint(out, cp);
      i = j + 1 + digits;
    } else {
      out.push(0x5c);
      i = j;
    }
    if (out.length > 8192) { s += String.fromCharCode(...out); out.length = 0; }
  }
  return s + String.fromCharCode(...out);
}

function hexVal(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

/**
 * STRING argument: a quoted Python-2 repr, unescaped like `codecs.escape_decode`
 * (`pickle._Unpickler.load_string`). Returns the raw bytes.
 */
export function decodeStringRepr(b: Uint8Array, start: number, end: number, at: number): Uint8Array {
  const q = b[start];
  if (end - start < 2 || (q !== 0x27 && q !== 0x22) || b[end - 1] !== q) {
    throw bad('the STRING opcode argument must be quoted', at);
  }
  const s = start + 1;
  const e = end - 1;
  if (b.indexOf(0x5c, s) < 0 || b.indexOf(0x5c, s) >= e) return b.subarray(s, e);
  const out: number[] = [];
  let i = s;
  while (i < e) {
    const c = b[i]!;
    if (c !== 0x5c) { out.push(c); i++; continue; }
    if (i + 1 >= e) throw bad('trailing \\ in string', at);
    const d = b[i + 1]!;
    i += 2;
    switch (d) {
      case 0x0a: break; // backslash-newline: line continuation
      case 0x5c: out.push(0x5c); break;
      case 0x27: out.push(0x27); break;
      case 0x22: out.push(0x22); break;
      case 0x62: out.push(0x08); break; // \b
      case 0x66: out.push(0x0c); break; // \f
      case 0x74: out.push(0x09); break; // \t
      case 0x6e: out.push(0x0a); break; // \n
      case 0x72: out.push(0x0d); break; // \r
      case 0x76: out.push(0x0b); break; // \v
      case 0x61: out.push(0x07); break; // \a
      case 0x78: { // \xhh
        const h1 = i < e ? hexVal(b[i]!) : -1;
        const h2 = i + 1 < e ? hexVal(b[i + 1]!) : -1;
        if (h1 < 0 || h2 < 0) throw bad('invalid \\x escape', at);
        out.push(h1 * 16 + h2);
        i += 2;
        break;
      }
      default:
        if (d >= 0x30 && d <= 0x37) { // up to three octal digits
          let v = d - 0x30;
          for (let k = 0; k < 2 && i < e && b[i]! >= 0x30 && b[i]! <= 0x37; k++, i++) v = v * 8 + (b[i]! - 0x30);
          out.push(v & 0xff);
        } else {
          out.push(0x5c, d); // unknown escapes are kept verbatim
        }
    }
  }
  return Uint8Array.from(out);
}

const INT_RE = /^[+-]?(?:0[xX][0-9a-fA-F]+(?:_?[0-9a-fA-F]+)*|0[oO][0-7]+(?:_?[0-7]+)*|0[bB][01]+(?:_?[01]+)*|[1-9](?:_?[0-9])*|0+(?:_?0)*)$/;

/**
 * `int(text, 0)` as used by INT and LONG (ASCII, surrounding whitespace allowed). Returns a number
 * when safe, otherwise a bigint.
 */
export function parseIntText(text: string, at: number): number | bigint {
  const t = text.trim();
  if (!INT_RE.test(t)) throw bad(`invalid integer literal ${JSON.stringify(t.slice(0, 40))}`, at);
  // CPython ≥ 3.11 refuses decimal literals over 4300 digits (sys.int_info.default_max_str_digits)
  if (t.length > 4301 && !/^[+-]?0[xXoObB]/.test(t)) throw bad('integer literal exceeds 4300 digits', at);
  const neg = t[0] === '-';
  const body = (t[0] === '-' || t[0] === '+' ? t.slice(1) : t).replace(/_/g, '');
  const v = BigInt(body); // BigInt accepts 0x/0o/0b prefixes and decimal
  const r = neg ? -v : v;
  return r >= -9007199254740991n && r <= 9007199254740991n ? Number(r) : r;
}

/** Base-10 `int(text)` for memo indices (GET/PUT); non-negative safe integers only. */
export function parseIndexText(text: string, at: number): number {
  const t = text.trim();
  if (!/^\+?[0-9]+$/.test(t) || t.length > 15) throw bad(`invalid memo index ${JSON.stringify(t.slice(0, 40))}`, at);
  return Number(t);
}

const FLOAT_RE = /^[+-]?(?:(?:[0-9](?:_?[0-9])*)?\.?[0-9]*(?:_?[0-9])*(?:[eE][+-]?[0-9](?:_?[0-9])*)?)$/;

/** Python `float(text)` for FLOAT lines, including inf/nan spellings. */
export function parseFloatText(text: string, at: number): number {
  const t = text.trim();
  const l = t.toLowerCase().replace(/^[+]/, '');
  if (l === 'inf' || l === 'infinity') return Infinity;
  if (l === '-inf' || l === '-infinity') return -Infinity;
  if (l === 'nan' || l === '-nan') return NaN;
  if (t === '' || !FLOAT_RE.test(t) || !/[0-9]/.test(t)) throw bad(`invalid float literal ${JSON.stringify(t.slice(0, 40))}`, at);
  const v = Number(t.replace(/_/g, ''));
  if (Number.isNaN(v)) throw bad(`invalid float literal ${JSON.stringify(t.slice(0, 40))}`, at);
  return v;
}

/** Largest LONG1/LONG4 payload decoded (1 MiB ≈ 2.5M decimal digits; V8 BigInts cap at 2^30 bits). */
const MAX_LONG_BYTES = 1 << 20;

/** Little-endian two's complement (LONG1/LONG4 payload, formats.md §1.1). */
export function decodeLong(b: Uint8Array, start: number, n: number, at = start): number | bigint {
  if (n === 0) return 0;
  if (n > MAX_LONG_BYTES) throw bad(`LONG of ${n} bytes is larger than ${MAX_LONG_BYTES}`, at);
  if (n <= 6) {
    let v = 0;
    for (let i = n - 1; i >= 0; i--) v = v * 256 + b[start + i]!;
    if (b[start + n - 1]! & 0x80) v -= 2 ** (8 * n);
    return v;
  }
  let hex = '';
  for (let i = n - 1; i >= 0; i--) hex += (b[start + i]! < 16 ? '0' : '') + b[start + i]!.toString(16);
  let v = BigInt('0x' + hex);
  if (b[start + n - 1]! & 0x80) v -= 1n << BigInt(8 * n);
  return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
}
