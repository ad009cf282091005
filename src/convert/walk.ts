/**
 * Walks a whole pickle graph (cycle-safe, iterative) and lists every class that is instantiated
 * (NEWOBJ/BUILD objects) or called (REDUCE callees): the converter decides support from this list
 * BEFORE mapping, so an unsupported-estimator error names every offending type at once.
 */
import { className, type PyValue } from './py.js';

export interface ClassUse {
  readonly cls: string;
  readonly count: number;
  /** Byte offset of the first occurrence. */
  readonly at: number;
}

export function classesInGraph(root: PyValue): ClassUse[] {
  const seen = new Set<object>();
  const uses = new Map<string, { count: number; at: number }>();
  const stack: PyValue[] = [root];
  // Spread would overflow the call stack on million-item containers.
  const pushAll = (xs: readonly PyValue[]): void => {
    for (const x of xs) if (x !== null && typeof x === 'object') stack.push(x);
  };
  while (stack.length) {
    const v = stack.pop()!;
    if (v === null || typeof v !== 'object' || seen.has(v)) continue;
    seen.add(v);
    switch (v.kind) {
      case 'object':
      case 'call': {
        const cls = className(v);
        if (cls) {
          const u = uses.get(cls);
          if (u) u.count++;
          else uses.set(cls, { count: 1, at: v.at });
        }
        if (v.kind === 'object') { stack.push(v.cls); pushAll(v.args); if (v.kwargs) stack.push(v.kwargs); }
        else stack.push(v.fn, v.args);
        if (v.state !== undefined) stack.push(v.state);
        if (v.mutations) pushAll(v.mutations);
        break;
      }
      case 'tuple':
      case 'list':
      case 'set':
        pushAll(v.items);
        break;
      case 'dict':
        pushAll(v.keys);
        pushAll(v.values);
        break;
      case 'ndarray':
        if (v.items) pushAll(v.items);
        break;
      case 'npscalar':
        stack.push(v.value);
        break;
      default:
        break;
    }
  }
  return [...uses].map(([cls, u]) => ({ cls, ...u })).sort((a, b) => (a.cls < b.cls ? -1 : a.cls > b.cls ? 1 : 0));
}
