import { startsWith, viewOf } from '../../core/index.js';
import { COMPRESSION_KINDS, detectCompression } from '../compress/index.js';
import { findEocd } from '../zip/index.js';

/** Every content kind the sniffer can report (threats.md §6). */
export type SniffKind =
  | 'zip' | '7z' | 'rar' | 'tar'
  | 'gzip' | 'zlib' | 'bz2' | 'xz' | 'lzma' | 'lz4' | 'zstd' | 'joblib-zf'
  | 'npy' | 'torch-legacy' | 'pickle' | 'pickle-text'
  | 'xgboost-json' | 'xgboost-ubj' | 'lightgbm' | 'safetensors' | 'hdf5' | 'onnx' | 'json'
  | 'png' | 'other' | 'unknown';

/** What the content looks like. Decided from bytes only, never from a file name. */
export interface Sniffed {
  readonly kind: SniffKind;
  /** Human detail: the pickle protocol, which magic matched, why nothing matched. */
  readonly detail?: string;
  /** Pickle protocol for `pickle` (from PROTO) and `torch-legacy` (2). */
  readonly protocol?: number;
  /**
   * Other readings the same bytes allow, which the caller must also rule out: a zip found only by
   * its end record has a prefix (`torch.load` checks the first bytes, so it would load the prefix);
   * a safetensors length prefix may also start a protocol-0/1 pickle.
   */
  readonly alternatives?: readonly SniffKind[];
}

/** Bytes of head and tail the caller should pass. */
export const SNIFF_HEAD_BYTES = 512;
export const SNIFF_TAIL_BYTES = 64 * 1024;
/** safetensors caps its JSON header at 100 MB (huggingface/safetensors MAX_HEADER_SIZE). */
export const SAFETENSORS_MAX_HEADER_BYTES = 100_000_000;

interface Ctx {
  readonly head: Uint8Array;
  readonly tail: Uint8Array;
  readonly size: number;
}

type Match = Omit<Sniffed, 'kind'> | false;

interface Rule {
  readonly kind: SniffKind;
  readonly doc: string;
  readonly test: (c: Ctx) => Match;
}

const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));
const at0 = (magic: readonly number[], detail?: string) => (c: Ctx): Match => startsWith(c.head, magic) && (detail ? { detail } : {});
const text = (b: Uint8Array, from: number, to: number): string => String.fromCharCode(...b.subarray(from, Math.min(b.length, to)));

/** LONG1 (0x8a), 10 bytes, 0x1950a86a20f9469cfc6c little-endian: the legacy torch magic (formats.md §7.2). */
const LEGACY_TORCH_LONG1 = [0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];

/** PROTO 2-5, an optional FRAME (protocol 4+), then the magic as a LONG1 literal. */
function legacyTorch(c: Ctx): Match {
  const h = c.head;
  if (h[0] !== 0x80 || h.length < 2 || h[1]! < 2 || h[1]! > 5) return false;
  const at = h[2] === 0x95 ? 11 : 2;
  return startsWith(h, LEGACY_TORCH_LONG1, at) && { protocol: h[1]!, detail: `protocol ${h[1]}` };
}

/**
 * Opcodes that can start a pickle without PROTO (protocol 0/1 streams, and PROTO-less binary ones
 * such as the corpus' malicious-invalid-bytes.pkl). Over-inclusion is harmless: the caller parses,
 * and a failed parse is `incomplete`, never clean. Excluded: opcodes that pop (they fail first).
 */
const PICKLE_FIRST = new Set([
  ...ascii('(cI LSVNFGJKMXUTBCP}])qpgh'.replace(' ', '')),
  0x88, 0x89, 0x8a, 0x8b, 0x8c, 0x8d, 0x8e, 0x8f, 0x95, 0x96,
]);

const JSON_WS = new Set([0x20, 0x09, 0x0a, 0x0d]);
const firstNonWs = (b: Uint8Array, from = 0): number => {
  let i = from;
  while (i < b.length && JSON_WS.has(b[i]!)) i++;
  return i;
};

/** An EOCD in the tail whose central directory fits before it (or a ZIP64 end, which we then read). */
function zipByEnd(c: Ctx): boolean {
  const i = findEocd(c.tail, c.size);
  if (i === undefined) return false;
  const v = viewOf(c.tail);
  const eocdOffset = c.size - c.tail.length + i;
  const cdSize = v.getUint32(i + 12, true);
  const cdOffset = v.getUint32(i + 16, true);
  if (cdSize === 0xffffffff || cdOffset === 0xffffffff) return true;
  return v.getUint16(i + 4, true) === 0 && cdOffset + cdSize <= eocdOffset;
}

