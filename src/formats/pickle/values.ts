import type { DType, PyDict, PyGlobal, PySet, PyValue } from './types.js';
import { latin1 } from './text.js';

// Structural keys for dicts and sets: Python compares keys by value for hashable builtins
// (1 == 1.0 == True) and by identity for everything else. Indexes are kept beside the dict in a
// WeakMap, so the public PyDict stays plain data.

type Key = string | object;

/** Tuple keys with more nodes than this fall back to identity (bounds the cost of one insert). */
const KEY_NODES = 256;

/**
 * The structural key of a value (Python hash/eq for builtins, identity for other objects). Very
 * large or deep tuple keys use identity: equal-but-distinct huge keys then stay separate entries,
 * which only ever shows a policy more of the graph, never less.
 */
export function hashKey(v: PyValue): Key {
  const budget = { n: KEY_NODES };
  return keyOf(v, budget);
}

function keyOf(v: PyValue, budget: { n: number }): Key {
  if (v === null) return 'N';
  switch (typeof v) {
    case 'string': return 's' + v;
    case 'number': return 'i' + v;
    case 'boolean': return v ? 'i1' : 'i0';
    case 'bigint': return 'i' + v.toString();
    default: break;
  }
  switch (v.kind) {
    case 'float': return Number.isInteger(v.value) && Math.abs(v.value) <= Number.MAX_SAFE_INTEGER ? 'i' + v.value : 'f' + v.value;
    case 'bytes': return v.mutable ? v : 'b' + latin1(v.data, 0, v.data.length);
    case 'global': return 'g' + v.module + '\u0000' + v.name;
    case 'tuple': {
      budget.n -= v.items.length + 1;
      if (budget.n < 0) return v;
      let s = '(';
      for (const it of v.items) {
        const k = keyOf(it, budget);
        if (typeof k !== 'string') return v;
        s += k.length + ':' + k;
      }
      return s + ')';
    }
    default: return v;
  }
}

const DICT_INDEX = new WeakMap<PyDict, Map<Key, number>>();
const SET_INDEX = new WeakMap<PySet, Set<Key>>();
/** Dicts and sets this small are searched linearly; an index is built only beyond (keeps GC cheap). */
const SMALL = 32;

const numOf = (v: PyValue): number | bigint | undefined => {
  switch (typeof v) {
    case 'number': case 'bigint': return v;
    case 'boolean': return v ? 1 : 0;
    case 'object': return v !== null && v.kind === 'float' ? v.value : undefined;
    default: return undefined;
  }
};

/** Python `a == b` for hashable builtins (identity for other objects), as dict lookup uses it. */
export function keyEq(a: PyValue, b: PyValue): boolean {
  if (a === b) return true;
  if (typeof a === 'string' || typeof b === 'string' || a === null || b === null) return false;
  const na = numOf(a);
  const nb = numOf(b);
  if (na !== undefined || nb !== undefined) {
    if (na === undefined || nb === undefined) return false;
    if (typeof na === typeof nb) return na === nb;
    const [n, big] = typeof na === 'number' ? [na, nb as bigint] : [nb as number, na as bigint];
    return Number.isInteger(n) && BigInt(n) === big;
  }
  if (typeof a !== 'object' || typeof b !== 'object' || a.kind !== b.kind) return false;
  switch (a.kind) {
    case 'bytes': {
      const y = b as typeof a;
      if (a.mutable || y.mutable || a.data.length !== y.data.length) return false;
      for (let i = 0; i < a.data.length; i++) if (a.data[i] !== y.data[i]) return false;
      return true;
    }
    case 'global': return a.module === (b as typeof a).module && a.name === (b as typeof a).name;
    case 'tuple': {
      const ka = hashKey(a);
      return typeof ka === 'string' && ka === hashKey(b);
    }
    default: return false;
  }
}

