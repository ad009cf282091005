/**
 * The estimator graph of a pickle as a class tree, for `modelvault inspect`: supported estimators
 * and unsupported classes, with the attribute they hang from; helper objects (Cython trees, losses,
 * random states) are left out, and runs of the same class (forest trees) are grouped.
 */
import { className, dictLookup, isArray, seqItems, stateDict, type PyValue } from './py.js';
import { ESTIMATOR_BY_CLASS, isInnerType } from './sklearn/table.js';

export interface GraphNode {
  readonly cls: string;
  /** Where it hangs: `steps.scale`, `transformers_.num`, `estimators_`, `init_` … */
  readonly field?: string;
  /** How many consecutive siblings of this class the node stands for (forest trees). */
  readonly count?: number;
  readonly status: 'supported' | 'unsupported';
  readonly children: readonly GraphNode[];
}

/** Unfitted templates next to their fitted counterpart: not part of what predicts. */
const TEMPLATES: Readonly<Record<string, string>> = {
  estimator: 'estimators_', base_estimator: 'estimators_', _estimator: 'estimators_', estimator_: 'estimators_', base_estimator_: 'estimators_',
  transformers: 'transformers_', _remainder: 'transformers_', init: 'init_',
};

const statusOf = (cls: string): GraphNode['status'] | 'helper' =>
  ESTIMATOR_BY_CLASS.has(cls) ? 'supported' : isInnerType(cls) || cls.startsWith('numpy.') || cls.startsWith('collections.') || cls.startsWith('builtins.') ? 'helper' : 'unsupported';

/** Objects reachable from `v` through containers (not through other objects), with a label suffix. */
function objectsIn(v: PyValue, label: string, depth: number, out: { v: PyValue; label: string }[]): void {
  if (v === null || typeof v !== 'object' || depth > 4) return;
  if ((v.kind === 'object' || v.kind === 'call') && className(v)) {
    out.push({ v, label });
    return;
  }
  const items = seqItems(v) ?? (isArray(v) && v.items ? v.items : undefined);
  if (items) {
    // (name, estimator[, columns]) pairs label the estimator with the name.
    if (items.length >= 2 && typeof items[0] === 'string' && v.kind === 'tuple') {
      objectsIn(items[1]!, `${label}.${items[0]}`, depth + 1, out);
      return;
    }
    for (const it of items) objectsIn(it, label, depth + 1, out);
    return;
  }
  if (v.kind === 'dict') v.keys.forEach((k, i) => objectsIn(v.values[i]!, typeof k === 'string' ? `${label}.${k}` : label, depth + 1, out));
}

function nodeOf(v: PyValue, field: string | undefined, depth: number, seen: Set<object>): GraphNode | undefined {
  const cls = className(v);
  if (!cls || v === null || typeof v !== 'object') return undefined;
  const status = statusOf(cls);
  if (status === 'helper') return undefined;
  const children: GraphNode[] = [];
  const d = stateDict(v);
  if (d && depth < 16 && !seen.has(v)) {
    seen.add(v);
    d.keys.forEach((k, i) => {
      if (typeof k !== 'string') return;
      const fitted = TEMPLATES[k];
      if (fitted && dictLookup(d, fitted) !== undefined) return;
      const found: { v: PyValue; label: string }[] = [];
      objectsIn(d.values[i]!, k, 0, found);
      for (const f of found) {
        const n = nodeOf(f.v, f.label, depth + 1, seen);
        if (!n) continue;
        const last = children[children.length - 1];
        if (last && last.cls === n.cls && last.field === n.field && n.children.length === 0 && last.children.length === 0) {
          children[children.length - 1] = { ...last, count: (last.count ?? 1) + 1 };
        } else children.push(n);
      }
    });
  }
  return { cls, ...(field ? { field } : {}), status, children };
}

/** The class tree rooted at the pickle's value (undefined when the root is not an object). */
export function estimatorTree(value: PyValue): GraphNode | undefined {
  if (value !== null && typeof value === 'object' && (value.kind === 'dict' || value.kind === 'list' || value.kind === 'tuple')) {
    // A container root ({'model': pipe, …}): list the estimators it holds.
    const found: { v: PyValue; label: string }[] = [];
    if (value.kind === 'dict') value.keys.forEach((k, i) => objectsIn(value.values[i]!, typeof k === 'string' ? k : String(k), 0, found));
    else value.items.forEach((x, i) => objectsIn(x, `[${i}]`, 0, found));
    const seen = new Set<object>();
    const children = found.flatMap((f) => nodeOf(f.v, f.label, 1, seen) ?? []);
    return { cls: `builtins.${value.kind}`, status: 'supported', children };
  }
  return nodeOf(value, undefined, 0, new Set());
}

/** Text lines of a class tree, two spaces per level. */
export function treeLines(n: GraphNode, indent = ''): string[] {
  const short = n.cls.slice(n.cls.lastIndexOf('.') + 1);
  const head = `${indent}${n.field ? `${n.field}: ` : ''}${n.count ? `${n.count} × ` : ''}${short}${n.status === 'unsupported' ? `  [unsupported: ${n.cls}]` : ''}`;
  return [head, ...n.children.flatMap((c) => treeLines(c, `${indent}  `))];
}
