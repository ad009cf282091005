import { MvError, bytesSource, decodeUtf8, type ByteSource } from '../../core/index.js';
import { ST_DTYPE_BY_NAME, type StDtype } from './dtypes.js';
import { fromPlain, parseCanonical, readJson, type JsonNode } from './json.js';

/** The reference reader's cap (`MAX_HEADER_SIZE` in huggingface/safetensors `tensor.rs`). */
export const MAX_HEADER_BYTES = 100_000_000;

/** One tensor entry of a header; offsets are relative to the start of the data buffer. */
export interface StTensorInfo {
  readonly name: string;
  readonly dtype: StDtype;
  readonly shape: readonly number[];
  readonly begin: number;
  readonly end: number;
}

/** Something our reader accepts for compatibility but a strict reader flags (formats.md §8). */
export type StAnomaly = 'header-leading-whitespace' | 'header-trailing-whitespace';

/** A validated safetensors file: an invalid one cannot be constructed. */
export interface SafetensorsFile {
  /** `__metadata__` (str → str), or null when absent. */
  readonly metadata: Readonly<Record<string, string>> | null;
  /** Tensors in data order (sorted by offsets). */
  readonly tensors: readonly StTensorInfo[];
  readonly byName: ReadonlyMap<string, StTensorInfo>;
  /** N: header length in bytes. */
  readonly headerBytes: number;
  /** 8 + N: absolute offset of the data buffer. */
  readonly dataOffset: number;
  readonly fileBytes: number;
  readonly anomalies: readonly StAnomaly[];
  /** Raw little-endian bytes of a tensor (a view when the input was a Uint8Array). */
  readonly read: (name: string) => Uint8Array;
}

export interface ParseSafetensorsOptions {
  /** Reject what is only accepted for compatibility (leading/trailing JSON whitespace other than 0x20 padding). */
  readonly strict?: boolean;
  /** Header cap in bytes; default and maximum {@link MAX_HEADER_BYTES}. */
  readonly maxHeaderBytes?: number;
}

const U64_RE = /^(?:0|[1-9][0-9]*)$/;

/** A JSON number that is a non-negative integer lexeme (serde `usize`); `what()` names it in errors. */
function readU64(n: JsonNode | undefined, what: () => string, at: number): bigint {
  if (!n || n.kind !== 'number' || !U64_RE.test(n.lexeme)) {
    throw new MvError('ST_HEADER_INVALID', `${what()} must be a non-negative integer`, { offset: at });
  }
  // exact without a string parse below 2^53 (the lexeme is then the number's own spelling)
  const v = n.lexeme.length < 16 ? BigInt(n.value) : BigInt(n.lexeme);
  if (v >= 1n << 64n) throw new MvError('ST_HEADER_INVALID', `${what()} does not fit in u64`, { offset: at });
  return v;
}

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

interface RawInfo {
  readonly name: string;
  readonly dtype: StDtype;
  readonly shape: readonly bigint[];
  readonly begin: bigint;
  readonly end: bigint;
  readonly at: number;
}

/** Turns one header entry into a RawInfo (serde's `TensorInfo`: exactly dtype, shape, data_offsets). */
function readTensorInfo(name: string, n: JsonNode, base: number): RawInfo {
  const at = base + n.at;
  if (n.kind !== 'object') throw new MvError('ST_HEADER_INVALID', `tensor ${JSON.stringify(name)} must be an object`, { offset: at, path: [name] });
  let dt: JsonNode | undefined;
  let sh: JsonNode | undefined;
  let off: JsonNode | undefined;
  for (const [k, v] of n.entries) {
    if (k === 'dtype') dt = v;
    else if (k === 'shape') sh = v;
    else if (k === 'data_offsets') off = v;
    else throw new MvError('ST_HEADER_INVALID', `tensor ${JSON.stringify(name)} has unknown field ${JSON.stringify(k)}`, { offset: at, path: [name, k] });
  }
  if (!dt || dt.kind !== 'string') throw new MvError('ST_HEADER_INVALID', `tensor ${JSON.stringify(name)}: dtype must be a string`, { offset: at, path: [name, 'dtype'] });
  const info = ST_DTYPE_BY_NAME.get(dt.value);
  if (!info) throw new MvError('ST_INVALID_DTYPE', `tensor ${JSON.stringify(name)}: unknown dtype ${JSON.stringify(dt.value)}`, { offset: base + dt.at, path: [name, 'dtype'] });
  if (!sh || sh.kind !== 'array') throw new MvError('ST_HEADER_INVALID', `tensor ${JSON.stringify(name)}: shape must be an array`, { offset: at, path: [name, 'shape'] });
  const shape = sh.items.map((d) => readU64(d, () => `tensor ${JSON.stringify(name)}: shape entry`, base + d.at));
  if (!off || off.kind !== 'array' || off.items.length !== 2) {
    throw new MvError('ST_HEADER_INVALID', `tensor ${JSON.stringify(name)}: data_offsets must be [begin, end]`, { offset: at, path: [name, 'data_offsets'] });
  }
  const begin = readU64(off.items[0], () => 'data_offsets begin', base + off.at);
  const end = readU64(off.items[1], () => 'data_offsets end', base + off.at);
  return { name, dtype: info.name, shape, begin, end, at };
}

