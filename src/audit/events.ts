/**
 * Audit events: the leaf data of the log. One event = the RFC 8785 (JCS) canonical JSON bytes of
 * `{seq, time, actor, action, subject: {model, version, digest}, before, after, reason?, prev_checkpoint?}`
 * (../shared/spec/signing.md §5.6). The leaf index equals `seq`.
 */
import canonicalizeModule from 'canonicalize';
import { MvError, indexUnique } from '../core/index.js';
import { asText, decodeBase64Strict, utf8 } from './text.js';

// canonicalize 2.x is CommonJS with an ESM-style `export default` typing; under NodeNext the default
// import is module.exports itself, which is the function.
const canonicalize = canonicalizeModule as unknown as (v: unknown) => string | undefined;

/** An action a leaf can record. Table rows are the single source of truth (STYLE.md §2). */
export interface ActionInfo {
  readonly name: string;
  readonly doc: string;
}

export const ACTIONS: readonly ActionInfo[] = [
  { name: 'registry.init', doc: 'The registry and its audit log were created.' },
  { name: 'model.create', doc: 'A model name was registered.' },
  { name: 'model.delete', doc: 'A model was deleted (tombstoned) by an admin; its history stays.' },
  { name: 'version.create', doc: 'A new immutable version was stored (after scan, conversion and signature checks).' },
  { name: 'version.reject', doc: 'An upload was refused; `reason` says why (scan block, bad signature, policy).' },
  { name: 'version.deprecate', doc: 'A version was marked deprecated.' },
  { name: 'version.delete', doc: 'A version was deleted (tombstoned) by an admin.' },
  { name: 'version.scan', doc: 'A scan report was recorded for a version.' },
  { name: 'version.convert', doc: 'A conversion report was recorded for a version.' },
  { name: 'version.sign', doc: 'A signature was attached to a version.' },
  { name: 'version.verify', doc: 'A signature verification result was recorded for a version.' },
  { name: 'alias.set', doc: 'An alias was created or moved; `before`/`after` hold the old and new version.' },
  { name: 'alias.delete', doc: 'An alias was removed.' },
  { name: 'tag.set', doc: 'A tag was set on a model or version.' },
  { name: 'tag.delete', doc: 'A tag was removed.' },
  { name: 'identity.create', doc: 'An identity was created.' },
  { name: 'identity.disable', doc: 'An identity was disabled.' },
  { name: 'permission.grant', doc: 'A role was granted to an identity.' },
  { name: 'permission.revoke', doc: 'A role was revoked from an identity.' },
  { name: 'token.create', doc: 'An API token was issued (only its hash is stored).' },
  { name: 'token.revoke', doc: 'An API token was revoked.' },
  { name: 'key.rotate', doc: 'The log signing key was rotated; signed by the old key.' },
];
export const ACTION_BY_NAME = indexUnique(ACTIONS, (a) => a.name);

/** JSON values allowed in `before` / `after`. */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [k: string]: JsonValue };

export interface AuditSubject {
  /** Model name, or null for registry-wide actions (identities, keys). */
  readonly model: string | null;
  /** Version number (≥ 1), or null. */
  readonly version: number | null;
  /** `sha256:<64 hex>` content digest, or null. */
  readonly digest: string | null;
}

export interface AuditEvent {
  readonly seq: number;
  /** RFC 3339 UTC time, e.g. 2026-12-01T19:09:44.123Z. */
  readonly time: string;
  readonly actor: string;
  readonly action: string;
  readonly subject: AuditSubject;
  readonly before: JsonValue;
  readonly after: JsonValue;
  readonly reason?: string;
  /** The latest checkpoint before this event, chaining the log to its own signed history. */
  readonly prev_checkpoint?: { readonly size: number; readonly root: string };
}

/** Bounds on one event (fail closed: a larger event is a caller bug, not data to store). */
export const MAX_EVENT_BYTES = 64 * 1024;
export const MAX_EVENT_DEPTH = 16;
const MAX_NAME_CHARS = 256;
const MAX_REASON_CHARS = 4096;

const TIME_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$/;
const DIGEST_RE = /^sha256:[0-9a-f]{64}$/;
const TOP_KEYS = new Set(['seq', 'time', 'actor', 'action', 'subject', 'before', 'after', 'reason', 'prev_checkpoint']);
const REQUIRED_KEYS = ['seq', 'time', 'actor', 'action', 'subject', 'before', 'after'];

const bad = (path: (string | number)[], msg: string): MvError => new MvError('AUDIT_EVENT_INVALID', msg, { path });

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null);

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function checkWellFormed(v: string, path: readonly (string | number)[]): void {
  // A lone surrogate would be replaced by U+FFFD when encoded: reject instead of changing the data.
  if (LONE_SURROGATE.test(v)) throw bad([...path], 'is not well-formed Unicode');
}

function checkShortString(v: unknown, path: (string | number)[], max: number): void {
  if (typeof v !== 'string' || v.length === 0 || v.length > max) throw bad(path, `must be a string of 1..${max} characters`);
  if (/[\u0000-\u001f\u007f]/.test(v)) throw bad(path, 'must not contain control characters');
  checkWellFormed(v, path);
}

