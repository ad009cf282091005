import { MvError, mulChecked } from '../../core/index.js';
import { ST_DTYPE_BY_NAME, type StDtype } from './dtypes.js';

/** A tensor to write: raw little-endian C-order bytes (or a typed array, whose bytes are taken as-is). */
export interface StTensorInput {
  readonly dtype: StDtype;
  readonly shape: readonly number[];
  readonly data: Uint8Array | ArrayBufferView;
}

const bytesOf = (d: Uint8Array | ArrayBufferView): Uint8Array =>
  d instanceof Uint8Array ? d : new Uint8Array(d.buffer, d.byteOffset, d.byteLength);

const compareNames = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Writes a canonical safetensors file (huggingface/safetensors `serialize`): tensors sorted by
 * descending dtype alignment then by name, `__metadata__` first, header starting with `{` and padded
 * with 0x20 to a multiple of 8 bytes. `parseSafetensors` accepts everything this emits.
 */
export function writeSafetensors(
  tensors: ReadonlyMap<string, StTensorInput> | Readonly<Record<string, StTensorInput>>,
  metadata?: Readonly<Record<string, string>> | null,
): Uint8Array {
  const entries = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors as Record<string, StTensorInput>);
  const rows = entries.map(([name, t]) => {
    if (name === '__metadata__') throw new MvError('USAGE_INVALID', 'a tensor cannot be named __metadata__');
    const info = ST_DTYPE_BY_NAME.get(t.dtype);
    if (!info) throw new MvError('ST_INVALID_DTYPE', `unknown dtype ${String(t.dtype)}`, { path: [name] });
    const numel = mulChecked(t.shape, 'ST_TENSOR_SIZE_MISMATCH', { path: [name] });
    const nbits = numel * info.bits;
    const data = bytesOf(t.data);
    if (nbits % 8 !== 0 || data.length !== nbits / 8) {
      throw new MvError('ST_TENSOR_SIZE_MISMATCH', `tensor ${name}: ${data.length} bytes for shape [${t.shape.join(', ')}] ${t.dtype}`, { path: [name] });
    }
    return { name, t, info, data };
  });
  rows.sort((a, b) => b.info.alignBytes - a.info.alignBytes || compareNames(a.name, b.name));

  const parts: string[] = [];
  if (metadata) {
    for (const [k, v] of Object.entries(metadata)) if (typeof v !== 'string') throw new MvError('USAGE_INVALID', `metadata ${k} must be a string`);
    parts.push(`"__metadata__":${JSON.stringify(metadata)}`);
  }
  let offset = 0;
  for (const r of rows) {
    const begin = offset;
    offset += r.data.length;
    parts.push(`${JSON.stringify(r.name)}:${JSON.stringify({ dtype: r.t.dtype, shape: r.t.shape, data_offsets: [begin, offset] })}`);
  }
  const json = new TextEncoder().encode(`{${parts.join(',')}}`);
  const pad = (8 - (json.length % 8)) % 8;
  const n = json.length + pad;
  const out = new Uint8Array(8 + n + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(n), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + n);
  let at = 8 + n;
  for (const r of rows) {
    out.set(r.data, at);
    at += r.data.length;
  }
  return out;
}