function safetensors(c: Ctx): Match {
  if (c.head.length < 10) return false;
  const n = viewOf(c.head).getBigUint64(0, true);
  if (n < 2n || n > BigInt(SAFETENSORS_MAX_HEADER_BYTES) || Number(n) + 8 > c.size) return false;
  return c.head[firstNonWs(c.head, 8)] === 0x7b && { detail: `header ${n} bytes` };
}

/** ONNX ModelProto as onnx writes it: field 1 ir_version (varint 1..127) first, then a known field. */
function onnx(c: Ctx): Match {
  const h = c.head;
  if (h[0] !== 0x08 || h.length < 4 || h[1]! < 1 || h[1]! > 0x7f) return false;
  const next = h[2]!;
  // 2 producer_name, 3 producer_version, 4 domain, 6 doc_string, 7 graph, 8 opset_import (length-delimited); 5 model_version (varint);
  // 14 metadata_props, 20 training_info, 25 functions (two-byte tags).
  const known = [0x12, 0x1a, 0x22, 0x32, 0x3a, 0x42, 0x28, 0x72];
  if (known.includes(next)) return { detail: `ir_version ${h[1]}` };
  if ((next === 0xa2 || next === 0xca) && h[3] === 0x01) return { detail: `ir_version ${h[1]}` };
  return false;
}

