import { MvError } from './errors.js';

/** Indexes a table by a key, throwing on a duplicate: tables are the single source of truth. */
export function indexUnique<T, K>(rows: readonly T[], key: (row: T) => K): ReadonlyMap<K, T> {
  const m = new Map<K, T>();
  for (const r of rows) {
    const k = key(r);
    if (m.has(k)) throw new MvError('INTERNAL', `duplicate table key ${String(k)}`);
    m.set(k, r);
  }
  return m;
}