/** `__metadata__`: null or an object of string values (serde `Option<HashMap<String, String>>`). */
function readMetadata(n: JsonNode, base: number): Record<string, string> | null {
  if (n.kind === 'null') return null;
  if (n.kind !== 'object') throw new MvError('ST_HEADER_INVALID', '__metadata__ must be an object of strings', { offset: base + n.at, path: ['__metadata__'] });
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [k, v] of n.entries) {
    if (v.kind !== 'string') throw new MvError('ST_HEADER_INVALID', `__metadata__.${k} must be a string`, { offset: base + v.at, path: ['__metadata__', k] });
    out[k] = v.value;
  }
  return out;
}

/**
 * Metadata::validate of the reference reader: tensors sorted by (begin, end) must tile the buffer
 * from 0 without gaps or overlaps, and each byte length must equal numel × bits / 8 (checked
 * multiplication). Returns the end of the last tensor.
 */
function validateOffsets(raw: RawInfo[]): bigint {
  raw.sort((a, b) => (a.begin < b.begin ? -1 : a.begin > b.begin ? 1 : a.end < b.end ? -1 : a.end > b.end ? 1 : 0));
  let start = 0n;
  for (const t of raw) {
    if (t.begin !== start || t.end < t.begin) {
      throw new MvError('ST_OFFSETS_NOT_CONTIGUOUS', `tensor ${JSON.stringify(t.name)} offsets [${t.begin}, ${t.end}] do not start at ${start}`, { offset: t.at, path: [t.name] });
    }
    start = t.end;
    let numel = 1n;
    for (const d of t.shape) {
      numel *= d;
      if (numel >= 1n << 64n) throw new MvError('ST_TENSOR_SIZE_MISMATCH', `tensor ${JSON.stringify(t.name)}: element count overflows`, { offset: t.at, path: [t.name] });
    }
    const bits = numel * BigInt(ST_DTYPE_BY_NAME.get(t.dtype)!.bits);
    if (bits >= 1n << 64n) throw new MvError('ST_TENSOR_SIZE_MISMATCH', `tensor ${JSON.stringify(t.name)}: bit count overflows`, { offset: t.at, path: [t.name] });
    if (bits % 8n !== 0n) throw new MvError('ST_TENSOR_SIZE_MISMATCH', `tensor ${JSON.stringify(t.name)}: ${bits} bits is not a whole number of bytes`, { offset: t.at, path: [t.name] });
    if (t.end - t.begin !== bits / 8n) {
      throw new MvError('ST_TENSOR_SIZE_MISMATCH', `tensor ${JSON.stringify(t.name)}: ${t.end - t.begin} bytes for ${bits / 8n} expected`, { offset: t.at, path: [t.name] });
    }
  }
  return start;
}

/**
 * Parses and validates a safetensors file in the reference reader's order (formats.md §8): length
 * prefix, header cap, header in bounds, UTF-8, JSON (duplicate keys rejected by our own tokeniser),
 * exact TensorInfo keys and dtypes, contiguous offsets from 0 with exact byte lengths, and exact
 * coverage of the file. Attacker-controlled sizes are checked before anything is allocated.
 */