function dictIndex(d: PyDict): Map<Key, number> {
  let ix = DICT_INDEX.get(d);
  if (ix === undefined) {
    ix = new Map();
    for (let i = 0; i < d.keys.length; i++) {
      const hk = hashKey(d.keys[i]!);
      if (!ix.has(hk)) ix.set(hk, i);
    }
    DICT_INDEX.set(d, ix);
  }
  return ix;
}

function smallIndexOf(items: readonly PyValue[], k: PyValue): number {
  if (typeof k === 'string') {
    for (let i = 0; i < items.length; i++) if (items[i] === k) return i;
    return -1;
  }
  for (let i = 0; i < items.length; i++) if (keyEq(items[i]!, k)) return i;
  return -1;
}

/** `d[k] = v` with Python semantics: an equal key keeps its position and its first spelling. */
export function dictSet(d: PyDict, k: PyValue, v: PyValue): void {
  const keys = d.keys;
  if (keys.length < SMALL) {
    const i = smallIndexOf(keys, k);
    if (i < 0) { keys.push(k); d.values.push(v); } else d.values[i] = v;
    return;
  }
  const ix = dictIndex(d);
  const hk = hashKey(k);
  const i = ix.get(hk);
  if (i === undefined) {
    ix.set(hk, keys.length);
    keys.push(k);
    d.values.push(v);
  } else {
    d.values[i] = v;
  }
}

/** Adds to a set unless an equal item is present. */
export function setAdd(s: PySet, v: PyValue): void {
  if (s.items.length < SMALL) {
    if (smallIndexOf(s.items, v) < 0) s.items.push(v);
    return;
  }
  let ix = SET_INDEX.get(s);
  if (ix === undefined) {
    ix = new Set();
    for (const it of s.items) ix.add(hashKey(it));
    SET_INDEX.set(s, ix);
  }
  const hk = hashKey(v);
  if (!ix.has(hk)) {
    ix.add(hk);
    s.items.push(v);
  }
}

export const newDict = (): PyDict => ({ kind: 'dict', keys: [], values: [] });

/**
 * Looks a key up in a dict by Python equality (`'a'`, `1`, `(1, 2)` …). Returns undefined when absent.
 * @example dictGet(state, 'n_features_in_')
 */
export function dictGet(d: PyDict, key: PyValue): PyValue | undefined {
  if (d.keys.length <= SMALL) {
    const i = smallIndexOf(d.keys, key);
    return i < 0 ? undefined : d.values[i];
  }
  const i = dictIndex(d).get(hashKey(key));
  return i === undefined ? undefined : d.values[i];
}

/** The `[key, value]` pairs of a dict in insertion order. */
export function dictEntries(d: PyDict): [PyValue, PyValue][] {
  return d.keys.map((k, i) => [k, d.values[i]!]);
}

/** True when `v` is the global `module.name` (after py2 name normalisation). */
export function isGlobalRef(v: PyValue | undefined, module: string, name: string): v is PyGlobal {
  return typeof v === 'object' && v !== null && v.kind === 'global' && v.module === module && v.name === name;
}

/** A Python int (or bool) as a JS number; undefined for anything else or when beyond 2^53. */
export function asInt(v: PyValue | undefined): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'bigint') return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : undefined;
  return undefined;
}

/** A Python float or int as a JS number (numpy float scalars included); undefined otherwise. */
export function asFloat(v: PyValue | undefined): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'object' && v !== null) {
    if (v.kind === 'float') return v.value;
    if (v.kind === 'npscalar') return asFloat(v.value);
  }
  return undefined;
}

/** A Python str; undefined for anything else. */
export const asStr = (v: PyValue | undefined): string | undefined => (typeof v === 'string' ? v : undefined);

/** A short human-readable description (bounded depth and length), e.g. `ndarray <f8 (2, 3)`. */
export function describeValue(v: PyValue | undefined, depth = 2): string {
  const s = describe(v, depth);
  return s.length > 200 ? s.slice(0, 197) + '...' : s;
}