function xgboostJson(c: Ctx): Match {
  const i = firstNonWs(c.head);
  if (c.head[i] !== 0x7b) return false;
  const t = text(c.head, i, i + 64);
  return /^\{\s*"(learner|version)"\s*:/.test(t) && {};
}

/** UBJSON object ({, then a typed key length i/U/I/l/L or an optimised container $/#) with XGBoost keys. */
function xgboostUbj(c: Ctx): Match {
  if (c.head[0] !== 0x7b || !ascii('iUIlL$#').includes(c.head[1] ?? 0)) return false;
  const t = text(c.head, 0, 64);
  return (t.includes('learner') || t.includes('version')) && {};
}

const OTHER_MAGICS: readonly (readonly [readonly number[], string])[] = [
  [[0xff, 0xd8, 0xff], 'JPEG'],
  [ascii('GIF8'), 'GIF'],
  [ascii('%PDF-'), 'PDF'],
  [[0x7f, 0x45, 0x4c, 0x46], 'ELF executable'],
  [ascii('MZ'), 'PE/DOS executable'],
  [[0xcf, 0xfa, 0xed, 0xfe], 'Mach-O executable'],
  [ascii('#!'), 'script'],
  [[0x00, 0x61, 0x73, 0x6d], 'WebAssembly'],
  [ascii('RIFF'), 'RIFF (WAV/AVI/WebP)'],
];

/**
 * The sniffing rules, first match wins, in the order of threats.md §6 with one refinement: the weak
 * pickle-text test (one first byte) runs after every rule with a multi-byte magic that cannot also
 * be a pickle (HDF5 and PNG start with 0x89 = NEWFALSE, but their second byte is no opcode).
 */
export const SNIFF_RULES: readonly Rule[] = [
  { kind: 'zip', doc: 'PK\\x03\\x04 (or the empty-archive PK\\x05\\x06) at 0, or a plausible end record in the last 64 KiB.',
    test: (c) => startsWith(c.head, [0x50, 0x4b, 0x03, 0x04]) || startsWith(c.head, [0x50, 0x4b, 0x05, 0x06]) ? {} : zipByEnd(c) && { detail: 'found by its end record' } },
  { kind: '7z', doc: "7z\\xBC\\xAF\\x27\\x1C (unsupported: reported, not opened).", test: at0([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]) },
  { kind: 'rar', doc: 'Rar!\\x1A\\x07 (RAR 4 and 5; unsupported).', test: at0([...ascii('Rar!'), 0x1a, 0x07]) },
  { kind: 'tar', doc: '"ustar" at 257 (POSIX ustar/PAX and GNU tar).', test: (c) => startsWith(c.head, ascii('ustar'), 257) && {} },
  // Compressors in joblib's detection order (ZF first), from the compress/ table: decompress with caps, re-sniff.
  ...COMPRESSION_KINDS.map(({ kind, doc }) => ({ kind, doc, test: (c: Ctx): Match => detectCompression(c.head) === kind && {} })),
  { kind: 'zstd', doc: 'zstd frame magic 28 B5 2F FD (no decoder in Node 20: unsupported).', test: at0([0x28, 0xb5, 0x2f, 0xfd]) },
  { kind: 'npy', doc: '\\x93NUMPY.', test: at0([0x93, ...ascii('NUMPY')]) },
  { kind: 'safetensors', doc: 'u64 LE header length N (2 ≤ N ≤ 100 MB, N + 8 ≤ size) then "{" at 8 after JSON whitespace.', test: safetensors },
  // Before the PROTO test: a header of 128, 384, 640 … bytes makes the length prefix start 80 00/01/02 …
  { kind: 'torch-legacy', doc: 'PROTO 2-5 (+ FRAME) then LONG1 of the legacy torch magic 0x1950a86a20f9469cfc6c (formats.md §7.2; torch.save pickle_protocol=2 by default).',
    test: legacyTorch },
  { kind: 'pickle', doc: 'PROTO opcode 0x80 with protocol 0-5 (joblib, torch data.pkl, plain pickles).',
    test: (c) => c.head[0] === 0x80 && c.head.length > 1 && c.head[1]! <= 5 && { protocol: c.head[1]!, detail: `protocol ${c.head[1]}` } },
  { kind: 'lightgbm', doc: '"tree\\nversion=" at 0 (LightGBM text model).', test: at0(ascii('tree\nversion=')) },
  { kind: 'xgboost-json', doc: 'JSON object whose first key is "learner" or "version".', test: xgboostJson },
  { kind: 'xgboost-ubj', doc: 'UBJSON object ({ + i/U/I/l/L/$/#) naming learner or version in the first 64 bytes.', test: xgboostUbj },
  { kind: 'hdf5', doc: '\\x89HDF\\r\\n\\x1a\\n at 0 (superblock at 0; user blocks are not searched).', test: at0([0x89, ...ascii('HDF\r\n'), 0x1a, 0x0a]) },
  { kind: 'png', doc: '\\x89PNG\\r\\n\\x1a\\n (not a model, whatever its name).', test: at0([0x89, ...ascii('PNG\r\n'), 0x1a, 0x0a]) },
  { kind: 'other', doc: 'Known non-model magics: JPEG, GIF, PDF, ELF, PE, Mach-O, #! scripts, WebAssembly, RIFF.',
    test: (c) => { const m = OTHER_MAGICS.find(([b]) => startsWith(c.head, b)); return m ? { detail: m[1] } : false; } },
  { kind: 'onnx', doc: 'protobuf ModelProto: tag 0x08 (ir_version) with a 1-byte varint, then a known ModelProto field tag.', test: onnx },
  { kind: 'pickle-text', doc: 'First byte is an opcode that can start a PROTO-less pickle (protocol 0/1 and binary); the caller confirms by parsing.',
    test: (c) => PICKLE_FIRST.has(c.head[0] ?? -1) && {} },
  { kind: 'json', doc: 'First non-whitespace byte is { or [ (Keras config.json, metadata).',
    test: (c) => { const b = c.head[firstNonWs(c.head)]; return (b === 0x7b || b === 0x5b) && {}; } },
];

/**
 * Identifies content from its first {@link SNIFF_HEAD_BYTES} (`head`), its last
 * {@link SNIFF_TAIL_BYTES} (`tail`, for zips found by their end record) and its total size, by the
 * ordered {@link SNIFF_RULES} (docs/containers.md). Never looks at names. `unknown` means "not a
 * recognised model format": the caller reports the file as incomplete, never clean.
 */
export function sniff(head: Uint8Array, tail: Uint8Array, size: number): Sniffed {
  if (size === 0) return { kind: 'unknown', detail: 'empty input' };
  const c: Ctx = { head, tail, size };
  for (let r = 0; r < SNIFF_RULES.length; r++) {
    const rule = SNIFF_RULES[r]!;
    const m = rule.test(c);
    if (m === false) continue;
    const alternatives = alternativesOf(rule.kind, m, c, r);
    return { kind: rule.kind, ...m, ...(alternatives.length ? { alternatives } : {}) };
  }
  return { kind: 'unknown', detail: 'no known signature' };
}

function alternativesOf(kind: SniffKind, m: Omit<Sniffed, 'kind'>, c: Ctx, index: number): SniffKind[] {
  if (kind === 'zip' && m.detail === 'found by its end record') {
    // What the prefix is when read from byte 0 (what torch.load and pickle.load would see).
    for (const rule of SNIFF_RULES.slice(index + 1)) if (rule.test(c) !== false) return [rule.kind];
    return [];
  }
  if (kind === 'safetensors' && c.head[0] === 0x80 && (c.head[1] ?? 9) <= 5) return ['pickle'];
  if (kind === 'safetensors' && PICKLE_FIRST.has(c.head[0] ?? -1)) return ['pickle-text'];
  return [];
}