export function parseSafetensors(input: Uint8Array | ByteSource, opts: ParseSafetensorsOptions = {}): SafetensorsFile {
  const src = input instanceof Uint8Array ? bytesSource(input) : input;
  const cap = Math.min(opts.maxHeaderBytes ?? MAX_HEADER_BYTES, MAX_HEADER_BYTES);
  if (src.size < 8) throw new MvError('ST_HEADER_TOO_SMALL', `file is ${src.size} bytes, shorter than the 8-byte length prefix`, { offset: 0 });
  const prefix = src.read(0, 8);
  const n64 = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (n64 > BigInt(cap)) throw new MvError('ST_HEADER_TOO_LARGE', `header length ${n64} exceeds the ${cap}-byte cap`, { offset: 0, limit: 'maxHeaderBytes', actual: Number(n64 > SAFE ? SAFE : n64) });
  const n = Number(n64);
  if (8 + n > src.size) throw new MvError('ST_HEADER_TOO_LARGE', `header length ${n} runs past the end of the ${src.size}-byte file`, { offset: 0 });
  const text = decodeUtf8(src.read(8, n), 'ST_HEADER_INVALID', { offset: 8 });
  // Headers as writers emit them (JSON.stringify output padded with spaces) take the native JSON.parse
  // (parseCanonical: same value as the strict reader); if anything about such a header is then
  // refused, the strict reader runs instead, so errors and their offsets are exactly its own.
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 0x20) end--;
  const canonical = parseCanonical(end === text.length ? text : text.slice(0, end), HEADER_DEPTH);
  if (canonical !== undefined) {
    try {
      return fromHeader(src, n, { value: fromPlain(canonical), leadingWs: 0, trailingWs: text.length - end }, text, opts);
    } catch (e) {
      if (!(e instanceof MvError)) throw e;
    }
  }
  return fromHeader(src, n, readJson(text, { code: 'ST_HEADER_INVALID', duplicateCode: 'ST_DUPLICATE_KEY', baseOffset: 8, maxDepth: HEADER_DEPTH }), text, opts);
}

const HEADER_DEPTH = 8;

/** The rest of parseSafetensors, from the header's JSON on. */
function fromHeader(src: ByteSource, n: number, json: { value: JsonNode; leadingWs: number; trailingWs: number }, text: string, opts: ParseSafetensorsOptions): SafetensorsFile {
  const { value: root, leadingWs, trailingWs } = json;
  const anomalies: StAnomaly[] = [];
  if (leadingWs > 0) anomalies.push('header-leading-whitespace');
  if (trailingWs > 0 && !/^ *$/.test(text.slice(text.length - trailingWs))) anomalies.push('header-trailing-whitespace');
  if (opts.strict && anomalies.length > 0) throw new MvError('ST_HEADER_INVALID', `header has ${anomalies.join(', ')} (strict mode)`, { offset: 8 });

  if (root.kind !== 'object') throw new MvError('ST_HEADER_INVALID', 'header must be a JSON object', { offset: 8 });
  let metadata: Record<string, string> | null = null;
  const raw: RawInfo[] = [];
  for (const [k, v] of root.entries) {
    if (k === '__metadata__') metadata = readMetadata(v, 8);
    else raw.push(readTensorInfo(k, v, 8));
  }
  const dataEnd = validateOffsets(raw);
  if (dataEnd + 8n + BigInt(n) !== BigInt(src.size)) {
    throw new MvError('ST_INCOMPLETE_BUFFER', `tensors cover ${dataEnd} data bytes but the file has ${src.size - 8 - n}`, { offset: 8 + n });
  }

  const dataOffset = 8 + n;
  const tensors: StTensorInfo[] = raw.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape.map(Number), begin: Number(t.begin), end: Number(t.end) }));
  for (const t of tensors) {
    if (t.shape.some((d) => !Number.isSafeInteger(d))) throw new MvError('ST_TENSOR_SIZE_MISMATCH', `tensor ${JSON.stringify(t.name)}: dimension too large`, { path: [t.name] });
  }
  const byName = new Map(tensors.map((t) => [t.name, t] as const));
  return Object.freeze({
    metadata: metadata ? Object.freeze(metadata) : null,
    tensors: Object.freeze(tensors),
    byName,
    headerBytes: n,
    dataOffset,
    fileBytes: src.size,
    anomalies: Object.freeze(anomalies),
    read: (name: string): Uint8Array => {
      const t = byName.get(name);
      if (!t) throw new MvError('ST_HEADER_INVALID', `no tensor named ${JSON.stringify(name)}`, { path: [name] });
      return src.read(dataOffset + t.begin, t.end - t.begin);
    },
  });
}
