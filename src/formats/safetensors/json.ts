import { MvError, type ErrorCode } from '../../core/index.js';

/**
 * A strict RFC 8259 JSON reader that keeps what `JSON.parse` throws away: duplicate keys (an error
 * here — serde and JSON.parse both silently keep the last, formats.md §8), number lexemes (so
 * `1.0`, `-0` or `1e2` can be refused where an integer is required) and key order. Input is
 * attacker-controlled: nesting depth is bounded and every error carries the character offset.
 */
export type JsonNode =
  | { readonly kind: 'object'; readonly entries: readonly (readonly [string, JsonNode])[]; readonly at: number }
  | { readonly kind: 'array'; readonly items: readonly JsonNode[]; readonly at: number }
  | { readonly kind: 'string'; readonly value: string; readonly at: number }
  | { readonly kind: 'number'; readonly lexeme: string; readonly value: number; readonly at: number }
  | { readonly kind: 'bool'; readonly value: boolean; readonly at: number }
  | { readonly kind: 'null'; readonly at: number };

export interface JsonReadOptions {
  /** Error code for malformed JSON. */
  readonly code: ErrorCode;
  /** Error code for a repeated object key. */
  readonly duplicateCode: ErrorCode;
  /** Deepest nesting of arrays/objects. */
  readonly maxDepth?: number;
  /** Added to character offsets in errors (e.g. the header's byte offset; exact for ASCII). */
  readonly baseOffset?: number;
  /** Accept the non-standard tokens NaN, Infinity and -Infinity (XGBoost writes NaN split conditions). */
  readonly allowNonFinite?: boolean;
}

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);
const NUMBER_RE = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

/** Parses one JSON value that spans the whole text (surrounding JSON whitespace allowed). */
export function readJson(text: string, opts: JsonReadOptions): { value: JsonNode; leadingWs: number; trailingWs: number } {
  const maxDepth = opts.maxDepth ?? 64;
  const base = opts.baseOffset ?? 0;
  let i = 0;
  const fail = (msg: string, at = i): never => {
    throw new MvError(opts.code, `JSON: ${msg}`, { offset: base + at });
  };
  const skipWs = (): void => {
    while (i < text.length && WS.has(text.charCodeAt(i))) i++;
  };

  const readString = (): string => {
    // at opening quote
    i++;
    let out = '';
    let run = i;
    for (;;) {
      if (i >= text.length) fail('unterminated string');
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        out += text.slice(run, i);
        i++;
        return out;
      }
      if (c < 0x20) fail('control character in string');
      if (c === 0x5c) {
        out += text.slice(run, i);
        const e = text[i + 1];
        i += 2;
        switch (e) {
          case '"': out += '"'; break;
          case '\\': out += '\\'; break;
          case '/': out += '/'; break;
          case 'b': out += '\b'; break;
          case 'f': out += '\f'; break;
          case 'n': out += '\n'; break;
          case 'r': out += '\r'; break;
          case 't': out += '\t'; break;
          case 'u': {
            const hex = (at: number): number => {
              const h = text.slice(at, at + 4);
              if (!/^[0-9a-fA-F]{4}$/.test(h)) fail('bad \\u escape', at);
              return parseInt(h, 16);
            };
            const u = hex(i);
            i += 4;
            if (u >= 0xd800 && u <= 0xdbff) {
              if (text[i] !== '\\' || text[i + 1] !== 'u') fail('lone leading surrogate');
              const lo = hex(i + 2);
              if (lo < 0xdc00 || lo > 0xdfff) fail('lone leading surrogate');
              i += 6;
              out += String.fromCharCode(u, lo);
            } else if (u >= 0xdc00 && u <= 0xdfff) {
              fail('lone trailing surrogate');
            } else out += String.fromCharCode(u);
            break;
          }
          default:
            fail('bad escape', i - 1);
        }
        run = i;
        continue;
      }
      i++;
    }
  };

  const readValue = (depth: number): JsonNode => {
    skipWs();
    const at = i;
    const c = text[i];
    if (c === '{' || c === '[') {
      if (depth >= maxDepth) fail(`nesting deeper than ${maxDepth}`);
    }
    if (c === '{') {
      i++;
      const entries: [string, JsonNode][] = [];
      const seen = new Set<string>();
      skipWs();
      if (text[i] === '}') {
        i++;
        return { kind: 'object', entries, at };
      }
      for (;;) {
        skipWs();
        if (text[i] !== '"') fail('expected a string key');
        const keyAt = i;
        const key = readString();
        if (seen.has(key)) throw new MvError(opts.duplicateCode, `duplicate key ${JSON.stringify(key)}`, { offset: base + keyAt });
        seen.add(key);
        skipWs();
        if (text[i] !== ':') fail('expected ":"');
        i++;
        entries.push([key, readValue(depth + 1)]);
        skipWs();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return { kind: 'object', entries, at };
        }
        fail('expected "," or "}"');
      }
    }
    if (c === '[') {
      i++;
      const items: JsonNode[] = [];
      skipWs();
      if (text[i] === ']') {
        i++;
        return { kind: 'array', items, at };
      }
      for (;;) {
        items.push(readValue(depth + 1));
        skipWs();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return { kind: 'array', items, at };
        }
        fail('expected "," or "]"');
      }
    }
    if (c === '"') return { kind: 'string', value: readString(), at };
    if (text.startsWith('true', i)) {
      i += 4;
      return { kind: 'bool', value: true, at };
    }
    if (text.startsWith('false', i)) {
      i += 5;
      return { kind: 'bool', value: false, at };
    }
    if (text.startsWith('null', i)) {
      i += 4;
      return { kind: 'null', at };
    }
    if (opts.allowNonFinite) {
      for (const [tok, v] of [['NaN', NaN], ['Infinity', Infinity], ['-Infinity', -Infinity]] as const) {
        if (text.startsWith(tok, i)) {
          i += tok.length;
          return { kind: 'number', lexeme: tok, value: v, at };
        }
      }
    }
    NUMBER_RE.lastIndex = i;
    const m = NUMBER_RE.exec(text);
    if (m && m[0].length > 0) {
      i += m[0].length;
      return { kind: 'number', lexeme: m[0], value: Number(m[0]), at };
    }
    return fail(i >= text.length ? 'unexpected end' : 'unexpected character');
  };

  skipWs();
  const leadingWs = i;
  const value = readValue(0);
  const end = i;
  skipWs();
  if (i !== text.length) fail('trailing characters after the value');
  return { value, leadingWs, trailingWs: text.length - end };
}

