import { MvError, viewOf, type Limits } from '../core/index.js';
import type { PickleOptions, PickleResult, PyValue } from '../formats/pickle/index.js';
import type { Policy } from './classify.js';
import { judgePickle, type Sink } from './rules.js';

/** The legacy torch magic number, which must be a literal LONG1 (formats.md §7.2; GHSA-97f8-7cmv-76j2). */
export const LEGACY_TORCH_MAGIC = 0x1950a86a20f9469cfc6cn;

/** Element size in bytes of each legacy storage class (formats.md §7.1). */
const STORAGE_ELEMENT_BYTES: Readonly<Record<string, number>> = {
  DoubleStorage: 8, FloatStorage: 4, HalfStorage: 2, BFloat16Storage: 2, LongStorage: 8, IntStorage: 4,
  ShortStorage: 2, CharStorage: 1, ByteStorage: 1, BoolStorage: 1, ComplexFloatStorage: 8, ComplexDoubleStorage: 16,
};

export interface LegacyTorchContext {
  readonly policy: Policy;
  readonly sink: Sink;
  readonly limits: Limits;
  readonly parse: (bytes: Uint8Array, opts: PickleOptions) => PickleResult;
}

const isLiteralMagic = (r: PickleResult): boolean =>
  (r.value === LEGACY_TORCH_MAGIC || r.value === Number(LEGACY_TORCH_MAGIC)) && r.events.length === 0;

/** Storage key → element size, from the ('storage', cls, key, location, numel, view) persistent ids. */
function storageSizes(main: PickleResult): Map<string, number> {
  const sizes = new Map<string, number>();
  for (const ev of main.events) {
    if (ev.kind !== 'persid') continue;
    const pid = ev.pid as PyValue;
    if (typeof pid !== 'object' || pid === null || (pid as { kind?: string }).kind !== 'tuple') continue;
    const [, cls, key] = (pid as { items: PyValue[] }).items;
    const name = typeof cls === 'object' && cls !== null && (cls as { kind?: string }).kind === 'global' ? (cls as { name: string }).name : undefined;
    if (typeof key === 'string' && name && STORAGE_ELEMENT_BYTES[name]) sizes.set(key, STORAGE_ELEMENT_BYTES[name]!);
  }
  return sizes;
}

/**
 * Legacy (non-zip) torch files: magic, protocol version, sys_info, the main pickle, the sorted storage
 * keys, then per key an i64 element count and the raw bytes. Every pickle is judged; the magic must be a
 * literal; the storage area must account for every remaining byte.
 */
export function judgeLegacyTorch(bytes: Uint8Array, ctx: LegacyTorchContext): void {
  const results: PickleResult[] = [];
  let off = 0;
  for (let i = 0; i < 5 && off < bytes.length; i++) {
    const r = ctx.parse(bytes, { limits: ctx.limits, start: off, profile: i === 3 ? 'torch' : 'plain' });
    judgePickle(r, { policy: ctx.policy, profile: 'torch', sink: ctx.sink });
    if (r.error) return;
    results.push(r);
    off = r.end;
  }
  if (!results[0] || !isLiteralMagic(results[0])) {
    ctx.sink.finding({ rule: 'SCAN_TORCH_MAGIC', severity: 'critical', offset: 0,
      message: 'the legacy PyTorch magic number is not a literal integer (computed magic: GHSA-97f8-7cmv-76j2)' });
  }
  if (results.length < 5) {
    ctx.sink.error({ code: 'PICKLE_TRUNCATED', offset: off, message: 'legacy PyTorch file ends before its storage keys' });
    return;
  }
  const keysValue = results[4]!.value as PyValue;
  const keys = typeof keysValue === 'object' && keysValue !== null && (keysValue as { kind?: string }).kind === 'list'
    ? (keysValue as { items: PyValue[] }).items : undefined;
  const sizes = storageSizes(results[3]!);
  if (!keys || !keys.every((k) => typeof k === 'string' && sizes.has(k))) {
    ctx.sink.error({ code: 'PICKLE_BAD_OPERAND', offset: results[3]!.end, message: 'legacy PyTorch storage key list does not match the storages of the main pickle' });
    return;
  }
  for (const key of keys as string[]) {
    if (off + 8 > bytes.length) throw new MvError('PICKLE_TRUNCATED', `storage ${key} has no element count`, { offset: off });
    const count = viewOf(bytes).getBigInt64(off, true);
    const length = count * BigInt(sizes.get(key)!);
    if (count < 0n || BigInt(off + 8) + length > BigInt(bytes.length)) {
      throw new MvError('PICKLE_TRUNCATED', `storage ${key} claims ${count} elements past the end of the file`, { offset: off });
    }
    off += 8 + Number(length);
  }
  if (off !== bytes.length) {
    ctx.sink.error({ code: 'PICKLE_TRAILING_BYTES', offset: off, message: `${bytes.length - off} bytes follow the storage area` });
  }
}
