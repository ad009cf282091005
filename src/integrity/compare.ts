import type { Resource, Serialization } from './manifest.js';
import { parseShardName } from './manifest.js';
import { cmpPosixPath } from './paths.js';

/** A file whose digest differs from the signed one. */
export interface FileMismatch {
  /** File path relative to the model root ("." for a single-file model). */
  readonly name: string;
  /** Shards: the first differing shard resource name. */
  readonly shard?: string;
  readonly expected: string;
  readonly actual: string;
}

/** Every difference between the signed manifest and the files on disk (§1.8 step 7, all of them). */
export interface ManifestDiff {
  readonly modified: readonly FileMismatch[];
  readonly missing: readonly string[];
  readonly extra: readonly string[];
}

const fileOf = (name: string, s: Serialization): string => (s.method === 'shards' ? (parseShardName(name)?.path ?? name) : name);

function groupByFile(resources: readonly Resource[], s: Serialization): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  for (const r of resources) {
    const f = fileOf(r.name, s);
    let m = out.get(f);
    if (!m) out.set(f, (m = new Map()));
    m.set(r.name, `${r.algorithm}:${r.digest}`);
  }
  return out;
}

/**
 * Compares manifests as maps name → (algorithm, digest), grouped per file so a changed shard names its
 * file. Returns every modified, missing and extra file in reference path order.
 */
export function diffManifests(signed: readonly Resource[], actual: readonly Resource[], s: Serialization): ManifestDiff {
  const want = groupByFile(signed, s);
  const have = groupByFile(actual, s);
  const modified: FileMismatch[] = [];
  const missing: string[] = [];
  const extra: string[] = [];
  for (const [file, w] of want) {
    const h = have.get(file);
    if (!h) {
      missing.push(file);
      continue;
    }
    const names = [...new Set([...w.keys(), ...h.keys()])].sort((a, b) => cmpPosixPath(a, b));
    const bad = names.find((n) => w.get(n) !== h.get(n));
    if (bad !== undefined) {
      const strip = (v: string | undefined) => (v === undefined ? '(none)' : v.slice(v.lastIndexOf(':') + 1));
      modified.push({ name: file, ...(s.method === 'shards' ? { shard: bad } : {}), expected: strip(w.get(bad)), actual: strip(h.get(bad)) });
    }
  }
  for (const file of have.keys()) if (!want.has(file)) extra.push(file);
  const byPath = (a: string, b: string) => cmpPosixPath(a, b);
  return { modified: modified.sort((a, b) => byPath(a.name, b.name)), missing: missing.sort(byPath), extra: extra.sort(byPath) };
}

/** True when the diff is empty. */
export const isCleanDiff = (d: ManifestDiff): boolean => d.modified.length === 0 && d.missing.length === 0 && d.extra.length === 0;
