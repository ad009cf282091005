// Converts our PyValue graph to the JSON encoding written by test/fixtures/pickle/gen/gen.py `enc()`.
import type { DType, PyValue } from '../../../src/formats/pickle/index.js';

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

function encDtype(d: DType): unknown {
  const out: Record<string, unknown> = { dtype: d.str, itemsize: d.itemsize };
  if (d.fields) out.fields = d.fields.map((f) => [f.name, encDtype(f.dtype), f.offset]);
  if (d.subarray) out.subarray = [encDtype(d.subarray.base), d.subarray.shape];
  return out;
}

function encFloat(v: number): unknown {
  if (Number.isNaN(v)) return { float: 'nan' };
  if (v === Infinity) return { float: 'inf' };
  if (v === -Infinity) return { float: '-inf' };
  return { float: v };
}

export function toJson(v: PyValue | undefined, depth = 0): unknown {
  if (depth > 200) throw new Error('too deep');
  const r = (x: PyValue | undefined): unknown => toJson(x, depth + 1);
  if (v === undefined) return '<undefined>';
  if (v === null || typeof v === 'boolean' || typeof v === 'string' || typeof v === 'number') return v;
  if (typeof v === 'bigint') return { int: v.toString() };
  switch (v.kind) {
    case 'float': return encFloat(v.value);
    case 'bytes': return { bytes: hex(v.data), mutable: v.mutable };
    case 'tuple': return { tuple: v.items.map(r) };
    case 'list': return v.items.map(r);
    case 'dict': return { dict: v.keys.map((k, i) => [r(k), r(v.values[i])]) };
    case 'set': return { set: v.items.map(r), frozen: v.frozen };
    case 'object':
      if (v.cls && typeof v.cls === 'object' && v.cls.kind === 'global' && v.cls.module === 'builtins' && v.cls.name === 'slice') {
        return { slice: v.args.map(r) };
      }
      return { object: r(v.cls), args: v.args.map(r) };
    case 'global': return { global: `${v.module}.${v.name}` };
    case 'call': return { call: r(v.fn), args: r(v.args) };
    case 'persid': return { persid: r(v.pid) };
    case 'ndarray': {
      const out: Record<string, unknown> = { dtype: encDtype(v.dtype), shape: v.shape, order: v.order };
      if (v.items) out.items = v.items.map(r);
      else out.data = hex(v.data!);
      return { ndarray: out };
    }
    case 'dtype': return { dtypeobj: encDtype(v) };
    case 'npscalar': return { npscalar: encDtype(v.dtype), value: r(v.value) };
    case 'storage': {
      const s: Record<string, unknown> = { dtype: v.dtype, key: v.key, location: v.location, numel: v.numel };
      if (v.view) s.view = v.view;
      return { storage: s };
    }
    case 'tensor':
      return { tensor: { storage: r(v.storage), offset: v.offset, shape: v.shape, stride: v.stride, dtype: v.dtype, requiresGrad: v.requiresGrad, parameter: v.parameter } };
  }
}
