/**
 * PyTorch checkpoints → plain safetensors (formats.md §7, §8), without executing pickle: the torch
 * profile of the pickle engine turns `_rebuild_tensor_v2/v3` and `_rebuild_parameter` into inert
 * TorchTensor records; this module reads the storages, materialises every tensor (views and shared
 * storages become contiguous C-order copies), swaps big-endian data and flattens nested containers
 * into dotted names.
 *
 * Storage sizes, offsets and strides are attacker-controlled: every element range is checked
 * against the bytes actually present before copying.
 */
import { MvError, bytesSource, startsWith, type ByteSource, type Limits } from '../core/index.js';
import { parsePickle, type PyValue, type TorchStorage, type TorchTensor } from '../formats/pickle/index.js';
import { writeSafetensors, type StTensorInput } from '../formats/safetensors/index.js';
import { readZip, readZipMember, type ZipMember } from '../formats/zip/index.js';
import { className, dictLookup, isDict, stateDict, typeName } from './py.js';

/** safetensors dtype → element bytes and byte-swap unit (complex: per component). */
const ELEMENT: Readonly<Record<string, { bytes: number; swap: number }>> = {
  F64: { bytes: 8, swap: 8 }, F32: { bytes: 4, swap: 4 }, F16: { bytes: 2, swap: 2 }, BF16: { bytes: 2, swap: 2 },
  I64: { bytes: 8, swap: 8 }, I32: { bytes: 4, swap: 4 }, I16: { bytes: 2, swap: 2 }, I8: { bytes: 1, swap: 1 },
  U64: { bytes: 8, swap: 8 }, U32: { bytes: 4, swap: 4 }, U16: { bytes: 2, swap: 2 }, U8: { bytes: 1, swap: 1 },
  BOOL: { bytes: 1, swap: 1 }, C64: { bytes: 8, swap: 4 }, F8_E4M3: { bytes: 1, swap: 1 }, F8_E5M2: { bytes: 1, swap: 1 },
};

export interface TorchTensorOut {
  /** Dotted path in the checkpoint (`model.encoder.weight`, `optimizer.state.0.momentum_buffer`). */
  readonly name: string;
  /** safetensors dtype. */
  readonly dtype: string;
  readonly shape: readonly number[];
  /** Contiguous little-endian C-order bytes. */
  readonly data: Uint8Array;
  /** Another tensor of the checkpoint uses the same storage (a view, tied weights). */
  readonly shared: boolean;
}

export interface TorchConversion {
  readonly format: 'zip' | 'legacy';
  readonly bigEndian: boolean;
  readonly tensors: readonly TorchTensorOut[];
  /** Non-tensor leaves (ints, floats, strings, None) by dotted name, with their Python type. */
  readonly skipped: readonly { readonly name: string; readonly type: string }[];
  /** Classes of whole pickled nn.Modules whose parameters and buffers were read (not instantiated). */
  readonly modules: readonly string[];
}

const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];
const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;

const unsupported = (msg: string, at: { offset?: number; path?: string[] } = {}): MvError => new MvError('CONVERT_UNSUPPORTED', msg, at);
const invalid = (msg: string, at: { offset?: number; path?: string[] } = {}): MvError => new MvError('CONVERT_STATE_INVALID', msg, at);

function pickleValue(bytes: Uint8Array, start: number, limits: Limits, path: string[]): { value: PyValue; end: number } {
  const r = parsePickle(bytes, { profile: 'torch', limits, start });
  if (r.error) throw new MvError(r.error.code, r.error.message, { ...r.error.at, path: [...path, ...(r.error.at.path ?? []).map(String)] }, { cause: r.error });
  if (r.value === undefined) throw invalid('pickle produced no value', { path });
  return { value: r.value, end: r.end };
}

// ── flattening ──────────────────────────────────────────────────────────────────────────────────

interface Leaf { readonly name: string; readonly tensor: TorchTensor }

/** Calls that only build inert metadata values in checkpoints. */
const BENIGN_CALLS: ReadonlySet<string> = new Set(['torch.device', 'torch.Size']);

function keyName(k: PyValue): string {
  if (typeof k === 'string') return k;
  if (typeof k === 'number' || typeof k === 'bigint' || typeof k === 'boolean') return String(k);
  throw unsupported(`a checkpoint dict key of type ${typeName(k)}`);
}

