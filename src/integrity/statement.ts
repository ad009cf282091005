import { MvError, decodeUtf8 } from '../core/index.js';
import {
  HASH_TYPES,
  isHashType,
  LEGACY_PREDICATE_TYPE,
  MAX_RESOURCES,
  PREDICATE_TYPE,
  STATEMENT_TYPE,
} from './constants.js';
import { IssueList, isRecord } from './issues.js';
import { parseShardName, resourceAlgorithm, rootDigest, type Manifest, type Resource, type Serialization } from './manifest.js';
import { unsafePathReason } from './paths.js';

/** An in-toto Statement v1 with the OMS predicate, valid by construction. */
export interface Statement {
  /** Informational subject name (model directory or file base name). */
  readonly subjectName: string;
  /** `subject[0].digest.sha256` (the root digest). */
  readonly subjectDigest: string;
  readonly resources: readonly Resource[];
  readonly serialization: Serialization;
}

/** The statement object our signer writes (fixed key order for reproducibility, §1.5). */
export function buildStatement(subjectName: string, manifest: Manifest): Record<string, unknown> {
  const s = manifest.serialization;
  const serialization: Record<string, unknown> = {
    method: s.method,
    hash_type: s.hashType,
    allow_symlinks: s.allowSymlinks,
    ...(s.method === 'shards' ? { shard_size: s.shardSize } : {}),
    ignore_paths: [...s.ignorePaths],
  };
  return {
    _type: STATEMENT_TYPE,
    subject: [{ name: subjectName, digest: { sha256: rootDigest(manifest.resources) } }],
    predicateType: PREDICATE_TYPE,
    predicate: {
      resources: manifest.resources.map((r) => ({ name: r.name, algorithm: r.algorithm, digest: r.digest })),
      serialization,
    },
  };
}

/** Payload bytes for a statement: `JSON.stringify(…, null, 2)` (verifiers check the signed bytes). */
export const serializeStatement = (statement: Record<string, unknown>): Uint8Array =>
  Buffer.from(JSON.stringify(statement, null, 2), 'utf8');

const HEX = /^[0-9a-f]+$/;

function parseSerialization(v: unknown, issues: IssueList): Serialization | null {
  const at = ['predicate', 'serialization'];
  if (!isRecord(v)) {
    issues.add(at, 'missing or not an object');
    return null;
  }
  const method = v.method;
  const hashType = v.hash_type;
  let ok = true;
  if (method !== 'files' && method !== 'shards') {
    issues.add([...at, 'method'], `unknown serialization method ${JSON.stringify(method)}`);
    ok = false;
  }
  if (typeof hashType !== 'string' || !isHashType(hashType)) {
    issues.add([...at, 'hash_type'], `unsupported hash_type ${JSON.stringify(hashType)} (supported: ${Object.keys(HASH_TYPES).join(', ')})`);
    ok = false;
  }
  if (typeof v.allow_symlinks !== 'boolean') {
    issues.add([...at, 'allow_symlinks'], 'required boolean is missing');
    ok = false;
  }
  const ignorePaths: string[] = [];
  if (v.ignore_paths !== undefined) {
    if (!Array.isArray(v.ignore_paths)) {
      issues.add([...at, 'ignore_paths'], 'not an array');
      ok = false;
    } else {
      v.ignore_paths.forEach((p, i) => {
        if (typeof p !== 'string') {
          issues.add([...at, 'ignore_paths', i], 'not a string');
          ok = false;
        } else ignorePaths.push(p);
      });
    }
  }
  let shardSize = 0;
  if (method === 'shards') {
    // The reference writes 8.0 through a protobuf Struct; JSON.parse already folds it to 8 (§1.10).
    const n = v.shard_size;
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n <= 0) {
      issues.add([...at, 'shard_size'], 'shards need a positive integer shard_size');
      ok = false;
    } else shardSize = n;
  }
  if (!ok) return null;
  const base = { hashType: hashType as Serialization['hashType'], allowSymlinks: v.allow_symlinks as boolean, ignorePaths };
  return method === 'files' ? { method: 'files', ...base } : { method: 'shards', ...base, shardSize };
}

/**
 * Parses and validates the DSSE payload (the exact signed bytes; never re-serialised, §0.4): strict
 * UTF-8 JSON, `_type`, `predicateType`, exactly one subject with a SHA-256 digest, every resource
 * (safe unique name, algorithm matching the serialization, hex digest of the right length). Collects
 * every bad field, then throws SIG_BUNDLE_INVALID. Does not check the root digest: see
 * `assertStatementConsistent`.
 */
