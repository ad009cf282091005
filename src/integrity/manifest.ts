import { createHash } from 'node:crypto';
import { MvError } from '../core/index.js';
import { HASH_TYPES, type HashType } from './constants.js';
import { assertSafePath, cmpPosixPath } from './paths.js';

/** One entry of `predicate.resources` (../shared/spec/signing.md §1.2). */
export interface Resource {
  readonly name: string;
  readonly algorithm: string;
  /** Lowercase hex. */
  readonly digest: string;
}

/** The `serialization` block: how the resources were produced. */
export type Serialization =
  | { readonly method: 'files'; readonly hashType: HashType; readonly allowSymlinks: boolean; readonly ignorePaths: readonly string[] }
  | {
      readonly method: 'shards';
      readonly hashType: HashType;
      readonly allowSymlinks: boolean;
      readonly ignorePaths: readonly string[];
      /** Bytes per shard, a positive safe integer. */
      readonly shardSize: number;
    };

/** A digest computed by the host for one file (files) or one byte range of a file (shards). */
export interface FileDigest {
  /** Path relative to the model root ('/' separated), or "." for a single-file model. */
  readonly path: string;
  /** Shards only: byte range [start, end). */
  readonly start?: number;
  readonly end?: number;
  /** Lowercase hex. */
  readonly digest: string;
}

/** A manifest: resources in reference order plus the serialization that produced them. */
export interface Manifest {
  readonly resources: readonly Resource[];
  readonly serialization: Serialization;
}

/** The `algorithm` string each resource must carry under `s` (§1.2 table). */
export const resourceAlgorithm = (s: Serialization): string =>
  s.method === 'files' ? s.hashType : `${s.hashType}-sharded-${s.shardSize}`;

/** Resource name for a digest: `path` (files) or `path:start:end` (shards). */
export const resourceName = (d: FileDigest, s: Serialization): string =>
  s.method === 'files' ? d.path : `${d.path}:${d.start ?? 0}:${d.end ?? 0}`;

/**
 * Splits a shard resource name `path:start:end` from the right (paths may contain ':'). Returns null
 * when the suffix is not two canonical decimal integers with start < end.
 */
export function parseShardName(name: string): { path: string; start: number; end: number } | null {
  const m = /^(.*):(0|[1-9][0-9]{0,15}):([1-9][0-9]{0,15})$/s.exec(name);
  if (!m) return null;
  const start = Number(m[2]);
  const end = Number(m[3]);
  if (!Number.isSafeInteger(end) || start >= end) return null;
  return { path: m[1]!, start, end };
}

/** Byte ranges of a file under shard size `shardSize`: [0,s),[s,2s),…,[k·s,size); none when empty. */
export function shardRanges(size: number, shardSize: number): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  for (let start = 0; start < size; start += shardSize) out.push({ start, end: Math.min(size, start + shardSize) });
  return out;
}

/**
 * Builds the manifest from host-computed digests: validates names and digests, rejects duplicates and
 * sorts in the reference order (PurePosixPath, then numeric shard start).
 */
export function buildManifest(digests: readonly FileDigest[], serialization: Serialization): Manifest {
  const algorithm = resourceAlgorithm(serialization);
  const hexLength = HASH_TYPES[serialization.hashType].hexLength;
  const seen = new Set<string>();
  const rows = digests.map((d, i) => {
    assertSafePath(d.path, [i]);
    if (d.digest.length !== hexLength || !/^[0-9a-f]+$/.test(d.digest)) {
      throw new MvError('SIG_BUNDLE_INVALID', `digest of ${JSON.stringify(d.path)} is not ${hexLength} lowercase hex digits`, { path: [i] });
    }
    const name = resourceName(d, serialization);
    if (seen.has(name)) throw new MvError('SIG_BUNDLE_INVALID', `duplicate resource name ${JSON.stringify(name)}`, { path: [i] });
    seen.add(name);
    return { d, resource: { name, algorithm, digest: d.digest } };
  });
  rows.sort((x, y) => cmpPosixPath(x.d.path, y.d.path) || (x.d.start ?? 0) - (y.d.start ?? 0) || (x.d.end ?? 0) - (y.d.end ?? 0));
  return { resources: rows.map((r) => r.resource), serialization };
}

/**
 * Root digest (§1.4): SHA-256 over the raw digest bytes of the resources in the order given, whatever
 * the content hash. Verifiers call this on the bundle's own order (never re-sorted).
 */
export function rootDigest(resources: readonly Resource[]): string {
  const h = createHash('sha256');
  for (const r of resources) h.update(Buffer.from(r.digest, 'hex'));
  return h.digest('hex');
}