/** Walks dicts/lists/tuples to tensors (iteratively, depth-bounded); other objects are unsupported. */
function flatten(root: PyValue, maxDepth: number): { leaves: Leaf[]; skipped: { name: string; type: string }[]; modules: string[] } {
  const leaves: Leaf[] = [];
  const skipped: { name: string; type: string }[] = [];
  const objects = new Set<string>();
  const modulesSeen = new Set<string>();
  const onPath = new Set<object>();
  const visit = (v: PyValue, name: string, depth: number): void => {
    if (depth > maxDepth) throw new MvError('LIMIT_EXCEEDED', `checkpoint nesting deeper than ${maxDepth}`, { limit: 'maxValueDepth', actual: depth });
    if (v === null || typeof v !== 'object') {
      skipped.push({ name, type: typeName(v) });
      return;
    }
    if (onPath.has(v)) throw unsupported(`a cyclic container at ${name || '<root>'}`);
    const join = (k: string): string => (name ? `${name}.${k}` : k);
    switch (v.kind) {
      case 'tensor':
        leaves.push({ name: name || 'tensor', tensor: v });
        return;
      case 'dict':
        onPath.add(v);
        v.keys.forEach((k, i) => visit(v.values[i]!, join(keyName(k)), depth + 1));
        onPath.delete(v);
        return;
      case 'list':
      case 'tuple':
        onPath.add(v);
        v.items.forEach((x, i) => visit(x, join(String(i)), depth + 1));
        onPath.delete(v);
        return;
      case 'float':
      case 'bytes':
        skipped.push({ name, type: typeName(v) });
        return;
      case 'object': {
        // A whole pickled nn.Module: its parameters, persistent buffers and submodules are exactly
        // what state_dict() would hold, under the same dotted names (read, never instantiated).
        const st = stateDict(v);
        const params = st && dictLookup(st, '_parameters');
        const buffers = st && dictLookup(st, '_buffers');
        const modules = st && dictLookup(st, '_modules');
        if (isDict(params) && isDict(buffers) && isDict(modules)) {
          modulesSeen.add(className(v) ?? 'module');
          onPath.add(v);
          const nonPersistent = dictLookup(st!, '_non_persistent_buffers_set');
          const skip = new Set(nonPersistent && typeof nonPersistent === 'object' && nonPersistent.kind === 'set' ? nonPersistent.items.filter((x) => typeof x === 'string') : []);
          for (const [d, isBuffer] of [[params, false], [buffers, true]] as const) {
            d.keys.forEach((k, i) => {
              const t = d.values[i]!;
              if (t === null || (isBuffer && skip.has(keyName(k)))) return;
              visit(t, join(keyName(k)), depth + 1);
            });
          }
          modules.keys.forEach((k, i) => {
            const m = modules.values[i]!;
            if (m !== null) visit(m, join(keyName(k)), depth + 1);
          });
          onPath.delete(v);
          return;
        }
        if (className(v) === 'argparse.Namespace' && st) {
          // fairseq-style hyper-parameters: read as a dict of leaves.
          onPath.add(v);
          st.keys.forEach((k, i) => visit(st.values[i]!, join(keyName(k)), depth + 1));
          onPath.delete(v);
          return;
        }
        objects.add(className(v) ?? v.kind);
        return;
      }
      case 'call': {
        const cls = className(v);
        // torch.device('cpu') / torch.Size([…]) metadata: inert values, listed as skipped.
        if (cls !== undefined && BENIGN_CALLS.has(cls)) skipped.push({ name, type: cls });
        else objects.add(cls ?? v.kind);
        return;
      }
      case 'global':
        // A reference such as torch.float16 stored as metadata: a name, never resolved.
        skipped.push({ name, type: `${v.module}.${v.name} (reference)` });
        return;
      default:
        objects.add(typeName(v));
    }
  };
  visit(root, '', 0);
  if (objects.size) {
    throw unsupported(`the checkpoint holds Python objects, not only tensors: ${[...objects].sort().join(', ')} (save a state_dict instead)`);
  }
  const seen = new Set<string>();
  for (const l of leaves) {
    if (seen.has(l.name)) throw invalid(`two tensors flatten to the name ${JSON.stringify(l.name)}`);
    seen.add(l.name);
  }
  return { leaves, skipped, modules: [...modulesSeen].sort() };
}

// ── materialisation ─────────────────────────────────────────────────────────────────────────────

/**
 * Copies tensor elements (element offset/stride into `data`) into contiguous C order, swapping the
 * byte order per `swap`-byte unit when the source is big-endian.
 */