function describe(v: PyValue | undefined, depth: number): string {
  if (v === undefined) return '<nothing>';
  if (v === null) return 'None';
  switch (typeof v) {
    case 'boolean': return v ? 'True' : 'False';
    case 'number': return String(v);
    case 'bigint': return v.toString();
    case 'string': return JSON.stringify(v.length > 60 ? v.slice(0, 57) + '...' : v);
    default: break;
  }
  const many = (items: readonly PyValue[], open: string, close: string): string => {
    if (depth <= 0) return `${open}…${items.length} items${close}`;
    const head = items.slice(0, 6).map((x) => describe(x, depth - 1));
    if (items.length > 6) head.push(`… ${items.length - 6} more`);
    return open + head.join(', ') + (items.length === 1 && open === '(' ? ',' : '') + close;
  };
  switch (v.kind) {
    case 'float': return Number.isInteger(v.value) ? v.value.toFixed(1) : String(v.value);
    case 'bytes': return `${v.mutable ? 'bytearray' : 'bytes'}[${v.data.length}]`;
    case 'tuple': return many(v.items, '(', ')');
    case 'list': return many(v.items, '[', ']');
    case 'set': return (v.frozen ? 'frozenset' : 'set') + many(v.items, '{', '}');
    case 'dict': {
      if (depth <= 0) return `{…${v.keys.length} items}`;
      const parts = v.keys.slice(0, 6).map((k, i) => `${describe(k, depth - 1)}: ${describe(v.values[i], depth - 1)}`);
      if (v.keys.length > 6) parts.push(`… ${v.keys.length - 6} more`);
      return `{${parts.join(', ')}}`;
    }
    case 'global': return `${v.module}.${v.name}`;
    case 'call': return `${describe(v.fn, 0)}(${depth > 0 ? describe(v.args, depth - 1) : '…'})`;
    case 'object': return `<${describe(v.cls, 0)} object>`;
    case 'persid': return `persid(${describe(v.pid, depth - 1)})`;
    case 'ndarray': return `ndarray ${v.dtype.str} (${v.shape.join(', ')}${v.shape.length === 1 ? ',' : ''})${v.order === 'F' ? ' F' : ''}`;
    case 'dtype': return `dtype('${v.str}')`;
    case 'npscalar': return `${v.dtype.str} ${describe(v.value, 0)}`;
    case 'tensor': return `tensor ${v.dtype} [${v.shape.join(', ')}]${v.parameter ? ' parameter' : ''}`;
    case 'storage': return `storage ${v.dtype} ${v.key} (${v.numel})`;
    default: return '<?>';
  }
}

/**
 * True when a dtype (or any of its fields / subarray base) holds Python objects. Iterative with a
 * visited set: dtype graphs come from the pickle and may be deep or even cyclic.
 */
export function dtypeHasObject(d: DType): boolean {
  if (d.fields === undefined && d.subarray === undefined) return d.char === 'O';
  const todo: DType[] = [d];
  const seen = new Set<DType>();
  while (todo.length > 0) {
    const x = todo.pop()!;
    if (seen.has(x)) continue;
    seen.add(x);
    if (x.char === 'O') return true;
    if (x.fields) for (const f of x.fields) todo.push(f.dtype);
    if (x.subarray) todo.push(x.subarray.base);
  }
  return false;
}

/**
 * Work estimate of a value for the opcode budget: container sizes two levels deep and long strings.
 * Reconstructors and BUILD touch their arguments that deep, so a memoised 1M-item list passed to
 * `set()` again and again costs 1M per call, not 1 (pickle-bomb defence).
 */
export function workOf(v: PyValue | undefined, levels = 2): number {
  if (typeof v === 'string') return v.length >> 6;
  if (typeof v !== 'object' || v === null) return 0;
  switch (v.kind) {
    case 'tuple': case 'list': case 'set': {
      let n = v.items.length;
      if (levels > 1) for (let i = 0; i < v.items.length; i++) n += workOf(v.items[i], levels - 1);
      return n;
    }
    case 'dict': {
      let n = v.keys.length;
      if (levels > 1) for (let i = 0; i < v.values.length; i++) n += workOf(v.values[i], levels - 1);
      return n;
    }
    default: return 0;
  }
}