/** Checks a JSON value; `path` is a mutable stack (copied only when an error is thrown). */
function checkJson(v: unknown, path: (string | number)[], depth: number): void {
  if (depth > MAX_EVENT_DEPTH) throw bad([...path], 'value is nested too deeply');
  if (v === null || typeof v === 'boolean') return;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw bad([...path], 'numbers must be finite');
    return;
  }
  if (typeof v === 'string') {
    checkWellFormed(v, path);
    return;
  }
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      path.push(i);
      checkJson(v[i], path, depth + 1);
      path.pop();
    }
    return;
  }
  if (isPlainObject(v)) {
    for (const k in v) {
      if (!Object.hasOwn(v, k)) continue;
      path.push(k);
      if (k === '__proto__') throw bad([...path], 'key __proto__ is not allowed');
      checkWellFormed(k, path);
      checkJson(v[k], path, depth + 1);
      path.pop();
    }
    return;
  }
  throw bad([...path], `${typeof v} is not a JSON value`);
}

/** Asserts `v` is a valid AuditEvent (exact key set, types, bounds). Throws AUDIT_EVENT_INVALID with a path. */
export function assertAuditEvent(v: unknown): asserts v is AuditEvent {
  if (!isPlainObject(v)) throw bad([], 'event must be an object');
  for (const k of Object.keys(v)) if (!TOP_KEYS.has(k)) throw bad([k], 'unknown field');
  for (const k of REQUIRED_KEYS) if (!Object.hasOwn(v, k)) throw bad([k], 'missing field');
  if (!Number.isSafeInteger(v.seq) || (v.seq as number) < 0) throw bad(['seq'], 'must be a non-negative integer');
  if (typeof v.time !== 'string' || !TIME_RE.test(v.time) || Number.isNaN(Date.parse(v.time))) throw bad(['time'], 'must be an RFC 3339 UTC time');
  checkShortString(v.actor, ['actor'], MAX_NAME_CHARS);
  if (typeof v.action !== 'string' || !ACTION_BY_NAME.has(v.action)) throw bad(['action'], 'unknown action');
  const s = v.subject;
  if (!isPlainObject(s)) throw bad(['subject'], 'must be an object');
  for (const k of Object.keys(s)) if (k !== 'model' && k !== 'version' && k !== 'digest') throw bad(['subject', k], 'unknown field');
  for (const k of ['model', 'version', 'digest']) if (!Object.hasOwn(s, k)) throw bad(['subject', k], 'missing field (use null)');
  if (s.model !== null) checkShortString(s.model, ['subject', 'model'], MAX_NAME_CHARS);
  if (s.version !== null && (!Number.isSafeInteger(s.version) || (s.version as number) < 1)) throw bad(['subject', 'version'], 'must be a positive integer or null');
  if (s.digest !== null && (typeof s.digest !== 'string' || !DIGEST_RE.test(s.digest))) throw bad(['subject', 'digest'], 'must be sha256:<64 hex> or null');
  checkJson(v.before, ['before'], 1);
  checkJson(v.after, ['after'], 1);
  if (v.reason !== undefined) {
    if (typeof v.reason !== 'string' || v.reason.length > MAX_REASON_CHARS) throw bad(['reason'], `must be a string of at most ${MAX_REASON_CHARS} characters`);
    checkWellFormed(v.reason, ['reason']);
  }
  if (v.prev_checkpoint !== undefined) {
    const p = v.prev_checkpoint;
    if (!isPlainObject(p) || Object.keys(p).length !== 2 || !Number.isSafeInteger(p.size) || (p.size as number) < 0 || typeof p.root !== 'string') {
      throw bad(['prev_checkpoint'], 'must be {size, root}');
    }
    if (decodeBase64Strict(p.root, 'AUDIT_EVENT_INVALID', 'prev_checkpoint.root').length !== 32) throw bad(['prev_checkpoint', 'root'], 'must be a base64 32-byte hash');
  }
}

/** Canonical leaf bytes of an event: schema check, then RFC 8785 JCS. */
export function encodeEvent(event: AuditEvent): Uint8Array {
  assertAuditEvent(event);
  const text = canonicalize(event);
  if (text === undefined) throw bad([], 'event is not serialisable');
  const bytes = utf8(text);
  if (bytes.length > MAX_EVENT_BYTES) throw new MvError('AUDIT_EVENT_INVALID', `event is ${bytes.length} bytes, over ${MAX_EVENT_BYTES}`);
  return bytes;
}

/**
 * Parses leaf bytes back into an event; by default the bytes must be exactly the canonical encoding.
 * `requireCanonical: false` skips only the re-serialisation (bulk re-verification, where the leaf hash
 * and the signed roots already pin the exact bytes).
 */
export function parseEvent(data: Uint8Array, opts: { requireCanonical?: boolean } = {}): AuditEvent {
  if (data.length > MAX_EVENT_BYTES) throw new MvError('AUDIT_EVENT_INVALID', 'event is too large');
  const text = asText(data, 'AUDIT_EVENT_INVALID', 'event');
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new MvError('AUDIT_EVENT_INVALID', 'event is not JSON');
  }
  assertAuditEvent(v);
  if (opts.requireCanonical !== false && canonicalize(v) !== text) {
    throw new MvError('AUDIT_EVENT_INVALID', 'event is not in canonical (RFC 8785) form');
  }
  return v;
}