/** Converts a JsonNode to a plain JS value (objects without duplicates by construction). */
export function toPlain(n: JsonNode): unknown {
  switch (n.kind) {
    case 'object': {
      const o: Record<string, unknown> = {};
      for (const [k, v] of n.entries) Object.defineProperty(o, k, { value: toPlain(v), enumerable: true, writable: true, configurable: true });
      return o;
    }
    case 'array':
      return n.items.map(toPlain);
    case 'string':
    case 'bool':
      return n.value;
    case 'number':
      return n.value;
    case 'null':
      return null;
  }
}

/**
 * True when no container in x nests `levels` or more deep and every key and string is well-formed
 * UTF-16 (no lone surrogate, which readJson refuses). The recursion is bounded by `levels`.
 */
function plainOk(x: object, levels: number): boolean {
  if (levels <= 0) return false;
  if (Array.isArray(x)) {
    for (let i = 0; i < x.length; i++) if (!valueOk(x[i], levels - 1)) return false;
    return true;
  }
  const o = x as Record<string, unknown>;
  for (const k in o) if (!k.isWellFormed() || !valueOk(o[k], levels - 1)) return false;
  return true;
}

/** plainOk for one value of a container (`levels` left for it). */
function valueOk(c: unknown, levels: number): boolean {
  return typeof c === 'string' ? c.isWellFormed() : c === null || typeof c !== 'object' || plainOk(c, levels);
}