export function materialise(t: { shape: readonly number[]; stride: readonly number[]; offset: number }, data: Uint8Array, elem: { bytes: number; swap: number }, bigEndian: boolean, name: string): Uint8Array {
  const nd = t.shape.length;
  let n = 1;
  for (const d of t.shape) n *= d;
  if (!Number.isSafeInteger(n * elem.bytes)) throw invalid(`tensor ${name} is too large`);
  const out = new Uint8Array(n * elem.bytes);
  if (n === 0) return out;
  let last = t.offset;
  for (let i = 0; i < nd; i++) last += (t.shape[i]! - 1) * t.stride[i]!;
  if (t.offset < 0 || (last + 1) * elem.bytes > data.length) {
    throw invalid(`tensor ${name} reads elements up to ${last} but its storage holds ${Math.floor(data.length / elem.bytes)}`, { path: [name] });
  }
  let contiguous = true;
  for (let i = nd - 1, s = 1; i >= 0; i--) {
    if (t.shape[i] !== 1 && t.stride[i] !== s) contiguous = false;
    s *= t.shape[i]!;
  }
  const B = elem.bytes;
  if (contiguous) out.set(data.subarray(t.offset * B, (t.offset + n) * B));
  else {
    const idx = new Array<number>(nd).fill(0);
    let src = t.offset;
    for (let k = 0; k < n; k++) {
      out.set(data.subarray(src * B, src * B + B), k * B);
      for (let a = nd - 1; a >= 0; a--) {
        idx[a]!++;
        src += t.stride[a]!;
        if (idx[a]! < t.shape[a]!) break;
        src -= t.stride[a]! * t.shape[a]!;
        idx[a] = 0;
      }
    }
  }
  if (bigEndian && elem.swap > 1) for (let i = 0; i < out.length; i += elem.swap) out.subarray(i, i + elem.swap).reverse();
  return out;
}

function elementOf(dtype: string, name: string): { bytes: number; swap: number } {
  const e = ELEMENT[dtype];
  if (!e) throw unsupported(`tensor ${name} has dtype ${dtype}, which safetensors cannot hold`, { path: [name] });
  return e;
}

function build(leaves: Leaf[], storageBytes: (s: TorchStorage) => Uint8Array, bigEndian: boolean): TorchTensorOut[] {
  const uses = new Map<string, number>();
  for (const l of leaves) uses.set(l.tensor.storage.key, (uses.get(l.tensor.storage.key) ?? 0) + 1);
  return leaves.map(({ name, tensor: t }) => {
    const elem = elementOf(t.dtype, name);
    const bytes = storageBytes(t.storage);
    const viewOffset = t.storage.view ? t.storage.view.offset * (ELEMENT[t.storage.dtype]?.bytes ?? 1) : 0;
    // Offsets count elements of the TENSOR dtype (v3 on untyped storages: the storage is bytes).
    const base = viewOffset === 0 ? bytes : bytes.subarray(viewOffset);
    const data = materialise(t, base, elem, bigEndian, name);
    return { name, dtype: t.dtype, shape: [...t.shape], data, shared: (uses.get(t.storage.key) ?? 0) > 1 };
  });
}

// ── containers ──────────────────────────────────────────────────────────────────────────────────

function readZipCheckpoint(src: ByteSource, limits: Limits): TorchConversion {
  const zip = readZip(src, limits);
  const pkl = zip.members.filter((m) => /^[^/]+\/data\.pkl$/.test(m.name) || m.name === 'data.pkl');
  if (pkl.length !== 1) throw unsupported(pkl.length ? 'several data.pkl records in one archive' : 'a ZIP without a data.pkl record is not a PyTorch checkpoint');
  const prefix = pkl[0]!.name.slice(0, -'data.pkl'.length);
  const byName = new Map<string, ZipMember>(zip.members.map((m) => [m.name, m]));
  if (byName.has(`${prefix}constants.pkl`) || zip.members.some((m) => m.name.startsWith(`${prefix}code/`))) {
    throw unsupported('TorchScript archives carry code; only plain checkpoints convert');
  }
  const bo = byName.get(`${prefix}byteorder`);
  let bigEndian = false;
  if (bo) {
    const s = new TextDecoder().decode(readZipMember(src, bo, limits, 16)).trim();
    if (s !== 'little' && s !== 'big') throw invalid(`byteorder record says ${JSON.stringify(s)}`, { path: [bo.name] });
    bigEndian = s === 'big';
  }
  const bytes = readZipMember(src, pkl[0]!, limits);
  const { value } = pickleValue(bytes, 0, limits, [pkl[0]!.name]);
  const { leaves, skipped, modules } = flatten(value, limits.maxValueDepth);
  const cache = new Map<string, Uint8Array>();
  const storageBytes = (s: TorchStorage): Uint8Array => {
    let b = cache.get(s.key);
    if (!b) {
      const m = byName.get(`${prefix}data/${s.key}`);
      if (!m) throw invalid(`storage ${s.key} has no data/${s.key} record`, { path: [`${prefix}data/${s.key}`] });
      b = readZipMember(src, m, limits);
      cache.set(s.key, b);
    }
    return b;
  };
  return { format: 'zip', bigEndian, tensors: build(leaves, storageBytes, bigEndian), skipped, modules };
}