export function parseStatement(payload: Uint8Array): Statement {
  let text: string;
  let v: unknown;
  try {
    text = decodeUtf8(payload, 'SIG_BUNDLE_INVALID');
    v = JSON.parse(text);
  } catch {
    throw new MvError('SIG_BUNDLE_INVALID', 'the DSSE payload is not UTF-8 JSON');
  }
  const issues = new IssueList();
  if (!isRecord(v)) throw new MvError('SIG_BUNDLE_INVALID', 'the DSSE payload is not a JSON object');
  if (v._type !== STATEMENT_TYPE) issues.add(['_type'], `unknown statement type ${JSON.stringify(v._type)}`);
  if (v.predicateType === LEGACY_PREDICATE_TYPE) {
    issues.add(['predicateType'], 'legacy model_signing v0.2 signatures (Digests/v0.1) are not supported');
  } else if (v.predicateType !== PREDICATE_TYPE) {
    issues.add(['predicateType'], `unknown predicate type ${JSON.stringify(v.predicateType)}`);
  }
  let subjectName = '';
  let subjectDigest = '';
  if (!Array.isArray(v.subject) || v.subject.length !== 1) {
    issues.add(['subject'], 'exactly one subject is required');
  } else {
    const s = v.subject[0];
    if (!isRecord(s) || typeof s.name !== 'string') issues.add(['subject', 0, 'name'], 'missing or not a string');
    else subjectName = s.name;
    const d = isRecord(s) && isRecord(s.digest) ? s.digest.sha256 : undefined;
    if (typeof d !== 'string' || d.length !== 64 || !HEX.test(d)) issues.add(['subject', 0, 'digest', 'sha256'], 'missing or not 64 lowercase hex digits');
    else subjectDigest = d;
  }
  const predicate = isRecord(v.predicate) ? v.predicate : null;
  if (!predicate) issues.add(['predicate'], 'missing or not an object');
  const serialization = predicate ? parseSerialization(predicate.serialization, issues) : null;
  const resources: Resource[] = [];
  const raw = predicate?.resources;
  if (predicate && !Array.isArray(raw)) issues.add(['predicate', 'resources'], 'missing or not an array');
  if (Array.isArray(raw)) {
    if (raw.length > MAX_RESOURCES) {
      throw new MvError('LIMIT_EXCEEDED', `too many resources: ${raw.length}`, { limit: 'maxResources', actual: raw.length });
    }
    const algorithm = serialization ? resourceAlgorithm(serialization) : null;
    const hexLength = serialization ? HASH_TYPES[serialization.hashType].hexLength : 0;
    const seen = new Set<string>();
    raw.forEach((r, i) => {
      const at = ['predicate', 'resources', i];
      if (!isRecord(r) || typeof r.name !== 'string' || typeof r.algorithm !== 'string' || typeof r.digest !== 'string') {
        issues.add(at, 'a resource needs string name, algorithm and digest');
        return;
      }
      const path = serialization?.method === 'shards' ? parseShardName(r.name)?.path : r.name;
      if (path === undefined) issues.add([...at, 'name'], `${JSON.stringify(r.name)} is not a shard name path:start:end`);
      else {
        const why = unsafePathReason(path);
        if (why) issues.add([...at, 'name'], `unsafe resource name ${JSON.stringify(r.name)}: ${why}`);
      }
      if (seen.has(r.name)) issues.add([...at, 'name'], `duplicate resource name ${JSON.stringify(r.name)}`);
      seen.add(r.name);
      if (algorithm !== null && r.algorithm !== algorithm) {
        issues.add([...at, 'algorithm'], `algorithm ${JSON.stringify(r.algorithm)} does not match the serialization (${algorithm})`);
      }
      if (serialization && (r.digest.length !== hexLength || !HEX.test(r.digest))) {
        issues.add([...at, 'digest'], `not ${hexLength} lowercase hex digits`);
      }
      resources.push({ name: r.name, algorithm: r.algorithm, digest: r.digest });
    });
  }
  issues.throwIfAny('SIG_BUNDLE_INVALID', 'invalid in-toto statement');
  return { subjectName, subjectDigest, resources, serialization: serialization! };
}

/**
 * §1.8 step 4: the subject digest must be the root of the resources in the order listed (no re-sort;
 * the reference accepts a consistent non-reference order). Throws SIG_MANIFEST_INCONSISTENT.
 */
export function assertStatementConsistent(s: Statement): void {
  const root = rootDigest(s.resources);
  if (root !== s.subjectDigest) {
    throw new MvError(
      'SIG_MANIFEST_INCONSISTENT',
      `manifest is inconsistent: the subject digest is ${s.subjectDigest}, but the listed resources hash to ${root}`,
      { path: ['subject', 0, 'digest', 'sha256'] },
    );
  }
}