/**
 * `text` parsed with the native JSON.parse when it is canonical — exactly what JSON.stringify writes
 * for the value it parses to, as our writers produce — else undefined, and the caller uses readJson.
 * Sound as a fast path of readJson: a repeated key is dropped by JSON.parse and so cannot survive the
 * round trip, and neither can whitespace, number spellings that lose information (`1e400`, `-0`,
 * `1.0`, integers beyond 2^53) or reordered integer keys. JSON.stringify writes a `\u` escape only
 * for a control character (readJson reads it as the same character) or a lone surrogate (which
 * readJson refuses, and so is left to it, as are values nested deeper than readJson's `maxDepth`):
 * whatever this accepts, readJson accepts with the same value.
 */
export function parseCanonical(text: string, maxDepth: number): unknown {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  const ok = typeof v === 'string' ? v.isWellFormed() : v === null || typeof v !== 'object' || plainOk(v, maxDepth - 1);
  return ok && JSON.stringify(v) === text ? v : undefined;
}

/** Occurrences of `ch` in `s` (native indexOf: far cheaper than a character loop in JS). */
function count(s: string, ch: string): number {
  let n = 0;
  for (let i = s.indexOf(ch); i !== -1; i = s.indexOf(ch, i + 1)) n++;
  return n;
}

/**
 * The `:` a text of container x spends, one per member plus those in its keys and strings; -1 if x
 * nests `levels` or more containers deep (the recursion is bounded by `levels`).
 */
function colonsOf(x: object, levels: number): number {
  if (levels <= 0) return -1;
  let n = 0;
  if (Array.isArray(x)) {
    for (let i = 0; i < x.length; i++) {
      const m = colonsIn(x[i], levels - 1);
      if (m < 0) return -1;
      n += m;
    }
    return n;
  }
  const o = x as Record<string, unknown>;
  for (const k in o) {
    const m = colonsIn(o[k], levels - 1);
    if (m < 0) return -1;
    n += m + 1 + count(k, ':');
  }
  return n;
}

/** colonsOf for one value of a container (`levels` left for it): a string's own `:`, 0 for other scalars. */
function colonsIn(c: unknown, levels: number): number {
  return typeof c === 'string' ? count(c, ':') : c !== null && typeof c === 'object' ? colonsOf(c, levels) : 0;
}

/**
 * `text` parsed with the native JSON.parse when that is the value toPlain(readJson(text)) gives, else
 * undefined, and the caller runs readJson (so whatever is refused, is refused with readJson's error).
 * For callers that need values only: number spellings, whitespace and escapes may differ from what
 * JSON.stringify writes, which parseCanonical would refuse. Costs JSON.parse plus a walk, against
 * JSON.parse plus JSON.stringify for parseCanonical (a model description: 12 µs instead of 18).
 *
 * Why it is sound. Both readers give the same value for every member they keep; JSON.parse differs
 * only in silently keeping the last of a repeated key, which readJson refuses. Texts with `\u` escapes
 * are left to readJson (an escape is the only way to write a lone surrogate, which readJson refuses,
 * or to write a `:` that the text does not show). Without them, every `:` in a string token stands
 * for itself in the string's value, and outside strings a `:` ends exactly one member's key. So the
 * text's `:` count equals colonsOf(value) only if JSON.parse dropped no member. Values nested
 * `maxDepth` or deeper are left to readJson too.
 */
export function parseValues(text: string, maxDepth: number): unknown {
  if (text.includes('\\u')) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (v === null || typeof v !== 'object') return v;
  const colons = colonsOf(v, maxDepth - 1);
  return colons >= 0 && colons === count(text, ':') ? v : undefined;
}

/** A JsonNode tree for a value from parseCanonical (offsets unknown: 0; number lexemes as JSON.stringify writes them). */
export function fromPlain(v: unknown): JsonNode {
  if (v === null) return { kind: 'null', at: 0 };
  if (Array.isArray(v)) return { kind: 'array', items: v.map(fromPlain), at: 0 };
  switch (typeof v) {
    case 'string':
      return { kind: 'string', value: v, at: 0 };
    case 'number':
      return { kind: 'number', lexeme: Number.isFinite(v) ? String(v) : 'null', value: v, at: 0 };
    case 'boolean':
      return { kind: 'bool', value: v, at: 0 };
    default:
      return { kind: 'object', entries: Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, fromPlain(x)] as const), at: 0 };
  }
}