function readLegacyCheckpoint(bytes: Uint8Array, limits: Limits): TorchConversion {
  const magic = pickleValue(bytes, 0, limits, ['magic']);
  if (magic.value !== LEGACY_MAGIC && magic.value !== Number(LEGACY_MAGIC)) throw unsupported('not a legacy PyTorch checkpoint (magic number mismatch)');
  const proto = pickleValue(bytes, magic.end, limits, ['protocol_version']);
  if (proto.value !== 1001) throw unsupported(`legacy protocol version ${String(proto.value)}`);
  const sys = pickleValue(bytes, proto.end, limits, ['sys_info']);
  let bigEndian = false;
  if (sys.value && typeof sys.value === 'object' && sys.value.kind === 'dict') {
    const i = sys.value.keys.indexOf('little_endian');
    if (i >= 0) bigEndian = sys.value.values[i] === false;
  }
  const main = pickleValue(bytes, sys.end, limits, ['main']);
  const keys = pickleValue(bytes, main.end, limits, ['storage_keys']);
  const list = keys.value && typeof keys.value === 'object' && keys.value.kind === 'list' ? keys.value.items : undefined;
  if (!list || !list.every((k) => typeof k === 'string')) throw invalid('the storage key list is not a list of strings');
  const { leaves, skipped, modules } = flatten(main.value, limits.maxValueDepth);
  const storages = new Map<string, TorchStorage>();
  for (const l of leaves) storages.set(l.tensor.storage.key, l.tensor.storage);
  const data = new Map<string, Uint8Array>();
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = keys.end;
  for (const key of list as string[]) {
    const s = storages.get(key);
    if (!s) throw unsupported(`storage ${key} is not used by any tensor, so its element size is unknown`);
    const es = ELEMENT[s.dtype]?.bytes ?? elementOf(s.dtype, key).bytes;
    if (pos + 8 > bytes.length) throw invalid(`storage ${key} is truncated`, { offset: pos });
    const count = dv.getBigInt64(pos, !bigEndian);
    if (count < 0n || count > BigInt(bytes.length)) throw invalid(`storage ${key} claims ${count} elements`, { offset: pos });
    const len = Number(count) * es;
    if (pos + 8 + len > bytes.length) throw invalid(`storage ${key} is truncated`, { offset: pos });
    data.set(key, bytes.subarray(pos + 8, pos + 8 + len));
    pos += 8 + len;
  }
  if (pos !== bytes.length) throw invalid(`${bytes.length - pos} bytes follow the last storage`, { offset: pos });
  const storageBytes = (s: TorchStorage): Uint8Array => {
    const b = data.get(s.key);
    if (!b) throw invalid(`storage ${s.key} is not in the storage list`);
    return b;
  };
  return { format: 'legacy', bigEndian, tensors: build(leaves, storageBytes, bigEndian), skipped, modules };
}

/** Reads every tensor of a PyTorch checkpoint (zip since 1.6, or the legacy concatenated pickles). */
export function readTorchCheckpoint(input: Uint8Array | ByteSource, limits: Limits): TorchConversion {
  const src = input instanceof Uint8Array ? bytesSource(input) : input;
  const head = src.read(0, 8);
  if (startsWith(head, ZIP_MAGIC)) return readZipCheckpoint(src, limits);
  if (head[0] === 0x80 && head[2] === 0x8a) return readLegacyCheckpoint(input instanceof Uint8Array ? input : src.read(0, src.size), limits);
  if (src.size > 262 && new TextDecoder().decode(src.read(257, 5)) === 'ustar') throw unsupported('the torch ≤ 0.3 tar checkpoint format');
  throw new MvError('FORMAT_UNKNOWN', 'not a PyTorch checkpoint (neither a zip nor a legacy pickle sequence)');
}

export interface TorchConvertOptions {
  readonly limits: Limits;
  readonly sourceSha256?: string;
  readonly created?: string;
  readonly converterVersion?: string;
}

/** A PyTorch checkpoint as a plain safetensors file (`__metadata__.format = "pt"`). */
export function convertTorch(input: Uint8Array | ByteSource, opts: TorchConvertOptions): { bytes: Uint8Array; conversion: TorchConversion } {
  const conversion = readTorchCheckpoint(input, opts.limits);
  const st = new Map<string, StTensorInput>();
  for (const t of conversion.tensors) st.set(t.name, { dtype: t.dtype as StTensorInput['dtype'], shape: t.shape, data: t.data });
  const metadata: Record<string, string> = { format: 'pt' };
  if (opts.sourceSha256) metadata['source_sha256'] = opts.sourceSha256;
  if (opts.created) metadata['created'] = opts.created;
  metadata['converter'] = `modelvault ${opts.converterVersion ?? '0.1.0'}`;
  return { bytes: writeSafetensors(st, metadata), conversion };
}
