import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

// ../shared/STYLE.md §1: a file imports from its own folder or from lower ranks; same-rank folders
// don't import each other; ranks 0–3 do no I/O. The CLI is the outermost edge (it starts the server), so it
// sits one rank above server/.
const RANK: Record<string, number> = {
  core: 0, formats: 1, integrity: 1, audit: 1, scan: 2, runtime: 2, convert: 3, host: 4, sandbox: 4, registry: 5, server: 6, cli: 7,
};
const PURE_FORBIDDEN = ['node:fs', 'node:fs/promises', 'node:net', 'node:child_process', 'node:http', 'node:worker_threads'];
const SRC = new URL('../src/', import.meta.url).pathname;

function* files(dir: string): Generator<string> {
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) yield* files(p);
    else if (p.endsWith('.ts')) yield p;
  }
}

describe('architecture', () => {
  const edges: { from: string; spec: string; file: string }[] = [];
  for (const f of files(SRC)) {
    const rel = relative(SRC, f).split(sep);
    const text = readFileSync(f, 'utf8');
    for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)[^'";]*?from\s+['"]([^'"]+)['"]/g)) {
      edges.push({ from: rel[0]!, spec: m[1]!, file: relative(SRC, f) });
    }
    for (const m of text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)) edges.push({ from: rel[0]!, spec: m[1]!, file: relative(SRC, f) });
  }

  it('finds the source tree', () => {
    expect(edges.length).toBeGreaterThan(5);
  });

  it('never imports upward or sideways across folders', () => {
    const bad: string[] = [];
    for (const e of edges) {
      if (!e.spec.startsWith('.')) continue;
      const target = relative(SRC, join(SRC, e.file, '..', e.spec)).split(sep)[0]!;
      if (target === e.from || RANK[e.from] === undefined) continue;
      if (RANK[target] === undefined) continue;
      if (RANK[target]! >= RANK[e.from]! ) bad.push(`${e.file} -> ${e.spec}`);
    }
    expect(bad).toEqual([]);
  });

  it('imports other folders only through their index.ts', () => {
    const bad: string[] = [];
    for (const e of edges) {
      if (!e.spec.startsWith('.')) continue;
      const parts = relative(SRC, join(SRC, e.file, '..', e.spec)).split(sep);
      if (parts[0] === e.from || RANK[parts[0]!] === undefined) continue;
      const tail = parts.slice(1).join('/');
      if (!/^(?:[a-z0-9-]+\/)?index\.js$/.test(tail)) bad.push(`${e.file} -> ${e.spec}`);
    }
    expect(bad).toEqual([]);
  });

  it('keeps ranks 0-3 free of I/O modules', () => {
    const bad = edges.filter((e) => (RANK[e.from] ?? 9) <= 3 && PURE_FORBIDDEN.includes(e.spec)).map((e) => `${e.file} -> ${e.spec}`);
    expect(bad).toEqual([]);
  });
});
